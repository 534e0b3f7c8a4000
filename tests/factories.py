"""factory_boy factories for the data model."""

import factory
from django.contrib.auth import get_user_model

from annotator.models import Dataset, Interval, Membership, Prediction, PredictionRun, Role, Subject, Video


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-123")


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"dataset {n}")
    default_fps = 30.0


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    dataset = factory.SubFactory(DatasetFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ANNOTATOR


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    dataset = factory.SubFactory(DatasetFactory)
    code = factory.Sequence(lambda n: f"{900 + n}")  # clear of the small codes tests name (subject 1, "01")
    normalized = factory.LazyAttribute(lambda o: str(int(o.code)))


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    dataset = factory.SubFactory(DatasetFactory)
    subject = factory.SubFactory(SubjectFactory, dataset=factory.SelfAttribute("..dataset"))
    name = factory.Sequence(lambda n: f"EP{n:02d}_01")
    fps = 30.0
    frame_count = 300
    width = 640
    height = 480


class IntervalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interval

    video = factory.SubFactory(VideoFactory)
    kind = "ME"
    onset = 10
    apex = 14
    offset = 20


class PredictionRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PredictionRun

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"run {n}")
    model = PredictionRun.Model.BASELINE


class PredictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prediction

    run = factory.SubFactory(PredictionRunFactory)
    video = factory.SubFactory(VideoFactory, dataset=factory.SelfAttribute("..run.dataset"))
    kind = "ME"
    onset = 30
    apex = 33
    offset = 38
    score = 0.8


def objects_of_every_kind(video: Video, author) -> dict:
    """One object of each kind the API serves by id, in `video`'s dataset (access and fuzz tests
    reach every route with them): an interval, a job, a prediction with its run, a comment."""
    from annotator.models import Comment, Job

    prediction = PredictionFactory(video=video, run=PredictionRunFactory(dataset=video.dataset))
    return {
        "interval": IntervalFactory(video=video, onset=5, apex=7, offset=9),
        "job": Job.objects.create(kind="export", queue="io", dataset=video.dataset, params={}),
        "prediction": prediction,
        "comment": Comment.objects.create(video=video, frame=3, author=author, text="look"),
    }
