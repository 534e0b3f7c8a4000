"""Predictions stay apart from human labels until a coder accepts them."""

from django.urls import reverse

from annotator.models import Interval, Prediction, Role
from tests.factories import PredictionFactory, PredictionRunFactory


def test_accept_copies_a_prediction_into_an_interval_that_remembers_it(api, member, video):
    coder = member(Role.ANNOTATOR)
    prediction = PredictionFactory(run=PredictionRunFactory(dataset=video.dataset), video=video)
    listed = api(coder).get(reverse("prediction-list"), {"video": video.pk}).json()
    assert [p["id"] for p in listed] == [prediction.pk] and not Interval.objects.exists()
    response = api(coder).post(
        reverse("prediction-accept", args=[prediction.pk]), {"offset": 40}, format="json"
    )
    assert response.status_code == 201
    interval = Interval.objects.get()
    assert (interval.onset, interval.apex, interval.offset) == (30, 33, 40)
    assert interval.source_prediction_id == prediction.pk
    prediction.refresh_from_db()
    assert prediction.status == Prediction.Status.ACCEPTED
    again = api(coder).post(reverse("prediction-accept", args=[prediction.pk]), {}, format="json")
    assert again.status_code == 400 and "already accepted" in str(again.json())
    assert Interval.objects.count() == 1


def test_reject_marks_the_prediction_and_creates_nothing(api, member, video):
    coder = member(Role.ANNOTATOR)
    prediction = PredictionFactory(run=PredictionRunFactory(dataset=video.dataset), video=video)
    response = api(coder).post(reverse("prediction-reject", args=[prediction.pk]))
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert not Interval.objects.exists()


def test_viewer_cannot_accept(api, member, video):
    viewer = member(Role.VIEWER)
    prediction = PredictionFactory(run=PredictionRunFactory(dataset=video.dataset), video=video)
    assert api(viewer).post(reverse("prediction-accept", args=[prediction.pk])).status_code == 403
    assert not Interval.objects.exists()
