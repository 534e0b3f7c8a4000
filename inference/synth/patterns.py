"""Local deformation patterns: what moves where for each emotion, a blink, or a bare region.

A pattern is a sum of Gaussian bumps of displacement (the eyelids use a ramp, see ``_lid_field``). Each component is
``(x, y, vx, vy, sx, sy)``: centre and spread in photo pixels, direction of motion of the skin
(unit-free; the field is normalised so its largest displacement is 1 and the event's amplitude
sets the size in frame pixels). Emotions use different regions *and* directions, so a
classifier can tell them apart from motion alone.

| emotion    | movement (FACS-like)                                                | regions                  |
|------------|---------------------------------------------------------------------|--------------------------|
| happiness  | lip corners up and out (AU12), cheeks raised (AU6)                  | mouth, cheeks            |
| surprise   | whole brows up, lids stretched open (AU1+2+5), jaw drop (AU26)      | brows, eyes, mouth, chin |
| disgust    | nose wrinkle (AU9), upper lip raised (AU10)                         | nose, mouth              |
| sadness    | inner brows up (AU1), lip corners down (AU15)                       | brows, mouth             |
| anger      | brows down and together (AU4), lips pressed (AU24)                  | brows, mouth             |
| fear       | brows up and together, lids open (AU1+2+4+5), lips stretched (AU20) | brows, eyes, mouth       |
| contempt   | right lip corner up and out, right cheek (R AU12/14)                | mouth, cheeks            |
| repression | lips pressed (AU24), chin raised (AU17)                             | mouth, chin              |
| others     | chin raised, lower lip pushed up (AU17)                             | mouth, chin              |
| (blink)    | both upper eyelids down (AU45)                                      | eyes                     |
"""

from __future__ import annotations

from functools import cache

import numpy as np

Component = tuple[float, float, float, float, float, float]

# Landmarks of the photo (pixels of the 512x512 astronaut image).
_BROW_IN_L, _BROW_MID_L, _BROW_OUT_L = (210.0, 91.0), (201.0, 89.0), (193.0, 91.0)
_BROW_IN_R, _BROW_MID_R, _BROW_OUT_R = (237.0, 92.0), (246.0, 91.0), (255.0, 93.0)
_NOSE_L, _NOSE_R, _NOSE_TOP = (215.0, 118.0), (231.0, 119.0), (223.0, 110.0)
_LIP_UP, _LIP_LOW = (222.0, 139.0), (222.0, 153.0)
_CORNER_L, _CORNER_R = (201.0, 141.0), (245.0, 141.0)
_CHEEK_L, _CHEEK_R = (194.0, 126.0), (254.0, 127.0)
_CHIN = (224.0, 171.0)


def _c(point: tuple[float, float], vx: float, vy: float, sx: float = 9.0, sy: float = 7.5) -> Component:
    return (point[0], point[1], vx, vy, sx, sy)


EMOTIONS: tuple[str, ...] = (
    "happiness",
    "surprise",
    "disgust",
    "sadness",
    "anger",
    "fear",
    "contempt",
    "repression",
    "others",
)

EMOTION_PATTERNS: dict[str, tuple[Component, ...]] = {
    "happiness": (
        _c(_CORNER_L, -0.7, -1.0),
        _c(_CORNER_R, 0.7, -1.0),
        _c(_CHEEK_L, 0.0, -0.7, 10.5, 9),
        _c(_CHEEK_R, 0.0, -0.7, 10.5, 9),
    ),
    "surprise": (
        _c(_BROW_MID_L, 0.0, -1.0, 15, 6),
        _c(_BROW_MID_R, 0.0, -1.0, 15, 6),
        _c(_LIP_LOW, 0.0, 0.8, 18, 7.5),
        _c(_CHIN, 0.0, 1.0, 18, 10.5),
    ),
    "disgust": (
        _c(_NOSE_L, 0.3, -0.8, 6, 7.5),
        _c(_NOSE_R, -0.3, -0.8, 6, 7.5),
        _c(_NOSE_TOP, 0.0, -0.5, 7.5, 6),
        _c(_LIP_UP, 0.0, -1.0, 13.5, 4.5),
    ),
    "sadness": (
        _c(_BROW_IN_L, 0.2, -1.0, 6, 6),
        _c(_BROW_IN_R, -0.2, -1.0, 6, 6),
        _c(_CORNER_L, 0.0, 1.0, 7.5, 6),
        _c(_CORNER_R, 0.0, 1.0, 7.5, 6),
    ),
    "anger": (
        _c(_BROW_IN_L, 0.8, 0.8, 9, 4),
        _c(_BROW_IN_R, -0.8, 0.8, 9, 4),
        _c(_LIP_UP, 0.0, 0.6, 15, 4.5),
        _c(_LIP_LOW, 0.0, -0.8, 15, 4.5),
    ),
    "fear": (
        _c(_BROW_IN_L, 0.5, -1.0, 9, 6),
        _c(_BROW_IN_R, -0.5, -1.0, 9, 6),
        _c(_CORNER_L, -1.0, 0.2, 7.5, 6),
        _c(_CORNER_R, 1.0, 0.2, 7.5, 6),
    ),
    "contempt": (_c(_CORNER_R, 0.8, -0.8, 7.5, 6), _c(_CHEEK_R, 0.3, -0.5, 9, 7.5)),
    "repression": (
        _c(_LIP_UP, 0.0, 0.6, 15, 4.5),
        _c(_LIP_LOW, 0.0, -0.8, 15, 4.5),
        _c(_CHIN, 0.0, -1.0, 13.5, 9),
    ),
    "others": (_c(_CHIN, 0.0, -1.0, 13.5, 9), _c(_LIP_LOW, 0.0, -0.6, 12, 4.5)),
}

EMOTION_REGIONS: dict[str, tuple[str, ...]] = {
    "happiness": ("mouth", "cheeks"),
    "surprise": ("brows", "eyes", "mouth", "chin"),
    "disgust": ("nose", "mouth"),
    "sadness": ("brows", "mouth"),
    "anger": ("brows", "mouth"),
    "fear": ("brows", "eyes", "mouth"),
    "contempt": ("mouth", "cheeks"),
    "repression": ("mouth", "chin"),
    "others": ("mouth", "chin"),
}

# A movement of one region with no emotion attached (used when an event names regions only).
REGION_PATTERNS: dict[str, tuple[Component, ...]] = {
    "brows": (_c(_BROW_MID_L, 0.0, -1.0, 13.5, 6), _c(_BROW_MID_R, 0.0, -1.0, 13.5, 6)),
    "eyes": (),  # the eyelids, see lid_field
    "nose": EMOTION_PATTERNS["disgust"][:3],
    "cheeks": (_c(_CHEEK_L, 0.0, -1.0, 10.5, 9), _c(_CHEEK_R, 0.0, -1.0, 10.5, 9)),
    "mouth": (_c(_CORNER_L, -0.7, -1.0), _c(_CORNER_R, 0.7, -1.0)),
    "chin": EMOTION_PATTERNS["others"][:1],
}

# Per eye: centre x, upper lid y, lower lid y, half width (photo pixels).
EYES = ((202.0, 96.5, 104.0, 10.5), (246.0, 99.0, 106.5, 10.5))
_LID_SKIN = 3.5  # skin above the upper lid that stretches down with it


def _lid_field(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Vertical displacement that lowers the upper lids: the lid opening (photo px) closes the eye.

    A Gaussian bump would push the iris down instead of covering it; a ramp from the skin above
    the lid (0) to the lower lid (1), dropping to 0 just below it, stretches the lid over the eye.
    """
    dy = np.zeros((ys.size, xs.size), np.float32)
    for cx, upper, lower, half in EYES:
        top = upper - _LID_SKIN
        ramp = np.clip(np.where(ys <= lower, (ys - top) / (lower - top), 1.0 - (ys - lower) / 1.5), 0.0, 1.0)
        across = np.clip(1.0 - ((xs - cx) / half) ** 2, 0.0, None)  # almond: less to close at the corners
        dy += np.outer(ramp, across)
    return dy


def is_lid_movement(kind: str, emotion: str | None, regions: tuple[str, ...]) -> bool:
    return kind == "blink" or (emotion is None and "eyes" in regions)


@cache
def unit_field(
    kind: str, emotion: str | None, regions: tuple[str, ...], box: tuple[int, int, int, int], scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (dx, dy) of an event over ``box`` of the scaled photo, peak magnitude 1.

    The pattern is the blink's lids, the emotion's, or the union of the named regions'
    movements. ``scale`` maps photo pixels to the scaled photo that the renderer deforms.
    Cached: the field depends on the pattern and the geometry, not on the frame.
    """
    x0, y0, x1, y1 = box
    xs = (np.arange(x0, x1, dtype=np.float32) + 0.5) / scale - 0.5
    ys = (np.arange(y0, y1, dtype=np.float32) + 0.5) / scale - 0.5
    dx = np.zeros((y1 - y0, x1 - x0), np.float32)
    dy = _lid_field(xs, ys) if is_lid_movement(kind, emotion, regions) else np.zeros_like(dx)
    if kind != "blink":
        components = (
            EMOTION_PATTERNS[emotion] if emotion else [c for r in regions for c in REGION_PATTERNS[r]]
        )
        for cx, cy, vx, vy, sx, sy in components:
            gx = np.exp(-((xs - cx) ** 2) / (2 * sx * sx))
            gy = np.exp(-((ys - cy) ** 2) / (2 * sy * sy))
            weight = np.outer(gy, gx)
            dx += vx * weight
            dy += vy * weight
    peak = float(np.sqrt(dx * dx + dy * dy).max())
    if peak <= 0:
        raise ValueError(f"{kind} event ({emotion}, {regions}) has no displacement inside box {box}")
    return dx / peak, dy / peak
