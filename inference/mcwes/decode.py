"""Turn per-snippet class activations into frame intervals of the video's own frame indices.

Multi-threshold grouping makes proposals at several scales; the outer-inner contrast prefers a
proposal that stands out from its surroundings over one cut out of a long plateau; soft-NMS
keeps overlapping alternatives at reduced score instead of dropping them outright.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .config import CLASSES, MCWESConfig


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) of each run of True values."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e) - 1) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def outer_inner_contrast(x: np.ndarray, start: int, end: int) -> float:
    """Mean inside the run minus mean of a margin of a quarter of its length on either side."""
    m = max(1, round((end - start + 1) / 4))
    outer = np.concatenate([x[max(0, start - m) : start], x[end + 1 : end + 1 + m]])
    return float(x[start : end + 1].mean() - (outer.mean() if len(outer) else 0.0))


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Inclusive-frame temporal IoU (the MEGC convention)."""
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]) + 1)
    return inter / ((a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter)


def soft_nms(
    props: list[tuple[int, int, float]], sigma: float, min_score: float
) -> list[tuple[int, int, float]]:
    """Gaussian soft-NMS: each kept proposal decays the others by exp(-iou^2 / sigma)."""
    left = list(props)
    kept = []
    while left:
        best = max(range(len(left)), key=lambda i: left[i][2])
        top = left.pop(best)
        if top[2] < min_score:
            break
        kept.append(top)
        left = [(s, e, sc * float(np.exp(-(iou((s, e), top[:2]) ** 2) / sigma))) for s, e, sc in left]
    return kept


def class_proposals(
    x: np.ndarray, spans: np.ndarray, fps: float, dur_s: tuple[float, float], config: MCWESConfig
) -> list[tuple[int, int, float]]:
    """Proposals (onset, offset, score) in source frames for one class activation x (S,)."""
    best: dict[tuple[int, int], float] = {}
    for t in config.thresholds:
        for s0, s1 in runs(x >= t):
            onset, offset = int(spans[s0, 0]), int(spans[s1, 1])
            if not dur_s[0] <= (offset - onset + 1) / fps <= dur_s[1]:
                continue
            score = outer_inner_contrast(x, s0, s1)
            best[(onset, offset)] = max(score, best.get((onset, offset), -np.inf))
    props = [(s, e, sc) for (s, e), sc in best.items() if sc >= config.min_score]
    return soft_nms(props, config.soft_nms_sigma, config.min_score)


def is_blink(motion: np.ndarray, onset: int, offset: int, eye: int, ratio: float) -> bool:
    """Eye-only movement: above each column's video median, the eye column leads and no other
    column reaches `ratio` of it over the interval (speed at t is the step t-1 -> t, hence +1)."""
    excess = motion[onset : offset + 2].mean(0) - np.median(motion, 0)
    eyes, others = excess[eye], np.delete(excess, eye)
    return bool(eyes > 0 and others.max(initial=0.0) < ratio * eyes)


def duration_kind(onset: int, offset: int, fps: float, me_max_s: float) -> str:
    """ME when the interval lasts at most me_max_s, else MaE: how the datasets themselves label."""
    return CLASSES[0] if (offset - onset + 1) / fps <= me_max_s else CLASSES[1]


def proposals(
    activations: np.ndarray, spans: np.ndarray, fps: float, config: MCWESConfig, calibration: dict | None
) -> list[tuple[str, int, int, float]]:
    """(kind, onset, offset, score) in source frames, each at or above its kind's score cut.

    activations (S, 2) are p_ME * a and p_MaE * a as the network gives them; `calibration` holds
    the scales and cuts fitted on the training videos (calibrate.fit_decoding), else scale 1 and
    config.min_score. label_by "duration": one class-agnostic pass over the expression curve
    (their sum, (1 - p_bg) * a), each proposal labelled by its length. Weakly trained, the CAS
    locates expressions well but splits them badly between its ME and MaE classes (MEs inside the
    MaE class, onset and offset bursts of an ME in the ME class with the apex in MaE), and duration
    is what tells them apart by definition. label_by "cas": one pass per class on p_c * a.
    """
    cal = calibration or {}
    cuts = list(cal.get("score_cut", [config.min_score] * len(CLASSES)))
    found = []
    if config.label_by == "duration":
        curve = activations.sum(1) / cal.get("expression_scale", 1.0)
        prior = (config.dur_me_s[0], config.dur_mae_s[1])
        for onset, offset, score in class_proposals(
            curve, spans, fps, prior, replace(config, min_score=min(cuts))
        ):
            kind = duration_kind(onset, offset, fps, config.me_max_s)
            if score >= cuts[CLASSES.index(kind)]:
                found.append((kind, onset, offset, score))
        return found
    scale = cal.get("act_scale", [1.0] * len(CLASSES))
    priors = (config.dur_me_s, config.dur_mae_s)
    for c, kind in enumerate(CLASSES):
        cfg = replace(config, min_score=cuts[c])
        found += [
            (kind, *p) for p in class_proposals(activations[:, c] / scale[c], spans, fps, priors[c], cfg)
        ]
    return found


def decode(
    activations: np.ndarray,
    spans: np.ndarray,
    curves: dict[str, np.ndarray],
    fps: float,
    config: MCWESConfig,
    frame_offset: int = 0,
    motion: np.ndarray | None = None,
    calibration: dict | None = None,
) -> list[dict]:
    """Intervals from `proposals` (same arguments), best first, at most config.max_proposals.

    spans (S, 2): source frames per snippet; curves per frame: the apex is the highest frame of
    the "expression" curve (label_by duration) or of the class's curve inside the interval, first
    on ties; with `motion` (T, R) and config.eye_region >= 0, eye-only proposals (blinks) go."""
    blinks = motion is not None and config.eye_region >= 0
    out = []
    for kind, onset, offset, score in proposals(activations, spans, fps, config, calibration):
        if blinks and is_blink(motion, onset, offset, config.eye_region, config.blink_ratio):
            continue
        curve = curves["expression" if config.label_by == "duration" else kind]
        apex = onset + int(np.argmax(curve[onset : offset + 1]))
        out.append(
            {
                "kind": kind,
                "onset": onset + frame_offset,
                "apex": apex + frame_offset,
                "offset": offset + frame_offset,
                "score": round(float(score), 6),
            }
        )
    out.sort(key=lambda d: -d["score"])
    return out[: config.max_proposals]
