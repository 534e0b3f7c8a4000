"""Trained weights, with what they were trained on and how well they did."""

from django.conf import settings
from django.db import models

from .datasets import Dataset


class ModelCheckpoint(models.Model):
    class Kind(models.TextChoices):
        MCWES = "mcwes", "MC-WES"
        MOL = "mol", "MOL"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="checkpoints")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    file = models.CharField(max_length=255, help_text="Path under the media root.")
    sha256 = models.CharField(max_length=64)
    config = models.JSONField(default=dict)
    metrics = models.JSONField(null=True, blank=True)
    training_data = models.JSONField(default=dict, help_text="Videos, subjects and label kind used.")
    uploaded = models.BooleanField(default=False)
    job = models.ForeignKey(
        "annotator.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="unique_checkpoint_name")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"
