"""External spotting output -> a PredictionRun (model "external"), evaluated like the app's own runs.

Formats (FORMATS.md §4): `megc2022` (vid,pred_onset,pred_offset,type), `megc2023`
(vid,onset,offset,type), `megc-log` (dataset line, then `video gt_on gt_off pred_on pred_off
TP|FP|FN`; the rows with a prediction side are read), `str` (subject,video,onset,offset,emotion;
no type column, so every row is an ME unless a `type` column is present) and `csv` (the app's
own: video,onset,offset and optionally apex,kind,score,emotion; frames are 0-based indices).

MEGC frames are 1-based positions in the long video, which is the dataset frame number of videos
whose first_frame_number is 1; they are converted with index = number - first_frame_number and
the report says so per video.

Everything is checked before anything is written: unknown columns, unknown video ids, frames
outside the video, offset before onset, duplicate rows, a file that matches none of the
dataset's videos (another dataset's file). The run covers every video of the dataset: a video the
file never names is one where the model found nothing. Any problem refuses the whole file with a list of
every problem (line numbers are the file's, header = line 1); nothing is imported half-way.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .exporting import _megc_id
from .models import Dataset, Prediction, PredictionRun, Video
from .spotting import evaluate_run

FORMATS = ("megc2022", "megc2023", "megc-log", "str", "csv")
MEGC_FORMATS = ("megc2022", "megc2023", "megc-log", "str")
TYPES = {"me": "ME", "mae": "MaE", "ME": "ME", "MaE": "MaE", "blink": "blink", "other": "other"}
COLUMNS = {
    "megc2022": ({"vid", "pred_onset", "pred_offset", "type"}, set()),
    "megc2023": ({"vid", "onset", "offset", "type"}, set()),
    "str": ({"subject", "video", "onset", "offset", "emotion"}, {"type"}),
    "csv": ({"video", "onset", "offset"}, {"apex", "kind", "score", "emotion"}),
}
ALIASES = {"vid": "video", "pred_onset": "onset", "pred_offset": "offset", "type": "kind"}


class PredictionImportError(Exception):
    """The file was refused; `problems` lists every reason, each naming its line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5]))


@dataclass
class Row:
    line: int
    video: str
    kind: str
    onset: int
    offset: int
    apex: int | None = None
    score: float = 1.0
    emotion: str = ""


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _int(value: str, what: str, line: int, problems: list[str]) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        problems.append(f"line {line}: {what} {value!r} is not a whole frame number")
        return None


def _kind(value: str, line: int, problems: list[str]) -> str | None:
    kind = TYPES.get((value or "").strip()) or TYPES.get((value or "").strip().lower())
    if kind is None:
        problems.append(f"line {line}: type {value!r} is not one of me, mae")
    return kind


def _read_table(text: str, fmt: str, out: Parsed) -> None:
    required, optional = COLUMNS[fmt]
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    unknown = [h for h in header if h not in required | optional]
    missing = sorted(required - set(header))
    if unknown:
        out.problems.append(
            f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; "
            f"{fmt} has {', '.join(sorted(required | optional))}"
        )
    if missing:
        out.problems.append(f"line 1: missing column(s) {', '.join(missing)} for {fmt}")
    if unknown or missing:
        return
    if not {"type", "kind"} & set(header):
        out.notes.append("the file has no type column: every prediction is stored as an ME")
    for line, raw in enumerate(reader, start=2):
        cells = {ALIASES.get(k, k): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            out.problems.append(f"line {line}: more cells than columns")
            continue
        before = len(out.problems)
        onset = _int(cells["onset"], "onset", line, out.problems)
        offset = _int(cells["offset"], "offset", line, out.problems)
        apex = _int(cells["apex"], "apex", line, out.problems) if cells.get("apex") else None
        # str and csv may leave the type out: those rows are MEs (the report says so).
        kind = (
            "ME"
            if fmt in ("str", "csv") and not cells.get("kind")
            else _kind(cells["kind"], line, out.problems)
        )
        score = 1.0
        if cells.get("score"):
            try:
                score = float(cells["score"])
            except ValueError:
                out.problems.append(f"line {line}: score {cells['score']!r} is not a number")
        if not cells["video"]:
            out.problems.append(f"line {line}: empty video id")
        if len(out.problems) == before:
            out.rows.append(
                Row(line, cells["video"], kind, onset, offset, apex, score, cells.get("emotion", ""))
            )


_LOG_ROW = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(TP|FP|FN)$")


def _read_log(text: str, out: Parsed) -> None:
    lines = text.splitlines()
    if not lines or lines[0].strip() not in ("1", "2"):
        out.problems.append("line 1: a megc-log starts with its dataset line (1 SAMM, 2 CAS(ME)^2)")
        return
    out.notes.append("megc-log rows carry no type: every prediction is stored as an ME")
    for line, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        m = _LOG_ROW.match(raw.strip())
        if m is None:
            out.problems.append(
                f"line {line}: expected 'video gt_onset gt_offset pred_onset pred_offset TP|FP|FN'"
            )
            continue
        video, _, _, p_on, p_off, verdict = m.groups()
        if (p_on == "-") != (verdict == "FN"):
            out.problems.append(f"line {line}: {verdict} row with prediction {p_on} {p_off}")
            continue
        if verdict == "FN":
            continue
        onset = _int(p_on, "pred_onset", line, out.problems)
        offset = _int(p_off, "pred_offset", line, out.problems)
        if onset is not None and offset is not None:
            out.rows.append(Row(line, video, "ME", onset, offset))


def parse(text: str, fmt: str) -> Parsed:
    """Rows as written (frame numbers not yet converted) and the problems found in the text."""
    if fmt not in FORMATS:
        raise PredictionImportError([f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}"])
    out = Parsed()
    if fmt == "megc-log":
        _read_log(text, out)
    else:
        _read_table(text, fmt, out)
    if not out.rows and not out.problems:
        out.problems.append("the file holds no predictions")
    return out


def _video_lookup(dataset: Dataset) -> dict[str, Video]:
    """Video by name, and by MEGC id (`15_0401` for folder `15_0401girlcrashing`) when unambiguous."""
    videos = list(Video.objects.filter(dataset=dataset))
    by_id = {v.name: v for v in videos}
    for v in videos:
        megc = _megc_id(v.name)
        if megc and megc not in by_id:
            by_id[megc] = v
    return by_id


@dataclass
class Plan:
    """What an import would write, and the report to keep with the run."""

    predictions: list[Prediction]
    report: dict[str, Any]


def plan(dataset: Dataset, text: str, fmt: str) -> Plan:
    """Parse and check everything against the dataset; raises PredictionImportError with every problem."""
    parsed = parse(text, fmt)
    problems = list(parsed.problems)
    lookup = _video_lookup(dataset)
    unknown: dict[str, list[int]] = {}
    seen: dict[tuple, int] = {}
    conventions: dict[str, str] = {}
    predictions = []
    for row in parsed.rows:
        video = lookup.get(row.video)
        if video is None:
            unknown.setdefault(row.video, []).append(row.line)
            continue
        shift = video.first_frame_number if fmt in MEGC_FORMATS else 0
        if fmt in MEGC_FORMATS:
            conventions[video.name] = f"index = number - {shift}"
        onset, offset = row.onset - shift, row.offset - shift
        apex = None if row.apex is None else row.apex - shift
        where = f"line {row.line} ({row.video} {row.onset}..{row.offset})"
        if offset < onset:
            problems.append(f"{where}: offset before onset (negative duration)")
            continue
        last = video.frame_count - 1 if video.frame_count else None
        if onset < 0 or (last is not None and offset > last):
            problems.append(
                f"{where}: frames outside the video (indices {onset}..{offset}, video has 0..{last})"
            )
            continue
        if apex is not None and not onset <= apex <= offset:
            problems.append(f"{where}: apex {row.apex} outside onset..offset")
            continue
        key = (video.pk, row.kind, onset, offset)
        if key in seen:
            problems.append(f"{where}: duplicate of line {seen[key]}")
            continue
        seen[key] = row.line
        predictions.append(
            Prediction(
                video=video,
                kind=row.kind,
                onset=onset,
                apex=apex,
                offset=offset,
                score=row.score,
                emotion=row.emotion,
            )
        )
    if unknown and len(unknown) == len({r.video for r in parsed.rows}):
        problems.append(
            f"none of the file's {len(unknown)} video id(s) is a video of dataset {dataset.name} "
            "(a file for another dataset?)"
        )
    for name, lines in sorted(unknown.items()):
        problems.append(f"unknown video id {name!r} (line(s) {', '.join(map(str, lines[:10]))})")
    if problems:
        raise PredictionImportError(problems)
    report = {
        "format": fmt,
        "rows": len(parsed.rows),
        "predictions": len(predictions),
        "videos": len({p.video_id for p in predictions}),
        "frame_conversion": (
            "MEGC frames are 1-based positions in the long video, read as dataset frame numbers: "
            "index = number - the video's first_frame_number"
            if fmt in MEGC_FORMATS
            else "frames are 0-based indices, stored as written"
        ),
        "per_video_conversion": conventions,
        "notes": parsed.notes,
        # A spotting file speaks for the whole dataset: a video it never names is one where the
        # model found nothing, so evaluation counts that video's labels as misses.
        "done": sorted({v.pk for v in lookup.values()}),
        "evaluated_on": "every video of the dataset (those without predictions: all misses)",
    }
    return Plan(predictions, report)


@transaction.atomic
def import_predictions(
    dataset: Dataset, text: str, fmt: str, name: str, source_file: str = "", user=None, job=None
) -> PredictionRun:
    """Create the run and all its predictions in one transaction, or nothing."""
    if not name.strip():
        raise PredictionImportError(["a run needs a name"])
    if PredictionRun.objects.filter(dataset=dataset, name=name).exists():
        raise PredictionImportError([f"dataset {dataset.name} already has a run called {name!r}"])
    planned = plan(dataset, text, fmt)
    run = PredictionRun.objects.create(
        dataset=dataset,
        name=name,
        model=PredictionRun.Model.EXTERNAL,
        params={"format": fmt},
        source_file=source_file[:255],
        report=planned.report,
        created_by=user if user is not None and user.is_authenticated else None,
        job=job,
        finished_at=timezone.now(),
    )
    for p in planned.predictions:
        p.run = run
    Prediction.objects.bulk_create(planned.predictions)
    evaluate_run(run)  # stores the MEGC figures shown with the dataset's runs, like the app's own runs
    return run


def read_text(data: bytes, source: str) -> str:
    """Decode a file (UTF-8, with or without BOM); a clear error otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PredictionImportError([f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
