"""CASME II and CAS(ME)^3 (parts A and C): header-row sheets, one interval per row.

CASME II has blank spacer columns and only MEs; CAS(ME)^3 part A mixes micro and macro rows
(`Expression type`) and keeps eye blinks on their own sheet; its ME_label_JpgIndex variant has a
single `label` sheet. Part C (mock crime) has no apex and comma-separated AUs.
"""

from pathlib import Path
from typing import Any

from ..records import FRAME_FILE_NUMBER, FRAME_POSITION_1, FormatError, ImportReport, IntervalRecord
from .base import Reader, kind_of, match_table, read_workbook, table_reader
from .cells import RowRefused
from .table import Row, TableSpec, find_table, read_sheet
from .workbook import Book

CASME2 = TableSpec(
    sheets=(),
    header_row=1,
    required={
        "subject": "Subject",
        "video": "Filename",
        "onset": "OnsetFrame",
        "apex": "ApexFrame",
        "offset": "OffsetFrame",
        "aus": "Action Units",
        "emotion": "Estimated Emotion",
    },
    optional={"objective_class": "Objective Classes", "remarks": "remarks"},
)
CASME3_A = TableSpec(
    sheets=("AU+Emotion",),
    header_row=1,
    required={
        "subject": "Subject",
        "video": "Filename",
        "onset": "Onset",
        "apex": "Apex",
        "offset": "Offset",
        "aus": "AU",
        "type": "Expression type",
    },
    optional={"objective_class": "Objective class", "emotion": "emotion"},
)
CASME3_BLINK = TableSpec(
    sheets=("eye blink",),
    header_row=1,
    required={"subject": "Subject", "video": "Filename", "onset": "Onset", "offset": "Offset"},
)
CASME3_LABEL = TableSpec(
    sheets=("label",),
    header_row=1,
    required={
        "subject": "Subject",
        "video": "Filename",
        "onset": "Onset",
        "apex": "Apex",
        "offset": "Offset",
        "aus": "AU",
        "objective_class": "Objective class",
        "emotion": "emotion",
    },
)
CASME3_C = TableSpec(
    sheets=("mockCrimeME",),
    header_row=1,
    required={
        "subject": "sub",
        "count": "count",
        "onset": "onset",
        "offset": "offset",
        "aus": "au",
        "emotion": "emotion",
    },
)


def need(row: Row, role: str) -> str:
    value = row.text(role)
    if not value:
        raise RowRefused(f"column {row.names[role]} is empty")
    return value


def record(
    row: Row, kind: str, convention: str, *, video: str | None = None, extra: tuple[str, ...] = ()
) -> IntervalRecord:
    """The usual one-interval row: subject, video, onset/apex/offset, AUs, emotion."""
    onset, apex, offset = row.interval()
    return IntervalRecord(
        subject=row.text("subject"),
        video=need(row, "video") if video is None else video,
        kind=kind,
        onset=onset,
        apex=apex,
        offset=offset,
        aus=row.text("aus"),
        emotion=row.text("emotion"),
        frame_convention=convention,
        extra={role: row.text(role) for role in extra if row.text(role)},
        raw=row.raw,
    )


def _me_row(row: Row) -> list[IntervalRecord]:
    return [record(row, "ME", FRAME_FILE_NUMBER, extra=("objective_class",))]


def _casme3_row(row: Row) -> list[IntervalRecord]:
    kind = kind_of(need(row, "type"))
    return [record(row, kind, FRAME_FILE_NUMBER, extra=("objective_class",))]


def _blink_row(row: Row) -> list[IntervalRecord]:
    return [record(row, "blink", FRAME_FILE_NUMBER)]


def _part_c_row(row: Row) -> list[IntervalRecord]:
    # One long video per subject: the subject names the video; `count` numbers its MEs.
    return [record(row, "ME", FRAME_POSITION_1, video=need(row, "subject"), extra=("count",))]


def _match_casme2(path: Path, book: Book | None) -> str:
    reason = match_table(book, CASME2)
    table, _ = find_table(book, book.sheet_names[0], CASME2)
    if "remarks" in table.columns and "objective_class" not in table.columns:
        raise FormatError("has a 'remarks' column and no 'Objective Classes': the MMEW layout")
    return reason


CASME3_SHEETS = ((CASME3_A, _casme3_row), (CASME3_BLINK, _blink_row), (CASME3_LABEL, _me_row))


def _read_casme3_a(path: Path, sheet: str | None, options: dict[str, Any]) -> ImportReport:
    def body(book: Book, report: ImportReport, sheet: str | None) -> None:
        present = [(book.find_sheet(*spec.sheets), spec, make) for spec, make in CASME3_SHEETS]
        present = [found for found in present if found[0] is not None]
        if sheet is not None:
            present = [found for found in present if found[0] == book.find_sheet(sheet)]
            if not present:
                raise FormatError(f"{path.name}: no AU+Emotion, eye blink or label sheet named {sheet!r}")
        elif all(spec is CASME3_BLINK for _, spec, _ in present):
            raise FormatError(
                f"{path.name}: no sheet 'AU+Emotion' or 'label' (sheets: {', '.join(book.sheet_names)})"
            )
        for name, spec, make in present:
            read_sheet(book, report, spec, name, make)

    return read_workbook(path, "casme3-a", sheet, body)


def _match_casme3_a(path: Path, book: Book | None) -> str:
    errors = []
    for spec in (CASME3_A, CASME3_LABEL):
        try:
            return match_table(book, spec)
        except FormatError as exc:
            errors.append(str(exc))
    raise FormatError("; ".join(errors))


READERS = (
    table_reader("casme2", CASME2, _me_row, _match_casme2),
    Reader("casme3-a", "workbook", _read_casme3_a, _match_casme3_a),
    table_reader("casme3-c", CASME3_C, _part_c_row),
)
