"""Roles decide what a user may see and do; other datasets' objects answer 404."""

import pytest
from django.urls import reverse

from annotator.models import Role
from tests.factories import DatasetFactory, IntervalFactory, UserFactory, VideoFactory


@pytest.fixture
def foreign(db):
    """Objects of a dataset the test users are not members of."""
    video = VideoFactory(dataset=DatasetFactory(name="someone else's"))
    return {"dataset": video.dataset, "video": video, "interval": IntervalFactory(video=video)}


@pytest.mark.parametrize(
    "url",
    [
        lambda f: reverse("dataset-detail", args=[f["dataset"].pk]),
        lambda f: reverse("video-detail", args=[f["video"].pk]),
        lambda f: reverse("interval-detail", args=[f["interval"].pk]),
        lambda f: reverse("interval-revisions", args=[f["interval"].pk]),
        lambda f: reverse("video-motion", args=[f["video"].pk]),
    ],
)
def test_api_objects_of_other_datasets_answer_404(api, owner, foreign, url):
    assert api(owner).get(url(foreign)).status_code == 404


@pytest.mark.parametrize(
    "name", ["dataset_detail", "video_detail", "video_annotate", "video_timeline_config"]
)
def test_pages_of_other_datasets_answer_404(client, owner, foreign, name):
    client.force_login(owner)
    target = foreign["dataset"] if name.startswith("dataset") else foreign["video"]
    assert client.get(reverse(name, args=[target.pk])).status_code == 404


def test_foreign_intervals_are_not_listed_or_editable(api, owner, foreign):
    client = api(owner)
    assert client.get(reverse("interval-list"), {"video": foreign["video"].pk}).json() == []
    response = client.patch(
        reverse("interval-detail", args=[foreign["interval"].pk]), {"onset": 1, "version": 1}, format="json"
    )
    assert response.status_code == 404
    foreign["interval"].refresh_from_db()
    assert foreign["interval"].onset == 10


def test_viewer_may_read_but_not_edit(api, member, video):
    viewer = member(Role.VIEWER)
    interval = IntervalFactory(video=video)
    client = api(viewer)
    assert client.get(reverse("interval-detail", args=[interval.pk])).status_code == 200
    response = client.patch(
        reverse("interval-detail", args=[interval.pk]), {"onset": 11, "version": 1}, format="json"
    )
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]
    assert (
        client.post(
            reverse("interval-list"), {"video": video.pk, "kind": "ME", "onset": 1}, format="json"
        ).status_code
        == 403
    )


def test_dataset_list_shows_only_the_users_datasets(client, owner, foreign):
    client.force_login(owner)
    page = client.get(reverse("dataset_list")).content.decode()
    assert owner.memberships.get().dataset.name in page
    assert "someone else" not in page


def test_anonymous_users_are_sent_to_login(client, dataset):
    response = client.get(reverse("dataset_detail", args=[dataset.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(reverse("dataset-list")).status_code in (401, 403)


def test_only_owners_manage_members(client, member, dataset):
    annotator = member(Role.ANNOTATOR)
    newcomer = UserFactory(username="newcomer")
    client.force_login(annotator)
    url = reverse("member_add", args=[dataset.pk])
    assert client.post(url, {"username": "newcomer", "role": "viewer"}).status_code == 403
    owner = member(Role.OWNER)
    client.force_login(owner)
    client.post(url, {"username": "newcomer", "role": "reviewer"})
    assert dataset.memberships.get(user=newcomer).role == Role.REVIEWER


def test_the_last_owner_cannot_be_removed(client, owner, dataset):
    client.force_login(owner)
    membership = dataset.memberships.get(user=owner)
    response = client.post(reverse("member_remove", args=[dataset.pk, membership.pk]), follow=True)
    assert "at least one owner" in response.content.decode()
    assert dataset.memberships.filter(pk=membership.pk).exists()
