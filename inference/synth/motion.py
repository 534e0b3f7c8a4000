"""Motion over time: the intensity envelope of an event and the head pose of every frame.

Everything is a vectorised function of frame indices, so the renderer computes all frames'
poses at once and ``SynthSpec.face_box`` can ask for a single frame without rendering.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from inference.synth.spec import SynthSpec


def envelope(onset: int, apex: int, offset: int, index: np.ndarray) -> np.ndarray:
    """Intensity 0..1: smooth rise over onset..apex (1 at apex), fall over apex..offset.

    Non-zero on every frame of onset..offset inclusive, zero outside, so the ground-truth span is
    exactly the frames that differ from neutral.
    """
    i = np.asarray(index, np.float64)
    rise = (i - onset + 1) / (apex - onset + 1)
    fall = (offset + 1 - i) / (offset + 1 - apex)
    t = np.where(i <= apex, rise, fall)
    t = np.where((i >= onset) & (i <= offset), np.clip(t, 0.0, 1.0), 0.0)
    return np.sin(t * math.pi / 2) ** 2


def head_pose(spec: SynthSpec, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per frame (dx, dy, angle in degrees, scale): slow drift from the seed plus head turns.

    At ``head_motion=1`` the drift stays within 2.5 px across, 1.5 px down (at 480 lines), 0.6
    degrees and 0.6 % scale, with periods of 3-9 s: far slower than any expression.
    """
    t = np.asarray(index, np.float64) / spec.fps
    rng = np.random.default_rng([spec.seed, 7])
    unit = spec.height / 480.0
    periods = rng.uniform(3.0, 9.0, size=(4, 2))
    phases = rng.uniform(0, 2 * math.pi, size=(4, 2))
    wave = np.sin(2 * math.pi * t[None, None, :] / periods[..., None] + phases[..., None]).mean(axis=1)
    m = spec.head_motion
    dx, dy = 2.5 * m * unit * wave[0], 1.5 * m * unit * wave[1]
    angle, scale = 0.6 * m * wave[2], 1.0 + 0.006 * m * wave[3]
    for turn in spec.head_turns:
        env = envelope(turn.onset, turn.apex, turn.offset, index)
        dx, dy, angle = dx + turn.dx * env, dy + turn.dy * env, angle + turn.angle * env
    return dx, dy, angle, scale


def photo_to_frame(spec: SynthSpec, index: np.ndarray) -> np.ndarray:
    """(N, 2, 3) affine matrices from photo pixels to frame pixels for the frames ``index``."""
    dx, dy, angle, scale = head_pose(spec, index)
    theta = np.radians(angle)
    s = spec.scale * scale
    cos, sin = s * np.cos(theta), s * np.sin(theta)
    cx, cy = spec.anchor
    tx = spec.width / 2 + dx - (cos * cx - sin * cy)
    ty = spec.height * 0.47 + dy - (sin * cx + cos * cy)
    return np.stack([np.stack([cos, -sin, tx], -1), np.stack([sin, cos, ty], -1)], axis=1)
