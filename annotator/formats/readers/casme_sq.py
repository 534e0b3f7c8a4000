"""CAS(ME)^2 `CAS(ME)^2code_final.xlsx`: three sheets without header rows, joined by naming rules.

`CASFEcode_final` rows name a participant index (1-22) and an expression id (`anger1_1`); the media
and the MEGC ids use the folder (`s15`) and video code (`0401`) instead, found through
`naming rule1` (folder number | folder | participant) and `naming rule2` (code | video name).
Records carry subject `s15` and video `15_0401`; the written cells stay in `raw` and `extra`.
"""

from pathlib import Path
from typing import Any

from ..records import FRAME_POSITION_1, FormatError, ImportReport, IntervalRecord
from .base import Reader, kind_of, read_workbook
from .cells import RowContext, RowRefused, text
from .ids import casme_sq_video, normalise_subject
from .table import collect
from .workbook import Book

CODE_SHEET = "CASFEcode_final"
RULE1_SHEET = "naming rule1"
RULE2_SHEET = "naming rule2"
COLUMNS = ("participant", "expression", "onset", "apex", "offset", "aus", "emotion", "type", "self_report")


def _naming(book: Book) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """participant index -> (folder number, folder name); video name -> 4-digit code."""
    missing = [name for name in (RULE1_SHEET, RULE2_SHEET) if book.find_sheet(name) is None]
    if missing:
        raise FormatError(
            f"{book.path.name}: missing sheet(s) {', '.join(missing)} (sheets: {', '.join(book.sheet_names)})"
        )
    folders = {}
    for _, values in book.rows(book.find_sheet(RULE1_SHEET)):
        cells = [text(v) for v in values[:3]]
        if len(cells) == 3 and cells[0].isdigit() and cells[2].isdigit():
            folders[normalise_subject(cells[2])] = (cells[0], cells[1])
    codes = {}
    for _, values in book.rows(book.find_sheet(RULE2_SHEET)):
        cells = [text(v) for v in values[:2]]
        if len(cells) == 2 and cells[0].isdigit() and cells[1]:
            codes[cells[1].lower()] = cells[0].zfill(4)
    if not folders or not codes:
        empty = RULE1_SHEET if not folders else RULE2_SHEET
        raise FormatError(f"{book.path.name}: sheet {empty!r} has no naming rows")
    return folders, codes


def _row_reader(folders: dict[str, tuple[str, str]], codes: dict[str, str]) -> Any:
    def read_row(ctx: RowContext, values: list[Any]) -> list[IntervalRecord]:
        cells = dict(zip(COLUMNS, values + [None] * len(COLUMNS), strict=False))
        shown = {name: text(value) for name, value in cells.items()}
        participant, expression = shown["participant"], shown["expression"]
        if normalise_subject(participant) not in folders:
            raise RowRefused(f"participant {participant!r} is not in sheet {RULE1_SHEET!r}")
        number, folder = folders[normalise_subject(participant)]
        name = expression.rsplit("_", 1)[0].lower()
        if name not in codes:
            raise RowRefused(
                f"video name {name!r} of expression {expression!r} is not in sheet {RULE2_SHEET!r}"
            )
        onset = ctx.frame("onset (C)", cells["onset"], required=True)
        apex = ctx.frame("apex (D)", cells["apex"])
        offset = ctx.frame("offset (E)", cells["offset"], required=True)
        if onset is None and offset is None:
            raise RowRefused("neither onset nor offset is known")
        return [
            IntervalRecord(
                subject=folder,
                video=casme_sq_video(number, codes[name]),
                kind=kind_of(shown["type"]),
                onset=onset,
                apex=ctx.check_interval(onset, apex, offset),
                offset=offset,
                aus=shown["aus"],
                emotion=shown["emotion"],
                frame_convention=FRAME_POSITION_1,
                extra={
                    "participant": participant,
                    "expression_id": expression,
                    "video_name": name,
                    "self_reported_emotion": shown["self_report"],
                },
                raw={column: value for column, value in shown.items() if value},
            )
        ]

    return read_row


def _read(path: Path, sheet: str | None, options: dict[str, Any]) -> ImportReport:
    def body(book: Book, report: ImportReport, sheet: str | None) -> None:
        name = book.find_sheet(sheet or CODE_SHEET)
        if name is None:
            raise FormatError(
                f"{path.name}: no sheet {sheet or CODE_SHEET!r} (sheets: {', '.join(book.sheet_names)})"
            )
        folders, codes = _naming(book)
        collect(report, name, book.rows(name), _row_reader(folders, codes))

    return read_workbook(path, "casme-sq", sheet, body)


def _match(path: Path, book: Book | None) -> str:
    if book is None:
        raise FormatError("not a workbook")
    if book.find_sheet(CODE_SHEET) is None:
        raise FormatError(f"no sheet {CODE_SHEET!r}")
    _naming(book)
    return f"sheets {CODE_SHEET!r}, {RULE1_SHEET!r}, {RULE2_SHEET!r}"


READERS = (Reader("casme-sq", "workbook", _read, _match),)
