"""Small workbooks in each dataset's real layout, built inside the tests (never real dataset files).

Each builder takes data rows in the layout's column order and returns the written path. Shared by
the reader and exporter tests.
"""

from pathlib import Path
from typing import Any

import openpyxl
from pympi.Elan import Eaf

Rows = list[list[Any]]

CASME2_HEADER = [
    "Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None,
    "Action Units", "Estimated Emotion", "Objective Classes",
]  # fmt: skip
SAMM_HEADER = [
    "Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
    "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes",
]  # fmt: skip
SAMM_LV_HEADER = [
    "Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
    "Action Units", "Notes",
]  # fmt: skip
CASME3_A_HEADER = [
    "Subject",
    "Filename",
    "Onset",
    "Apex",
    "Offset",
    "AU",
    "Expression type",
    "Objective class",
]
CASME3_BLINK_HEADER = ["Subject", "Filename", "Onset", "Offset"]
CASME3_LABEL_HEADER = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]
CASME3_C_HEADER = ["sub", "count", "onset", "offset", "au", "emotion"]
SMIC_E_HEADER = [
    "Subject", "Filename", "OnsetF", "OffsetF", "TotalMF1", "Onset2F", "Offset2F", "TotalMF2",
    "Onset3F", "Offset3F", "TotalMF3", "Emotion", "FirstF", "LastF", "TotalVL",
]  # fmt: skip
MMEW_HEADER = [
    "Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
    "remarks",
]  # fmt: skip
CSV_HEADER = ["video", "kind", "onset", "apex", "offset", "aus", "emotion", "subject", "notes"]


def workbook(path: Path, sheets: dict[str, Rows]) -> Path:
    """Write `sheets` (name -> rows, first sheet first) to an .xlsx file."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def banner(count: int) -> Rows:
    """Title and note rows above a header, as SAMM sheets have them (the last one left blank)."""
    return [[f"Banner line {i}"] for i in range(1, count)] + [[]]


def casme2(path: Path, rows: Rows) -> Path:
    return workbook(path, {"Sheet1": [CASME2_HEADER, *rows]})


def samm(path: Path, rows: Rows, banner_rows: int = 13) -> Path:
    return workbook(path, {"MICRO_ONLY": [*banner(banner_rows), SAMM_HEADER, *rows]})


def samm_lv(path: Path, rows: Rows) -> Path:
    return workbook(path, {"FACS_Movement_Only": [*banner(9), SAMM_LV_HEADER, *rows]})


def casme_sq(path: Path, rows: Rows, folders: Rows, codes: Rows) -> Path:
    """CAS(ME)^2: code rows, naming rule1 (number, folder, participant), rule2 (code, name)."""
    return workbook(path, {"CASFEcode_final": rows, "naming rule1": folders, "naming rule2": codes})


def casme3_a(path: Path, rows: Rows, blinks: Rows) -> Path:
    return workbook(
        path, {"AU+Emotion": [CASME3_A_HEADER, *rows], "eye blink": [CASME3_BLINK_HEADER, *blinks]}
    )


def casme3_label(path: Path, rows: Rows) -> Path:
    return workbook(path, {"label": [CASME3_LABEL_HEADER, *rows]})


def casme3_c(path: Path, rows: Rows) -> Path:
    return workbook(path, {"mockCrimeME": [CASME3_C_HEADER, *rows]})


def smic_e(path: Path, rows: Rows, notes: list[str] = ()) -> Path:
    """SMIC-E table, a blank row, then free-text note rows under it."""
    tail = [[], *([n] for n in notes)] if notes else []
    return workbook(path, {"Sheet1": [SMIC_E_HEADER, *rows, *tail]})


def mmew(path: Path, rows: Rows) -> Path:
    return workbook(path, {"Sheet1": [MMEW_HEADER, *rows]})


def csv_file(path: Path, rows: Rows, header: list[str] = CSV_HEADER) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def smic_tree(root: Path, clips: dict[str, range]) -> Path:
    """Empty image files for each clip folder (path relative to root -> image numbers)."""
    for folder, numbers in clips.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for n in numbers:
            (root / folder / f"image{n:06d}.bmp").write_bytes(b"")
    return root


def eaf(path: Path, tiers: dict[str, list[tuple[int, int, str]]], media: str | None = None) -> Path:
    """An ELAN file with the given tiers of (start ms, end ms, value) annotations."""
    doc = Eaf()
    doc.remove_tier("default")
    if media:
        doc.add_linked_file(media, mimetype="video/mp4")
    for name, annotations in tiers.items():
        doc.add_tier(name)
        for start, end, value in annotations:
            doc.add_annotation(name, start, end, value)
    doc.to_file(str(path))
    return path
