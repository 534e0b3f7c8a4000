"""What every reader provides, and the small helpers that several formats share."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..records import FormatError, ImportReport
from .cells import RowRefused
from .table import Row, TableSpec, find_table, pick_sheet, read_sheet
from .workbook import Book

# read(path, sheet, options) -> report;  match(path, book or None) -> why it fits, or FormatError why not
ReadFn = Callable[[Path, str | None, dict[str, Any]], ImportReport]
MatchFn = Callable[[Path, Book | None], str]


@dataclass(frozen=True)
class Reader:
    name: str
    source: str  # "workbook", "csv", "eaf" or "folder": what detect() must open to ask `match`
    read: ReadFn
    match: MatchFn


def kind_of(value: str) -> str:
    """ME/MaE/blink from the way sheets write the type ('Micro - 1/2', 'macro-expression')."""
    low = value.lower()
    for word, kind in (("micro", "ME"), ("macro", "MaE"), ("blink", "blink")):
        if word in low:
            return kind
    raise RowRefused(f"type {value!r} is neither micro, macro nor blink")


def read_workbook(
    path: Path, fmt: str, sheet: str | None, body: Callable[[Book, ImportReport, str | None], None]
) -> ImportReport:
    report = ImportReport(format=fmt, file=str(path))
    with Book(path) as book:
        body(book, report, sheet)
    return report


def match_table(book: Book | None, spec: TableSpec) -> str:
    """Why `book` fits `spec` (sheet and header found), or FormatError why not."""
    if book is None:
        raise FormatError("not a workbook")
    sheet = pick_sheet(book, spec, None)
    table, _ = find_table(book, sheet, spec)
    return f"sheet {sheet!r}, header on row {table.header_row}: {', '.join(spec.required.values())}"


def table_reader(
    name: str, spec: TableSpec, make: Callable[[Row], list], match: MatchFn | None = None
) -> Reader:
    """A reader for a format that is one header table on one sheet."""

    def read(path: Path, sheet: str | None, options: dict[str, Any]) -> ImportReport:
        def body(book: Book, report: ImportReport, sheet: str | None) -> None:
            read_sheet(book, report, spec, pick_sheet(book, spec, sheet), make)

        return read_workbook(path, name, sheet, body)

    return Reader(name, "workbook", read, match or (lambda path, book: match_table(book, spec)))
