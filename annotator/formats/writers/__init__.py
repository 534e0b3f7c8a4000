"""Writers of export formats: 0-based intervals in, one file (or folder/zip) out, and a report.

`write(format, intervals, out_path, overwrite=False, **options) -> ExportReport`. Each format
converts frame indices to its own count and writes its sentinels for unknown apex/offset; the
report says which conventions it applied, what it skipped and why, and the content's sha256.
Same input, same bytes; the target appears only when complete (temp file, then rename).

Options: megc-log `truths=[ExportInterval], dataset="1"|"2"`; eaf `media_url="{name}.mp4"` (a path
ending in .zip gives a zip, otherwise a folder); labelstudio `video_url="{name}"`; clips
`crops=callable(video, start, stop) -> (T, H, W) uint8` (a .zip path).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

from annotator.formats.writers import aumatrix, casme_sq, clips, elan, labelstudio, megc, sheets, table
from annotator.formats.writers.model import (
    ExportError,
    ExportInterval,
    ExportReport,
    ExportVideo,
    Skipped,
    prepare,
)
from annotator.formats.writers.output import check_target, save_file, save_folder

__all__ = ["FORMATS", "ExportError", "ExportInterval", "ExportReport", "ExportVideo", "Skipped", "write"]

# format -> (writer, container): "file" one file; "zip" members zipped; "folder-or-zip" by suffix.
FORMATS: dict[str, tuple[Callable, str]] = {
    "casme2": (sheets.casme2, "file"),
    "samm": (sheets.samm, "file"),
    "samm-lv": (sheets.samm_lv, "file"),
    "casme-sq": (casme_sq.casme_sq, "file"),
    "casme3-a": (sheets.casme3_a, "file"),
    "mmew": (sheets.mmew, "file"),
    "megc2022": (megc.megc2022, "file"),
    "megc2023": (megc.megc2023, "file"),
    "megc-log": (megc.megc_log, "file"),
    "str": (megc.spot_recognise, "file"),
    "eaf": (elan.eaf_files, "folder-or-zip"),
    "labelstudio": (labelstudio.labelstudio, "file"),
    "au-matrix": (aumatrix.au_matrix, "file"),
    "csv": (table.generic_csv, "file"),
    "clips": (clips.clips, "zip"),
}


def write(
    format: str, intervals: list[ExportInterval], out_path: str | Path, *, overwrite: bool = False, **options
) -> ExportReport:
    """Export `intervals` (0-based frames) to `out_path` in `format`; options go to the format's writer."""
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; known: {', '.join(FORMATS)}")
    writer, container = FORMATS[format]
    target = Path(out_path)
    if container == "zip" and target.suffix.lower() != ".zip":
        raise ExportError(f"{format}: the output is a zip archive; name it *.zip, not {target.name!r}")
    report = ExportReport(format, path=str(target))
    try:
        inspect.signature(writer).bind(intervals, report, **options)
    except TypeError as e:  # a missing or unknown option, named by Python
        raise ExportError(f"{format}: {e}") from e
    check_target(target, overwrite)  # before the work, not only after it
    content = writer(prepare(list(intervals), report), report, **options)
    if container == "folder-or-zip" and target.suffix.lower() != ".zip":
        report.sha256 = save_folder(target, content, overwrite)
    else:
        report.sha256 = save_file(target, content, overwrite)
    return report
