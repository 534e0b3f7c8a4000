"""The app's own interval table, the layout the generic importer reads back (0-based indices)."""

from __future__ import annotations

import csv
import io

from annotator.formats.writers.model import ExportInterval, ExportReport

HEADER = ["video", "kind", "onset", "apex", "offset", "aus", "emotion", "subject", "notes"]


def _cell(value: int | None) -> str:
    return "" if value is None else str(value)


def generic_csv(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for iv in intervals:
        w.writerow(
            [
                iv.video.name,
                iv.kind,
                iv.onset,
                _cell(iv.apex),
                _cell(iv.offset),
                iv.aus,
                iv.emotion,
                iv.video.subject,
                iv.notes,
            ]
        )
    report.convention("frames: 0-based index; unknown apex/offset left empty")
    report.counts["intervals_written"] = len(intervals)
    return buf.getvalue().encode("utf-8")
