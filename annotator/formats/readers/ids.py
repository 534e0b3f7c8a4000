"""Subject and video ids as datasets write them, and one normalised form to match them on.

`01`, `1`, `sub01`, `s1`, `S01`, `spNO.1` and `006` all name a subject by a number; the normalised
id is that number without leading zeros (`1`, `6`). Anything else is kept, lower-cased and trimmed.
The written form stays on the record; only matching uses the normalised one.
"""

import re
from dataclasses import dataclass

_SUBJECT = re.compile(r"^(?:sub|sp\s*no\.?|s)?\s*0*(\d+)$", re.IGNORECASE)
_CASME_SQ_VIDEO = re.compile(r"^(\d+)_(\d{4})")


@dataclass(frozen=True)
class Ident:
    written: str
    normalised: str


def normalise_subject(written: str) -> str:
    """`sub01` -> `1`; `006` -> `6`; `s15` -> `15`; unknown shapes lower-cased as they are."""
    value = written.strip()
    match = _SUBJECT.match(value)
    if match:
        return str(int(match.group(1)))
    return value.lower()


def subject_id(written: str) -> Ident:
    return Ident(written, normalise_subject(written))


def normalise_video(written: str) -> str:
    """Clip ids compared without case and surrounding spaces; CAS(ME)^2 folders lose the name part.

    `15_0401girlcrashing` (a rawpic folder) and `15_0401` (the MEGC id) both become `15_0401`.
    """
    value = written.strip()
    match = _CASME_SQ_VIDEO.match(value)
    if match:
        return f"{int(match.group(1))}_{match.group(2)}"
    return value.lower()


def video_id(written: str) -> Ident:
    return Ident(written, normalise_video(written))


def casme_sq_video(folder_number: str, code: str) -> str:
    """MEGC id of a CAS(ME)^2 video: folder number and 4-digit code (`15`, `401` -> `15_0401`)."""
    return f"{int(folder_number)}_{code.zfill(4)}"
