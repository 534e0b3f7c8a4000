"""Exports from the database: select labels, hand them to `annotator.formats.writers`, keep a record.

The writers are pure (0-based intervals in, one file out, a report); this module is the only place
that turns models into their inputs, so the CLI, the page's job and the API export the same bytes
from the same labels. Every export leaves an ExportRecord naming the label revision it was made from.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from annotator.formats.records import FRAME_FILE_NUMBER
from annotator.formats.writers import FORMATS, ExportError, ExportInterval, ExportReport, ExportVideo, write
from inference.media.pipeline import read_crops

from .models import (
    Dataset,
    ExportRecord,
    Interval,
    IntervalKind,
    Job,
    Prediction,
    PredictionRun,
    Revision,
    Video,
)

EXTENSIONS = {
    "casme2": ".xlsx",
    "samm": ".xlsx",
    "samm-lv": ".xlsx",
    "casme-sq": ".xlsx",
    "casme3-a": ".xlsx",
    "mmew": ".xlsx",
    "megc2022": ".csv",
    "megc2023": ".csv",
    "megc-log": ".txt",
    "str": ".csv",
    "eaf": ".zip",
    "labelstudio": ".json",
    "au-matrix": ".csv",
    "csv": ".csv",
    "clips": ".zip",
}
LABELS = {
    "casme2": "CASME II sheet (xlsx, image file numbers)",
    "samm": "SAMM sheet (xlsx, image file numbers)",
    "samm-lv": "SAMM long videos sheet (xlsx)",
    "casme-sq": "CAS(ME)^2 sheets (xlsx)",
    "casme3-a": "CAS(ME)^3 part A sheets (xlsx)",
    "mmew": "MMEW sheet (xlsx)",
    "megc2022": "MEGC2022 spotting csv",
    "megc2023": "MEGC2023 spotting csv",
    "megc-log": "MEGC2019-21 log with TP/FP/FN (needs a run)",
    "str": "MEGC spot-then-recognise csv",
    "eaf": "ELAN .eaf, one per video (zip)",
    "labelstudio": "Label Studio tasks (json)",
    "au-matrix": "Per-frame AU matrix (csv)",
    "csv": "Generic interval table (csv, 0-based)",
    "clips": "Aligned onset-offset clips (zip of PNG)",
}
# Writer options a user may set; the others (truths, crops) come from the database here.
USER_OPTIONS = {"megc-log": ("dataset",), "eaf": ("media_url",), "labelstudio": ("video_url",)}
FILE_NUMBER_FORMATS = ("casme2", "samm", "casme3-a")
NEEDS_MEDIA = ("au-matrix", "clips")  # the true frame count (au-matrix) or the stored crops (clips)
RECORD_FILE_MAX = ExportRecord._meta.get_field("file").max_length
MAX_LISTED = 200  # skipped intervals kept in a record; the count is always complete
_MEGC_ID = re.compile(r"^s?(\d+)_(\d{4})")


@dataclass(frozen=True)
class Selection:
    """Which labels: videos in a review state, interval kinds, and a run's predictions instead of humans."""

    state: str = ""
    kinds: tuple[str, ...] = ()
    run_id: int | None = None

    def params(self) -> dict:
        return {"state": self.state, "kinds": list(self.kinds), "run": self.run_id}


def parse_kinds(text: str | list[str] | None) -> tuple[str, ...]:
    """`ME,MaE` (or a list) -> ("ME", "MaE"); an unknown kind is an error, not silently nothing."""
    items = text.split(",") if isinstance(text, str) else list(text or [])
    kinds = tuple(dict.fromkeys(k.strip() for k in items if k.strip()))
    unknown = [k for k in kinds if k not in IntervalKind.values]
    if unknown:
        raise ExportError(
            f"unknown interval kind(s) {', '.join(unknown)}; use {', '.join(IntervalKind.values)}"
        )
    return kinds


def check_request(dataset: Dataset, fmt: str, selection: Selection, options: dict) -> PredictionRun | None:
    """Refuse a request that cannot work before any job is queued; returns the run, if one is asked for."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    allowed = USER_OPTIONS.get(fmt, ())
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "none"
        raise ExportError(f"{fmt}: unknown option(s) {', '.join(unknown)} (accepted: {accepted})")
    for key in ("media_url", "video_url"):
        if key in options:
            _check_template(key, str(options[key]))
    parse_kinds(list(selection.kinds))
    run = None
    if selection.run_id is not None:
        run = dataset.runs.filter(pk=selection.run_id).first()
        if run is None:
            raise ExportError(f"run {selection.run_id} is not a prediction run of dataset {dataset.name!r}")
    if fmt == "megc-log":
        if run is None:
            raise ExportError("megc-log scores a run's predictions against the human labels: choose a run")
        if str(options.get("dataset", "")).strip() not in ("1", "2"):
            raise ExportError("megc-log: option dataset must be 1 (SAMM) or 2 (CAS(ME)^2)")
    return run


URL_FIELDS = ("name", "subject", "video_id", "megc_id", "fps", "frame_count")


def _check_template(key: str, template: str) -> None:
    """A media/video URL template may use only the video's fields, so a job cannot fail on it later."""
    try:
        template.format(**dict.fromkeys(URL_FIELDS, "x"))
    except (KeyError, IndexError, ValueError) as exc:
        fields = ", ".join(f"{{{f}}}" for f in URL_FIELDS)
        raise ExportError(f"option {key} {template!r}: {exc!s} is not a field; use {fields}") from exc


def _videos(dataset: Dataset, selection: Selection):
    videos = dataset.videos.all()
    return videos.filter(review_state=selection.state) if selection.state else videos


def _has_file_numbers(video: Video) -> bool:
    """Image file numbers exist when the dataset counts by them or the frames came from an image folder."""
    if video.dataset.frame_convention == FRAME_FILE_NUMBER:
        return True
    return bool(video.source_path) and Path(video.source_path).is_dir()


def _megc_id(name: str) -> str | None:
    """CAS(ME)^2 folders (`15_0401girlcrashing`) carry the MEGC id `15_0401`; other names are their own."""
    m = _MEGC_ID.match(name)
    return f"{int(m.group(1))}_{m.group(2)}" if m else None


class _Collector:
    """Builds one ExportVideo per video (frames unknown before ingest are bounded by the labels)."""

    def __init__(self, fmt: str, notes: list[str]):
        self.fmt, self.notes = fmt, notes
        self.videos: dict[int, ExportVideo | None] = {}

    def video(self, video: Video, last_frame: int) -> ExportVideo | None:
        if video.pk not in self.videos:
            self.videos[video.pk] = self._make(video, last_frame)
        return self.videos[video.pk]

    def _make(self, video: Video, last_frame: int) -> ExportVideo | None:
        if self.fmt in NEEDS_MEDIA and not (video.frame_count and video.media_dir):
            self.notes.append(f"video {video.name!r} left out: {self.fmt} needs it ingested")
            return None
        frame_count = video.frame_count
        if not frame_count:
            frame_count = last_frame + 1
            self.notes.append(
                f"video {video.name!r}: frame count unknown (not ingested); bounded by its last label"
            )
        fps = video.fps
        if not fps:
            fps = video.dataset.default_fps
            self.notes.append(f"video {video.name!r}: fps unknown; the dataset's {fps:g} fps used")
        return ExportVideo(
            video_id=str(video.pk),
            subject=video.subject.code if video.subject else "",
            fps=fps,
            frame_count=frame_count,
            first_frame_number=video.first_frame_number if _has_file_numbers(video) else None,
            name=video.name,
            megc_id=_megc_id(video.name),
        )


FRAMES = ("video_id", "kind", "onset", "apex", "offset", "emotion")


def _intervals(rows: list[dict], collector: _Collector, ref: str) -> list[ExportInterval]:
    """Rows as plain dicts (no model per row: 10,000 intervals stay cheap); their videos fetched once."""
    last: dict[int, int] = {}
    for r in rows:
        frames = [v for v in (r["onset"], r["apex"], r["offset"]) if v is not None]
        last[r["video_id"]] = max(last.get(r["video_id"], 0), *frames)
    videos = Video.objects.filter(pk__in=last).select_related("subject", "dataset")
    made = {v.pk: collector.video(v, last[v.pk]) for v in videos}
    return [
        ExportInterval(
            made[r["video_id"]],
            r["kind"],
            r["onset"],
            r["apex"],
            r["offset"],
            r.get("aus", ""),
            r["emotion"],
            r.get("notes", ""),
            f"{ref}{r['id']}",
            _extra(r.get("provenance")),
        )
        for r in rows
        if made[r["video_id"]] is not None
    ]


def _extra(provenance: dict | None) -> dict[str, str]:
    """Cells an import kept beside the parsed ones (objective class, inducement code...): written back."""
    extra = provenance.get("extra") if isinstance(provenance, dict) else None
    return {str(k): str(v) for k, v in extra.items()} if isinstance(extra, dict) else {}


def _human(dataset: Dataset, selection: Selection, collector: _Collector) -> list[ExportInterval]:
    rows = Interval.objects.filter(video__in=_videos(dataset, selection))
    if selection.kinds:
        rows = rows.filter(kind__in=selection.kinds)
    return _intervals(list(rows.values("id", *FRAMES, "aus", "notes", "provenance")), collector, "")


def _predicted(
    run: PredictionRun, dataset: Dataset, selection: Selection, collector: _Collector
) -> list[ExportInterval]:
    """The run's visible predictions: not rejected and scoring at least the run's threshold."""
    rows = Prediction.objects.filter(
        run=run, video__in=_videos(dataset, selection), score__gte=run.threshold
    ).exclude(status=Prediction.Status.REJECTED)
    if selection.kinds:
        rows = rows.filter(kind__in=selection.kinds)
    return _intervals(list(rows.values("id", *FRAMES)), collector, "p")


@dataclass
class Collected:
    intervals: list[ExportInterval]
    notes: list[str]  # videos left out or completed from the dataset's defaults
    truths: list[ExportInterval] | None = None  # the human labels, when a run is exported


def collect(dataset: Dataset, fmt: str, selection: Selection, run: PredictionRun | None = None) -> Collected:
    """The writer's inputs for `fmt`: human intervals, or the run's predictions with the humans as truth."""
    notes: list[str] = []
    collector = _Collector(fmt, notes)
    if run is not None:
        intervals = _predicted(run, dataset, selection, collector)
        if not intervals:
            raise ExportError(
                _empty_message(dataset, selection, f"visible predictions in run {run.name!r}", notes)
            )
        truths = _human(dataset, selection, collector) if fmt == "megc-log" else None
    else:
        intervals, truths = _human(dataset, selection, collector), None
        if not intervals:
            raise ExportError(_empty_message(dataset, selection, "labelled intervals", notes))
    if fmt in FILE_NUMBER_FORMATS and all(iv.video.first_frame_number is None for iv in intervals):
        raise ExportError(
            f"{fmt} counts frames by image file number, and no exported video has them: dataset "
            f"{dataset.name!r} counts frames as {dataset.get_frame_convention_display()!r} and its videos "
            "were not ingested from image folders; export samm-lv, csv or eaf instead"
        )
    return Collected(intervals, notes, truths)


def label_revision(dataset: Dataset) -> int | None:
    """The latest change to any label of the dataset: an export made at the same revision has the same labels."""
    return Revision.objects.filter(video__dataset=dataset).aggregate(latest=Max("id"))["latest"]


def _consistent(
    dataset: Dataset, fmt: str, selection: Selection, run: PredictionRun | None, tries: int = 3
) -> tuple[int | None, Collected]:
    """Labels read between two equal revision ids, so the recorded revision is the one exported."""
    for _ in range(tries):
        before = label_revision(dataset)
        collected = collect(dataset, fmt, selection, run)
        if label_revision(dataset) == before:
            return before, collected
    raise ExportError(
        f"the labels of {dataset.name!r} changed during {tries} tries to read them; export again"
    )


def _crops(video: ExportVideo, start: int, stop: int):
    folder = Video.objects.values_list("media_dir", flat=True).get(pk=int(video.video_id))
    return read_crops(Path(settings.MEDIA_ROOT) / folder, start, stop)


def _empty_message(dataset: Dataset, selection: Selection, what: str, notes: list[str]) -> str:
    if notes:  # labels exist, but their videos were left out
        return f"nothing to export from dataset {dataset.name!r}: " + "; ".join(notes[:5])
    parts = []
    if selection.state:
        parts.append(f"videos in review state {selection.state!r}")
    if selection.kinds:
        parts.append(f"kinds {', '.join(selection.kinds)}")
    scope = f" ({'; '.join(parts)})" if parts else ""
    return f"nothing to export: dataset {dataset.name!r} has no {what}{scope}"


def export(
    dataset: Dataset,
    fmt: str,
    out_path: Path,
    selection: Selection = Selection(),
    *,
    options: dict | None = None,
    record_file: str | None = None,
    overwrite: bool = False,
    user=None,
    job=None,
) -> ExportRecord:
    """Write the selected labels of `dataset` to `out_path` in `fmt` and record it.

    `record_file` is what the record stores (a path under MEDIA_ROOT for downloadable exports);
    by default the absolute output path. Raises ExportError, with nothing written, for bad input.
    """
    options = dict(options or {})
    file = record_file or str(Path(out_path).resolve())
    if len(file) > RECORD_FILE_MAX:
        raise ExportError(
            f"output path {file!r} is longer than the {RECORD_FILE_MAX} characters a record keeps"
        )
    run = check_request(dataset, fmt, selection, options)
    revision, collected = _consistent(dataset, fmt, selection, run)
    if fmt == "megc-log":
        options["truths"] = collected.truths
    if fmt == "clips":
        options["crops"] = _crops
    intervals, notes = collected.intervals, collected.notes
    out_path = Path(out_path)
    report = write(fmt, intervals, out_path, overwrite=overwrite, **options)
    try:
        with transaction.atomic():
            return ExportRecord.objects.create(
                dataset=dataset,
                format=fmt,
                file=file,
                sha256=report.sha256,
                params={**selection.params(), "options": _shown(options), "report": _report(report, notes)},
                counts={
                    **report.counts,
                    "skipped": len(report.skipped),
                    "sentinels": sum(report.sentinels.values()),
                },
                label_revision=revision,
                job=job,
                created_by=user if user is not None and user.is_authenticated else None,
            )
    except BaseException:
        _remove(out_path)
        raise


def _shown(options: dict) -> dict:
    return {k: v for k, v in options.items() if k not in ("truths", "crops")}


def _report(report: ExportReport, notes: list[str]) -> dict:
    return {
        "conventions": report.conventions,
        "sentinels": dict(report.sentinels),
        "skipped": [{"interval": s.interval, "reason": s.reason} for s in report.skipped[:MAX_LISTED]],
        "notes": notes,
    }


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def job_file(dataset: Dataset, fmt: str, job: Job) -> str:
    """Where an export job writes, relative to MEDIA_ROOT: one file per job, the same on a retry.

    The job's creation time is in the name because ids can come back (a database restored from a
    backup) and an old export's file must never be replaced by a new one.
    """
    return f"exports/{dataset.pk}/{fmt}-{job.pk}-{job.created_at:%Y%m%d%H%M%S}{EXTENSIONS[fmt]}"


def download_path(record: ExportRecord) -> Path | None:
    """The record's file when it lies under MEDIA_ROOT/exports and still exists; CLI exports elsewhere are not served."""
    root = (Path(settings.MEDIA_ROOT) / "exports").resolve()
    path = (Path(settings.MEDIA_ROOT) / record.file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def summary(record: ExportRecord) -> dict:
    """What the CLI prints and a job returns: the file, its hash, the revision, counts, and the report."""
    return {
        "record": record.pk,
        "format": record.format,
        "file": record.file,
        "sha256": record.sha256,
        "label_revision": record.label_revision,
        "counts": record.counts,
        **record.params["report"],
    }


__all__ = [
    "EXTENSIONS",
    "ExportError",
    "Selection",
    "check_request",
    "collect",
    "export",
    "parse_kinds",
    "summary",
]
