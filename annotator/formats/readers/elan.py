"""ELAN `.eaf` files: interval tiers per kind, plus apex, AU and emotion tiers, times in ms.

Tier names accepted (case, spaces, `-` and `_` ignored):

- intervals: `ME` / `micro` / `micro-expression(s)`; `MaE` / `macro` / `macro-expression(s)`;
  `blink` / `eye blink(s)`;
- `apex`: an annotation whose start lies in an interval gives that interval's apex;
- `AU` / `AUs` / `action units` and `emotion`: the annotation covering an interval's midpoint
  gives its AUs / emotion. Other tiers are listed in the report's warnings and not imported.

An interval annotation covers its frames' display time: it starts at the onset frame's time and
ends where the frame after the offset begins, with frame f at round((f - 1) * 1000 / fps) ms
(FORMATS.md §6). ELAN files carry no frame rate, so `fps` must be given; records are 1-based
positions in the video (FRAME_POSITION_1).
"""

import math
import re
import xml.etree.ElementTree as ET
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
    "apex": {"apex"},
    "aus": {"au", "aus", "actionunits"},
    "emotion": {"emotion", "emotions"},
}
_ROLE = {name: role for role, names in TIERS.items() for name in names}
KINDS = ("ME", "MaE", "blink")

Annotation = tuple[int, int, str]


def tier_role(name: str) -> str | None:
    return _ROLE.get(re.sub(r"[\s_\-]", "", name.lower()))


def frame_at(ms: float, fps: float) -> int:
    """1-based frame whose display starts nearest to `ms` (half a frame rounds up)."""
    return math.floor(ms * fps / 1000 + 0.5) + 1


def _open(path: Path) -> Eaf:
    if not path.is_file() or path.stat().st_size == 0:
        raise FormatError(f"{path}: {'empty file' if path.is_file() else 'no such file'}")
    try:
        return Eaf(str(path), suppress_version_warning=True)
    except (ET.ParseError, KeyError, ValueError, AttributeError) as exc:
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
    tiers: dict[str, list[tuple[str, list[Annotation]]]] = {role: [] for role in TIERS}
    for name in eaf.get_tier_names():
        role = tier_role(name)
        if role is None:
            report.warnings.append(f"tier {name!r} is not one of the accepted tiers; not imported")
            continue
        data = sorted((a[0], a[1], a[2]) for a in eaf.get_annotation_data_for_tier(name))
        tiers[role].append((name, data))
    if sheet is not None:
        tiers = {role: [(n, d) for n, d in found if n == sheet] for role, found in tiers.items()}
    if not any(tiers[kind] for kind in KINDS):
        raise FormatError(f"{path.name}: no ME, MaE or blink tier (tiers: {', '.join(eaf.get_tier_names())})")
    media = [Path(m.get("MEDIA_URL", "")).stem for m in eaf.media_descriptors if m.get("MEDIA_URL")]
    video = media[0] if media else path.stem
    apexes = [start for _, data in tiers["apex"] for start, _, _ in data]
    aus = [a for _, data in tiers["aus"] for a in data]
    emotions = [a for _, data in tiers["emotion"] for a in data]

    for kind in KINDS:
        for tier, data in tiers[kind]:

            def read_row(ctx: RowContext, values: list[Any], kind: str = kind, tier: str = tier) -> list:
                start, end, value = values
                onset, offset = frame_at(start, fps), frame_at(end, fps) - 1
                offset = max(offset, onset)  # an annotation shorter than half a frame is one frame
                apex = next((frame_at(a, fps) for a in apexes if start <= a < end), None)
                return [
                    IntervalRecord(
                        subject="",
                        video=video,
                        kind=kind,
                        onset=onset,
                        apex=ctx.check_interval(onset, apex, offset),
                        offset=offset,
                        aus=_covering(aus, start, end),
                        emotion=_covering(emotions, start, end),
                        notes=value,
                        frame_convention=FRAME_POSITION_1,
                        raw={"tier": tier, "start_ms": str(start), "end_ms": str(end), "value": value},
                    )
                ]

            collect(report, tier, enumerate(data, start=1), read_row)
    return report


def _match(path: Path, book: object) -> str:
    if path.is_dir() or book is not None:
        raise FormatError("not an ELAN file")
    eaf = _open(path)
    kinds = [n for n in eaf.get_tier_names() if tier_role(n) in KINDS]
    if not kinds:
        raise FormatError(
            f"ELAN file without an ME, MaE or blink tier (tiers: {', '.join(eaf.get_tier_names())})"
        )
    return f"ELAN file with tier(s) {', '.join(kinds)}"


READERS = (Reader("eaf", "eaf", _read, _match),)
