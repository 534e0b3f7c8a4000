"""Local deformation patterns: what moves where for each emotion, a blink, or a bare region.

A pattern is a sum of Gaussian bumps of displacement. Each component is
``(x, y, vx, vy, sx, sy)``: centre and spread in photo pixels, direction of motion of the skin
(unit-free; the field is normalised so its largest displacement is 1 and the event's amplitude
sets the size in frame pixels). Emotions use different regions *and* directions, so a
classifier can tell them apart from motion alone.

| emotion    | movement (FACS-like)                                   | regions          |
|------------|--------------------------------------------------------|------------------|
| happiness  | lip corners up and out (AU12), cheeks raised (AU6)     | mouth, cheeks    |
| surprise   | whole brows up (AU1+2), jaw drop (AU26)                | brows, mouth, chin |
| disgust    | nose wrinkle (AU9), upper lip raised (AU10)            | nose, mouth      |
| sadness    | inner brows up (AU1), lip corners down (AU15)          | brows, mouth     |
| anger      | brows down and together (AU4), lips pressed (AU24)     | brows, mouth     |
| fear       | brows up and together (AU1+2+4), lips stretched (AU20) | brows, mouth     |
| contempt   | right lip corner up and out only (R AU12/14)           | mouth            |
| repression | lips pressed (AU24), chin raised (AU17)                | mouth, chin      |
| others     | chin raised (AU17)                                     | chin             |
| (blink)    | both upper eyelids down (AU45)                         | eyes             |
"""

from __future__ import annotations

from functools import cache

import numpy as np

Component = tuple[float, float, float, float, float, float]

# Landmarks of the photo (pixels of the 512x512 astronaut image).
_BROW_IN_L, _BROW_MID_L, _BROW_OUT_L = (210.0, 91.0), (201.0, 89.0), (193.0, 91.0)
_BROW_IN_R, _BROW_MID_R, _BROW_OUT_R = (237.0, 92.0), (246.0, 91.0), (255.0, 93.0)
_EYE_L, _EYE_R = (202.5, 100.5), (246.0, 103.0)
_NOSE_L, _NOSE_R, _NOSE_TOP = (215.0, 118.0), (231.0, 119.0), (223.0, 110.0)
_LIP_UP, _LIP_LOW = (222.0, 139.0), (222.0, 153.0)
_CORNER_L, _CORNER_R = (201.0, 141.0), (245.0, 141.0)
_CHEEK_L, _CHEEK_R = (194.0, 126.0), (254.0, 127.0)
_CHIN = (224.0, 171.0)


def _c(point: tuple[float, float], vx: float, vy: float, sx: float = 6.0, sy: float = 5.0) -> Component:
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
        _c(_CHEEK_L, 0.0, -0.7, 7, 6),
        _c(_CHEEK_R, 0.0, -0.7, 7, 6),
    ),
    "surprise": (
        _c(_BROW_MID_L, 0.0, -1.0, 10, 4),
        _c(_BROW_MID_R, 0.0, -1.0, 10, 4),
        _c(_LIP_LOW, 0.0, 0.8, 12, 5),
        _c(_CHIN, 0.0, 1.0, 12, 7),
    ),
    "disgust": (
        _c(_NOSE_L, 0.3, -0.8, 4, 5),
        _c(_NOSE_R, -0.3, -0.8, 4, 5),
        _c(_NOSE_TOP, 0.0, -0.5, 5, 4),
        _c(_LIP_UP, 0.0, -1.0, 9, 3),
    ),
    "sadness": (
        _c(_BROW_IN_L, 0.2, -1.0, 4, 4),
        _c(_BROW_IN_R, -0.2, -1.0, 4, 4),
        _c(_CORNER_L, 0.0, 1.0, 5, 4),
        _c(_CORNER_R, 0.0, 1.0, 5, 4),
    ),
    "anger": (
        _c(_BROW_IN_L, 0.8, 0.8, 6, 4),
        _c(_BROW_IN_R, -0.8, 0.8, 6, 4),
        _c(_LIP_UP, 0.0, 0.6, 10, 3),
        _c(_LIP_LOW, 0.0, -0.8, 10, 3),
    ),
    "fear": (
        _c(_BROW_IN_L, 0.5, -1.0, 6, 4),
        _c(_BROW_IN_R, -0.5, -1.0, 6, 4),
        _c(_CORNER_L, -1.0, 0.2, 5, 4),
        _c(_CORNER_R, 1.0, 0.2, 5, 4),
    ),
    "contempt": (_c(_CORNER_R, 0.8, -0.8, 5, 4),),
    "repression": (
        _c(_LIP_UP, 0.0, 0.6, 10, 3),
        _c(_LIP_LOW, 0.0, -0.8, 10, 3),
        _c(_CHIN, 0.0, -1.0, 9, 6),
    ),
    "others": (_c(_CHIN, 0.0, -1.0, 9, 6),),
}

EMOTION_REGIONS: dict[str, tuple[str, ...]] = {
    "happiness": ("mouth", "cheeks"),
    "surprise": ("brows", "mouth", "chin"),
    "disgust": ("nose", "mouth"),
    "sadness": ("brows", "mouth"),
    "anger": ("brows", "mouth"),
    "fear": ("brows", "mouth"),
    "contempt": ("mouth",),
    "repression": ("mouth", "chin"),
    "others": ("chin",),
}

BLINK: tuple[Component, ...] = (_c((202.5, 103.0), 0.0, 1.0, 8, 4.5), _c((246.0, 105.5), 0.0, 1.0, 8, 4.5))

# A movement of one region with no emotion attached (used when an event names regions only).
REGION_PATTERNS: dict[str, tuple[Component, ...]] = {
    "brows": (_c(_BROW_MID_L, 0.0, -1.0, 9, 4), _c(_BROW_MID_R, 0.0, -1.0, 9, 4)),
    "eyes": BLINK,
    "nose": EMOTION_PATTERNS["disgust"][:3],
    "cheeks": (_c(_CHEEK_L, 0.0, -1.0, 7, 6), _c(_CHEEK_R, 0.0, -1.0, 7, 6)),
    "mouth": (_c(_CORNER_L, -0.7, -1.0), _c(_CORNER_R, 0.7, -1.0)),
    "chin": EMOTION_PATTERNS["others"],
}


def components_for(kind: str, emotion: str | None, regions: tuple[str, ...]) -> tuple[Component, ...]:
    """The pattern of an event: blink, emotion, or the union of its regions' movements."""
    if kind == "blink":
        return BLINK
    if emotion is not None:
        return EMOTION_PATTERNS[emotion]
    return tuple(c for region in regions for c in REGION_PATTERNS[region])


@cache
def unit_field(
    components: tuple[Component, ...], box: tuple[int, int, int, int], scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (dx, dy) over ``box`` of the scaled photo, peak magnitude 1.

    ``scale`` maps photo pixels to the scaled photo the renderer deforms; cached because
    the field depends only on the pattern and the frame geometry, not on the frame.
    """
    x0, y0, x1, y1 = box
    xs = (np.arange(x0, x1, dtype=np.float32) + 0.5) / scale - 0.5
    ys = (np.arange(y0, y1, dtype=np.float32) + 0.5) / scale - 0.5
    dx = np.zeros((y1 - y0, x1 - x0), np.float32)
    dy = np.zeros_like(dx)
    for cx, cy, vx, vy, sx, sy in components:
        gx = np.exp(-((xs - cx) ** 2) / (2 * sx * sx))
        gy = np.exp(-((ys - cy) ** 2) / (2 * sy * sy))
        weight = np.outer(gy, gx)
        dx += vx * weight
        dy += vy * weight
    peak = float(np.sqrt(dx * dx + dy * dy).max())
    if peak <= 0:
        raise ValueError(f"pattern {components} has no displacement inside box {box}")
    return dx / peak, dy / peak
