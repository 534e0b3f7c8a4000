"""MMEW `MMEW_Micro_Exp.xlsx`: like CASME II, but frames are clip-relative (1.jpg ... N.jpg)."""

from ..records import FRAME_RELATIVE_1, IntervalRecord
from .base import table_reader
from .casme import record
from .table import Row, TableSpec

MMEW = TableSpec(
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
        "remarks": "remarks",
    },
)


def _row(row: Row) -> list[IntervalRecord]:
    rec = record(row, "ME", FRAME_RELATIVE_1)
    rec.notes = row.text("remarks")
    return [rec]


READERS = (table_reader("mmew", MMEW, _row),)
