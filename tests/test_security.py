"""Security: every role against every page and API endpoint (a permission matrix generated from the
URL conf), CSRF, upload limits, path traversal on server imports. The API fuzz that must never
answer 5xx is Schemathesis, in test_schema_fuzz.py."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from annotator import models as m
from annotator.access import CAN_EDIT, CAN_MANAGE, CAN_REVIEW, CAN_VIEW
from annotator.models import Role
from tests.factories import (
    DatasetFactory,
    MembershipFactory,
    UserFactory,
    VideoFactory,
    objects_of_every_kind,
)

ROLES = [Role.OWNER, Role.REVIEWER, Role.ANNOTATOR, Role.VIEWER]
SKIP = {"admin", "login", "logout", "healthz", "api_token", "schema", "api_docs"}
NOWHERE = 987654  # an id no object has


def url_patterns(resolver=None, prefix: str = "", namespace_skip: bool = False):
    """Every named route of the project, with its converters' names: (name, regex-ish route)."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin" or str(entry.pattern).startswith("admin"):
                continue
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIP:
            route = prefix + str(entry.pattern)
            if "format>" in route:
                continue  # DRF's format-suffix twins of the same views
            yield entry.name, route


ROUTES = sorted(set(url_patterns()))


@pytest.fixture
def world(db):
    """A dataset with a member of each role, plus an outsider who owns another dataset."""
    video = VideoFactory(media_dir="")
    dataset = video.dataset
    users = {}
    for role in ROLES:
        users[role] = UserFactory(username=f"u-{role}")
        MembershipFactory(dataset=dataset, user=users[role], role=role)
    outsider = UserFactory(username="outsider")
    MembershipFactory(dataset=DatasetFactory(name="other"), user=outsider, role=Role.OWNER)
    made = objects_of_every_kind(video, author=users[Role.REVIEWER])
    interval, prediction = made["interval"], made["prediction"]
    weak_label = m.WeakLabel.objects.create(video=video, contains_me=True, author=users[Role.ANNOTATOR])
    ids = {
        "dataset": dataset.pk,
        "video": video.pk,
        "interval": interval.pk,
        "job": made["job"].pk,
        "subject": video.subject_id,
        "review": video.pk,  # the review endpoints take the video
        "prediction": prediction.pk,
        "run": prediction.run_id,
        "comment": made["comment"].pk,
        "weak_label": weak_label.pk,
        "label": weak_label.pk,  # weak_label_delete's label_id
    }
    return {
        "dataset": dataset,
        "video": video,
        "interval": interval,
        "users": users,
        "outsider": outsider,
        "ids": ids,
    }


def fill(name: str, route: str, ids: dict) -> tuple[str, bool]:
    """The route with the world's ids put in; whether it names one of the dataset's objects."""
    basename = name.rsplit("-", 1)[0] if "-" in name else ""
    named = False

    def value(match: re.Match) -> str:
        nonlocal named
        key = match.group("key")
        if key == "pk":
            if basename.replace("-", "_") in ids:
                named = True
                return str(ids[basename.replace("-", "_")])
            return str(NOWHERE)
        if key.endswith("_id") and key[:-3] in ids:
            named = True
            return str(ids[key[:-3]])
        if key == "mode":
            return "difference"
        if key == "index":
            return "0"
        return str(NOWHERE)

    url = re.sub(r"\(\?P<(?P<key>\w+)>[^)]*\)", value, route)
    url = re.sub(r"<(?:\w+:)?(?P<key>\w+)>", value, url)
    url = url.replace("^", "").replace("$", "").replace("\\.", ".").replace("\\", "")
    return "/" + url.lstrip("/"), named


def snapshot() -> dict:
    """What a refused request must leave exactly as it was."""
    counted = [
        m.Interval,
        m.Revision,
        m.Job,
        m.Membership,
        m.Video,
        m.Dataset,
        m.Subject,
        m.Comment,
        m.WeakLabel,
    ]
    state = {model.__name__: model.objects.count() for model in counted}
    state["intervals"] = list(
        m.Interval.objects.order_by("pk").values_list("pk", "version", "onset", "offset")
    )
    state["videos"] = list(m.Video.objects.order_by("pk").values_list("pk", "name", "review_state"))
    state["predictions"] = list(m.Prediction.objects.order_by("pk").values_list("pk", "status"))
    state["runs"] = list(m.PredictionRun.objects.order_by("pk").values_list("pk", "threshold"))
    state["comments"] = list(m.Comment.objects.order_by("pk").values_list("pk", "resolved"))
    state["datasets"] = list(m.Dataset.objects.order_by("pk").values_list("pk", "name", "default_fps"))
    return state


READ = frozenset()  # the route takes no write
# What a write (POST, PUT, PATCH, DELETE) on each route needs. Every route of the URL conf must have a
# row (test_every_route_has_a_row), so a new page or endpoint cannot be left out of the matrix.
# CAN_VIEW: any member, for writes that make something of one's own or check finer rules themselves
# (review transitions: annotator.review).
PERMISSIONS: dict[str, frozenset[str]] = {
    name: frozenset(need)
    for name, need in {
        "api-root": READ,
        "checkpoint-detail": READ,
        "checkpoint-list": READ,
        "checkpoint-suggest": CAN_EDIT,
        "checkpoint-train": CAN_EDIT,
        "comment-detail": READ,
        "comment-list": CAN_EDIT,
        "comment-resolve": CAN_EDIT,
        "comment_resolve": CAN_EDIT,
        "dataset-detail": CAN_MANAGE,
        "dataset-list": CAN_VIEW,
        "dataset-members": READ,
        "dataset_detail": READ,
        "dataset_export_start": CAN_EDIT,
        "dataset_exports": READ,
        "dataset_import_start": CAN_EDIT,
        "dataset_imports": READ,
        "dataset_ingest": CAN_EDIT,
        "dataset_list": CAN_VIEW,
        "dataset_models": READ,
        "dataset_quality": READ,
        "dataset_review": READ,
        "dataset_runs": READ,
        "export-detail": READ,
        "export-download": READ,
        "export-list": CAN_EDIT,
        "export_download": READ,
        "import-confirm": CAN_EDIT,
        "import-detail": READ,
        "import-list": CAN_EDIT,
        "import_confirm": CAN_EDIT,
        "import_job": READ,
        "import_record": READ,
        "interval-detail": CAN_EDIT,
        "interval-list": CAN_EDIT,
        "interval-revisions": READ,
        "job-detail": READ,
        "job-list": READ,
        "job-retry": CAN_EDIT,
        "job_detail": READ,
        "job_list": READ,
        "job_retry": CAN_EDIT,
        "member_add": CAN_MANAGE,
        "member_remove": CAN_MANAGE,
        "model_download": READ,
        "model_train": CAN_EDIT,
        "model_upload": CAN_MANAGE,
        "mol_checkpoint": READ,
        "mol_panel": READ,
        "mol_prelabel": CAN_EDIT,
        "mol_train": CAN_EDIT,
        "prediction-accept": CAN_EDIT,
        "prediction-detail": READ,
        "prediction-list": READ,
        "prediction-reject": CAN_EDIT,
        "predictions_upload": CAN_EDIT,
        "prelabel_start": CAN_EDIT,
        "quality_agreement": READ,
        "review-assign": CAN_REVIEW,
        "review-compare": READ,
        "review-detail": READ,
        "review-transition": CAN_VIEW,
        "run-curves": READ,
        "run-detail": CAN_EDIT,
        "run-list": READ,
        "run-metrics": READ,
        "run-prelabel": CAN_EDIT,
        "run_detail": CAN_EDIT,
        "run_quality": READ,
        "subject-detail": READ,
        "subject-list": READ,
        "video-detail": READ,
        "video-ingest": CAN_EDIT,
        "video-list": READ,
        "video-motion": READ,
        "video_annotate": READ,
        "video_assign": CAN_REVIEW,
        "video_chunk": READ,
        "video_comment": CAN_EDIT,
        "video_detail": READ,
        "video_enhance": READ,
        "video_face": READ,
        "video_face_track": READ,
        "video_frame": READ,
        "video_motion_plot": READ,
        "video_move": CAN_VIEW,
        "video_overview": READ,
        "video_motion": READ,
        "video_review": READ,
        "video_spotting": READ,
        "video_timeline_config": READ,
        "weak-label-detail": CAN_EDIT,
        "weak-label-list": CAN_EDIT,
        "weak_label_add": CAN_EDIT,
        "weak_label_delete": CAN_EDIT,
    }.items()
}


def write_methods(url: str) -> list[str]:
    """The write methods a route answers: a viewset route's own, POST for a page."""
    actions = getattr(resolve(url).func, "actions", None)
    if actions is None:
        return ["post"]
    return sorted(method for method in actions if method in {"post", "put", "patch", "delete"})


def test_the_matrix_covers_pages_and_api():
    names = {name for name, _ in ROUTES}
    assert {"dataset_detail", "video_chunk", "interval-detail", "video-ingest", "job_retry"} <= names
    assert len(ROUTES) > 60


def test_every_route_has_a_row():
    assert {name for name, _ in ROUTES} == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world, role):
    """This role against every write of every page and endpoint, on the dataset's real objects: a write
    its role does not cover is refused and changes nothing; one it covers gets past the role check
    (the junk body may then be refused, but never with 403)."""
    client = Client()
    client.force_login(world["users"][role])
    body = json.dumps({"version": 1, "video": world["video"].pk, "dataset": world["dataset"].pk})
    for name, route in ROUTES:
        url, _ = fill(name, route, world["ids"])
        need = PERMISSIONS[name]
        for method in write_methods(url):
            before = snapshot()
            response = getattr(client, method)(url, data=body, content_type="application/json")
            status = response.status_code
            assert status < 500, (role, method, url, status)
            if need == READ:
                assert snapshot() == before, (role, method, url, status)
            elif role not in need:
                assert status in {400, 403, 404, 405}, (role, method, url, status)
                assert snapshot() == before, (role, method, url, status)
            else:
                assert status != 403, (role, method, url, response.content[:200])


def test_anonymous_users_get_nothing(world):
    client = Client()
    for name, route in ROUTES:
        url, _ = fill(name, route, world["ids"])
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if url.startswith("/api/"):
                assert response.status_code in {401, 403, 405}, (method, url, response.status_code)
            else:
                assert response.status_code in {302, 405}, (method, url, response.status_code)
                if response.status_code == 302:
                    assert response["Location"].startswith("/login/"), (method, url)


def test_outsiders_never_see_or_change_another_dataset(world):
    client = Client()
    client.force_login(world["outsider"])
    before = snapshot()
    for name, route in ROUTES:
        url, named = fill(name, route, world["ids"])
        for method in ("get", "post", "patch", "delete"):
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, content_type="application/json", data="{}")
            assert response.status_code < 500, (method, url, response.status_code)
            if named:
                assert response.status_code in {403, 404, 405}, (method, url, response.status_code)
            elif url.startswith("/api/") and method == "get" and response.status_code == 200:
                body = json.dumps(response.json())
                assert world["dataset"].name not in body and world["video"].name not in body, url
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_without_server_errors(world, role):
    client = Client()
    client.force_login(world["users"][role])
    for name, route in ROUTES:
        url, named = fill(name, route, world["ids"])
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if named and name in {
            "dataset_detail",
            "video_detail",
            "dataset-detail",
            "video-detail",
            "interval-detail",
        }:
            assert response.status_code == 200, (role, url, response.status_code)


def test_viewers_change_nothing_anywhere(world):
    client = Client()
    client.force_login(world["users"][Role.VIEWER])
    before = snapshot()
    interval = world["interval"]
    body = {
        "onset": 1,
        "apex": 2,
        "offset": 3,
        "version": 1,
        "video": world["video"].pk,
        "dataset": world["dataset"].pk,
        "kind": "ME",
        "name": "x",
        "username": "outsider",
        "role": "owner",
        "text": "hi",
        "to": "accepted",
    }
    for name, route in ROUTES:
        if name in {"dataset_list", "dataset-list"}:
            continue  # anyone may create a dataset of their own
        url, _ = fill(name, route, world["ids"])
        for method in ("post", "patch", "put", "delete"):
            response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
            assert response.status_code < 500, (method, url, response.status_code)
            if url.startswith("/api/") and response.status_code < 300:
                raise AssertionError(f"viewer {method} {url} answered {response.status_code}")
    assert snapshot() == before
    interval.refresh_from_db()
    assert interval.version == 1


def test_annotators_cannot_manage_members(world):
    client = Client()
    client.force_login(world["users"][Role.ANNOTATOR])
    response = client.post(
        reverse("member_add", args=[world["dataset"].pk]), {"username": "outsider", "role": Role.OWNER}
    )
    assert response.status_code == 403
    assert not m.Membership.objects.filter(user=world["outsider"], dataset=world["dataset"]).exists()


def test_csrf_is_enforced_for_session_users(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][Role.OWNER])
    interval = world["interval"]
    url = reverse("interval-detail", args=[interval.pk])
    refused = client.patch(
        url, data=json.dumps({"offset": 12, "version": 1}), content_type="application/json"
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    page = client.post(
        reverse("member_add", args=[world["dataset"].pk]), {"username": "outsider", "role": "viewer"}
    )
    assert page.status_code == 403
    client.get(reverse("dataset_detail", args=[world["dataset"].pk]))  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    accepted = client.patch(
        url,
        data=json.dumps({"offset": 12, "version": 1}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 200
    interval.refresh_from_db()
    assert interval.offset == 12


@pytest.fixture
def importing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    root = tmp_path / "imports"
    root.mkdir()
    settings.IMPORT_ROOTS = [root]
    return root


def test_uploads_over_the_size_limit_or_of_other_types_are_refused(world, api, importing, settings):
    client = api(world["users"][Role.OWNER])
    url = reverse("video-ingest")
    settings.MAX_UPLOAD_BYTES = 1000
    big = client.post(
        url,
        {"dataset": world["dataset"].pk, "file": SimpleUploadedFile("big.mp4", b"\0" * 1001)},
        format="multipart",
    )
    assert big.status_code == 400 and "larger than the upload limit of 1000 bytes" in json.dumps(big.json())
    script = client.post(
        url,
        {"dataset": world["dataset"].pk, "file": SimpleUploadedFile("evil.sh", b"#!/bin/sh\n")},
        format="multipart",
    )
    assert script.status_code == 400 and "unsupported type .sh" in json.dumps(script.json())
    assert not (settings.MEDIA_ROOT / "sources").exists() or not any(
        (settings.MEDIA_ROOT / "sources").rglob("*.*")
    )
    assert m.Video.objects.count() == 1


@pytest.mark.parametrize(
    "escape", ["../secret", "../../etc/passwd", "link/secret", "/etc/passwd", "%2e%2e/secret"]
)
def test_server_imports_cannot_leave_the_import_roots(world, api, importing, escape):
    secret = importing.parent / "secret"
    secret.mkdir()
    (secret / "clip.mp4").write_bytes(b"not really")
    (importing / "link").symlink_to(importing.parent)
    client = api(world["users"][Role.OWNER])
    response = client.post(
        reverse("video-ingest"),
        {
            "dataset": world["dataset"].pk,
            "path": str(importing / escape) if not escape.startswith("/") else escape,
        },
        format="json",
    )
    assert response.status_code in {400, 403}, response.content
    assert m.Video.objects.count() == 1 and not m.Job.objects.filter(kind="ingest").exists()
