"""Plain records shared by every reader and writer of annotation formats."""

from dataclasses import dataclass, field

KINDS = ("ME", "MaE", "blink", "other")

# How a format counts frames (FORMATS.md §1). Readers tag each record; the importer converts to
# the video's frame index when the video is known: index = number - video.first_frame_number.
FRAME_FILE_NUMBER = "file_number"  # number in the image file name (CASME II, SAMM, CAS(ME)^3 A)
FRAME_POSITION_1 = "position_1"  # 1-based position in the (long) video (SAMM-LV, CAS(ME)^2)
FRAME_RELATIVE_1 = "relative_1"  # clip-relative 1..N (MMEW)
FRAME_INDEX_0 = "index_0"  # 0-based frame index (generic csv, app exports)


@dataclass
class Provenance:
    file: str
    sheet: str | None = None
    row: int | None = None  # 1-based row number as the spreadsheet program shows it


@dataclass
class IntervalRecord:
    subject: str  # subject id as written in the sheet
    video: str  # clip or video id as written (Filename column, folder name, MEGC id)
    kind: str  # one of KINDS
    onset: int | None  # frame number in `frame_convention`; None = unknown
    apex: int | None = None
    offset: int | None = None
    aus: str = ""  # action units exactly as written
    emotion: str = ""  # emotion exactly as written
    notes: str = ""
    frame_convention: str = FRAME_FILE_NUMBER
    first_frame: int | None = None  # SMIC-E FirstF: absolute number of the clip's first image
    extra: dict[str, str] = field(default_factory=dict)  # other cells kept (objective class...)
    raw: dict[str, str] = field(default_factory=dict)  # every original cell, as written
    provenance: Provenance | None = None


@dataclass
class SentinelNote:
    row: int
    column: str
    value: str
    mapped_to: str


@dataclass
class RefusedRow:
    row: int
    reason: str


@dataclass
class ImportReport:
    format: str
    file: str
    rows_read: int = 0
    records: list[IntervalRecord] = field(default_factory=list)
    sentinels: list[SentinelNote] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class FormatError(ValueError):
    """The file as a whole cannot be read in this format (wrong layout, corrupt, encrypted)."""
