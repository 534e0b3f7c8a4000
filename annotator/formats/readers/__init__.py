"""Read the field's coding sheets and exchange files into plain records.

    report = read("CASME2-coding-20140508.xlsx")             # format detected
    report = read("labels.eaf", "eaf", fps=200)              # ELAN needs the frame rate
    report = read("CAS(ME)3_part_A_v2.xls", "casme3-a", sheet="eye blink")

One module per format family; each exposes READERS. `read` never aborts on a bad row: the report
lists sentinels mapped to unknown, refused rows with reasons, and file-level warnings. Problems
with the whole file raise FormatError.
"""

from pathlib import Path
from typing import Any

from ..records import FormatError, ImportReport
from . import casme, casme_sq, elan, generic_csv, mmew, samm, smic
from .base import Reader

READERS: dict[str, Reader] = {
    r.name: r for module in (casme, samm, casme_sq, smic, mmew, elan, generic_csv) for r in module.READERS
}
FORMATS = tuple(READERS)


def read(
    path: str | Path, format: str | None = None, *, sheet: str | None = None, **options: Any
) -> ImportReport:
    """Read `path` in `format` (detected when None). `options`: `fps` for ELAN files."""
    path = Path(path)
    if format is None:
        from ..detect import detect

        format, reasons = detect(path)
    if format not in READERS:
        raise FormatError(f"unknown format {format!r}; known: {', '.join(FORMATS)}")
    return READERS[format].read(path, sheet, options)


__all__ = ["FORMATS", "READERS", "read"]
