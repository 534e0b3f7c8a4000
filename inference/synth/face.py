"""The source face: scikit-image's astronaut photo and fixed facial geometry on it.

Coordinates are pixels of the 512x512 photo, read off a zoomed, gridded view of it
(``python -m inference.synth.check --draw DIR`` draws them for a visual check). Fixed coordinates
give ground truth for free: no detector runs, so tests know exactly where each region is.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

FACE_BOX: Box = (180.0, 74.0, 272.0, 182.0)  # hairline-ish to chin, ear to ear
FACE_CENTER = (226.0, 127.0)

# Each region is one or more boxes (left and right parts are separate so a box never covers
# another region). The six names are the ones the motion signals use, plus the chin.
REGIONS: dict[str, tuple[Box, ...]] = {
    "brows": ((188.0, 83.0, 216.0, 93.0), (232.0, 85.0, 262.0, 95.5)),
    "eyes": ((191.0, 94.0, 213.0, 106.0), (235.0, 96.5, 257.0, 109.0)),
    "nose": ((212.0, 108.0, 234.0, 132.0),),
    "cheeks": ((186.0, 114.0, 206.0, 134.0), (242.0, 114.0, 264.0, 134.0)),
    "mouth": ((198.0, 135.0, 248.0, 158.0),),
    "chin": ((208.0, 162.0, 240.0, 180.0),),
}

# Displacement (photo pixels) that brings the upper lid onto the lower lid: a full blink.
BLINK_CLOSED = 7.5


@cache
def astronaut_rgb() -> np.ndarray:
    """The photo as RGB uint8 (cached: skimage reads a PNG each call)."""
    from skimage import data

    return data.astronaut()


NO_FACE_SCENES = ("rocket", "grass", "brick")  # the project's face detector finds nothing in them


@cache
def scene_bgr(scene: str) -> np.ndarray:
    """A source photo as BGR: the astronaut, or a scene with no face for 'no face found' tests."""
    from skimage import data

    if scene == "astronaut":
        rgb = astronaut_rgb()
    elif scene in NO_FACE_SCENES:
        rgb = getattr(data, scene)()
    else:
        raise ValueError(f"unknown scene {scene!r}; expected 'astronaut' or one of {NO_FACE_SCENES}")
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
