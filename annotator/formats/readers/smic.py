"""SMIC: the SMIC-E sheet (up to three MEs per row) and the SMIC clip-folder tree.

SMIC-E frames are absolute image numbers; FirstF is the long clip's first image, kept on each record
so the importer can place the ME in the clip. Free-text notes under the table are refused with
their text, not dropped. The original SMIC has no sheet: every folder of images under a `micro`
folder is one ME, labelled by its parent folder (`negative`, `positive`, `surprise`); onset and
offset are the first and last image numbers, apex unknown.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..records import FRAME_FILE_NUMBER, FormatError, ImportReport, IntervalRecord, Provenance
from .base import Reader, table_reader
from .cells import RowRefused
from .table import Row, TableSpec

SMIC_E = TableSpec(
    sheets=(),
    header_row=1,
    required={
        "subject": "Subject",
        "video": "Filename",
        "onset": "OnsetF",
        "offset": "OffsetF",
        "emotion": "Emotion",
        "first": "FirstF",
    },
    optional={
        "total1": "TotalMF1",
        "onset2": "Onset2F",
        "offset2": "Offset2F",
        "total2": "TotalMF2",
        "onset3": "Onset3F",
        "offset3": "Offset3F",
        "total3": "TotalMF3",
        "last": "LastF",
        "total_frames": "TotalVL",
    },
)
MES = (("onset", "offset", "total1"), ("onset2", "offset2", "total2"), ("onset3", "offset3", "total3"))
IMAGE_SUFFIXES = {".bmp", ".jpg", ".jpeg", ".png"}
CAMERAS = {"hs", "vis", "nir"}
_NUMBER = re.compile(r"(\d+)$")
_SUBJECT = re.compile(r"^s\d+$", re.IGNORECASE)


def _smic_e_row(row: Row) -> list[IntervalRecord]:
    frames = [role for me in MES for role in me[:2]] + ["first", "last"]
    if not any(row.text(role) for role in frames):
        raise RowRefused(f"free-text row, not a label: {' | '.join(row.raw.values())!r}")
    first = row.frame("first")
    records = []
    for number, (onset_role, offset_role, total_role) in enumerate(MES, start=1):
        if number > 1 and not (row.text(onset_role) or row.text(offset_role)):
            continue
        onset, _, offset = row.interval((onset_role, "-", offset_role))
        row.check_length(total_role, onset, offset)
        extra = {"me_index": str(number)}
        if row.text(total_role):
            extra["total_frames"] = row.text(total_role)
        records.append(
            IntervalRecord(
                subject=row.text("subject"),
                video=row.text("video"),
                kind="ME",
                onset=onset,
                offset=offset,
                emotion=row.text("emotion"),
                frame_convention=FRAME_FILE_NUMBER,
                first_frame=first,
                extra=extra,
                raw=row.raw,
            )
        )
    return records


def _clip_number(name: str) -> int | None:
    match = _NUMBER.search(Path(name).stem)
    return int(match.group(1)) if match else None


def _clips(root: Path) -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """(folder path parts below root, image names) for every folder holding images, sorted."""
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        images = [f for f in files if Path(f).suffix.lower() in IMAGE_SUFFIXES]
        if images:
            yield Path(folder).relative_to(root).parts, images


def _is_me_clip(root: Path, parts: tuple[str, ...]) -> bool:
    """Under a `micro` folder (the root itself may be it), with an emotion folder in between."""
    return "micro" in [p.lower() for p in (root.name, *parts)][:-2]


def _read_smic(path: Path, sheet: str | None, options: dict[str, Any]) -> ImportReport:
    if not path.is_dir():
        raise FormatError(f"{path}: SMIC is read from its folder tree; this is not a folder")
    report = ImportReport(format="smic", file=str(path))
    skipped = []
    for parts, images in _clips(path):
        if not _is_me_clip(path, parts):
            skipped.append("/".join(parts))
            continue
        numbers = sorted(n for n in map(_clip_number, images) if n is not None)
        if not numbers:
            report.warnings.append(
                f"{'/'.join(parts)}: no frame number in the image names; clip not imported"
            )
            continue
        report.rows_read += 1
        around = (*path.parts[-3:], *parts)  # the root may sit inside the subject's folder
        subject = next((p for p in reversed(around) if _SUBJECT.match(p)), "")
        camera = next((p for p in reversed(around) if p.lower() in CAMERAS), "")
        report.records.append(
            IntervalRecord(
                subject=subject,
                video=parts[-1],
                kind="ME",
                onset=numbers[0],
                offset=numbers[-1],
                emotion=parts[-2],
                frame_convention=FRAME_FILE_NUMBER,
                first_frame=numbers[0],
                extra={"camera": camera, "images": str(len(numbers))}
                if camera
                else {"images": str(len(numbers))},
                raw={"folder": "/".join(parts)},
                provenance=Provenance("/".join(parts)),
            )
        )
    if skipped:
        report.warnings.append(
            f"{len(skipped)} image folder(s) outside a 'micro' folder not imported: {skipped[0]} ..."
        )
    if not report.records:
        raise FormatError(
            f"{path}: no image folder under a 'micro' folder (expected HS/s1/micro/negative/s1_ne_01/)"
        )
    return report


def _match_smic(path: Path, book: object) -> str:
    if not path.is_dir():
        raise FormatError("not a folder")
    for parts, _ in _clips(path):
        if _is_me_clip(path, parts):
            return f"image folders under 'micro' (e.g. {'/'.join(parts)})"
    raise FormatError("no image folder under a 'micro/<emotion>/' folder")


READERS = (
    table_reader("smic-e", SMIC_E, _smic_e_row),
    Reader("smic", "folder", _read_smic, _match_smic),
)
