"""Open .xlsx and .xls workbooks as plain rows, turning every failure into a FormatError.

Rows come out as (row number as Excel shows it, list of cell values), streamed: .xlsx through
openpyxl's read_only mode so 50,000-row sheets do not build a cell object per cell.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import xlrd

from ..records import FormatError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted .xlsx is an OLE container holding these streams (names stored as UTF-16-LE).
ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))

Row = tuple[int, list[Any]]


class Book:
    """A workbook opened for reading; use as a context manager so the file handle is closed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._xlsx = None
        self._xls = None
        head = _head(self.path)
        if head.startswith(OLE_MAGIC):
            self._open_xls()
        elif head.startswith(b"PK"):
            self._open_xlsx()
        else:
            raise FormatError(f"{self.path.name}: not an Excel workbook (neither .xlsx zip nor .xls OLE)")

    def _open_xlsx(self) -> None:
        try:
            self._xlsx = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises KeyError, BadZipFile, InvalidFileException...
            raise FormatError(f"{self.path.name}: corrupt .xlsx workbook ({exc!r})") from exc

    def _open_xls(self) -> None:
        data = self.path.read_bytes()
        if any(name in data for name in ENCRYPTED_STREAMS):
            raise FormatError(
                f"{self.path.name}: workbook is password-protected (encrypted); save it unprotected"
            )
        try:
            self._xls = xlrd.open_workbook(file_contents=data, on_demand=True)
        except xlrd.XLRDError as exc:
            if "encrypted" in str(exc).lower():
                raise FormatError(f"{self.path.name}: workbook is password-protected (encrypted)") from exc
            raise FormatError(f"{self.path.name}: corrupt .xls workbook ({exc})") from exc
        except Exception as exc:  # xlrd raises bare struct/assertion errors on damaged files
            raise FormatError(f"{self.path.name}: corrupt .xls workbook ({exc!r})") from exc

    def __enter__(self) -> "Book":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._xlsx is not None:
            self._xlsx.close()
        if self._xls is not None:
            self._xls.release_resources()

    @property
    def sheet_names(self) -> list[str]:
        return list(self._xlsx.sheetnames) if self._xlsx is not None else self._xls.sheet_names()

    def find_sheet(self, *names: str) -> str | None:
        """The sheet whose name matches one of `names`, ignoring case and surrounding spaces."""
        wanted = {_key(n) for n in names}
        return next((s for s in self.sheet_names if _key(s) in wanted), None)

    def rows(self, sheet: str, limit: int | None = None) -> Iterator[Row]:
        """Rows of `sheet`, trailing empty cells trimmed; `limit` stops after that many rows."""
        if self._xlsx is not None:
            ws = self._xlsx[sheet]
            ws.reset_dimensions()  # some writers declare a wrong sheet size; read what is there
            source = ws.iter_rows(values_only=True, max_row=limit)
            for number, values in enumerate(source, start=1):
                yield number, _trim(list(values))
        else:
            ws = self._xls.sheet_by_name(sheet)
            count = ws.nrows if limit is None else min(limit, ws.nrows)
            for index in range(count):
                yield index + 1, _trim(ws.row_values(index))


def _head(path: Path) -> bytes:
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise FormatError(f"{path.name}: empty file")
    return head


def _key(name: str) -> str:
    return "".join(name.split()).lower()  # "naming rule1" also finds "Naming rule 1"


def _trim(values: list[Any]) -> list[Any]:
    while values and (values[-1] is None or values[-1] == ""):
        values.pop()
    return values
