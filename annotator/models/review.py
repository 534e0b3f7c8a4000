"""Review workflow, frame-anchored comments and weak labels."""

from django.conf import settings
from django.db import models

from .videos import Video


class ReviewState(models.TextChoices):
    NEW = "new", "New"
    PRELABELLED = "prelabelled", "Pre-labelled"
    IN_ANNOTATION = "in_annotation", "In annotation"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class ReviewTransition(models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=30, choices=ReviewState.choices)
    to_state = models.CharField(max_length=30, choices=ReviewState.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class Comment(models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="comments")
    frame = models.PositiveIntegerField()
    interval = models.ForeignKey("annotator.Interval", on_delete=models.SET_NULL, null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["frame", "id"]


class WeakLabel(models.Model):
    """A video-level or window-level tag for weakly supervised training (MC-WES)."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="weak_labels")
    start = models.PositiveIntegerField(null=True, blank=True, help_text="Window start; empty = whole video.")
    end = models.PositiveIntegerField(null=True, blank=True)
    contains_me = models.BooleanField(default=False)
    contains_mae = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["video", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__isnull=True, end__isnull=True)
                | models.Q(start__isnull=False, end__isnull=False, end__gte=models.F("start")),
                name="weak_label_window_valid",
            )
        ]
