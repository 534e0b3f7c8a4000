"""Cell values as written, and frame numbers with the sentinels that real sheets contain.

One `RowContext` per spreadsheet row collects sentinel notes; they reach the report only when the
row is accepted, so a refused row is reported once, with its reason, not twice.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ..records import SentinelNote

UNKNOWN = "unknown"
# Written in place of a frame number to mean "not annotated".
SENTINEL_TEXT = {"", "/", "-", "--", "null", "none", "n/a", "na", "nan", "?"}


class RowRefused(Exception):
    """This row cannot be imported; the message is the reason shown to the user."""


def text(value: Any) -> str:
    """The cell as the user sees it: 46 not 46.0, no surrounding spaces, '' for empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


@dataclass
class RowContext:
    row: int
    notes: list[SentinelNote] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def note(self, column: str, value: str, mapped_to: str) -> None:
        self.notes.append(SentinelNote(self.row, column, value, mapped_to))

    def frame(
        self, column: str, value: Any, *, zero_unknown: bool = True, required: bool = False
    ) -> int | None:
        """A frame number, or None for "unknown" (noted). `required` refuses text instead."""
        raw = text(value)
        if raw.lower() in SENTINEL_TEXT:
            if raw:
                self.note(column, raw, UNKNOWN)
            else:
                self.note(column, "(empty)", UNKNOWN)
            return None
        number = _number(raw)
        if number is None:
            if required:
                raise RowRefused(f"column {column}: {raw!r} is not a frame number")
            self.note(column, raw, UNKNOWN)
            return None
        if number < 0 or (number == 0 and zero_unknown):
            self.note(column, raw, UNKNOWN)
            return None
        whole = int(number.to_integral_value(rounding=ROUND_HALF_UP))
        if whole != number:
            self.note(column, raw, str(whole))
        return whole

    def check_interval(self, onset: int | None, apex: int | None, offset: int | None) -> int | None:
        """Refuse onset after offset; an apex outside [onset, offset] becomes unknown."""
        if onset is not None and offset is not None and onset > offset:
            raise RowRefused(f"onset {onset} is after offset {offset}")
        low = onset if onset is not None else -math.inf
        high = offset if offset is not None else math.inf
        if apex is not None and not low <= apex <= high:
            self.note("apex", f"{apex} outside [{_show(onset)}, {_show(offset)}]", UNKNOWN)
            return None
        return apex


def _number(raw: str) -> Decimal | None:
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _show(frame: int | None) -> str:
    return "?" if frame is None else str(frame)
