"""ELAN `.eaf` files: interval tiers per kind, plus apex, AU and emotion tiers, times in ms.

Tier names accepted (case, spaces, `-` and `_` ignored):

- intervals: `ME` / `micro` / `micro-expression(s)`; `MaE` / `macro` / `macro-expression(s)`;
  `blink` / `eye blink(s)`; `other`;
- `apex`: an annotation whose start lies in an interval gives that interval's apex;
- `AU` / `AUs` / `action units` and `emotion`: the annotation covering an interval's midpoint
  gives its AUs / emotion;
- these three may be scoped to one kind by a prefix, as mestudio's exporter writes them:
  `ME apex`, `ME AUs`, `MaE emotion`. Other tiers are listed in the warnings and not imported.

An interval annotation covers its frames' display time: it starts at the onset frame's time and
ends where the frame after the offset begins, with frame f at round((f - 1) * 1000 / fps) ms
(FORMATS.md §6). ELAN files carry no frame rate, so `fps` must be given; records are 1-based
positions in the video (FRAME_POSITION_1).
"""

import math
import re
from pathlib import Path
from typing import Any

from pympi.Elan import Eaf

from ..records import FRAME_POSITION_1, FormatError, ImportReport, IntervalRecord
from .base import Reader
from .cells import RowContext
from .table import collect

TIERS = {
    "ME": {"me", "micro", "microexpression", "microexpressions"},
    "MaE": {"mae", "macro", "macroexpression", "macroexpressions"},
    "blink": {"blink", "blinks", "eyeblink", "eyeblinks"},
    "other": {"other", "others"},
    "apex": {"apex"},
    "aus": {"au", "aus", "actionunits"},
    "emotion": {"emotion", "emotions"},
}
_ROLE = {name: role for role, names in TIERS.items() for name in names}
KINDS = ("ME", "MaE", "blink", "other")
DETAILS = ("apex", "aus", "emotion")

Annotation = tuple[int, int, str]


def tier_role(name: str) -> tuple[str, str | None] | None:
    """(role, kind it is scoped to or None): `ME` -> (ME, None), `MaE AUs` -> (aus, MaE)."""
    squashed = re.sub(r"[\s_\-]", "", name.lower())
    if squashed in _ROLE:
        return _ROLE[squashed], None
    for alias, kind in sorted(((a, k) for k in KINDS for a in TIERS[k]), key=lambda p: -len(p[0])):
        role = _ROLE.get(squashed[len(alias) :]) if squashed.startswith(alias) else None
        if role in DETAILS:
            return role, kind
    return None


def frame_at(ms: float, fps: float) -> int:
    """1-based frame whose display starts nearest to `ms` (half a frame rounds up)."""
    return math.floor(ms * fps / 1000 + 0.5) + 1


def _open(path: Path) -> Eaf:
    if not path.is_file() or path.stat().st_size == 0:
        raise FormatError(f"{path}: {'empty file' if path.is_file() else 'no such file'}")
    try:
        return Eaf(str(path), suppress_version_warning=True)
    except Exception as exc:  # pympi raises a bare Exception for XML it cannot parse
        raise FormatError(f"{path.name}: not a readable ELAN file ({exc!r})") from exc


def _covering(annotations: list[Annotation], start: int, end: int) -> str:
    middle = (start + end) / 2
    return next((value for s, e, value in annotations if s <= middle <= e), "")


def _read(path: Path, sheet: str | None, options: dict[str, Any]) -> ImportReport:
    fps = options.get("fps")
    if not fps or fps <= 0:
        raise FormatError(
            f"{path.name}: ELAN times are in ms; give the video's fps to convert them to frames"
        )
    eaf = _open(path)
    report = ImportReport(format="eaf", file=str(path))
    intervals: dict[str, list[tuple[str, list[Annotation]]]] = {kind: [] for kind in KINDS}
    details: dict[tuple[str, str | None], list[Annotation]] = {}
    for name in eaf.get_tier_names():
        found = tier_role(name)
        if found is None:
            report.warnings.append(f"tier {name!r} is not one of the accepted tiers; not imported")
            continue
        data = sorted((a[0], a[1], a[2]) for a in eaf.get_annotation_data_for_tier(name))
        role, scope = found
        if role in KINDS:
            if sheet is None or name == sheet:
                intervals[role].append((name, data))
        else:
            details.setdefault((role, scope), []).extend(data)
    if not any(intervals.values()):
        raise FormatError(
            f"{path.name}: no ME, MaE, blink or other tier (tiers: {', '.join(eaf.get_tier_names())})"
        )
    media = [Path(m.get("MEDIA_URL", "")).stem for m in eaf.media_descriptors if m.get("MEDIA_URL")]
    video = media[0] if media else path.stem

    for kind in KINDS:
        scoped = {role: details.get((role, kind), []) + details.get((role, None), []) for role in DETAILS}
        for tier, data in intervals[kind]:
            read_row = _row_reader(kind, tier, video, fps, scoped)
            collect(report, tier, enumerate(data, start=1), read_row)
    return report


def _row_reader(kind: str, tier: str, video: str, fps: float, details: dict[str, list[Annotation]]) -> Any:
    """Turn one interval annotation into a record, with the apex/AU/emotion annotations it holds."""
    apexes = sorted(start for start, _, _ in details["apex"])

    def read_row(ctx: RowContext, values: list[Any]) -> list[IntervalRecord]:
        start, end, value = values
        onset = frame_at(start, fps)
        offset = max(frame_at(end, fps) - 1, onset)  # shorter than half a frame: one frame
        apex = next((frame_at(a, fps) for a in apexes if start <= a < end), None)
        return [
            IntervalRecord(
                subject="",
                video=video,
                kind=kind,
                onset=onset,
                apex=ctx.check_interval(onset, apex, offset),
                offset=offset,
                aus=_covering(details["aus"], start, end),
                emotion=_covering(details["emotion"], start, end),
                notes=value,
                frame_convention=FRAME_POSITION_1,
                raw={"tier": tier, "start_ms": str(start), "end_ms": str(end), "value": value},
            )
        ]

    return read_row


def _match(path: Path, book: object) -> str:
    if path.is_dir() or book is not None:
        raise FormatError("not an ELAN file")
    eaf = _open(path)
    kinds = [n for n in eaf.get_tier_names() if (tier_role(n) or ("", ""))[0] in KINDS]
    if not kinds:
        raise FormatError(
            f"ELAN file without an ME, MaE or blink tier (tiers: {', '.join(eaf.get_tier_names())})"
        )
    return f"ELAN file with tier(s) {', '.join(kinds)}"


READERS = (Reader("eaf", "eaf", _read, _match),)
