"""Small workbooks in each dataset's real layout, built inside the tests (never real dataset files).

Each builder takes data rows in the layout's column order and returns the written path. Shared by
the reader and exporter tests.
"""

import struct
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


# --- .xls (BIFF8 in an OLE compound file): xlwt is not installed, so the tests write their own ---

FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MINI_CUTOFF = 4096


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(dt: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0, 0, 0, 0x0006))


def _cell(row: int, col: int, value: Any) -> bytes:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _record(0x0203, struct.pack("<HHHd", row, col, 0, float(value)))  # NUMBER
    text = str(value)
    return _record(
        0x0204, struct.pack("<HHHHB", row, col, 0, len(text), 1) + text.encode("utf-16-le")
    )  # LABEL


def biff8(sheets: dict[str, Rows], encrypted: bool = False) -> bytes:
    """A BIFF8 Workbook stream: globals (sheet list, FILEPASS if `encrypted`) then each sheet."""
    bodies = []
    for rows in sheets.values():
        cells = b"".join(
            _cell(r, c, v)
            for r, row in enumerate(rows)
            for c, v in enumerate(row)
            if v is not None and v != ""
        )
        width = max((len(row) for row in rows), default=0)
        dims = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        bodies.append(_bof(0x0010) + dims + cells + _record(0x000A))
    names = [name.encode("utf-16-le") for name in sheets]
    filepass = _record(0x002F, b"\x01\x00" + bytes(52)) if encrypted else b""
    globals_size = len(_bof(0x0005) + filepass) + sum(4 + 8 + len(n) for n in names) + 4
    sheet_records, offset = b"", globals_size
    for name, raw, body in zip(sheets, names, bodies, strict=True):
        sheet_records += _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 1) + raw)
        offset += len(body)
    return _bof(0x0005) + filepass + sheet_records + _record(0x000A) + b"".join(bodies)


def _dir_entry(
    name: str = "",
    kind: int = 0,
    start: int = 0,
    size: int = 0,
    child: int = NO_STREAM,
    right: int = NO_STREAM,
) -> bytes:
    """One 128-byte directory entry (kind 5 root, 2 stream, 0 unused); all nodes black."""
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1 if name else 0)
        + struct.pack("<III", NO_STREAM, right, child)
        + bytes(16 + 4 + 16)
        + struct.pack("<IQ", start, size)
    )


def ole(path: Path, name: str, data: bytes, sibling: str | None = None) -> Path:
    """An OLE compound file (version 3, 512-byte sectors) with one stream, plus an optional empty one.

    Streams are padded to the mini-stream cutoff so they live in ordinary sectors.
    """
    data = data.ljust(MINI_CUTOFF, b"\0")
    count = -(-len(data) // 512)
    if count > 125:
        raise ValueError("test workbook too large for one FAT sector")
    fat = [FAT_SECTOR, END] + [3 + i for i in range(count - 1)] + [END]
    fat += [FREE] * (128 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, MINI_CUTOFF, END, 0, END, 0)
        + struct.pack("<109I", 0, *[FREE] * 108)
    )
    directory = (
        _dir_entry("Root Entry", 5, END, 0, child=1)
        + _dir_entry(name, 2, 2, len(data), right=2 if sibling else NO_STREAM)
        + (_dir_entry(sibling, 2, END, 0) if sibling else _dir_entry())
        + _dir_entry()
    )
    body = struct.pack("<128I", *fat) + directory + data.ljust(count * 512, b"\0")
    path.write_bytes(header + body)
    return path


def xls(path: Path, sheets: dict[str, Rows], encrypted: bool = False) -> Path:
    return ole(path, "Workbook", biff8(sheets, encrypted))


def encrypted_xlsx(path: Path) -> Path:
    """The container Office writes for a password-protected .xlsx (contents are not real ciphertext)."""
    return ole(path, "EncryptedPackage", b"\x08\x00\x00\x00" + bytes(64), sibling="EncryptionInfo")
