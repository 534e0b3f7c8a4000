"""What every writer takes (videos and intervals with 0-based frame indices) and gives back (a report).

Frames are 0-based indices everywhere in the app; each writer converts to its format's own count
(FORMATS.md §1) through the helpers here, so a conversion is written once and reported once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from annotator.formats.records import KINDS


class ExportError(ValueError):
    """The export cannot be made (empty, inconsistent interval, bad option); nothing is written."""


@dataclass(frozen=True)
class ExportVideo:
    video_id: str  # the app's id, unique
    subject: str  # as the dataset writes it (`01`, `006`, `s15`)
    fps: float
    frame_count: int
    first_frame_number: int | None  # dataset number of index 0; None = video file without numbers
    name: str  # clip or video name as the dataset writes it (`EP02_01f`, `006_1_2`)
    megc_id: str | None = None  # MEGC video id (`15_0401`, `006_1`)
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ExportError(f"video {self.video_id!r}: fps must be > 0, got {self.fps!r}")
        if self.frame_count <= 0:
            raise ExportError(f"video {self.video_id!r}: frame_count must be > 0, got {self.frame_count!r}")


@dataclass
class ExportInterval:
    video: ExportVideo
    kind: str  # one of records.KINDS
    onset: int  # 0-based frame index
    apex: int | None = None
    offset: int | None = None
    aus: str = ""  # as written by the coder
    emotion: str = ""
    notes: str = ""
    ref: str = ""  # the app's interval id, named in errors and skip reasons
    extra: dict[str, str] = field(default_factory=dict)  # objective class, self-reported emotion...

    def label(self) -> str:
        ref = f" {self.ref}" if self.ref else ""
        return f"interval{ref} ({self.kind} {self.onset}-{self.offset}) of video {self.video.video_id!r}"


@dataclass
class Skipped:
    interval: str
    reason: str


@dataclass
class ExportReport:
    format: str
    path: str = ""
    counts: Counter[str] = field(default_factory=Counter)  # intervals_in, videos_in, intervals_written...
    conventions: list[str] = field(default_factory=list)  # frame count and sentinels applied
    sentinels: Counter[str] = field(default_factory=Counter)  # "apex unknown -> '/'": how many
    skipped: list[Skipped] = field(default_factory=list)
    sha256: str = ""  # of the content (of sorted member names and contents for folders)

    def convention(self, text: str) -> None:
        if text not in self.conventions:
            self.conventions.append(text)

    def skip(self, interval: ExportInterval, reason: str) -> None:
        self.skipped.append(Skipped(interval.label(), reason))


def check_interval(iv: ExportInterval) -> None:
    """Refuse an interval the app should never hold: wrong kind, frames outside the video, disorder."""
    if iv.kind not in KINDS:
        raise ExportError(f"{iv.label()}: kind must be one of {KINDS}")
    n = iv.video.frame_count
    for name in ("onset", "apex", "offset"):
        value = getattr(iv, name)
        if value is not None and not (isinstance(value, int) and 0 <= value < n):
            raise ExportError(f"{iv.label()}: {name} {value!r} is not a frame index in [0, {n})")
    last = iv.offset if iv.offset is not None else n - 1
    if iv.apex is not None and not iv.onset <= iv.apex <= last:
        raise ExportError(f"{iv.label()}: apex {iv.apex} is outside onset..offset")
    if iv.offset is not None and iv.offset < iv.onset:
        raise ExportError(f"{iv.label()}: offset {iv.offset} is before onset {iv.onset}")


def sort_key(iv: ExportInterval) -> tuple:
    """A total order independent of how the caller queried the intervals: same input, same bytes."""
    v = iv.video
    return (
        v.subject,
        v.name,
        v.video_id,
        iv.onset,
        iv.offset if iv.offset is not None else -1,
        iv.apex if iv.apex is not None else -1,
        iv.kind,
        iv.aus,
        iv.emotion,
        iv.notes,
        iv.ref,
    )


def prepare(intervals: list[ExportInterval], report: ExportReport) -> list[ExportInterval]:
    """Check and sort the input; an empty export is an error, not an empty file."""
    if not intervals:
        raise ExportError(f"{report.format}: nothing to export (no intervals)")
    for iv in intervals:
        check_interval(iv)
    report.counts["intervals_in"] = len(intervals)
    report.counts["videos_in"] = len({iv.video.video_id for iv in intervals})
    return sorted(intervals, key=sort_key)


def file_number(iv: ExportInterval, index: int) -> int:
    """Dataset frame number in the image file name: first_frame_number + index."""
    assert iv.video.first_frame_number is not None
    return iv.video.first_frame_number + index


def position_1(index: int) -> int:
    """1-based position in the video (SAMM-LV, CAS(ME)^2, MMEW clip-relative, MEGC files)."""
    return index + 1


def kept(
    intervals: list[ExportInterval],
    report: ExportReport,
    kinds: tuple[str, ...],
    *,
    needs_numbers: bool = False,
    needs_offset: bool = False,
) -> list[ExportInterval]:
    """The intervals this format can hold; every other one is skipped with its reason."""
    out = []
    for iv in intervals:
        if iv.kind not in kinds:
            report.skip(iv, f"{report.format} holds only {', '.join(kinds)}")
        elif needs_numbers and iv.video.first_frame_number is None:
            report.skip(iv, f"{report.format} counts frames by image file number; video has none")
        elif needs_offset and iv.offset is None:
            report.skip(iv, f"offset unknown; {report.format} has no way to write an open interval")
        else:
            out.append(iv)
    if not out:
        raise ExportError(
            f"{report.format}: none of the {len(intervals)} intervals fits this format "
            f"(first reason: {report.skipped[0].reason})"
        )
    return out


def frame_or(value: int | None, convert, sentinel, field_name: str, report: ExportReport):
    """Converted frame, or the format's sentinel for unknown, counted in the report."""
    if value is not None:
        return convert(value)
    shown = "empty cell" if sentinel is None else repr(sentinel)
    report.sentinels[f"{field_name} unknown -> {shown}"] += 1
    return sentinel
