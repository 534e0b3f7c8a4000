"""Action units as coders write them (FORMATS.md §3), parsed without losing a character.

`4+7+L10`, `4D+7B`, `4(B/C)`, `12/14`, `12 or 14`, `?`, `ref(10)`, `AU4(k)`, `1,2，4`, `r18`:
each AU becomes an `AUToken`; alternatives (`/`, `or`) share a group id; a bare `?` marks the whole
cell unclear; anything else is kept as a flagged `Fragment`. `raw` is kept, and `format_aus`
writes a canonical string that parses back to the same tokens.
"""

import re
from dataclasses import dataclass, field, replace

SIDES = "LRATB"  # left, right, asymmetric, top, bottom
INTENSITIES = "ABCDE"

_CORE = (
    r"(?P<q1>\?)?(?P<side>[LRATB])?(?:AU\s*)?(?P<side2>[LRATB])?(?P<num>\d+)"
    r"(?:(?P<int>[A-E])(?![A-Z])|\((?P<lo>[A-E])(?:/(?P<hi>[A-E]))?\))?"
)
_AU = re.compile(_CORE + r"(?:\((?P<qual>[A-Z]+)\))?(?P<q2>\?)?", re.IGNORECASE)
_PREFIXED = re.compile(r"(?P<pre>(?!au\()[A-Z]{2,})\(" + _CORE + r"(?P<q2>\?)?\)", re.IGNORECASE)
_ALT = re.compile(r"\s*(?:/|or(?![A-Z]))\s*", re.IGNORECASE)
_SEP = re.compile(r"[\s+,，;&]+")
MAX_DIGITS = 3


@dataclass(frozen=True)
class AUToken:
    au: int
    side: str | None = None  # one of SIDES
    intensity: str | None = None  # A-E; the lower end of a range
    intensity_to: str | None = None  # upper end of a range: 4(B/C)
    uncertain: bool = False  # written with '?'
    qualifier: str | None = None  # ref(10) -> 'ref'; AU4(k) -> 'k'
    group: int | None = None  # tokens of one set of alternatives (12/14) share it
    span: tuple[int, int] = field(default=(0, 0), compare=False)  # where it was in `raw`


@dataclass(frozen=True)
class Fragment:
    """Text that is not an AU, kept where it was so nothing is silently dropped."""

    text: str
    start: int


@dataclass(frozen=True)
class ParsedAUs:
    raw: str
    tokens: tuple[AUToken, ...]
    fragments: tuple[Fragment, ...]
    unclear: bool  # a bare '?': the coder could not tell

    @property
    def ok(self) -> bool:
        return not self.fragments

    @property
    def canonical(self) -> str:
        return format_aus(self.tokens, unclear=self.unclear)


def _token(m: re.Match, qualifier: str | None) -> AUToken:
    side = m.group("side") or m.group("side2")
    intensity = m.group("int") or m.group("lo")
    return AUToken(
        au=int(m.group("num")),
        side=side.upper() if side else None,
        intensity=intensity.upper() if intensity else None,
        intensity_to=m.group("hi").upper() if m.group("hi") else None,
        uncertain=bool(m.group("q1") or m.group("q2")),
        qualifier=qualifier.lower() if qualifier else None,
        span=m.span(),
    )


def _match_token(raw: str, pos: int) -> tuple[AUToken | None, int]:
    """The AU at `pos` and where it ends; (None, end) for a number too long to be an AU."""
    m = _PREFIXED.match(raw, pos)
    qualifier = m.group("pre") if m else None
    if not m:
        m = _AU.match(raw, pos)
        if not m:
            return None, pos
        qualifier = m.group("qual")
    if len(m.group("num")) > MAX_DIGITS:
        return None, m.end()
    return _token(m, qualifier), m.end()


def parse_aus(raw: str) -> ParsedAUs:
    """Parse an AU cell; never raises, never drops text (see Fragment)."""
    tokens: list[AUToken] = []
    fragments: list[list] = []  # [start, text], merged while contiguous
    pending: tuple[int, int] | None = None  # an alternative mark waiting for its right-hand AU
    groups = 0
    unclear = False
    after_token = False
    pos = 0

    def flag(start: int, end: int) -> None:
        if fragments and fragments[-1][0] + len(fragments[-1][1]) == start:
            fragments[-1][1] += raw[start:end]
        else:
            fragments.append([start, raw[start:end]])

    def drop_pending() -> None:
        nonlocal pending
        if pending:
            flag(*pending)
            pending = None

    while pos < len(raw):
        m = _ALT.match(raw, pos)
        if m and after_token and pending is None:
            pending, after_token, pos = m.span(), False, m.end()
            continue
        token, end = _match_token(raw, pos)
        if token is not None:
            if pending:
                if tokens[-1].group is None:
                    groups += 1
                    tokens[-1] = replace(tokens[-1], group=groups)
                token = replace(token, group=tokens[-1].group)
                pending = None
            tokens.append(token)
            after_token, pos = True, token.span[1]
            continue
        drop_pending()
        after_token = False
        m = _SEP.match(raw, pos)
        if end > pos:  # digits too long for an AU number: one fragment
            flag(pos, end)
            pos = end
        elif m:
            pos = m.end()
        elif raw[pos] == "?":
            unclear, pos = True, pos + 1
        else:
            flag(pos, pos + 1)
            pos += 1
    drop_pending()
    return ParsedAUs(raw, tuple(tokens), tuple(Fragment(text, start) for start, text in fragments), unclear)


def format_token(t: AUToken) -> str:
    if t.intensity_to:
        intensity = f"({t.intensity}/{t.intensity_to})"
    else:
        intensity = t.intensity or ""
    qualifier = f"({t.qualifier})" if t.qualifier else ""
    return f"{t.side or ''}{t.au}{intensity}{qualifier}{'?' if t.uncertain else ''}"


def format_aus(tokens: tuple[AUToken, ...] | list[AUToken], unclear: bool = False) -> str:
    """Canonical string: `+` between AUs, `/` inside a group of alternatives, `?` if unclear."""
    parts = []
    for i, t in enumerate(tokens):
        if i:
            same = t.group is not None and t.group == tokens[i - 1].group
            parts.append("/" if same else "+")
        parts.append(format_token(t))
    if unclear:
        parts.append("+?" if parts else "?")
    return "".join(parts)
