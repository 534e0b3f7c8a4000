"""Review workflow: allowed and refused moves per role, assignment, stale acceptance, comments."""

import pytest

from annotator import labels
from annotator.models import ReviewTransition, Role, Video
from tests.factories import DatasetFactory, VideoFactory


def move(api, user, video, to, **extra):
    return api(user).post(f"/api/review/{video.pk}/transition/", {"to": to, **extra}, format="json")


def put_state(video, state):
    Video.objects.filter(pk=video.pk).update(review_state=state)
    video.review_state = state


# (role, from, to, expected status)
CASES = [
    (Role.ANNOTATOR, "new", "in_annotation", 200),
    (Role.ANNOTATOR, "prelabelled", "in_annotation", 200),
    (Role.ANNOTATOR, "in_annotation", "submitted", 200),
    (Role.ANNOTATOR, "changes_requested", "in_annotation", 200),
    (Role.ANNOTATOR, "submitted", "accepted", 403),
    (Role.ANNOTATOR, "submitted", "changes_requested", 403),
    (Role.ANNOTATOR, "new", "prelabelled", 403),
    (Role.VIEWER, "in_annotation", "submitted", 403),
    (Role.VIEWER, "submitted", "accepted", 403),
    (Role.REVIEWER, "submitted", "accepted", 200),
    (Role.REVIEWER, "submitted", "changes_requested", 200),
    (Role.REVIEWER, "accepted", "in_annotation", 403),
    (Role.OWNER, "accepted", "in_annotation", 200),
    (Role.OWNER, "new", "submitted", 409),
    (Role.REVIEWER, "in_annotation", "accepted", 409),
    (Role.OWNER, "accepted", "changes_requested", 409),
]


@pytest.mark.parametrize(("role", "source", "target", "code"), CASES)
def test_moves_per_role(api, member, video, role, source, target, code):
    user = member(role)
    put_state(video, source)
    response = move(api, user, video, target, seen_revision=0, note="n")
    assert response.status_code == code, response.content
    video.refresh_from_db()
    transitions = list(ReviewTransition.objects.filter(video=video))
    if code == 200:
        assert video.review_state == target
        assert [(t.from_state, t.to_state, t.by_id, t.note) for t in transitions] == [
            (source, target, user.pk, "n")
        ]
        assert transitions[0].at is not None
        assert response.json()["state"] == target
    else:
        assert video.review_state == source
        assert transitions == []


def test_full_cycle_records_every_move(api, member, video):
    annotator, reviewer = member(Role.ANNOTATOR), member(Role.REVIEWER)
    assert move(api, annotator, video, "in_annotation").status_code == 200
    assert move(api, annotator, video, "submitted").status_code == 200
    assert move(api, reviewer, video, "changes_requested", note="onset early").status_code == 200
    assert move(api, annotator, video, "in_annotation").status_code == 200
    assert move(api, annotator, video, "submitted").status_code == 200
    assert move(api, reviewer, video, "accepted", seen_revision=0).status_code == 200
    states = list(ReviewTransition.objects.filter(video=video).values_list("to_state", "by__username"))
    assert states == [
        ("in_annotation", annotator.username),
        ("submitted", annotator.username),
        ("changes_requested", reviewer.username),
        ("in_annotation", annotator.username),
        ("submitted", annotator.username),
        ("accepted", reviewer.username),
    ]
    body = api(reviewer).get(f"/api/review/{video.pk}/").json()
    assert [t["to_state"] for t in body["transitions"]] == [s for s, _ in states]


def test_accept_needs_latest_revision(api, member, video):
    annotator, reviewer = member(Role.ANNOTATOR), member(Role.REVIEWER)
    labels.create_interval(video, {"kind": "ME", "onset": 10, "offset": 20}, annotator)
    put_state(video, "submitted")
    seen = api(reviewer).get(f"/api/review/{video.pk}/").json()["latest_revision"]
    assert seen > 0
    assert move(api, reviewer, video, "accepted").status_code == 400  # no revision given
    labels.create_interval(video, {"kind": "ME", "onset": 40, "offset": 50}, annotator)  # edit meanwhile
    stale = move(api, reviewer, video, "accepted", seen_revision=seen)
    assert stale.status_code == 409
    assert stale.json()["latest_revision"] == seen + 1
    video.refresh_from_db()
    assert video.review_state == "submitted"
    assert move(api, reviewer, video, "accepted", seen_revision=seen + 1).status_code == 200


def test_assignment_binds_moves(api, member, owner, video):
    alice, bob = member(Role.ANNOTATOR), member(Role.ANNOTATOR)
    rev1, rev2 = member(Role.REVIEWER), member(Role.REVIEWER)
    response = api(rev1).post(
        f"/api/review/{video.pk}/assign/", {"annotator": alice.pk, "reviewer": rev1.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_annotator"] == alice.username
    assert move(api, bob, video, "in_annotation").status_code == 403
    assert move(api, alice, video, "in_annotation").status_code == 200
    assert move(api, alice, video, "submitted").status_code == 200
    assert move(api, rev2, video, "accepted", seen_revision=0).status_code == 403
    assert move(api, owner, video, "changes_requested").status_code == 200  # owners may always
    # moves offered to each person follow the same rules
    assert [m["to"] for m in api(alice).get(f"/api/review/{video.pk}/").json()["moves"]] == ["in_annotation"]
    assert api(bob).get(f"/api/review/{video.pk}/").json()["moves"] == []


def test_assignment_refusals(api, member, video):
    annotator, viewer, reviewer = member(Role.ANNOTATOR), member(Role.VIEWER), member(Role.REVIEWER)
    assert (
        api(annotator).post(f"/api/review/{video.pk}/assign/", {"annotator": annotator.pk}).status_code == 403
    )
    bad = api(reviewer).post(f"/api/review/{video.pk}/assign/", {"annotator": viewer.pk}, format="json")
    assert bad.status_code == 400 and "viewer" in bad.json()["annotator"][0]
    bad = api(reviewer).post(f"/api/review/{video.pk}/assign/", {"reviewer": annotator.pk}, format="json")
    assert bad.status_code == 400


def test_other_dataset_is_hidden(api, member):
    other = VideoFactory(dataset=DatasetFactory())
    user = member(Role.OWNER)
    assert api(user).get(f"/api/review/{other.pk}/").status_code == 404
    assert move(api, user, other, "in_annotation").status_code == 404
    assert api(user).get(f"/api/comments/?video={other.pk}").status_code == 404


def test_comments_create_list_resolve(api, member, video):
    annotator, viewer = member(Role.ANNOTATOR), member(Role.VIEWER)
    interval = labels.create_interval(video, {"kind": "ME", "onset": 10, "offset": 20}, annotator)
    client = api(annotator)
    made = client.post(
        "/api/comments/", {"video": video.pk, "frame": 15, "text": "apex later?", "interval": interval.pk}
    )
    assert made.status_code == 201, made.content
    assert made.json()["author"] == annotator.username and made.json()["interval"] == interval.pk
    assert client.post("/api/comments/", {"video": video.pk, "frame": 3, "text": "blink"}).status_code == 201
    bad = client.post("/api/comments/", {"video": video.pk, "frame": 300, "text": "x"})
    assert bad.status_code == 400 and "outside the video" in bad.json()["frame"][0]
    assert api(viewer).post("/api/comments/", {"video": video.pk, "frame": 1, "text": "x"}).status_code == 403
    listed = api(viewer).get(f"/api/comments/?video={video.pk}").json()
    assert [c["frame"] for c in listed] == [3, 15]
    assert client.post(f"/api/comments/{listed[1]['id']}/resolve/", {}).json()["resolved"] is True
    assert api(viewer).post(f"/api/comments/{listed[0]['id']}/resolve/", {}).status_code == 403
    open_ones = client.get(f"/api/comments/?video={video.pk}&resolved=false").json()
    assert [c["frame"] for c in open_ones] == [3]
    assert client.get("/api/comments/").status_code == 400
    other = VideoFactory(dataset=DatasetFactory())
    assert client.post("/api/comments/", {"video": other.pk, "frame": 1, "text": "x"}).status_code == 404
    assert client.post("/api/comments/", {"video": 10**6, "frame": 1, "text": "x"}).status_code == 404
    foreign = labels.create_interval(other, {"kind": "ME", "onset": 1, "offset": 2}, annotator)
    bad = client.post("/api/comments/", {"video": video.pk, "frame": 1, "text": "x", "interval": foreign.pk})
    assert bad.status_code == 400 and "not an interval of video" in bad.json()["interval"][0]


def test_dataset_review_page_filters_and_counts(client, member, dataset):
    reviewer, alice = member(Role.REVIEWER), member(Role.ANNOTATOR, "alice")
    for i, state in enumerate(["new", "submitted", "submitted", "accepted"]):
        v = VideoFactory(dataset=dataset, name=f"clip{i}", review_state=state)
        if i == 1:
            v.assigned_annotator = alice
            v.save()
    client.force_login(reviewer)
    page = client.get(f"/datasets/{dataset.pk}/review/").content.decode()
    assert "Submitted 2" in page and "Accepted 1" in page and "New 1" in page
    assert "25% of 4 videos accepted" in page and "50% submitted" in page
    page = client.get(f"/datasets/{dataset.pk}/review/?state=submitted").content.decode()
    assert "clip1" in page and "clip2" in page and "clip0" not in page
    page = client.get(f"/datasets/{dataset.pk}/review/?annotator={alice.pk}").content.decode()
    assert "clip1" in page and "clip2" not in page
    page = client.get(f"/datasets/{dataset.pk}/review/?q=CLIP3").content.decode()
    assert "clip3" in page and "clip1" not in page


def test_video_panel_moves_and_stale_accept(client, member, video):
    annotator, reviewer = member(Role.ANNOTATOR), member(Role.REVIEWER)
    put_state(video, "submitted")
    client.force_login(reviewer)
    panel = client.get(f"/videos/{video.pk}/review/").content.decode()
    assert 'value="accepted"' in panel and 'name="seen_revision" value="0"' in panel
    labels.create_interval(
        video, {"kind": "ME", "onset": 1, "offset": 5}, annotator
    )  # after the panel loaded
    response = client.post(
        f"/videos/{video.pk}/review/move/", {"to": "accepted", "seen_revision": "0"}, HTTP_HX_REQUEST="true"
    )
    assert (
        response["HX-Refusal"] == "409"
        and "The labels changed since you loaded them" in response.content.decode()
    )
    video.refresh_from_db()
    assert video.review_state == "submitted"
    response = client.post(f"/videos/{video.pk}/review/move/", {"to": "changes_requested", "note": "apex?"})
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.review_state == "changes_requested"
    client.force_login(annotator)
    client.post(
        f"/videos/{video.pk}/comments/", {"frame": "3", "text": "fixed onset"}, HTTP_HX_REQUEST="true"
    )
    panel = client.get(f"/videos/{video.pk}/review/").content.decode()
    assert "fixed onset" in panel and "Changes requested" in panel and "apex?" in panel
    comment = video.comments.get()
    client.post(f"/comments/{comment.pk}/resolve/", {"resolved": "true"})
    comment.refresh_from_db()
    assert comment.resolved


def test_openapi_lists_review_endpoints(api, owner):
    schema = api(owner).get("/api/schema/").content.decode()
    for path in ("/api/review/{id}/transition/", "/api/review/{id}/compare/", "/api/comments/{id}/resolve/"):
        assert path in schema
