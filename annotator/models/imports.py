"""Imported labels that wait for their video's frames before they can become intervals."""

from django.conf import settings
from django.db import models

from annotator.formats import records

from .datasets import FRAME_CONVENTIONS
from .intervals import IntervalKind
from .records import ImportRecord
from .videos import Video


class PendingInterval(models.Model):
    """A label as written (frame numbers in the sheet's convention) for a video not yet ingested.

    File numbers can only be turned into frame indices once ingest has read the first image's
    number, so an import keeps such labels here; `annotator.importing.place_waiting_labels`, called
    when the video is ready, converts them into `Interval`s through `annotator.labels`.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="pending_intervals")
    import_record = models.ForeignKey(
        ImportRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="pending"
    )
    kind = models.CharField(max_length=10, choices=IntervalKind.choices)
    onset = models.IntegerField(help_text="As written, in `frame_convention`.")
    apex = models.IntegerField(null=True, blank=True)
    offset = models.IntegerField(null=True, blank=True)
    frame_convention = models.CharField(
        max_length=20, choices=FRAME_CONVENTIONS, default=records.FRAME_FILE_NUMBER
    )
    first_frame = models.IntegerField(null=True, blank=True, help_text="SMIC-E FirstF, when given.")
    aus = models.CharField(max_length=255, blank=True)
    emotion = models.CharField(max_length=50, blank=True)
    notes = models.TextField(blank=True)
    provenance = models.JSONField(default=dict)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True, help_text="Why it could not be placed when its video arrived.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["video", "onset", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.onset}-{self.offset} ({self.frame_convention}) waiting for {self.video}"
