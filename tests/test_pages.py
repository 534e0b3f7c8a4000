"""The HTML pages a newcomer walks through: login, datasets, a dataset, a video."""

import pytest
from django.urls import reverse

from annotator.models import Dataset, Role
from tests.factories import IntervalFactory, UserFactory


def test_login_with_wrong_credentials_says_so(client, db):
    UserFactory(username="ann")
    response = client.post(reverse("login"), {"username": "ann", "password": "nope"})
    assert response.status_code == 200 and "did not match" in response.content.decode()
    response = client.post(reverse("login"), {"username": "ann", "password": "pw-for-tests-123"})
    assert response.status_code == 302 and response["Location"] == reverse("dataset_list")


def test_logout_needs_post_and_csrf(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.post(reverse("logout")).status_code == 403  # no CSRF token


def test_creating_a_dataset_makes_the_creator_its_owner(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("dataset_list"), {"name": "Lab corpus", "default_fps": 200, "frame_convention": "file_number"}
    )
    dataset = Dataset.objects.get(name="Lab corpus")
    assert response["Location"] == reverse("dataset_detail", args=[dataset.pk])
    assert dataset.memberships.get().role == Role.OWNER and dataset.memberships.get().user == user


def test_dataset_page_lists_videos_members_and_counts(client, owner, video):
    IntervalFactory(video=video, kind="ME")
    IntervalFactory(video=video, kind="MaE", onset=50, apex=60, offset=80)
    client.force_login(owner)
    page = client.get(reverse("dataset_detail", args=[video.dataset.pk])).content.decode()
    assert video.name in page and "owner" in page and reverse("video_annotate", args=[video.pk]) in page


def test_video_page_shows_intervals_with_frames(client, owner, video):
    IntervalFactory(video=video, onset=10, apex=14, offset=20, aus="4+7")
    client.force_login(owner)
    page = client.get(reverse("video_detail", args=[video.pk])).content.decode()
    assert "4+7" in page and ">11<" in page  # 11 frames from 10 to 20 inclusive


def test_timeline_config_describes_the_video_and_endpoints(client, owner, video):
    client.force_login(owner)
    config = client.get(reverse("video_timeline_config", args=[video.pk])).json()
    assert config["video"]["frame_count"] == 300 and config["can_edit"] is True
    assert config["interval_url"] == "/api/intervals/{id}/"
    assert config["intervals_url"] == f"/api/intervals/?video={video.pk}"


@pytest.mark.parametrize("role,can_edit", [(Role.VIEWER, False), (Role.REVIEWER, True)])
def test_timeline_config_reports_edit_rights(client, member, video, role, can_edit):
    client.force_login(member(role))
    assert client.get(reverse("video_timeline_config", args=[video.pk])).json()["can_edit"] is can_edit
