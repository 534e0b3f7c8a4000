"""Imports of annotation sheets: reader records -> subjects, videos and intervals, with a report.

`import_file` reads a file with `annotator.formats.readers` (format given or detected), matches its
subjects and videos to the dataset's across spellings (`readers.ids`: 01/1/sub01, 006/6,
15_0401girlcrashing/15_0401), converts frame numbers to frame indices and creates intervals through
`annotator.labels` (so every one has its revision), ending with an `ImportRecord` that stores the
report. A dry run plans exactly the same work and stores only the record, marked `dry_run`. The
CLI, the page's job and the API all call `import_file`.

Two phases, so that a big sheet does not hold the write lock (on SQLite, the whole database's)
while it is being checked: reading, matching and checking every row, and building the unsaved
intervals, read the database without writing; then one short transaction writes it all with bulk
inserts. That transaction first locks the dataset and checks that nothing the plan read has moved
since (a newer import, a video created, deleted or ingested); if something has, it plans again
inside the transaction, so the outcome is always that of imports run one after the other.

Frames are converted only when the video has frames (ingest state ready): image file numbers minus
the number of the video's first image (SMIC-E: minus FirstF, unless the frames came from an image
folder, whose own numbers win), 1-based positions minus one, 0-based indices as they are. A label
for a video that is not ready -- or not in the dataset yet, when a `Video` row is created for it
(name as written, ingest state new, no frames) -- is kept as written in a `PendingInterval` and
reported as "waiting for video". The ingest job calls `place_waiting_labels` when the video is
ready: it converts them and creates the intervals, and first takes over the waiting labels of a
placeholder video whose name matches the ingested one across spellings.

Re-importing is harmless: a record that the dataset already has -- same file content, sheet, row
and part (SMIC-E rows hold up to three MEs), or same video, kind, onset and offset -- is counted
as already imported and not created again.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from .formats.aus import parse_aus
from .formats.detect import detect
from .formats.emotions import DATASET_OF_FORMAT, VOCABULARIES, megc3, normalise_emotion
from .formats.readers import FORMATS, read
from .formats.readers.ids import normalise_subject, normalise_video
from .formats.records import (
    FRAME_FILE_NUMBER,
    FRAME_INDEX_0,
    FormatError,
    ImportReport,
    IntervalRecord,
)
from .labels import create_intervals, new_interval, validate_frames
from .models import Dataset, ImportRecord, Interval, PendingInterval, Subject, Video
from .models.videos import IngestState

MAX_LISTED = 200  # entries kept per list in a stored report; the counts are always complete
Progress = Callable[[float, str, str], None]


class ImportFailed(Exception):
    """The file as a whole cannot be imported (wrong format, corrupt, empty...); nothing was written."""


@dataclass(frozen=True)
class Request:
    path: Path
    format: str | None = None  # None: detect
    sheet: str | None = None
    fps: float | None = None  # ELAN: ms -> frames; the dataset's default fps when not given
    file_name: str = ""  # the name users know (uploads are stored under a generated folder)

    def params(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "sheet": self.sheet,
            "fps": self.fps,
            "file_name": self.shown_name,
        }

    @property
    def shown_name(self) -> str:
        return self.file_name or self.path.name

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Request:
        return cls(
            Path(params["path"]),
            params.get("format"),
            params.get("sheet"),
            params.get("fps"),
            params.get("file_name") or "",
        )


def check_format(fmt: str | None) -> None:
    if fmt and fmt not in FORMATS:
        raise ImportFailed(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def file_sha256(path: Path) -> str:
    """sha256 of a file, or of a folder tree's relative file names and sizes (SMIC clip trees)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{item.relative_to(path)}:{item.stat().st_size}\n".encode())
        return digest.hexdigest()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_upload(upload: UploadedFile) -> Path:
    """Keep an uploaded sheet under MEDIA_ROOT/imports, so the preview and the import read the same bytes."""
    if upload.size == 0:
        raise ValidationError({"file": f"{upload.name} is empty (0 bytes)."})
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": f"{upload.name} is larger than the upload limit of {settings.MAX_UPLOAD_BYTES} bytes."}
        )
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / Path(upload.name).name
    with target.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return target


def _read(dataset: Dataset, request: Request) -> tuple[ImportReport, str, list[str]]:
    """(reader report, format, how it was chosen); FormatError becomes ImportFailed."""
    check_format(request.format)
    if not request.path.exists():
        raise ImportFailed(f"{request.shown_name}: no such file or folder")
    try:
        if request.format:
            fmt, chosen = request.format, [f"format {request.format} given"]
        else:
            fmt, reasons = detect(request.path)
            chosen = [f"detected {fmt}: {'; '.join(reasons)}"]
        fps = request.fps
        if fmt == "eaf" and not fps:
            fps = dataset.default_fps
            chosen.append(f"ELAN times converted at the dataset's default {fps:g} fps (no fps given)")
        report = read(request.path, fmt, sheet=request.sheet, **({"fps": fps} if fmt == "eaf" else {}))
    except FormatError as exc:
        raise ImportFailed(str(exc).replace(str(request.path), request.shown_name)) from exc
    return report, fmt, chosen


# -- frames ------------------------------------------------------------------------------------


def first_number(video: Video, first_frame: int | None) -> int:
    """The file number of the video's frame index 0: an image folder's own, else SMIC-E FirstF, else the video's."""
    from_folder = bool(video.source_path) and Path(video.source_path).is_dir()
    if first_frame is not None and not from_folder:
        return first_frame
    return video.first_frame_number


def to_indices(
    video: Video, frames: dict[str, int | None], convention: str, first_frame: int | None
) -> dict[str, int | None]:
    """Frame numbers as written -> the video's 0-based indices, checked against its frames.

    Raises ValidationError naming the numbers as written, so the user can find them in the sheet.
    """
    if convention == FRAME_FILE_NUMBER:
        shift = first_number(video, first_frame)
    else:
        shift = 0 if convention == FRAME_INDEX_0 else 1
    indices = {name: None if value is None else value - shift for name, value in frames.items()}
    try:
        validate_frames(video, indices["onset"], indices["apex"], indices["offset"])
    except ValidationError as exc:
        written = "/".join("?" if v is None else str(v) for v in frames.values())
        problems = " ".join(m for ms in exc.message_dict.values() for m in ms)
        raise ValidationError(
            f"{problems} (written onset/apex/offset {written}, {convention}, index 0 = {shift})"
        ) from None
    return indices


# -- planning ----------------------------------------------------------------------------------


@dataclass
class _Target:
    """A video the import puts labels on: an existing row, or one to create (row None)."""

    name: str
    subject_code: str  # as written; "" = none
    row: Video | None = None

    @property
    def ready(self) -> bool:
        return self.row is not None and self.row.ingest_state == IngestState.READY


@dataclass
class _Item:
    record: IntervalRecord
    target: _Target
    values: dict[str, Any]  # interval fields; frames are indices when not waiting, else as written
    waiting: bool
    provenance: dict[str, Any]
    interval: Interval | None = None  # built before the transaction (not waiting)


@dataclass
class _Plan:
    items: list[_Item] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    already: list[dict] = field(default_factory=list)
    emotions_unknown: list[dict] = field(default_factory=list)
    emotions_added: list[str] = field(default_factory=list)
    aus_flagged: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    megc3: Counter = field(default_factory=Counter)
    subjects_created: list[str] = field(default_factory=list)  # as first written
    no_file_numbers: dict[str, int] = field(default_factory=dict)  # video -> its first_frame_number


def _vocabulary_key(fmt: str) -> str | None:
    key = DATASET_OF_FORMAT.get(fmt, fmt)
    return key if key in VOCABULARIES else None


class _Matcher:
    """Finds each record's video (and subject) among the dataset's, across spellings."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.videos: dict[str, list[_Target]] = {}
        for video in dataset.videos.select_related("subject"):
            code = video.subject.code if video.subject else ""
            self.videos.setdefault(normalise_video(video.name), []).append(_Target(video.name, code, video))

    def target(self, record: IntervalRecord) -> _Target:
        """The record's video; raises ValueError when it belongs to another subject here."""
        candidates = self.videos.setdefault(normalise_video(record.video), [])
        subject = normalise_subject(record.subject) if record.subject.strip() else ""
        exact = [t for t in candidates if t.name == record.video]
        same_subject = [t for t in candidates if not subject or _subject_key(t) in ("", subject)]
        found = next(iter([t for t in exact if t in same_subject] + same_subject), None)
        if found is not None:
            return found
        if candidates:
            other = candidates[0]
            raise ValueError(
                f"video {other.name!r} belongs to subject {other.subject_code!r} in this dataset; "
                f"the row names subject {record.subject!r}"
            )
        created = _Target(record.video.strip(), record.subject.strip())
        candidates.append(created)
        return created


def _subject_key(target: _Target) -> str:
    return normalise_subject(target.subject_code) if target.subject_code.strip() else ""


def _emotion(
    plan: _Plan, dataset: Dataset, fmt: str, record: IntervalRecord, row: dict
) -> tuple[str, str | None]:
    """(emotion stored, MEGC class): the dataset's label for what the sheet wrote, or the text as written."""
    raw = " ".join(record.emotion.split())
    if not raw:
        return "", None
    scheme = _vocabulary_key(fmt)
    if scheme:
        label = normalise_emotion(raw, scheme)
    else:
        label = next((e for e in dataset.emotions if e.lower() == raw.lower()), None)
    if label is None:
        plan.emotions_unknown.append({**row, "value": raw})
        return raw[:50], None
    if label not in dataset.emotions and label not in plan.emotions_added:
        plan.emotions_added.append(label)
    composite = megc3(raw, scheme) if scheme else None
    plan.megc3[composite or "dropped"] += 1
    return label, composite


def _without_file_numbers(plan: _Plan, video: Video, record: IntervalRecord) -> None:
    """Note videos decoded from a video file that get image file numbers: they count from first_frame_number."""
    if record.frame_convention != FRAME_FILE_NUMBER or record.first_frame is not None:
        return
    if not (video.source_path and Path(video.source_path).is_dir()):
        plan.no_file_numbers.setdefault(video.name, video.first_frame_number)


def _existing(dataset: Dataset, sha: str) -> tuple[set, set, set]:
    """What the dataset already holds: provenance keys of this file, interval frames, waiting frames."""
    intervals = Interval.objects.filter(video__dataset=dataset)
    waiting = PendingInterval.objects.filter(video__dataset=dataset)
    keys = set()
    for rows in (intervals, waiting):
        found = rows.filter(provenance__sha256=sha).values_list(
            "provenance__sheet", "provenance__where", "provenance__part"
        )
        keys |= {tuple(k) for k in found}
    frames = set(intervals.values_list("video_id", "kind", "onset", "offset"))
    pending = set(waiting.values_list("video_id", "kind", "onset", "offset", "frame_convention"))
    return keys, frames, pending


def _plan(dataset: Dataset, report: ImportReport, fmt: str, sha: str, file_name: str) -> _Plan:
    plan = _Plan(warnings=list(report.warnings))
    plan.refused = [{"row": r.row, "reason": r.reason} for r in report.refused]
    matcher = _Matcher(dataset)
    keys, frames, pending = _existing(dataset, sha)
    parts: Counter = Counter()
    onset_sentinels = {(s.row, s.value) for s in report.sentinels if "onset" in s.column.lower()}
    for record in report.records:
        prov = record.provenance
        where = prov.row if prov.row is not None else prov.file
        parts[(prov.sheet, where)] += 1
        key = (prov.sheet, where, parts[(prov.sheet, where)])
        row = {"row": prov.row, "sheet": prov.sheet} if prov.row is not None else {"folder": prov.file}
        if record.onset is None:
            written = next((v for r, v in onset_sentinels if r == prov.row), "")
            reason = (
                f"onset is unknown{f' (written {written!r})' if written else ''}; an interval needs an onset"
            )
            plan.refused.append({**row, "reason": reason})
            continue
        if not record.video.strip():
            plan.refused.append({**row, "reason": "the row names no video (Filename is empty)"})
            continue
        try:
            target = matcher.target(record)
        except ValueError as exc:
            plan.refused.append({**row, "reason": str(exc)})
            continue
        written = {"onset": record.onset, "apex": record.apex, "offset": record.offset}
        waiting = not target.ready
        if waiting:
            values = dict(written)
            duplicate = key in keys or (
                target.row is not None
                and (target.row.pk, record.kind, record.onset, record.offset, record.frame_convention)
                in pending
            )
        else:
            _without_file_numbers(plan, target.row, record)
            try:
                values = to_indices(target.row, written, record.frame_convention, record.first_frame)
            except ValidationError as exc:
                plan.refused.append({**row, "reason": " ".join(exc.messages)})
                continue
            duplicate = (
                key in keys or (target.row.pk, record.kind, values["onset"], values["offset"]) in frames
            )
        if duplicate:
            plan.already.append({**row, "video": target.name})
            continue
        emotion, composite = _emotion(plan, dataset, fmt, record, row)
        parsed = parse_aus(record.aus) if record.aus.strip() else None
        if parsed is not None and parsed.fragments:
            plan.aus_flagged.append(
                {**row, "aus": record.aus, "unparsed": [f.text for f in parsed.fragments]}
            )
        provenance = {
            "file": file_name,
            "sha256": sha,
            "format": fmt,
            "sheet": prov.sheet,
            "row": prov.row,
            "where": where,
            "part": key[2],
            "written": {**written, "convention": record.frame_convention, "first_frame": record.first_frame},
            "emotion": record.emotion,
            "megc3": composite,
            "raw": record.raw,
            "extra": record.extra,
        }
        values |= {"kind": record.kind, "aus": record.aus[:255], "emotion": emotion, "notes": record.notes}
        plan.items.append(_Item(record, target, values, waiting, provenance))
    if plan.no_file_numbers:
        shown = ", ".join(f"{name!r} from {first}" for name, first in list(plan.no_file_numbers.items())[:5])
        plan.warnings.append(
            f"{len(plan.no_file_numbers)} video(s) have no image file numbers (not ingested from an image "
            f"folder): file numbers taken to count from each one's first frame number ({shown}"
            + (" ..." if len(plan.no_file_numbers) > 5 else "")
            + ")"
        )
    known = set(dataset.subjects.values_list("normalized", flat=True))
    for item in plan.items:
        key = _subject_key(item.target)
        if item.target.row is None and key and key not in known:
            known.add(key)
            plan.subjects_created.append(item.target.subject_code)
    return plan


def _listed(items: list) -> list:
    return items[:MAX_LISTED]


def _report(
    plan: _Plan, reader: ImportReport, fmt: str, chosen: list[str], request: Request, sha: str
) -> dict:
    waiting = [i for i in plan.items if i.waiting]
    unmatched: dict[str, dict] = {}
    for item in waiting:
        entry = unmatched.setdefault(
            item.target.name,
            {
                "video": item.target.name,
                "subject": item.target.subject_code,
                "state": "not in the dataset: created, waiting for its media"
                if item.target.row is None
                else f"in the dataset, {item.target.row.get_ingest_state_display().lower()}",
                "labels": 0,
            },
        )
        entry["labels"] += 1
    sentinels = [
        {"row": s.row, "column": s.column, "value": s.value, "mapped_to": s.mapped_to}
        for s in reader.sentinels
    ]
    return {
        "file": request.shown_name,
        "sha256": sha,
        "format": fmt,
        "chosen": chosen,
        "sheet": request.sheet,
        "rows_read": reader.rows_read,
        "records": len(reader.records),
        "intervals_created": len(plan.items) - len(waiting),
        "waiting_for_video": len(waiting),
        "already_imported": len(plan.already),
        "already_imported_rows": _listed(plan.already),
        "sentinels_count": len(sentinels),
        "sentinels": _listed(sentinels),
        "sentinels_by_value": dict(
            Counter(f"{s['value']} -> {s['mapped_to']}" for s in sentinels).most_common()
        ),
        "refused_count": len(plan.refused),
        "refused": _listed(sorted(plan.refused, key=lambda r: r.get("row") or 0)),
        "unmatched_videos_count": len(unmatched),
        "unmatched_videos": _listed(list(unmatched.values())),
        "videos_created": sum(1 for v in unmatched.values() if v["state"].startswith("not in")),
        "subjects_created": plan.subjects_created,
        "emotions_added": plan.emotions_added,
        "emotions_unknown_count": len(plan.emotions_unknown),
        "emotions_unknown": _listed(plan.emotions_unknown),
        "megc3": dict(plan.megc3),
        "aus_flagged_count": len(plan.aus_flagged),
        "aus_flagged": _listed(plan.aus_flagged),
        "conventions": dict(Counter(i.record.frame_convention for i in plan.items)),
        "warnings": _listed(plan.warnings),
    }


# -- writing -----------------------------------------------------------------------------------


def _create_videos(dataset: Dataset, targets: list[_Target]) -> None:
    """Create the videos the sheet names and the dataset lacks (ingest state new), with their subjects."""
    subjects: dict[str, Subject] = {}
    for target in targets:
        key = _subject_key(target)
        if key and key not in subjects:
            subjects[key], _ = Subject.objects.get_or_create(
                dataset=dataset, normalized=key, defaults={"code": target.subject_code}
            )
    rows = [
        Video(
            dataset=dataset, name=t.name, subject=subjects.get(_subject_key(t)), ingest_state=IngestState.NEW
        )
        for t in targets
    ]
    Video.objects.bulk_create(rows, batch_size=500)
    for target, row in zip(targets, rows, strict=True):
        target.row = row


def _apply(dataset: Dataset, plan: _Plan, record: ImportRecord, user) -> None:
    """Write the plan (inside the import's transaction): videos, intervals, waiting labels, emotions."""
    _create_videos(
        dataset, list({id(i.target): i.target for i in plan.items if i.target.row is None}.values())
    )
    intervals, waiting = [], []
    for item in plan.items:
        item.provenance["import"] = record.pk
        if item.waiting:
            waiting.append(
                PendingInterval(
                    video=item.target.row,
                    import_record=record,
                    frame_convention=item.record.frame_convention,
                    first_frame=item.record.first_frame,
                    provenance=item.provenance,
                    annotator=_annotator(user),
                    **item.values,
                )
            )
        else:
            intervals.append(item.interval)
    create_intervals(intervals)
    PendingInterval.objects.bulk_create(waiting, batch_size=500)
    added = [e for e in plan.emotions_added if e not in dataset.emotions]
    if added:
        dataset.emotions = [*dataset.emotions, *added]
        dataset.save(update_fields=["emotions"])


def _annotator(user):
    return user if user is not None and user.is_authenticated else None


def _build_intervals(plan: _Plan, user) -> None:
    """The unsaved intervals of the rows placed on frames (validated, AUs parsed): no database work."""
    for item in plan.items:
        if not item.waiting:
            item.interval = new_interval(
                item.target.row, item.values, _annotator(user), provenance=item.provenance
            )


def _stamp(dataset: Dataset) -> tuple:
    """What a plan rests on besides hand edits: the newest import and every video's frame facts.

    Hand edits made meanwhile need no re-plan: the outcome is that of the import running just before
    them. A newer import could make rows duplicates; a video ingested meanwhile would leave labels
    waiting for an ingest that already ended.
    """
    last = ImportRecord.objects.filter(dataset=dataset, dry_run=False).aggregate(last=Max("pk"))["last"]
    videos = Video.objects.filter(dataset=dataset).order_by("pk")
    fields = ("pk", "name", "subject_id", "ingest_state", "frame_count", "first_frame_number", "source_path")
    return last, hash(tuple(videos.values_list(*fields)))


def import_file(
    dataset: Dataset,
    request: Request,
    *,
    dry_run: bool = False,
    user=None,
    job=None,
    progress: Progress | None = None,
) -> ImportRecord:
    """Import `request.path` into `dataset` in one transaction; returns the record holding the report.

    Raises ImportFailed, with nothing written, when the file as a whole cannot be read.
    """
    progress = progress or (lambda percent, stage, message: None)
    started = time.perf_counter()
    progress(2, "read", f"Reading {request.shown_name}")
    reader, fmt, chosen = _read(dataset, request)
    sha = file_sha256(request.path)
    progress(
        10, "check", f"{len(reader.records)} labels read from {reader.rows_read} rows; matching and checking"
    )

    def prepare(dataset: Dataset) -> tuple[_Plan, dict]:
        """Match and check every row and build the unsaved intervals: reads only."""
        plan = _plan(dataset, reader, fmt, sha, request.shown_name)
        if not dry_run:
            _build_intervals(plan, user)
        return plan, _report(plan, reader, fmt, chosen, request, sha) | {"dry_run": dry_run}

    dataset = Dataset.objects.get(pk=dataset.pk)  # its emotions as they are now
    stamp = _stamp(dataset)
    plan, report = prepare(dataset)
    if not dry_run:
        progress(60, "write", f"Writing {len(plan.items)} labels (one transaction)")
    write_started = time.perf_counter()
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)  # one import at a time per dataset
        if not dry_run and _stamp(dataset) != stamp:
            plan, report = prepare(dataset)  # the dataset moved while planning: plan it again
        record = ImportRecord.objects.create(
            dataset=dataset,
            format=fmt,
            file_name=request.shown_name[:255],
            sha256=sha,
            report=report,
            dry_run=dry_run,
            job=job,
            created_by=_annotator(user),
        )
        if not dry_run:
            _apply(dataset, plan, record, user)
        report["seconds"] = round(time.perf_counter() - started, 3)
        report["write_seconds"] = round(time.perf_counter() - write_started, 3)  # the write lock's hold
        record.report = report
        record.save(update_fields=["report"])
    return record


def summary(record: ImportRecord) -> dict:
    """What the CLI prints and a job returns: the record and the whole report."""
    return {"record": record.pk, "dataset": record.dataset_id, **record.report}


# -- labels waiting for their video ------------------------------------------------------------


def _adopt_placeholders(video: Video) -> int:
    """Move waiting labels from label-only videos with the same name (across spellings) to `video`."""
    key = normalise_video(video.name)
    subject = video.subject.normalized if video.subject else ""
    placeholders = (
        Video.objects.filter(dataset_id=video.dataset_id, ingest_state=IngestState.NEW, source_path="")
        .exclude(pk=video.pk)
        .select_related("subject")
    )
    moved = 0
    for other in placeholders:
        other_subject = other.subject.normalized if other.subject else ""
        if normalise_video(other.name) != key or (subject and other_subject and subject != other_subject):
            continue
        if other.intervals.exists():
            continue  # someone labelled it by hand: leave both for a person to merge
        moved += PendingInterval.objects.filter(video=other).update(video=video)
        if video.subject is None and other.subject is not None:
            video.subject = other.subject
            video.save(update_fields=["subject"])
        other.delete()
    return moved


@transaction.atomic
def place_waiting_labels(video_id: int) -> list[str]:
    """Turn the labels waiting for `video_id` into intervals, now that it has frames; returns messages.

    Called by the ingest job at its end. Idempotent: placed labels leave the waiting table; labels
    that do not fit the frames stay there with the reason.
    """
    video = Video.objects.select_related("subject").get(pk=video_id)
    if video.ingest_state != IngestState.READY:
        return []
    _adopt_placeholders(video)
    existing = set(video.intervals.values_list("kind", "onset", "offset"))
    placed, present, failed, done = [], 0, [], []
    for pending in video.pending_intervals.select_related("annotator"):
        written = {"onset": pending.onset, "apex": pending.apex, "offset": pending.offset}
        try:
            frames = to_indices(video, written, pending.frame_convention, pending.first_frame)
        except ValidationError as exc:
            pending.error = " ".join(exc.messages)
            pending.save(update_fields=["error"])
            failed.append(f"row {pending.provenance.get('row')}: {pending.error}")
            continue
        if (pending.kind, frames["onset"], frames["offset"]) not in existing:
            values = frames | {k: getattr(pending, k) for k in ("kind", "aus", "emotion", "notes")}
            placed.append(new_interval(video, values, pending.annotator, provenance=pending.provenance))
            existing.add((pending.kind, frames["onset"], frames["offset"]))
        else:
            present += 1
        done.append(pending.pk)
    create_intervals(placed)
    PendingInterval.objects.filter(pk__in=done).delete()
    messages = []
    if placed or present:
        messages.append(
            f"{len(placed)} imported label(s) placed on the frames ({present} were already there)"
        )
    if failed:
        messages.append(f"{len(failed)} imported label(s) do not fit the frames: " + "; ".join(failed[:5]))
    return messages
