"""Byte-reproducible containers (xlsx, zip) and atomic placement of the result.

Reproducible: zip members get a fixed timestamp, mode and order; workbook properties a fixed date.
Atomic: content goes to a temp file (or folder) beside the target and is renamed at the end, so a
reader never sees half a file and an error leaves nothing behind.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from annotator.formats.writers.model import ExportError

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = datetime.datetime(2000, 1, 1)

Members = Iterable[tuple[str, bytes]]


def _zip_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def write_zip(fileobj, members: Members) -> None:
    """Write members in the order given, refusing duplicate names."""
    seen: set[str] = set()
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            if name in seen:
                raise ExportError(f"two files of the export are both named {name!r}")
            seen.add(name)
            zf.writestr(_zip_member(name), data)


def xlsx_bytes(wb: Workbook) -> bytes:
    """Save a workbook with fixed document dates and zip timestamps (openpyxl stamps 'now')."""
    wb.properties.creator = "mestudio"
    wb.properties.created = FIXED_DOC_TIME
    wb.properties.modified = FIXED_DOC_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:  # compressed once, below
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src:
        write_zip(out, ((info.filename, src.read(info)) for info in src.infolist()))
    return out.getvalue()


def text_bytes(lines: Iterable[str]) -> bytes:
    """UTF-8, `\\n` line endings whatever the platform, final newline."""
    return "".join(line + "\n" for line in lines).encode("utf-8")


def check_target(target: Path, overwrite: bool) -> None:
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise ExportError(f"{target} exists; pass overwrite=True to replace it")
    if not target.parent.is_dir():
        raise ExportError(f"folder {target.parent} does not exist")


def save_file(target: Path, content: bytes | Members, overwrite: bool) -> str:
    """Write bytes, or members as a zip, to target atomically; return the sha256 of the file."""
    check_target(target, overwrite)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(content, bytes):
                f.write(content)
            else:
                write_zip(f, content)
        digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an export is meant to be read
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def save_folder(target: Path, members: Members, overwrite: bool) -> str:
    """Write members as files of a new folder, swapped in at the end; sha256 over names and contents."""
    check_target(target, overwrite)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
    try:
        digest = hashlib.sha256()
        for name, data in members:
            path = tmp / name
            if path.exists():
                raise ExportError(f"two files of the export are both named {name!r}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            digest.update(_member_digest(name, data))
        os.chmod(tmp, 0o755)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
            os.replace(target, old / "x")
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return digest.hexdigest()


def _member_digest(name: str, data: bytes) -> bytes:
    return name.encode() + b"\0" + hashlib.sha256(data).digest()
