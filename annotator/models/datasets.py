"""Corpora, their members and subjects."""

from django.conf import settings
from django.db import models

from annotator.formats import records


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    REVIEWER = "reviewer", "Reviewer"
    ANNOTATOR = "annotator", "Annotator"
    VIEWER = "viewer", "Viewer"


# What each role may do; views ask for a capability, never compare role names.
CAN_VIEW = {Role.OWNER, Role.REVIEWER, Role.ANNOTATOR, Role.VIEWER}
CAN_EDIT = {Role.OWNER, Role.REVIEWER, Role.ANNOTATOR}
CAN_REVIEW = {Role.OWNER, Role.REVIEWER}
CAN_MANAGE = {Role.OWNER}

FRAME_CONVENTIONS = [
    (records.FRAME_FILE_NUMBER, "Number in the image file name (CASME II, SAMM, CAS(ME)^3)"),
    (records.FRAME_POSITION_1, "1-based position in the video (SAMM-LV, CAS(ME)^2)"),
    (records.FRAME_RELATIVE_1, "Clip-relative 1..N (MMEW)"),
    (records.FRAME_INDEX_0, "0-based frame index"),
]

DEFAULT_EMOTIONS = [
    "happiness",
    "surprise",
    "disgust",
    "repression",
    "sadness",
    "fear",
    "anger",
    "contempt",
    "others",
]


def default_emotions() -> list[str]:
    return list(DEFAULT_EMOTIONS)


class Dataset(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    default_fps = models.FloatField(default=30.0)
    frame_convention = models.CharField(
        max_length=20, choices=FRAME_CONVENTIONS, default=records.FRAME_POSITION_1
    )
    emotions = models.JSONField(default=default_emotions, blank=True)
    prelabel_after_ingest = models.BooleanField(
        default=False, help_text="Run the baseline spotter on every video once its ingest finishes."
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="datasets")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(default_fps__gt=0), name="dataset_fps_positive")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["dataset", "user__username"]
        constraints = [models.UniqueConstraint(fields=["dataset", "user"], name="one_role_per_member")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.dataset}"


class Subject(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="subjects")
    code = models.CharField(max_length=100, help_text="The participant id as the dataset writes it.")
    normalized = models.CharField(max_length=100, help_text="Matches 01 / 1 / sub01 as one subject.")

    class Meta:
        ordering = ["dataset", "normalized"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "normalized"], name="unique_subject_per_dataset")
        ]

    def __str__(self) -> str:
        return self.code
