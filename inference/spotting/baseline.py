"""Training-free ME/MaE spotter on per-region motion signals (MODELS.md §2).

Input ``values[t, r]`` is the flow magnitude of region r between frames t-1 and t (a speed), so an
expression shows as motion while the face moves away from neutral and again while it returns.

Steps, at a canonical ~30 fps: smooth each region; subtract the per-frame median of the regions
(the common motion: residual head movement); subtract a running median much wider than any
expression so slow drift cancels; divide each region by its robust noise level (MAD), giving
z-scores; take the strongest region per frame (``activity``) and average it over a short window
(``accumulated``) so the away and return phases of one ME form one peak; detect peaks
(``scipy.signal.find_peaks``); grow each peak's interval where its leading region stays above a
fraction of its peak; merge the away and return phases of one slow movement; classify by
duration; suppress eye-only events as blinks and events where the common motion is strong as
head movements; NMS; cap per minute.

Slow MaEs move less per frame than per-frame flow noise. Given ``window_values`` (flow across
±h frames, ``signals.window_speed``), the same steps run on it too (edges at half height; a run
short enough to be a blurred ME loses half of the blur) and the two readings of each movement
are reconciled: the sharper per-frame one for short movements, the window one for long ones.

Choices (MEGC baselines MDMD / flow feature difference -> what we do, and why):

- drift: they difference frame t against t±k -> our input is already a per-frame speed, so the
  windowed difference becomes subtracting a running median (window ``baseline_s``).
- threshold: mean + p·(max − mean) of the video -> default ``mad``: z >= ``height`` in each
  region's own noise units, so one huge MaE does not hide a video's MEs; ``range`` is the MEGC rule.
- onset / offset: where the curve falls back -> first / last frame of the grown run, with
  offset = last moving frame − 1 because a speed at t describes the step t−1 -> t.
- apex: the peak of the curve -> the frame where half of the interval's motion has accumulated;
  the away and return phases cover the same distance, so displacement peaks there.
- score: peak height -> ``z / (z + score_z)`` (mad) or the relative height p (range), in [0, 1].
  Every candidate keeps its score, so a caller re-thresholds without re-running.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import find_peaks

EYE_REGION = "eyes"


@dataclass(frozen=True)
class BaselineParams:
    """Every threshold of the spotter. Durations are in seconds, converted to frames of the working rate."""

    canonical_fps: float = 30.0  # work at this rate when the video is much faster
    smooth_s: float = 0.1  # moving average per region
    global_reference: str = "median"  # "median" of the regions, "nose", or "none"
    baseline_s: float = 6.0  # running-median width: well over the longest expression
    accumulate_s: float = 0.2  # window merging the away and return phases of one movement
    threshold_mode: str = "mad"  # "mad" (z-score) or "range" (mean + p * (max - mean))
    height: float = 5.0  # mad: minimum peak z; range: minimum p
    candidate_height: float = 3.0  # candidates kept down to this (same unit), for re-thresholding
    fall: float = 0.25  # interval = where activity stays above fall * peak activity
    fall_z: float = 2.5  # ... and above this z
    bridge_s: float = 0.1  # dips shorter than this inside one movement do not end it
    min_s: float = 0.1  # shorter runs are noise
    me_max_s: float = 0.5  # ME <= 0.5 s
    mae_max_s: float = 4.0  # MaE 0.5-4 s; longer runs are not expressions
    merge_gap_s: float = 0.5  # away and return phases this close (or up to their length) are merged ...
    merge_ratio: float = 0.3  # ... when led by the same region and of similar strength
    blink_ratio: float = 0.5  # blink when no other region reaches this fraction of the eyes
    head_ratio: float = 0.8  # head movement when the common (all-region) motion reaches this fraction
    nms_iou: float = 0.3
    max_per_minute: float = 40.0
    window_half_s: float = 0.17  # half width of the window speed (``signals.window_speed``)
    window_fall: float = 0.5  # the window blurs edges by h frames each side: cut at half height
    score_z: float = 10.0  # mad score: z / (z + score_z)

    def __post_init__(self) -> None:
        if self.global_reference not in ("median", "nose", "none"):
            raise ValueError(f"global_reference must be median, nose or none, got {self.global_reference!r}")
        if self.threshold_mode not in ("mad", "range"):
            raise ValueError(f"threshold_mode must be mad or range, got {self.threshold_mode!r}")
        for name, value in asdict(self).items():
            if isinstance(value, float) and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"BaselineParams.{name} must be a finite number >= 0, got {value}")
        if self.canonical_fps <= 0 or not 0 < self.fall < 1 or self.me_max_s >= self.mae_max_s:
            raise ValueError("BaselineParams: need canonical_fps > 0, 0 < fall < 1 and me_max_s < mae_max_s")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def score_cut(self, height: float | None = None) -> float:
        """The score that a peak of ``height`` (default: ``self.height``) gets."""
        h = self.height if height is None else height
        return h / (h + self.score_z) if self.threshold_mode == "mad" else min(h, 1.0)

    def height_for_score(self, score: float) -> float | None:
        """The peak height that scores ``score``: where a run's threshold lies on its accumulated curve.
        None in range mode (the height depends on each video's own range) and for a score of 1 or more."""
        if self.threshold_mode != "mad" or score >= 1:
            return None
        return self.score_z * max(score, 0.0) / (1 - max(score, 0.0))


@dataclass(frozen=True)
class Candidate:
    """A detected movement, frames of the input video (0-based, inclusive)."""

    kind: str  # "ME", "MaE"; rejected: "blink" (eyes only), "head" (all regions), "long", "short",
    # "echo" / "part" (the same movement read better from the other signal, see ``_reconcile``)
    onset: int
    apex: int
    offset: int
    score: float
    peak_z: float
    regions: tuple[str, ...]  # regions ordered by their share of the motion
    source: str = "frame"  # the per-frame speed ("frame") or the window speed ("window")

    @property
    def is_expression(self) -> bool:
        return self.kind in ("ME", "MaE")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SpotResult:
    intervals: list[Candidate]  # expressions with score >= the params' cut, after NMS and the cap
    candidates: list[Candidate]  # everything found, for re-thresholding and for the UI
    curves: dict[str, np.ndarray]  # one value per input frame: "activity", "accumulated", "z:<region>"
    params: BaselineParams
    fps: float
    frame_count: int

    def filter(self, min_score: float) -> list[Candidate]:
        """Intervals at another score threshold, without re-running the detector."""
        return select(self.candidates, min_score, self.params, self.frame_count / self.fps / 60.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": self.params.to_dict(),
            "fps": self.fps,
            "frame_count": self.frame_count,
            "intervals": [c.to_dict() for c in self.intervals],
            "candidates": [c.to_dict() for c in self.candidates],
            "curves": {k: v.tolist() for k, v in self.curves.items()},
        }


def _check_input(values: np.ndarray, regions: Sequence[str], fps: float) -> np.ndarray:
    x = np.asarray(values)
    if x.ndim != 2 or x.shape[1] != len(regions):
        raise ValueError(f"values must have shape (frames, {len(regions)} regions), got {x.shape}")
    if len(set(regions)) != len(regions):
        raise ValueError(f"regions contain duplicates: {list(regions)}")
    if not (isinstance(fps, int | float) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    x = x.astype(np.float64)
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        t, r = bad[0]
        raise ValueError(f"values[{t}, {r}] (region {regions[r]!r}) is {x[t, r]}: motion must be finite")
    return x


def _bins(n: int, fps: float, canonical: float) -> np.ndarray:
    """First input frame of each working frame: whole frames when fps is near canonical, else bins."""
    if fps < 1.5 * canonical:
        return np.arange(n)
    index = np.floor(np.arange(n) * canonical / fps + 1e-9).astype(np.int64)
    return np.flatnonzero(np.r_[True, np.diff(index) > 0])


def _grow(active: np.ndarray, start: int, bridge: int, limit: int) -> tuple[int, int]:
    """The run of active frames around ``start``, crossing dips of at most ``bridge`` frames."""
    bounds = []
    for step in (-1, 1):
        edge, i, gap = start, start, 0
        while 0 <= i + step < len(active) and gap <= bridge and abs(i - start) <= limit:
            i += step
            if active[i]:
                edge, gap = i, 0
            else:
                gap += 1
        bounds.append(edge)
    return bounds[0], bounds[1]


def spot(
    values: np.ndarray,
    regions: Sequence[str],
    fps: float,
    params: BaselineParams | None = None,
    window_values: np.ndarray | None = None,
) -> SpotResult:
    """Spot ME and MaE intervals in one video's motion signals; see the module docstring.

    ``window_values`` (optional, same shape): region speeds measured across a window, from
    ``signals.window_speed`` with ``params.window_half_s``. Slow movements that per-frame flow
    cannot see show there; movements found in both are reconciled (``_reconcile``).
    """
    params = params or BaselineParams()
    regions = list(regions)
    raw = _check_input(values, regions, fps)
    if params.global_reference == "nose" and "nose" not in regions:
        raise ValueError(f"global_reference='nose' needs a 'nose' region, got regions {regions}")
    n = len(raw)
    if n == 0:
        return SpotResult([], [], {}, params, float(fps), 0)
    candidates, curves = _detect(raw, regions, fps, params, step=1)
    if window_values is not None:
        window = _check_input(window_values, regions, fps)
        if window.shape != raw.shape:
            raise ValueError(f"window_values has shape {window.shape}, values {raw.shape}: they must match")
        slow, slow_curves = _detect(window, regions, fps, params, step=0)
        candidates = _reconcile(candidates, slow, round(params.window_half_s * fps), params.score_cut())
        curves.update({f"window:{k}": v for k, v in slow_curves.items() if not k.startswith("z:")})
    minutes = n / fps / 60.0
    intervals = select(candidates, params.score_cut(), params, minutes)
    return SpotResult(intervals, candidates, curves, params, float(fps), n)


def _detect(
    raw: np.ndarray, regions: list[str], fps: float, params: BaselineParams, step: int
) -> tuple[list[Candidate], dict[str, np.ndarray]]:
    """Candidates and curves from one (N, R) speed signal; ``step`` = 1 when the speed at t is the
    step t-1 -> t (the last moving frame is then one after the offset), 0 when it is centred."""
    n = len(raw)
    starts = _bins(n, fps, params.canonical_fps)
    ends = np.r_[starts[1:], n] - 1
    rate = fps if len(starts) == n else params.canonical_fps

    def frames(seconds: float) -> int:
        return max(1, round(seconds * rate))

    x = np.add.reduceat(raw, starts, axis=0) / (ends - starts + 1)[:, None]
    x = uniform_filter1d(x, frames(params.smooth_s), axis=0, mode="nearest")
    if params.global_reference == "median":
        common = np.median(x, axis=1)
    elif params.global_reference == "nose":
        common = x[:, regions.index("nose")].copy()
    else:
        common = np.zeros(len(x))
    width = frames(params.baseline_s)
    z = _robust_z(x - common[:, None], width)
    head = _robust_z(common[:, None], width)[:, 0]
    activity = z.max(axis=1)
    accumulated = uniform_filter1d(activity, frames(params.accumulate_s), mode="nearest")
    candidates = []
    mean, top = accumulated.mean(), accumulated.max()
    fall = params.fall if step else params.window_fall
    for left, right, height, lead in _runs(accumulated, z, frames, params, fall):
        onset = int(starts[left])
        offset = max(onset, int(ends[right]) - step)
        if not step and offset - onset + 1 <= (params.me_max_s + 2 * params.window_half_s) * fps:
            # short enough to be an ME widened by the window's blur: undo half of the blur
            trim = min(round(params.window_half_s * fps) // 2, (offset - onset) // 2)
            onset, offset = onset + trim, offset - trim
        mass = np.cumsum(np.clip(z[left : right + 1, lead], 0.0, None))
        j = left + int(np.searchsorted(mass, mass[-1] / 2))
        apex = min(max(int(starts[j] + (ends[j] - starts[j]) // 2), onset), offset)
        strength = np.clip(z[left : right + 1], 0.0, None).sum(axis=0)
        order = tuple(regions[r] for r in np.argsort(-strength, kind="stable"))
        seconds = (offset - onset + 1) / fps
        if seconds < params.min_s:
            kind = "short"
        elif head[left : right + 1].max() >= params.head_ratio * z[left : right + 1, lead].max():
            kind = "head"
        elif _is_blink(strength, regions, params.blink_ratio):
            kind = "blink"
        elif seconds <= params.me_max_s:
            kind = "ME"
        elif seconds <= params.mae_max_s:
            kind = "MaE"
        else:
            kind = "long"
        if params.threshold_mode == "mad":
            score = height / (height + params.score_z)
        else:
            score = float(np.clip((height - mean) / (top - mean), 0.0, 1.0)) if top > mean else 0.0
        source = "frame" if step else "window"
        candidates.append(Candidate(kind, onset, apex, offset, float(score), height, order, source))

    per_frame = np.repeat(np.arange(len(starts)), ends - starts + 1)
    curves = {"activity": activity[per_frame], "accumulated": accumulated[per_frame], "head": head[per_frame]}
    curves.update({f"z:{name}": z[per_frame, r] for r, name in enumerate(regions)})
    return candidates, {k: v.astype(np.float32) for k, v in curves.items()}


def _reconcile(frame: list[Candidate], window: list[Candidate], half: int, cut: float) -> list[Candidate]:
    """Keep one reading of each movement seen in both signals.

    The window signal blurs a movement by ``half`` frames on each side. A window candidate no
    longer than an overlapping frame candidate (scoring at least ``cut``) plus that blur is the
    same movement, and the frame one is sharper: the window one is marked ``echo``. A longer one
    is a slow movement the per-frame signal saw only in pieces: those are marked ``part``.
    """
    out_window, parts = [], set()
    for w in window:
        inside = [
            f
            for f in frame
            if f.is_expression and f.score >= cut and f.onset <= w.offset and w.onset <= f.offset
        ]
        if w.is_expression and any(w.offset - w.onset <= f.offset - f.onset + 2 * half + 1 for f in inside):
            w = replace(w, kind="echo")
        elif w.is_expression:
            parts.update(id(f) for f in inside)
        out_window.append(w)
    return [replace(f, kind="part") if id(f) in parts else f for f in frame] + out_window


def _runs(
    detect: np.ndarray, z: np.ndarray, frames: Any, params: BaselineParams, fall: float
) -> list[tuple[int, int, float, int]]:
    """(first, last working frame, peak height, leading region) of each movement.

    Peaks of ``detect``, strongest first, grow into the run where their leading region's z stays
    above ``fall`` times its peak (other regions' noise cannot stretch it); a run never enters an
    earlier, stronger one. Consecutive runs of the same region, close together and of similar
    strength are merged: the away and return phases of a slow MaE are separated by a still
    moment at the apex, which lasts longer the slower the movement (so a gap up to the shorter
    run's length also merges).
    """
    window = frames(params.accumulate_s)
    peaks, _ = find_peaks(detect, height=params.candidate_height, distance=window)
    half = window // 2 + 1
    bridge, limit = frames(params.bridge_s), frames(params.mae_max_s) + 1
    taken = np.zeros(len(z), bool)
    runs = []
    for p in sorted(peaks, key=lambda p: -detect[p]):
        lo, hi = max(0, p - half), min(len(z), p + half + 1)
        q, lead = np.unravel_index(np.argmax(z[lo:hi]), z[lo:hi].shape)
        q, lead = lo + int(q), int(lead)
        if taken[q]:
            continue
        curve = z[:, lead]
        left, right = _grow((curve > max(fall * curve[q], params.fall_z)) & ~taken, q, bridge, limit)
        taken[left : right + 1] = True
        runs.append((left, right, float(detect[p]), lead))
    merged: list[tuple[int, int, float, int]] = []
    for left, right, height, lead in sorted(runs):
        if merged:
            left0, right0, height0, lead0 = merged[-1]
            if (
                left - right0 - 1 <= max(frames(params.merge_gap_s), min(right - left, right0 - left0) + 1)
                and lead == lead0
                and min(height, height0) >= params.merge_ratio * max(height, height0)
                and right - left0 < limit
            ):
                merged[-1] = (left0, right, max(height, height0), lead)
                continue
        merged.append((left, right, height, lead))
    return merged


def _rescale(x: np.ndarray) -> np.ndarray:
    """Zero-median columns in units of their robust noise level (MAD)."""
    mad = 1.4826 * np.median(np.abs(x - np.median(x, axis=0)), axis=0)
    return x / np.maximum(mad, 1e-3 * np.abs(x).max(initial=0.0) + 1e-12)


def _robust_z(x: np.ndarray, width: int) -> np.ndarray:
    """Columns minus their running median (drift), in units of their robust noise level (MAD)."""
    return _rescale(x - _running_median(x, width))


def _running_median(x: np.ndarray, width: int) -> np.ndarray:
    """Running median of each column over ``width`` frames, on every ``width // 15``-th frame and
    interpolated between: the drift it follows is slow, and the full filter dominated the run time."""
    step = max(1, width // 15)
    coarse = median_filter(x[::step], size=(max(1, width // step), 1), mode="nearest")
    t = np.arange(len(x))
    return np.stack([np.interp(t, t[::step], c) for c in coarse.T], axis=1)


def _is_blink(strength: np.ndarray, regions: list[str], ratio: float) -> bool:
    """Eye-only movement: the eyes lead and no other region reaches ``ratio`` of their motion."""
    if EYE_REGION not in regions:
        return False
    eyes = strength[regions.index(EYE_REGION)]
    others = np.delete(strength, regions.index(EYE_REGION))
    return eyes > 0 and (others.max(initial=0.0) < ratio * eyes)


def _iou(a: Candidate, b: Candidate) -> float:
    inter = max(0, min(a.offset, b.offset) - max(a.onset, b.onset) + 1)
    return inter / ((a.offset - a.onset + 1) + (b.offset - b.onset + 1) - inter)


def select(
    candidates: Sequence[Candidate], min_score: float, params: BaselineParams, minutes: float
) -> list[Candidate]:
    """Expressions scoring >= min_score, non-maximum suppressed, capped per minute, by onset."""
    kept: list[Candidate] = []
    cap = max(1, math.ceil(params.max_per_minute * minutes))
    for c in sorted(
        (c for c in candidates if c.is_expression and c.score >= min_score), key=lambda c: -c.score
    ):
        if len(kept) < cap and all(_iou(c, k) < params.nms_iou for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: (c.onset, c.offset))
