"""Model output, kept apart from human labels."""

from django.conf import settings
from django.db import models

from .datasets import Dataset
from .intervals import IntervalKind, frame_order_constraints
from .videos import Video


class PredictionRun(models.Model):
    class Model(models.TextChoices):
        BASELINE = "baseline", "Baseline spotter"
        MCWES = "mcwes", "MC-WES"
        MOL = "mol", "MOL"
        EXTERNAL = "external", "Imported file"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="runs")
    name = models.CharField(max_length=200)
    model = models.CharField(max_length=20, choices=Model.choices)
    checkpoint = models.ForeignKey(
        "annotator.ModelCheckpoint", on_delete=models.PROTECT, null=True, blank=True, related_name="runs"
    )
    params = models.JSONField(default=dict, blank=True)
    threshold = models.FloatField(default=0.0, help_text="Predictions scoring below this are hidden.")
    source_file = models.CharField(max_length=255, blank=True)
    report = models.JSONField(null=True, blank=True)
    metrics = models.JSONField(null=True, blank=True)
    job = models.ForeignKey(
        "annotator.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="unique_run_name_per_dataset")
        ]

    def __str__(self) -> str:
        return self.name


class Prediction(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    run = models.ForeignKey(PredictionRun, on_delete=models.CASCADE, related_name="predictions")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="predictions")
    kind = models.CharField(max_length=10, choices=IntervalKind.choices)
    onset = models.IntegerField()
    apex = models.IntegerField(null=True, blank=True)
    offset = models.IntegerField(null=True, blank=True)
    score = models.FloatField(default=1.0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    emotion = models.CharField(max_length=50, blank=True)
    emotion_scores = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["video", "onset", "id"]
        constraints = frame_order_constraints("prediction")
        indexes = [models.Index(fields=["run", "video"])]


class PredictionCurve(models.Model):
    """A per-frame score curve of one run on one video, drawn under the timeline."""

    run = models.ForeignKey(PredictionRun, on_delete=models.CASCADE, related_name="curves")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=50)
    values = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "video", "name"], name="one_curve_per_name")]
