"""Creating, changing and deleting human intervals: versioned, validated, with history.

Every change goes through here (API, timeline, importers, accepting predictions) so that the
version check and the revision history cannot be bypassed. A stale version raises
`VersionConflict` and writes nothing.
"""

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .formats.aus import parse_aus
from .models import Interval, IntervalKind, Revision, Video

EDITABLE_FIELDS = (
    "kind",
    "onset",
    "apex",
    "offset",
    "aus",
    "emotion",
    "notes",
    "suggested_emotion",
    "emotion_scores",
)


class VersionConflict(Exception):
    def __init__(self, current: Interval | None):
        self.current = current
        super().__init__("This interval was changed by someone else since you loaded it.")


def snapshot(interval: Interval) -> dict[str, Any]:
    """The fields a revision records, as JSON."""
    return {
        "kind": interval.kind,
        "onset": interval.onset,
        "apex": interval.apex,
        "offset": interval.offset,
        "aus": interval.aus,
        "emotion": interval.emotion,
        "notes": interval.notes,
        "version": interval.version,
    }


def parse_au_tokens(aus: str) -> list[dict[str, Any]]:
    """The parser's reading of an AU string as JSON; text it cannot read is kept as `unparsed`."""
    if not aus.strip():
        return []
    parsed = parse_aus(aus)
    tokens = [{k: v for k, v in asdict(t).items() if k != "span"} for t in parsed.tokens]
    return tokens + [{"unparsed": f.text, "start": f.start} for f in parsed.fragments]


def validate_frames(video: Video, onset: int | None, apex: int | None, offset: int | None) -> None:
    """Frames must be ordered and inside the video; raises ValidationError keyed by field."""
    errors: dict[str, str] = {}
    if onset is None:
        errors["onset"] = "Onset is required."
    elif onset < 0:
        errors["onset"] = f"Onset {onset} is before the first frame (0)."
    last = video.frame_count - 1 if video.frame_count else None
    for name, value in (("onset", onset), ("apex", apex), ("offset", offset)):
        if value is not None and last is not None and value > last and name not in errors:
            errors[name] = f"{name.capitalize()} {value} is beyond the last frame of the video ({last})."
    if onset is not None and offset is not None and offset < onset and "offset" not in errors:
        errors["offset"] = f"Offset {offset} is before onset {onset}."
    if apex is not None and onset is not None and apex < onset and "apex" not in errors:
        errors["apex"] = f"Apex {apex} is before onset {onset}."
    if apex is not None and offset is not None and apex > offset and "apex" not in errors:
        errors["apex"] = f"Apex {apex} is after offset {offset}."
    if errors:
        raise ValidationError(errors)


def _validate(video: Video, values: dict[str, Any]) -> None:
    if values.get("kind") not in IntervalKind.values:
        raise ValidationError(
            {"kind": f"Unknown kind {values.get('kind')!r}; use one of {', '.join(IntervalKind.values)}."}
        )
    validate_frames(video, values.get("onset"), values.get("apex"), values.get("offset"))


def new_interval(video: Video, values: dict[str, Any], user, **extra: Any) -> Interval:
    """A validated interval, not saved yet: `create_interval` saves one, `create_intervals` many."""
    data = {"kind": IntervalKind.ME, "apex": None, "offset": None} | {
        k: v for k, v in values.items() if k in EDITABLE_FIELDS
    }
    _validate(video, data)
    interval = Interval(video=video, updated_by=user, annotator=extra.pop("annotator", user), **data, **extra)
    interval.au_tokens = parse_au_tokens(interval.aus)
    return interval


def create_interval(video: Video, values: dict[str, Any], user, **extra: Any) -> Interval:
    interval = new_interval(video, values, user, **extra)
    create_intervals([interval])
    return interval


@transaction.atomic
def create_intervals(intervals: list[Interval], batch_size: int = 1000) -> None:
    """Save intervals made by `new_interval`, each with its create revision (by its `updated_by`).

    For imports: built and checked before the transaction, tens of thousands are written in a
    few statements, so the write lock (SQLite's is the whole database) is held briefly.
    """
    Interval.objects.bulk_create(intervals, batch_size=batch_size)
    Revision.objects.bulk_create(
        (
            Revision(
                interval_id=i.pk,
                video=i.video,
                action="create",
                before=None,
                after=snapshot(i),
                by=i.updated_by,
            )
            for i in intervals
        ),
        batch_size=batch_size,
    )


@transaction.atomic
def update_interval(interval_id: int, values: dict[str, Any], expected_version: int, user) -> Interval:
    # The row lock (not the video's: saves on one video must not queue) holds concurrent writers
    # back until this one commits, so they see its version and get a conflict.
    current = (
        Interval.objects.select_related("video")
        .select_for_update(of=("self",))
        .filter(pk=interval_id)
        .order_by()
        .first()
    )
    if current is None or current.version != expected_version:
        raise VersionConflict(current)
    before = snapshot(current)
    changes = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key, value in changes.items():
        setattr(current, key, value)
    _validate(current.video, snapshot(current))
    if "aus" in changes:
        current.au_tokens = parse_au_tokens(current.aus)
    current.updated_by = user
    current.version += 1
    current.save(update_fields=[*changes, "au_tokens", "updated_by", "updated_at", "version"])
    Revision.objects.create(
        interval_id=interval_id,
        video=current.video,
        action="update",
        before=before,
        after=snapshot(current),
        by=user,
    )
    return current


@transaction.atomic
def delete_interval(interval_id: int, expected_version: int, user) -> None:
    current = Interval.objects.select_related("video").filter(pk=interval_id).first()
    if current is None or current.version != expected_version:
        raise VersionConflict(current)
    before = snapshot(current)
    if not Interval.objects.filter(pk=interval_id, version=expected_version).delete()[0]:
        raise VersionConflict(Interval.objects.filter(pk=interval_id).first())
    Revision.objects.create(
        interval_id=interval_id, video=current.video, action="delete", before=before, after=None, by=user
    )
