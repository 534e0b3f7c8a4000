"""Per-frame action-unit matrix (FORMATS.md §6): one row per frame, one 0/1 column per AU.

A frame gets 1 for an AU when an interval that lists the AU covers it (onset..offset inclusive).
Sides, intensities and uncertainty marks are dropped: the matrix says which AU moves, not how.
"""

from __future__ import annotations

import re
from itertools import groupby

import numpy as np

from annotator.formats.writers.model import ExportInterval, ExportReport, kept

_SPLIT = re.compile(r"\+|,|，|\bor\b|\s+")
_TOKEN = re.compile(r"^(?:AU)?[LRATB]?(\d+)", re.IGNORECASE)


def au_numbers(aus: str) -> tuple[list[int], list[str]]:
    """AU numbers of an AU string (`4+L10`, `AU4(k)`, `1,2`) and the tokens that name none.

    A minimal local parser: annotator/formats/aus.parse_aus was not committed when this was written.
    Alternatives (`4/7`) count the first AU only.
    """
    numbers, unread = [], []
    for token in filter(None, (t.strip() for t in _SPLIT.split(aus))):
        m = _TOKEN.match(token)
        if m:
            numbers.append(int(m.group(1)))
        else:
            unread.append(token)
    return numbers, unread


def au_matrix(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    chosen = kept(intervals, report, ("ME", "MaE", "blink", "other"), needs_offset=True)
    parsed = {}
    for iv in chosen:
        numbers, unread = au_numbers(iv.aus)
        parsed[id(iv)] = numbers
        for token in unread:
            report.sentinels[f"AU token {token!r} not an AU, ignored"] += 1
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
    return "".join(line + "\n" for line in lines).encode("utf-8")
