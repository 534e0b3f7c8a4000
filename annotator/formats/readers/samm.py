"""SAMM (MICRO_ONLY sheet, header on row 14) and SAMM long videos (header on row 10).

SAMM frames are numbers in the session's image names; SAMM-LV frames are 1-based positions in the
long video, where onset 0 means "already under way at the start" and apex -1 "not annotated":
both become unknown, and fractional frames are rounded half up (all noted in the report).
"""

import re

from ..records import FRAME_FILE_NUMBER, FRAME_POSITION_1, IntervalRecord
from .base import kind_of, table_reader
from .casme import need, record
from .table import Row, TableSpec

_MOVEMENT = re.compile(r"(\d+_\d+)_(\d+)")

SAMM = TableSpec(
    sheets=("MICRO_ONLY",),
    header_row=14,
    required={
        "subject": "Subject",
        "video": "Filename",
        "onset": "Onset Frame",
        "apex": "Apex Frame",
        "offset": "Offset Frame",
        "aus": "Action Units",
        "emotion": "Estimated Emotion",
    },
    optional={
        "inducement_code": "Inducement Code",
        "duration": "Duration",
        "micro": "Micro",
        "objective_class": "Objective Classes",
        "notes": "Notes",
    },
)
SAMM_LV = TableSpec(
    sheets=("FACS_Movement_Only",),
    header_row=10,
    required={
        "subject": "Subject",
        "video": "Filename",
        "onset": "Onset",
        "apex": "Apex",
        "offset": "Offset",
        "type": "Type",
        "aus": "Action Units",
    },
    optional={"inducement_code": "Inducement Code", "duration": "Duration", "notes": "Notes"},
)


def _samm_row(row: Row) -> list[IntervalRecord]:
    rec = record(
        row, "ME", FRAME_FILE_NUMBER, extra=("inducement_code", "duration", "micro", "objective_class")
    )
    rec.notes = row.text("notes")
    row.check_length("duration", rec.onset, rec.offset)
    return [rec]


def _samm_lv_row(row: Row) -> list[IntervalRecord]:
    kind = kind_of(need(row, "type"))
    rec = record(row, kind, FRAME_POSITION_1, extra=("inducement_code", "duration", "type"))
    # Filename `006_1_3` is movement 3 of the long video `006_1` (folder `006_1/006_1_0001.jpg`).
    if movement := _MOVEMENT.fullmatch(rec.video.strip()):
        rec.video, rec.extra["movement"] = movement.group(1), movement.group(2)
    rec.notes = row.text("notes")
    row.check_length("duration", rec.onset, rec.offset)
    return [rec]


READERS = (table_reader("samm", SAMM, _samm_row), table_reader("samm-lv", SAMM_LV, _samm_lv_row))
