"""Every view and API endpoint gets its objects through these helpers.

An object of a dataset the user is not a member of answers 404 (its existence is not revealed);
a member whose role lacks the capability gets 403. Superusers act as owners everywhere.
Single-row lookups drop the models' default ordering (`order_by()`): sorting one row by dataset
and user names would join those tables on every request.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Dataset, Interval, Job, Membership, Prediction, PredictionRun, Role, Video
from .models.datasets import CAN_EDIT, CAN_MANAGE, CAN_REVIEW, CAN_VIEW

User = AbstractBaseUser | AnonymousUser

__all__ = ["CAN_EDIT", "CAN_MANAGE", "CAN_REVIEW", "CAN_VIEW"]


def role_in(user: User, dataset_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.OWNER
    return (
        Membership.objects.filter(dataset_id=dataset_id, user=user)
        .values_list("role", flat=True)
        .order_by()
        .first()
    )


def datasets_for_user(user: User) -> QuerySet[Dataset]:
    if not user.is_authenticated:
        return Dataset.objects.none()
    if user.is_superuser:
        return Dataset.objects.all()
    return Dataset.objects.filter(memberships__user=user)


def _check(user: User, dataset_id: int, capability: set[str]) -> str:
    role = role_in(user, dataset_id)
    if role is None:
        raise Http404("No such dataset.")
    if role not in capability:
        raise PermissionDenied(f"Your role in this dataset ({role}) does not allow this.")
    return role


def get_dataset_for_user(user: User, dataset_id: int, capability: set[str] = CAN_VIEW) -> Dataset:
    dataset = Dataset.objects.filter(pk=dataset_id).order_by().first()
    if dataset is None:
        raise Http404("No such dataset.")
    _check(user, dataset.pk, capability)
    return dataset


def get_video_for_user(user: User, video_id: int, capability: set[str] = CAN_VIEW) -> Video:
    video = Video.objects.select_related("dataset", "subject").filter(pk=video_id).order_by().first()
    if video is None:
        raise Http404("No such video.")
    _check(user, video.dataset_id, capability)
    return video


def get_interval_for_user(user: User, interval_id: int, capability: set[str] = CAN_VIEW) -> Interval:
    interval = Interval.objects.select_related("video__dataset").filter(pk=interval_id).order_by().first()
    if interval is None:
        raise Http404("No such interval.")
    _check(user, interval.video.dataset_id, capability)
    return interval


def get_prediction_for_user(user: User, prediction_id: int, capability: set[str] = CAN_VIEW) -> Prediction:
    prediction = (
        Prediction.objects.select_related("video__dataset", "run").filter(pk=prediction_id).order_by().first()
    )
    if prediction is None:
        raise Http404("No such prediction.")
    _check(user, prediction.video.dataset_id, capability)
    return prediction


def get_run_for_user(user: User, run_id: int, capability: set[str] = CAN_VIEW) -> PredictionRun:
    run = PredictionRun.objects.select_related("dataset").filter(pk=run_id).order_by().first()
    if run is None:
        raise Http404("No such run.")
    _check(user, run.dataset_id, capability)
    return run


def get_job_for_user(user: User, job_id: int, capability: set[str] = CAN_VIEW) -> Job:
    job = Job.objects.select_related("dataset", "video").filter(pk=job_id).order_by().first()
    if job is None:
        raise Http404("No such job.")
    if job.dataset_id is None:
        if not (user.is_authenticated and (user.is_staff or job.created_by_id == user.pk)):
            raise Http404("No such job.")
        return job
    _check(user, job.dataset_id, capability)
    return job


def jobs_for_user(user: User) -> QuerySet[Job]:
    return Job.objects.filter(dataset__in=datasets_for_user(user)).select_related("dataset", "video")
