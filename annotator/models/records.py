"""What each import and export did, kept with the dataset."""

from django.conf import settings
from django.db import models

from .datasets import Dataset


class ImportRecord(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="imports")
    format = models.CharField(max_length=30)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    report = models.JSONField(default=dict)
    dry_run = models.BooleanField(default=False)
    job = models.ForeignKey(
        "annotator.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class ExportRecord(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=30)
    file = models.CharField(max_length=255, help_text="Path under the media root.")
    sha256 = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    label_revision = models.BigIntegerField(null=True, help_text="Latest revision id included.")
    job = models.ForeignKey(
        "annotator.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
