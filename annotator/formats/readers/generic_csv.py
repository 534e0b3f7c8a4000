"""The generic CSV layout, for labels from any tool that can write a table.

Header row (names case-insensitive, any order, extra columns kept in `extra`):

    video, kind, onset, apex, offset, aus, emotion[, subject, notes]

- one interval per row; `kind` is ME, MaE, blink or other (case-insensitive);
- onset/apex/offset are **0-based frame indices** in the video (frame 0 is the first frame), so
  0 is a real frame here; empty, `/`, `NULL` or `-1` mean unknown;
- UTF-8 (a BOM is fine), comma-separated, quoted as usual. Row numbers in the report count the
  header as row 1, as a spreadsheet program shows the file.
"""

import csv
from pathlib import Path
from typing import Any

from ..records import FRAME_INDEX_0, KINDS, FormatError, ImportReport, IntervalRecord
from .base import Reader
from .cells import RowContext, RowRefused
from .table import collect

REQUIRED = ("video", "kind", "onset", "apex", "offset", "aus", "emotion")
OPTIONAL = ("subject", "notes")
_KINDS = {k.lower(): k for k in KINDS}


def _header(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise FormatError(f"{path.name}: malformed CSV ({exc})") from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FormatError(f"{path.name}: empty file")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FormatError(f"{path.name}: header on row 1 lacks column(s) {', '.join(missing)}")
    return header, rows[1:]


def _row_reader(header: list[str]) -> Any:
    def read_row(ctx: RowContext, values: list[Any]) -> list[IntervalRecord]:
        cells = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        kind = _KINDS.get(cells["kind"].lower())
        if kind is None:
            raise RowRefused(f"kind {cells['kind']!r} is not one of {', '.join(KINDS)}")
        if not cells["video"]:
            raise RowRefused("column video is empty")
        onset = ctx.frame("onset", cells["onset"], zero_unknown=False, required=True)
        apex = ctx.frame("apex", cells["apex"], zero_unknown=False)
        offset = ctx.frame("offset", cells["offset"], zero_unknown=False, required=True)
        if onset is None and offset is None:
            raise RowRefused("neither onset nor offset is known")
        known = set(REQUIRED) | set(OPTIONAL)
        return [
            IntervalRecord(
                subject=cells.get("subject", ""),
                video=cells["video"],
                kind=kind,
                onset=onset,
                apex=ctx.check_interval(onset, apex, offset),
                offset=offset,
                aus=cells["aus"],
                emotion=cells["emotion"],
                notes=cells.get("notes", ""),
                frame_convention=FRAME_INDEX_0,
                extra={k: v for k, v in cells.items() if k not in known and v},
                raw={k: v for k, v in cells.items() if v},
            )
        ]

    return read_row


def _read(path: Path, sheet: str | None, options: dict[str, Any]) -> ImportReport:
    header, rows = _header(path)
    report = ImportReport(format="csv", file=str(path))
    collect(report, None, enumerate(rows, start=2), _row_reader(header))
    return report


def _match(path: Path, book: object) -> str:
    if path.is_dir() or book is not None:
        raise FormatError("not a CSV file")
    _header(path)
    return f"CSV header with {', '.join(REQUIRED)}"


READERS = (Reader("csv", "csv", _read, _match),)
