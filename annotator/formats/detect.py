"""Recognise which format a file is in, and say why; or say why each format did not fit."""

from pathlib import Path

from .readers import READERS
from .readers.workbook import OLE_MAGIC, Book
from .records import FormatError

SOURCES = {
    "workbook": "an Excel workbook",
    "csv": "a CSV file",
    "eaf": "an ELAN .eaf file",
    "folder": "a folder",
}


def _source(path: Path) -> str:
    if path.is_dir():
        return "folder"
    if not path.is_file():
        raise FormatError(f"{path}: no such file or folder")
    with path.open("rb") as fh:
        head = fh.read(512)
    if not head:
        raise FormatError(f"{path.name}: empty file")
    if head.startswith(OLE_MAGIC) or head.startswith(b"PK"):
        return "workbook"
    if b"<ANNOTATION_DOCUMENT" in head or path.suffix.lower() == ".eaf":
        return "eaf"
    return "csv"


def detect(path: str | Path) -> tuple[str, list[str]]:
    """(format name, reasons it fits). Raises FormatError listing every format tried and why not."""
    path = Path(path)
    source = _source(path)
    tried = []
    book = Book(path) if source == "workbook" else None
    try:
        for reader in READERS.values():
            if reader.source != source:
                tried.append(f"{reader.name}: reads {SOURCES[reader.source]}, this is {SOURCES[source]}")
                continue
            try:
                return reader.name, [reader.match(path, book)]
            except FormatError as exc:
                tried.append(f"{reader.name}: {exc}")
    finally:
        if book is not None:
            book.close()
    raise FormatError(f"{path.name}: no known format fits.\n" + "\n".join(f"  - {t}" for t in tried))
