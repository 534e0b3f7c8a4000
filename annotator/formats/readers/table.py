"""Header-row sheets: find the header, map columns by name, and turn rows into records.

Every dataset sheet except CAS(ME)^2 has a header row somewhere in its first rows. Columns are
found by name (case and spacing ignored), so blank spacer columns and reordered columns are fine.
The row loop is shared by all readers: refusals, duplicates and empty rows are reported here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..records import FormatError, ImportReport, IntervalRecord, Provenance, RefusedRow
from .cells import RowContext, RowRefused, text
from .workbook import Book

HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class TableSpec:
    """Where a format's table is: sheet names tried in order, header row and column names."""

    sheets: tuple[str, ...]  # empty: the first sheet
    header_row: int  # where the dataset puts it (1-based)
    required: dict[str, str]  # role -> header text
    optional: dict[str, str] = field(default_factory=dict)


@dataclass
class Table:
    header_row: int
    columns: dict[str, int]  # role -> 0-based column
    headers: list[str]  # header text by column, as written


def key(name: str) -> str:
    return " ".join(text(name).split()).lower()


def pick_sheet(book: Book, spec: TableSpec, sheet: str | None) -> str:
    if sheet is not None:
        found = book.find_sheet(sheet)
        if found is None:
            raise FormatError(f"{book.path.name}: no sheet {sheet!r} (sheets: {', '.join(book.sheet_names)})")
        return found
    if not spec.sheets:
        return book.sheet_names[0]
    found = book.find_sheet(*spec.sheets)
    if found is None:
        raise FormatError(
            f"{book.path.name}: no sheet named {' or '.join(repr(s) for s in spec.sheets)} "
            f"(sheets: {', '.join(book.sheet_names)})"
        )
    return found


def find_table(book: Book, sheet: str, spec: TableSpec) -> tuple[Table, list[str]]:
    """Locate the header in the first rows; returns the table and warnings. Raises FormatError."""
    wanted = {role: key(name) for role, name in spec.required.items()}
    best: tuple[int, int, list[str]] | None = None  # (matches, row, cells)
    for number, values in book.rows(sheet, limit=HEADER_SEARCH_ROWS):
        cells = [key(v) for v in values]
        matches = sum(1 for name in wanted.values() if name in cells)
        if matches == len(wanted):
            return _table(number, values, spec), _moved(spec, number, sheet)
        if matches and (best is None or matches > best[0]):
            best = (matches, number, cells)
    where = f"{book.path.name}, sheet {sheet!r}"
    if best is None:
        if not any(True for _ in book.rows(sheet, limit=1)):
            raise FormatError(f"{where}: the sheet is empty")
        raise FormatError(
            f"{where}: no header row in the first {HEADER_SEARCH_ROWS} rows "
            f"(expected columns {', '.join(spec.required.values())} on row {spec.header_row})"
        )
    missing = [spec.required[r] for r, name in wanted.items() if name not in best[2]]
    raise FormatError(f"{where}: header on row {best[1]} lacks column(s) {', '.join(missing)}")


def _table(number: int, values: list[Any], spec: TableSpec) -> Table:
    cells = [key(v) for v in values]
    columns = {}
    for role, name in {**spec.optional, **spec.required}.items():
        if key(name) in cells:
            columns[role] = cells.index(key(name))
    return Table(number, columns, [text(v) for v in values])


def _moved(spec: TableSpec, number: int, sheet: str) -> list[str]:
    if number == spec.header_row:
        return []
    return [f"sheet {sheet!r}: header found on row {number}, expected on row {spec.header_row}"]


def cells_by_role(table: Table, values: list[Any]) -> dict[str, Any]:
    return {role: (values[i] if i < len(values) else None) for role, i in table.columns.items()}


def raw_cells(headers: list[str], values: list[Any]) -> dict[str, str]:
    """Every non-empty cell as written, keyed by its header (or column letter if unnamed)."""
    raw = {}
    for i, value in enumerate(values):
        shown = text(value)
        if shown:
            name = headers[i] if i < len(headers) and headers[i] else _letter(i)
            raw[name] = shown
    return raw


def _letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


RowReader = Callable[[RowContext, list[Any]], list[IntervalRecord]]


@dataclass
class Row:
    """One data row of a header table: cells by role, header names for messages, raw cells."""

    ctx: RowContext
    cells: dict[str, Any]
    names: dict[str, str]
    raw: dict[str, str]

    def text(self, role: str) -> str:
        return text(self.cells.get(role))

    def frame(self, role: str, **options: Any) -> int | None:
        if role not in self.cells:
            return None
        return self.ctx.frame(self.names[role], self.cells[role], **options)

    def interval(self, roles: tuple[str, str, str] = ("onset", "apex", "offset"), **options: Any) -> tuple:
        """(onset, apex, offset); text in onset/offset refuses the row, both unknown too."""
        onset = self.frame(roles[0], required=True, **options)
        apex = self.frame(roles[1], **options)
        offset = self.frame(roles[2], required=True, **options)
        if onset is None and offset is None:
            raise RowRefused("neither onset nor offset is known")
        return onset, self.ctx.check_interval(onset, apex, offset), offset

    def check_length(self, role: str, onset: int | None, offset: int | None) -> None:
        """A sheet's own length column (SAMM Duration, SMIC-E TotalMF) should be offset - onset + 1."""
        written = self.text(role)
        if written and onset is not None and offset is not None and written != str(offset - onset + 1):
            self.ctx.warnings.append(
                f"row {self.ctx.row}: {self.names[role]} is {written}, offset - onset + 1 is {offset - onset + 1}"
            )


def read_sheet(
    book: Book, report: ImportReport, spec: TableSpec, sheet: str, make: Callable[[Row], list]
) -> None:
    """Find the table on `sheet` and add its rows to `report` through `make`."""
    table, warnings = find_table(book, sheet, spec)
    report.warnings.extend(warnings)
    names = {role: table.headers[i] for role, i in table.columns.items()}

    def read_row(ctx: RowContext, values: list[Any]) -> list[IntervalRecord]:
        return make(Row(ctx, cells_by_role(table, values), names, raw_cells(table.headers, values)))

    rows = ((n, v) for n, v in book.rows(sheet) if n > table.header_row)
    collect(report, sheet, rows, read_row)


def collect(
    report: ImportReport, sheet: str | None, rows: Iterable[tuple[int, list[Any]]], read_row: RowReader
) -> None:
    """Run `read_row` on each row; record refusals, duplicates and empty rows in the report."""
    seen: dict[tuple, int] = {}
    empty: list[int] = []
    gap: list[int] = []  # empty rows so far; reported only if data follows them
    for number, values in rows:
        if not any(text(v) for v in values):
            gap.append(number)
            continue
        empty.extend(gap)
        gap = []
        report.rows_read += 1
        ctx = RowContext(number)
        try:
            records = read_row(ctx, values)
        except RowRefused as exc:
            report.refused.append(RefusedRow(number, str(exc)))
            continue
        kept = 0
        for record in records:
            record.provenance = Provenance(report.file, sheet, number)
            identity = _identity(record)
            if identity in seen:
                report.refused.append(RefusedRow(number, f"duplicate of row {seen[identity]}"))
                continue
            seen[identity] = number
            report.records.append(record)
            kept += 1
        if kept:
            report.sentinels.extend(ctx.notes)
            report.warnings.extend(ctx.warnings)
    if empty:
        shown = ", ".join(str(n) for n in empty[:10]) + (" ..." if len(empty) > 10 else "")
        report.warnings.append(f"{sheet or report.file}: skipped {len(empty)} empty row(s): {shown}")


def _identity(r: IntervalRecord) -> tuple:
    return (r.subject, r.video, r.kind, r.onset, r.apex, r.offset, r.aus, r.emotion, r.first_frame)
