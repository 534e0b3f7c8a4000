"""Database constraints hold whatever code writes to the tables."""

import pytest
from django.db import IntegrityError, transaction

from annotator.models import Interval, Video
from tests.factories import DatasetFactory, IntervalFactory, PredictionFactory, SubjectFactory, VideoFactory


@pytest.mark.parametrize(
    ("onset", "apex", "offset"),
    [(10, 5, 20), (10, 25, 20), (20, None, 10), (-1, None, None)],
    ids=["apex-before-onset", "apex-after-offset", "offset-before-onset", "negative-onset"],
)
def test_interval_frame_order_is_enforced_by_the_database(db, onset, apex, offset):
    video = VideoFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Interval.objects.create(video=video, kind="ME", onset=onset, apex=apex, offset=offset)
    assert not Interval.objects.exists()


def test_unknown_apex_and_offset_are_allowed(db):
    interval = IntervalFactory(apex=None, offset=None)
    assert interval.length is None
    assert IntervalFactory(onset=3, apex=3, offset=3).length == 1


def test_a_client_id_makes_at_most_one_interval_per_video(db):
    first = IntervalFactory(provenance={"client_id": "tab1-n1"})
    with pytest.raises(IntegrityError), transaction.atomic():
        IntervalFactory(video=first.video, provenance={"client_id": "tab1-n1"})
    IntervalFactory(provenance={"client_id": "tab1-n1"})  # another video may reuse it
    IntervalFactory(video=first.video, provenance={"file": "a.xlsx", "row": 3})
    IntervalFactory(video=first.video, provenance=None)
    IntervalFactory(video=first.video, provenance=None)
    assert Interval.objects.filter(video=first.video).count() == 4


def test_prediction_frame_order_is_enforced(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        PredictionFactory(onset=50, offset=40, apex=None)


def test_names_are_unique_per_subject_and_dataset(db):
    video = VideoFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(dataset=video.dataset, subject=video.subject, name=video.name)
    # CASME II reuses clip names across subjects; another dataset may reuse them too.
    Video.objects.create(
        dataset=video.dataset, subject=SubjectFactory(dataset=video.dataset), name=video.name
    )
    Video.objects.create(dataset=DatasetFactory(), name=video.name)
    Video.objects.create(dataset=video.dataset, name=video.name)
    with pytest.raises(IntegrityError), transaction.atomic():
        Video.objects.create(dataset=video.dataset, name=video.name)  # two without a subject
    with pytest.raises(IntegrityError), transaction.atomic():
        DatasetFactory(name=video.dataset.name)


def test_frame_numbers_follow_the_dataset_convention(db):
    video = VideoFactory(first_frame_number=46)
    assert video.frame_number(0) == 46
    assert video.frame_index(50) == 4


def test_metric_tables_tell_apart_clips_that_share_a_name(db):
    from annotator.models.videos import video_keys

    first = VideoFactory(name="EP02_01f")
    second = VideoFactory(
        dataset=first.dataset, name="EP02_01f", subject=SubjectFactory(dataset=first.dataset, code="02")
    )
    other = VideoFactory(dataset=first.dataset, name="EP03_02")
    keys = video_keys([first, second, other])
    assert keys == {first.pk: f"{first.subject.code}/EP02_01f", second.pk: "02/EP02_01f", other.pk: "EP03_02"}
