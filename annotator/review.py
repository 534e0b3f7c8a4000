"""The per-video review workflow, assignments and frame-anchored comments.

States: new -> prelabelled -> in annotation -> submitted -> accepted | changes requested.
Each move names the capability it needs (annotators submit, reviewers accept or send back), so
a role check lives in one table. When a video has an assigned annotator (reviewer), only that
person or an owner may make the annotator's (reviewer's) moves. Every move is a ReviewTransition
row written in the same transaction as the state change; a concurrent move of the same video
finds the state changed and is refused.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max

from . import access
from .access import CAN_EDIT, CAN_MANAGE, CAN_REVIEW
from .models import Comment, Interval, Membership, ReviewState, ReviewTransition, Revision, Role, Video

S = ReviewState


@dataclass(frozen=True)
class Move:
    """One allowed transition: who may make it and which assignment binds it."""

    source: str
    target: str
    capability: frozenset[str]
    assignee: str | None  # "annotator" | "reviewer": the assigned person (or an owner) only
    label: str


MOVES = [
    Move(S.NEW, S.PRELABELLED, frozenset(CAN_REVIEW), None, "Mark pre-labelled"),
    Move(S.NEW, S.IN_ANNOTATION, frozenset(CAN_EDIT), "annotator", "Start annotating"),
    Move(S.PRELABELLED, S.IN_ANNOTATION, frozenset(CAN_EDIT), "annotator", "Start annotating"),
    Move(S.CHANGES_REQUESTED, S.IN_ANNOTATION, frozenset(CAN_EDIT), "annotator", "Resume annotating"),
    Move(S.IN_ANNOTATION, S.SUBMITTED, frozenset(CAN_EDIT), "annotator", "Submit for review"),
    Move(S.SUBMITTED, S.ACCEPTED, frozenset(CAN_REVIEW), "reviewer", "Accept"),
    Move(S.SUBMITTED, S.CHANGES_REQUESTED, frozenset(CAN_REVIEW), "reviewer", "Request changes"),
    Move(S.ACCEPTED, S.IN_ANNOTATION, frozenset(CAN_MANAGE), None, "Reopen"),
]


class TransitionRefused(Exception):
    """The move is not in the table for this state (a 400/409 for the caller)."""


class StaleRevision(Exception):
    """The labels changed after the reviewer last loaded them: acceptance is refused (409)."""

    def __init__(self, seen: int, latest: int):
        self.seen, self.latest = seen, latest
        super().__init__(
            f"The labels changed since you loaded them (you saw revision {seen}, the latest is {latest}); "
            "reload the video before accepting."
        )


def latest_revision(video: Video) -> int:
    """Id of the video's newest label revision, 0 when it has none (what an accept must have seen)."""
    return Revision.objects.filter(video=video).aggregate(m=Max("id"))["m"] or 0


def find_move(source: str, target: str) -> Move:
    for move in MOVES:
        if move.source == source and move.target == target:
            return move
    allowed = [m.target for m in MOVES if m.source == source] or ["nothing"]
    raise TransitionRefused(
        f"A video that is {S(source).label.lower()} cannot become {S(target).label.lower()}; "
        f"it can become: {', '.join(S(t).label.lower() if t in S.values else t for t in allowed)}."
    )


def _may(user, video: Video, move: Move, role: str | None) -> str | None:
    """None when the user may make the move, else the reason why not."""
    if role not in move.capability:
        return f"Your role ({role or 'none'}) may not {move.label.lower()}."
    assigned_id = getattr(video, f"assigned_{move.assignee}_id") if move.assignee else None
    if assigned_id and assigned_id != user.pk and role != Role.OWNER:
        return f"This video is assigned to another {move.assignee}."
    return None


def moves_for(user, video: Video) -> list[Move]:
    """The moves this user may make on the video now (buttons on the pages)."""
    role = access.role_in(user, video.dataset_id)
    return [m for m in MOVES if m.source == video.review_state and _may(user, video, m, role) is None]


@transaction.atomic
def transition(
    video: Video, target: str, user, note: str = "", seen_revision: int | None = None
) -> ReviewTransition:
    """Move the video to `target` as `user`; accepting needs the latest label revision seen."""
    locked = Video.objects.select_for_update().get(pk=video.pk)
    if target not in S.values:
        raise TransitionRefused(f"Unknown review state {target!r}; use one of {', '.join(S.values)}.")
    move = find_move(locked.review_state, target)
    reason = _may(user, locked, move, access.role_in(user, locked.dataset_id))
    if reason:
        raise PermissionDenied(reason)
    if target == S.ACCEPTED:
        if seen_revision is None:
            raise ValidationError({"seen_revision": "Accepting needs the latest label revision you saw."})
        latest = latest_revision(locked)
        if latest > seen_revision:
            raise StaleRevision(seen_revision, latest)
    record = ReviewTransition.objects.create(
        video=locked, from_state=locked.review_state, to_state=target, by=user, note=note
    )
    Video.objects.filter(pk=locked.pk).update(review_state=target)
    video.review_state = target
    return record


def _check_assignee(video: Video, user_id: int | None, capability: set[str], what: str):
    if user_id is None:
        return None
    membership = Membership.objects.select_related("user").filter(
        dataset_id=video.dataset_id, user_id=user_id
    )
    found = membership.first()
    if found is None:
        raise ValidationError({what: f"User {user_id} is not a member of dataset {video.dataset}."})
    if found.role not in capability:
        raise ValidationError({what: f"{found.user.username} is a {found.role}, who cannot be the {what}."})
    return found.user


@transaction.atomic
def assign(video: Video, by, annotator_id: int | None = None, reviewer_id: int | None = None) -> Video:
    """Set (or clear with None) the video's annotator and reviewer; owners and reviewers assign."""
    role = access.role_in(by, video.dataset_id)
    if role not in CAN_REVIEW:
        raise PermissionDenied(f"Your role ({role}) may not assign work.")
    video.assigned_annotator = _check_assignee(video, annotator_id, CAN_EDIT, "annotator")
    video.assigned_reviewer = _check_assignee(video, reviewer_id, CAN_REVIEW, "reviewer")
    video.save(update_fields=["assigned_annotator", "assigned_reviewer"])
    return video


def state_counts(videos) -> dict[str, int]:
    """Videos per review state, every state present (zero when none), in workflow order."""
    found = dict(videos.values_list("review_state").annotate(n=Count("id")))
    return {state: found.get(state, 0) for state in S.values}


def add_comment(video: Video, frame: int, text: str, author, interval_id: int | None = None) -> Comment:
    """A comment at a frame of the video, optionally on one of its intervals."""
    errors = {}
    if not text.strip():
        errors["text"] = "A comment needs text."
    if frame < 0 or (video.frame_count and frame >= video.frame_count):
        last = video.frame_count - 1 if video.frame_count else "unknown"
        errors["frame"] = f"Frame {frame} is outside the video (0..{last})."
    interval = None
    if interval_id is not None:
        interval = Interval.objects.filter(pk=interval_id, video=video).first()
        if interval is None:
            errors["interval"] = f"Interval {interval_id} is not an interval of video {video.name}."
    if errors:
        raise ValidationError(errors)
    return Comment.objects.create(
        video=video, frame=frame, text=text.strip(), author=author, interval=interval
    )


def set_resolved(comment: Comment, resolved: bool = True) -> Comment:
    Comment.objects.filter(pk=comment.pk).update(resolved=resolved)
    comment.resolved = resolved
    return comment
