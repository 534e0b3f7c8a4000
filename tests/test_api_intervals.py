"""Interval create / update / delete through the API: versions, conflicts, history, bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator.models import Interval, Revision, Role

LIST = reverse("interval-list")


def detail(pk: int) -> str:
    return reverse("interval-detail", args=[pk])


@pytest.fixture
def coder(member):
    return member(Role.ANNOTATOR, "coder")


def create(client, video, **values):
    body = {"video": video.pk, "kind": "ME", "onset": 10, "apex": 14, "offset": 20} | values
    return client.post(LIST, body, format="json")


def test_create_update_delete_keeps_every_revision(api, coder, video):
    client = api(coder)
    created = create(client, video, aus="4+7", emotion="disgust")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["version"] == 1 and body["onset"] == 10 and body["updated_by"] == "coder"
    updated = client.patch(detail(body["id"]), {"offset": 24, "version": 1}, format="json")
    assert updated.status_code == 200
    assert updated.json()["version"] == 2 and updated.json()["offset"] == 24
    assert client.delete(detail(body["id"]) + "?version=2").status_code == 204
    assert not Interval.objects.exists()
    history = list(
        Revision.objects.filter(interval_id=body["id"]).values_list(
            "action", "before__offset", "after__offset"
        )
    )
    assert history == [("create", None, 20), ("update", 20, 24), ("delete", 24, None)]


def test_list_needs_a_video_or_dataset_and_returns_a_plain_array(api, coder, video):
    client = api(coder)
    create(client, video)
    assert client.get(LIST).status_code == 400
    listed = client.get(LIST, {"video": video.pk}).json()
    assert isinstance(listed, list) and [i["onset"] for i in listed] == [10]


def test_stale_version_is_refused_with_409_and_nothing_changes(api, coder, member, video):
    other = member(Role.ANNOTATOR, "other")
    pk = create(api(coder), video).json()["id"]
    assert api(other).patch(detail(pk), {"onset": 12, "version": 1}, format="json").status_code == 200
    stale = api(coder).patch(detail(pk), {"onset": 11, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["onset"] == 12 and stale.json()["current"]["version"] == 2
    assert Interval.objects.get(pk=pk).onset == 12
    assert api(coder).delete(detail(pk) + "?version=1").status_code == 409
    assert Interval.objects.filter(pk=pk).exists()


def test_if_match_header_gives_412_when_stale(api, coder, video):
    client = api(coder)
    pk = create(client, video).json()["id"]
    assert client.patch(detail(pk), {"onset": 11}, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    response = client.patch(detail(pk), {"onset": 12}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert Interval.objects.get(pk=pk).onset == 11


def test_update_without_version_is_refused(api, coder, video):
    client = api(coder)
    pk = create(client, video).json()["id"]
    response = client.patch(detail(pk), {"onset": 11}, format="json")
    assert response.status_code == 400 and "version" in response.json()


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"onset": 30, "offset": 20, "apex": None}, "offset", "before onset"),
        ({"onset": 10, "apex": 25, "offset": 20}, "apex", "after offset"),
        ({"onset": 10, "apex": 5, "offset": 20}, "apex", "before onset"),
        ({"onset": 10, "apex": 14, "offset": 300}, "offset", "beyond the last frame"),
        ({"onset": -3, "apex": None, "offset": None}, "onset", "before the first frame"),
        ({"kind": "smile"}, "kind", ""),
        ({"onset": "ten"}, "onset", ""),
    ],
)
def test_bad_values_get_a_clear_400_and_store_nothing(api, coder, video, values, field, words):
    response = create(api(coder), video, **values)
    assert response.status_code == 400
    message = " ".join(map(str, response.json()[field]))
    assert words in message
    assert not Interval.objects.exists() and not Revision.objects.exists()


def test_bad_update_leaves_the_interval_unchanged(api, coder, video):
    client = api(coder)
    pk = create(client, video).json()["id"]
    response = client.patch(detail(pk), {"offset": 5, "version": 1}, format="json")
    assert response.status_code == 400
    interval = Interval.objects.get(pk=pk)
    assert (interval.offset, interval.version) == (20, 1)
    assert Revision.objects.filter(interval_id=pk).count() == 1


def test_revisions_endpoint_lists_history(api, coder, video):
    client = api(coder)
    pk = create(client, video).json()["id"]
    client.patch(detail(pk), {"notes": "checked", "version": 1}, format="json")
    history = client.get(reverse("interval-revisions", args=[pk])).json()
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["after"]["notes"] == "checked" and history[1]["by"] == "coder"


def test_token_authentication(client, coder, video):
    token = client.post(reverse("api_token"), {"username": "coder", "password": "pw-for-tests-123"}).json()[
        "token"
    ]
    response = client.get(LIST, {"video": video.pk}, HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert client.post(reverse("api_token"), {"username": "coder", "password": "wrong"}).status_code == 400


def test_openapi_schema_and_docs_are_served(client, coder):
    client.force_login(coder)
    schema = client.get(reverse("schema"))
    assert schema.status_code == 200 and b"/api/intervals/" in schema.content
    docs = client.get(reverse("api_docs"))
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The SQL a request ran, savepoints left out (how many there are depends on the test's transaction)."""
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_save_runs_a_fixed_small_number_of_queries(coder, video):
    """Pins the save path's cost: token, access (object, role), then insert / lock + update, revision.
    A new per-request query (an N+1, a lost select_related, a re-read) makes this fail."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=coder).key}")
    with CaptureQueriesContext(connection) as created:
        response = create(client, video, aus="AU4+AU7")
    assert response.status_code == 201
    assert len(statements(created)) == 5, "\n".join(statements(created))
    pk = response.json()["id"]
    with CaptureQueriesContext(connection) as updated:
        response = client.patch(detail(pk), {"offset": 22, "aus": "AU4", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["updated_by"] == "coder"
    assert len(statements(updated)) == 6, "\n".join(statements(updated))
    assert Revision.objects.filter(interval_id=pk).count() == 2
