"""Human labels and their append-only history."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform

from .videos import Video


class IntervalKind(models.TextChoices):
    ME = "ME", "Micro-expression"
    MAE = "MaE", "Macro-expression"
    BLINK = "blink", "Blink"
    OTHER = "other", "Other movement"


def frame_order_constraints(prefix: str) -> list[models.CheckConstraint]:
    """onset <= apex <= offset, all >= 0; apex and offset may be unknown (null)."""
    return [
        models.CheckConstraint(condition=Q(onset__gte=0), name=f"{prefix}_onset_nonnegative"),
        models.CheckConstraint(
            condition=Q(apex__isnull=True) | Q(apex__gte=F("onset")), name=f"{prefix}_apex_after_onset"
        ),
        models.CheckConstraint(
            condition=Q(offset__isnull=True) | Q(offset__gte=F("onset")), name=f"{prefix}_offset_after_onset"
        ),
        models.CheckConstraint(
            condition=Q(apex__isnull=True) | Q(offset__isnull=True) | Q(apex__lte=F("offset")),
            name=f"{prefix}_apex_before_offset",
        ),
    ]


class Interval(models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="intervals")
    kind = models.CharField(max_length=10, choices=IntervalKind.choices, default=IntervalKind.ME)
    onset = models.IntegerField()
    apex = models.IntegerField(null=True, blank=True)
    offset = models.IntegerField(null=True, blank=True)
    aus = models.CharField(max_length=255, blank=True, help_text="Action units exactly as written.")
    au_tokens = models.JSONField(default=list, blank=True)
    emotion = models.CharField(max_length=50, blank=True)
    suggested_emotion = models.CharField(max_length=50, blank=True)
    emotion_scores = models.JSONField(null=True, blank=True)
    notes = models.TextField(blank=True)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose set of labels this belongs to (agreement compares annotators).",
    )
    source_prediction = models.ForeignKey(
        "annotator.Prediction", on_delete=models.SET_NULL, null=True, blank=True, related_name="accepted_as"
    )
    provenance = models.JSONField(
        null=True, blank=True, help_text="Imported from: file, sheet, row, raw cells."
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["video", "onset", "id"]
        constraints = [
            *frame_order_constraints("interval"),
            # A browser re-sending a create whose reply was lost must not make a second interval,
            # even when both sends reach the server at once (intervals without a client_id: NULL, not unique).
            models.UniqueConstraint(
                KeyTextTransform("client_id", "provenance"), "video", name="interval_client_id_once_per_video"
            ),
        ]
        indexes = [models.Index(fields=["video", "onset"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.onset}-{self.offset} in {self.video}"

    @property
    def length(self) -> int | None:
        """Frames from onset to offset, both included."""
        return None if self.offset is None else self.offset - self.onset + 1


class Revision(models.Model):
    """One change of one interval. Never updated or deleted; a delete is a revision too."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"

    interval_id = models.BigIntegerField(db_index=True)  # no FK: the history outlives the row
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
