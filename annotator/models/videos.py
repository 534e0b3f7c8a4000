"""Recordings and clips. Frames are addressed by 0-based index everywhere."""

from collections import Counter
from collections.abc import Iterable

from django.db import models

from .datasets import Dataset, Subject


class IngestState(models.TextChoices):
    NEW = "new", "Not ingested"
    INGESTING = "ingesting", "Ingesting"
    READY = "ready", "Ready"
    FAILED = "failed", "Ingest failed"


class Video(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="videos")
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="videos"
    )
    name = models.CharField(max_length=255, help_text="Clip or video id as the dataset writes it.")
    source_path = models.TextField(blank=True, help_text="File or image folder the frames come from.")
    source_sha256 = models.CharField(max_length=64, blank=True)
    fps = models.FloatField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="True count of decoded frames."
    )
    first_frame_number = models.IntegerField(
        default=1, help_text="The dataset's own number of frame index 0 (number = first + index)."
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    grayscale = models.BooleanField(default=False)
    ingest_state = models.CharField(max_length=20, choices=IngestState.choices, default=IngestState.NEW)
    ingest_error = models.TextField(blank=True)
    media_dir = models.CharField(
        max_length=255, blank=True, help_text="Frame store folder under the media root."
    )
    review_state = models.CharField(max_length=30, default="new")
    assigned_annotator = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="annotating"
    )
    assigned_reviewer = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="reviewing"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "name"]
        constraints = [
            # CASME II reuses clip names across subjects (sub01/EP02_01f, sub02/EP02_01f).
            models.UniqueConstraint(
                fields=["dataset", "subject", "name"], name="unique_video_name_per_subject"
            ),
            models.UniqueConstraint(
                fields=["dataset", "name"],
                condition=models.Q(subject__isnull=True),
                name="unique_unassigned_video_name",
            ),
            models.CheckConstraint(
                condition=models.Q(fps__isnull=True) | models.Q(fps__gt=0), name="video_fps_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def frame_number(self, index: int) -> int:
        return self.first_frame_number + index

    def frame_index(self, number: int) -> int:
        return number - self.first_frame_number


def video_keys(videos: Iterable[Video]) -> dict[int, str]:
    """A readable, unique key per video for metric tables: its name, or `subject/name` where a
    name repeats across subjects (CASME II reuses clip names)."""
    videos = list(videos)
    repeated = {name for name, n in Counter(v.name for v in videos).items() if n > 1}
    return {
        v.pk: f"{v.subject.code if v.subject_id else '-'}/{v.name}" if v.name in repeated else v.name
        for v in videos
    }
