"""Per-frame action-unit matrix (FORMATS.md §6): one row per frame, one 0/1 column per AU.

A frame gets 1 for an AU when an interval that lists the AU covers it (onset..offset inclusive).
Sides, intensities and uncertainty marks are dropped: the matrix says which AU moves, not how.
Alternatives (`12/14`) mark every alternative: the coder saw one of them move.
"""

from __future__ import annotations

from itertools import groupby

import numpy as np

from annotator.formats.aus import parse_aus
from annotator.formats.writers.model import ExportInterval, ExportReport, kept
from annotator.formats.writers.output import text_bytes


def au_numbers(aus: str, report: ExportReport) -> list[int]:
    """AU numbers of a cell (annotator.formats.aus); what it cannot read is reported, not guessed."""
    parsed = parse_aus(aus)
    for fragment in parsed.fragments:
        report.sentinels[f"AU text {fragment.text!r} not an AU, ignored"] += 1
    if any(t.group is not None for t in parsed.tokens):
        report.sentinels["AU alternatives (12/14): every alternative marked"] += 1
    return [t.au for t in parsed.tokens]


def au_matrix(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    chosen = kept(intervals, report, ("ME", "MaE", "blink", "other"), needs_offset=True)
    parsed = {id(iv): au_numbers(iv.aus, report) for iv in chosen}
    columns = sorted({n for numbers in parsed.values() for n in numbers})
    if not columns:
        report.convention("no interval lists an AU: the matrix has only video and frame columns")
    position = {n: c for c, n in enumerate(columns)}
    lines = [",".join(["video", "frame", *(f"AU{n:02d}" for n in columns)])]
    for video, items in groupby(chosen, key=lambda iv: iv.video):
        matrix = np.zeros((video.frame_count, len(columns)), dtype=np.uint8)
        for iv in items:
            for n in parsed[id(iv)]:
                matrix[iv.onset : iv.offset + 1, position[n]] = 1
        prefix = video.name.replace(",", "_")
        lines += [
            f"{prefix},{i}" + "".join("," + str(v) for v in row) for i, row in enumerate(matrix.tolist())
        ]
        report.counts["videos"] += 1
        report.counts["frames"] += video.frame_count
    report.convention("frame = 0-based index; one row per frame of each exported video; AU columns AUnn")
    report.counts["intervals_written"] = len(chosen)
    return text_bytes(lines)
