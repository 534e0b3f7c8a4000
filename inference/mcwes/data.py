"""Per-video inputs, resampling to the canonical rate and cached snippet tensors.

A video is its aligned grayscale crops (T, H, W) uint8 plus per-frame regional motion magnitudes
(T, R), or user-supplied snippet features (S, D) that replace both encoders. Everything the
network sees is built once per video (`snippet_inputs`) and cached by the caller, because the
encoders are cheap and the pre-processing is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from inference.media.motion import REGIONS
from inference.spotting.signals import window_speed

from .config import MCWESConfig


@dataclass
class VideoInput:
    """One video (or sub-video window). Frame indices everywhere are the video's own, 0-based.

    `window_motion` (T, len(REGIONS)) is the window speed (inference.spotting.signals.window_speed at
    config.window_half_s); computed from the crops when None and the config asks for it.
    `labels` is the weak video-level label {"ME": 0/1, "MaE": 0/1}; `intervals` are optional
    frame-level truths [{"kind", "onset", "offset"}] (inclusive) used by frame supervision or to
    derive weak labels; `offset` is the index of this window's first frame in the source video.
    """

    fps: float
    crops: np.ndarray | None = None
    motion: np.ndarray | None = None
    window_motion: np.ndarray | None = None
    features: np.ndarray | None = None
    n_frames: int | None = None  # required with `features` alone
    labels: dict[str, int] | None = None
    intervals: list[dict] | None = None
    video_id: str = ""
    subject: str = ""
    offset: int = 0
    windows: list[tuple[int, int, dict[str, int]]] = field(default_factory=list)

    @property
    def length(self) -> int:
        for arr in (self.crops, self.motion):
            if arr is not None:
                return int(arr.shape[0])
        if self.n_frames is None:
            raise ValueError(f"video {self.video_id!r}: give crops/motion or n_frames with features")
        return int(self.n_frames)


def validate(video: VideoInput, config: MCWESConfig) -> None:
    """Raise a ValueError naming the video and the field when inputs are unusable."""
    name = f"video {video.video_id!r}"
    if not np.isfinite(video.fps) or video.fps <= 0:
        raise ValueError(f"{name}: fps must be a positive number, got {video.fps}")
    if config.feature_dim:
        f = video.features
        if f is None or f.ndim != 2 or f.shape[1] != config.feature_dim:
            got = None if f is None else f.shape
            raise ValueError(f"{name}: features must be (S, {config.feature_dim}), got {got}")
        if not np.isfinite(f).all():
            raise ValueError(f"{name}: features contain NaN or inf")
        expected = n_snippets(len(canonical_index(video.length, canonical_step(video.fps, config))), config)
        if abs(len(f) - expected) > 2:
            raise ValueError(
                f"{name}: {len(f)} feature rows, but {video.length} frames at {video.fps} fps make "
                f"{expected} snippets of {config.snippet_len} frames every {config.snippet_stride}"
            )
        return
    c, m = video.crops, video.motion
    if c is None or m is None:
        raise ValueError(f"{name}: crops and motion are both required (or configure feature_dim)")
    if c.ndim != 3 or c.dtype != np.uint8 or c.shape[1] != c.shape[2]:
        raise ValueError(f"{name}: crops must be (T, S, S) uint8, got {c.shape} {c.dtype}")
    if m.ndim != 2 or m.shape[0] != c.shape[0]:
        raise ValueError(f"{name}: motion must be (T, R) with T = {c.shape[0]} crops, got {m.shape}")
    if config.n_regions and m.shape[1] != config.n_regions:
        raise ValueError(f"{name}: motion has {m.shape[1]} regions, model expects {config.n_regions}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name}: motion contains NaN or inf")
    w = video.window_motion
    if (
        config.window_half_s
        and w is not None
        and (w.shape != (len(c), len(REGIONS)) or not np.isfinite(w).all())
    ):
        raise ValueError(f"{name}: window_motion must be finite ({len(c)}, {len(REGIONS)}), got {w.shape}")
    if c.shape[0] < 2:
        raise ValueError(f"{name}: needs at least 2 frames, got {c.shape[0]}")


def motion_columns(config: MCWESConfig) -> int:
    """Regional signals per frame the motion stream sees: motion, then the window speed."""
    return config.n_regions + (len(REGIONS) if config.window_half_s else 0)


def canonical_step(fps: float, config: MCWESConfig) -> float:
    """Source frames per canonical frame: 1 up to 1.25x the canonical rate, else fps / 30."""
    return 1.0 if fps <= 1.25 * config.canonical_fps else fps / config.canonical_fps


def canonical_index(n_frames: int, step: float) -> np.ndarray:
    """Source frame index of each canonical frame (nearest frame, never past the end)."""
    n = int(np.floor((n_frames - 1) / step)) + 1
    return np.minimum(np.round(np.arange(n) * step).astype(int), n_frames - 1)


def n_snippets(n_canon: int, config: MCWESConfig) -> int:
    extra = max(0, n_canon - config.snippet_len)
    return int(np.ceil(extra / config.snippet_stride)) + 1


def snippet_frames(n_snip: int, step: float, n_frames: int, config: MCWESConfig) -> np.ndarray:
    """(S, 2) inclusive source-frame range each snippet stands for: the `stride` canonical frames
    around its centre, so that consecutive snippets tile the timeline without overlap."""
    centre = np.arange(n_snip) * config.snippet_stride + (config.snippet_len - 1) / 2
    half = config.snippet_stride / 2
    lo = np.ceil(centre - half)
    hi = np.floor(centre + half - 1e-9)
    first = np.round(lo * step).astype(int)
    last = np.round((hi + 1) * step).astype(int) - 1
    first[0], last[-1] = 0, n_frames - 1  # the edges belong to the first and last snippet
    return np.clip(np.stack([first, np.maximum(first, last)], 1), 0, n_frames - 1)


def snippet_centres(n_snip: int, step: float, config: MCWESConfig) -> np.ndarray:
    """Source-frame position of each snippet's centre (for per-frame curves)."""
    return (np.arange(n_snip) * config.snippet_stride + (config.snippet_len - 1) / 2) * step


@dataclass
class SnippetInputs:
    """What the network consumes for one video, in canonical snippets (float32)."""

    appearance: np.ndarray  # (S, L, c, c) crop minus running-median neutral reference
    difference: np.ndarray  # (S, L-1, c, c) consecutive-frame differences
    regional: np.ndarray  # (S, L * R) regional motion magnitudes inside the snippet
    features: np.ndarray | None  # (S, D) user-supplied features, replaces the three above
    step: float
    n_frames: int

    @property
    def n_snip(self) -> int:
        return len(self.features) if self.features is not None else len(self.appearance)


def _windows(x: np.ndarray, n_snip: int, config: MCWESConfig) -> np.ndarray:
    """(T, ...) -> (S, L, ...), padding past the end by repeating the last frame."""
    need = (n_snip - 1) * config.snippet_stride + config.snippet_len
    if len(x) < need:
        x = np.concatenate([x, np.repeat(x[-1:], need - len(x), 0)])
    idx = np.arange(n_snip)[:, None] * config.snippet_stride + np.arange(config.snippet_len)[None]
    return x[idx]


def _running_median(frames: np.ndarray, half: int) -> np.ndarray:
    """Neutral reference per frame: pixel median over +-half frames, computed every 4th frame."""
    n = len(frames)
    keys = np.arange(0, n, 4)
    refs = np.stack([np.median(frames[max(0, k - half) : k + half + 1 : 2], axis=0) for k in keys])
    return refs[np.minimum(np.arange(n) // 4, len(keys) - 1)]


def snippet_inputs(video: VideoInput, config: MCWESConfig) -> SnippetInputs:
    validate(video, config)
    n_frames = video.length
    step = canonical_step(video.fps, config)
    if config.feature_dim:
        f = video.features.astype(np.float32)
        return SnippetInputs(np.empty(0), np.empty(0), np.empty(0), f, step, n_frames)
    idx = canonical_index(n_frames, step)
    c = config.crop_size
    crops = np.stack([cv2.resize(video.crops[i], (c, c), interpolation=cv2.INTER_AREA) for i in idx])
    crops = crops.astype(np.float32) / 255.0
    crops -= crops.mean(axis=(1, 2), keepdims=True)  # global brightness changes are not expressions
    # motion between canonical frames = sum of the source-frame magnitudes it spans
    cum = np.concatenate([np.zeros((1, video.motion.shape[1])), np.cumsum(video.motion, 0)])
    motion = (cum[idx + 1] - cum[np.concatenate([[0], idx[:-1] + 1])]).astype(np.float32)
    if config.window_half_s:  # slow MaEs hide in per-frame flow noise; the window speed sees them
        w = video.window_motion
        if w is None:
            w = window_speed(video.crops, video.fps, config.window_half_s)
        motion = np.concatenate([motion, w[idx].astype(np.float32) * step], 1)
    half = int(round(config.reference_window_s * config.canonical_fps / 2))
    appearance = crops - _running_median(crops, half)
    s = n_snippets(len(idx), config)
    app = _windows(appearance, s, config)
    win = _windows(crops, s, config)
    diff = win[:, 1:] - win[:, :-1]
    reg = _windows(motion, s, config).reshape(s, -1)
    return SnippetInputs(app, diff, reg, None, step, n_frames)
