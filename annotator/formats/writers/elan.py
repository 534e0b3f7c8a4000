"""ELAN `.eaf` (FORMATS.md §6), one file per video, written with pympi-ling.

Times are milliseconds: a 1-based frame f starts at round_half_up((f - 1) * 1000 / fps), so the
0-based index i starts at round_half_up(i * 1000 / fps); an interval ends where the frame after its
offset starts, so the offset frame is inside it. Per kind present: a tier of intervals (value: notes),
`<kind> apex` (a one-frame annotation), `<kind> AUs` and `<kind> emotion` spanning the interval.
Tiers per kind keep an ME and an overlapping MaE off the same tier.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from itertools import groupby

from pympi.Elan import Eaf, to_string

from annotator.formats.writers.model import ExportError, ExportInterval, ExportReport, ExportVideo, kept

FIXED_DATE = "2000-01-01T00:00:00+00:00"
# Fixed here, not from the mimetypes module, whose answers depend on the machine's tables.
MIME = {"mp4": "video/mp4", "avi": "video/x-msvideo", "mov": "video/quicktime", "mkv": "video/x-matroska"}


def frame_ms(index: int, fps: float) -> int:
    """Start time in ms of the frame with 0-based `index` (1-based frame index + 1)."""
    return math.floor(index * 1000 / fps + 0.5)


def safe_name(text: str) -> str:
    """A file name part with only letters, digits, `-`, `_`, `.` (no folders, no surprises)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-") or "video"


def _eaf(video: ExportVideo, intervals: list[ExportInterval], media: str) -> bytes:
    eaf = Eaf(author="mestudio")
    eaf.adocument["DATE"] = FIXED_DATE
    eaf.remove_tier("default")
    eaf.add_linked_file(media, relpath=media, mimetype=MIME.get(media.rsplit(".", 1)[-1].lower(), "video/*"))
    for kind in sorted({iv.kind for iv in intervals}):
        for tier in (kind, f"{kind} apex", f"{kind} AUs", f"{kind} emotion"):
            eaf.add_tier(tier)
    for iv in intervals:
        start, end = frame_ms(iv.onset, video.fps), frame_ms(iv.offset + 1, video.fps)
        if start >= end:
            raise ExportError(f"{iv.label()}: {video.fps} fps is finer than ELAN's 1 ms")
        eaf.add_annotation(iv.kind, start, end, iv.notes)
        if iv.apex is not None:
            eaf.add_annotation(
                f"{iv.kind} apex", frame_ms(iv.apex, video.fps), frame_ms(iv.apex + 1, video.fps), "apex"
            )
        if iv.aus:
            eaf.add_annotation(f"{iv.kind} AUs", start, end, iv.aus)
        if iv.emotion:
            eaf.add_annotation(f"{iv.kind} emotion", start, end, iv.emotion)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + to_string(eaf, encoding="UTF-8")


def eaf_files(
    intervals: list[ExportInterval], report: ExportReport, *, media_url: str = "{name}.mp4"
) -> Iterator[tuple[str, bytes]]:
    """`<subject>_<name>.eaf` per video, in sorted order (intervals come sorted by video).

    `media_url` (formatted with the video's fields) is the linked media: ELAN opens it beside the
    .eaf, and readers take the video name from it.
    """
    chosen = kept(intervals, report, ("ME", "MaE", "blink", "other"), needs_offset=True)
    report.convention(
        "ms = round_half_up(index * 1000 / fps) = round((frame - 1) * 1000 / fps), "
        "1-based frame; an interval ends at the start of the frame after its offset"
    )
    report.counts["intervals_written"] = len(chosen)
    for video, items in groupby(chosen, key=lambda iv: iv.video):
        report.counts["files"] += 1
        yield (
            f"{safe_name(video.subject)}_{safe_name(video.name)}.eaf",
            _eaf(video, list(items), media_url.format(**vars(video))),
        )
