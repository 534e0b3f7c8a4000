"""The datasets' own coding sheets (FORMATS.md §2): same sheet names, banner rows, headers, columns.

Each layout lists its columns and builds one row per interval; the shared `workbook` places banner
and header rows where the dataset has them, so the readers find them there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook

from annotator.formats.writers.model import (
    ExportInterval,
    ExportReport,
    file_number,
    frame_or,
    kept,
    position_1,
)
from annotator.formats.writers.output import xlsx_bytes

Cell = str | int | None


@dataclass
class Sheet:
    title: str
    header_row: int  # 1-based; rows above it hold the banner; 0 = no header
    header: Sequence[str]
    rows: list[list[Cell]]
    banner: str = ""


def workbook(sheets: list[Sheet]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        if sheet.banner:
            ws.cell(row=1, column=1, value=sheet.banner)
        if sheet.header_row:
            for col, name in enumerate(sheet.header, start=1):
                ws.cell(row=sheet.header_row, column=col, value=name or None)
        for r, row in enumerate(sheet.rows, start=sheet.header_row + 1):
            for col, value in enumerate(row, start=1):
                if value is not None and value != "":
                    ws.cell(row=r, column=col, value=value)
    return xlsx_bytes(wb)


def _frames(iv: ExportInterval, report: ExportReport, convert: Callable[[int], int], unknown: Cell):
    """(onset, apex, offset) in the format's count, sentinel for unknown apex/offset."""
    return (
        convert(iv.onset),
        frame_or(iv.apex, convert, unknown, "apex", report),
        frame_or(iv.offset, convert, unknown, "offset", report),
    )


def _strip_prefix(subject: str, prefix: str) -> str:
    return subject[len(prefix) :] if subject.lower().startswith(prefix) else subject


def casme2(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    rows = []
    for iv in kept(intervals, report, ("ME",), needs_numbers=True):
        on, ap, off = _frames(iv, report, lambda i, iv=iv: file_number(iv, i), "/")
        subject = _strip_prefix(iv.video.subject, "sub")
        rows.append(
            [
                subject,
                iv.video.name,
                None,
                on,
                ap,
                off,
                None,
                iv.aus,
                iv.emotion,
                iv.extra.get("objective_class", ""),
            ]
        )
    report.convention("frames: image file number = first_frame_number + index; unknown written '/'")
    report.convention("subject written without the 'sub' folder prefix")
    header = [
        "Subject",
        "Filename",
        "",
        "OnsetFrame",
        "ApexFrame",
        "OffsetFrame",
        "",
        "Action Units",
        "Estimated Emotion",
        "Objective Classes",
    ]
    report.counts["intervals_written"] = len(rows)
    return workbook([Sheet("Sheet1", 1, header, rows)])


def samm(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    rows = []
    for iv in kept(intervals, report, ("ME",), needs_numbers=True):
        on, ap, off = _frames(iv, report, lambda i, iv=iv: file_number(iv, i), -1)
        duration = iv.offset - iv.onset + 1 if iv.offset is not None else None
        rows.append(
            [
                iv.video.subject,
                iv.video.name,
                iv.extra.get("inducement_code", ""),
                on,
                ap,
                off,
                duration,
                "Micro - 1/2",
                iv.aus,
                iv.emotion,
                iv.extra.get("objective_class", ""),
                iv.notes,
            ]
        )
    report.convention("frames: image file number = first_frame_number + index; unknown written -1")
    report.convention("Duration = Offset - Onset + 1, empty when offset unknown")
    header = [
        "Subject",
        "Filename",
        "Inducement Code",
        "Onset Frame",
        "Apex Frame",
        "Offset Frame",
        "Duration",
        "Micro",
        "Action Units",
        "Estimated Emotion",
        "Objective Classes",
        "Notes",
    ]
    report.counts["intervals_written"] = len(rows)
    return workbook([Sheet("MICRO_ONLY", 14, header, rows, banner="SAMM Micro FACS Codes (mestudio export)")])


SAMM_LV_TYPES = {"ME": "Micro - 1/2", "MaE": "Macro"}


def samm_lv(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    rows = []
    count: dict[str, int] = {}
    for iv in kept(intervals, report, ("ME", "MaE")):
        on, ap, off = _frames(iv, report, position_1, -1)
        duration = iv.offset - iv.onset + 1 if iv.offset is not None else None
        count[iv.video.video_id] = count.get(iv.video.video_id, 0) + 1
        filename = f"{iv.video.name}_{count[iv.video.video_id]}"
        rows.append(
            [
                iv.video.subject,
                filename,
                iv.extra.get("inducement_code", ""),
                on,
                ap,
                off,
                duration,
                SAMM_LV_TYPES[iv.kind],
                iv.aus,
                iv.notes,
            ]
        )
    report.convention("frames: 1-based position in the long video = index + 1; unknown written -1")
    report.convention("Filename = <video name>_<n>, n counting the video's intervals in onset order")
    if any(iv.emotion for iv in intervals):
        report.convention("emotion not written: the SAMM-LV sheet has no emotion column")
    header = [
        "Subject",
        "Filename",
        "Inducement Code",
        "Onset",
        "Apex",
        "Offset",
        "Duration",
        "Type",
        "Action Units",
        "Notes",
    ]
    report.counts["intervals_written"] = len(rows)
    return workbook(
        [
            Sheet(
                "FACS_Movement_Only", 10, header, rows, banner="SAMM Long Videos FACS codes (mestudio export)"
            )
        ]
    )


CASME3_TYPES = {"ME": "Micro-expression", "MaE": "Macro-expression"}


def casme3_a(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    expressions, blinks = [], []
    for iv in kept(intervals, report, ("ME", "MaE", "blink"), needs_numbers=True):
        if iv.kind == "blink":
            off = frame_or(iv.offset, lambda i, iv=iv: file_number(iv, i), None, "offset", report)
            blinks.append([iv.video.subject, iv.video.name, file_number(iv, iv.onset), off])
        else:
            on, ap, off = _frames(iv, report, lambda i, iv=iv: file_number(iv, i), None)
            expressions.append(
                [
                    iv.video.subject,
                    iv.video.name,
                    on,
                    ap,
                    off,
                    iv.aus,
                    CASME3_TYPES[iv.kind],
                    iv.extra.get("objective_class", ""),
                ]
            )
    report.convention("frames: n of color/n.jpg = first_frame_number + index; unknown left empty")
    if any(iv.emotion for iv in intervals):
        report.convention("emotion not written: the AU+Emotion sheet has only the objective class")
    report.counts["intervals_written"] = len(expressions) + len(blinks)
    return workbook(
        [
            Sheet(
                "AU+Emotion",
                1,
                [
                    "Subject",
                    "Filename",
                    "Onset",
                    "Apex",
                    "Offset",
                    "AU",
                    "Expression type",
                    "Objective class",
                ],
                expressions,
            ),
            Sheet("eye blink", 1, ["Subject", "Filename", "Onset", "Offset"], blinks),
        ]
    )


def mmew(intervals: list[ExportInterval], report: ExportReport) -> bytes:
    rows = []
    for iv in kept(intervals, report, ("ME",)):
        on, ap, off = _frames(iv, report, position_1, None)
        rows.append([iv.video.subject, iv.video.name, on, ap, off, iv.aus, iv.emotion, iv.notes])
    report.convention("frames: clip-relative 1..N = index + 1; unknown left empty")
    header = [
        "Subject",
        "Filename",
        "OnsetFrame",
        "ApexFrame",
        "OffsetFrame",
        "Action Units",
        "Estimated Emotion",
        "remarks",
    ]
    report.counts["intervals_written"] = len(rows)
    return workbook([Sheet("Sheet1", 1, header, rows)])
