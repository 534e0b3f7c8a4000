"""Decoding calibration from the training videos' weak labels (never from a held-out video).

A weakly trained activation has no fixed scale: after a short training its peaks may sit under
every absolute threshold (no detections at all), after a long one over all of them. So the curve
proposals come from (the expression curve, or each class's curve) is divided by its typical peak
in the training videos that contain an expression (of that class), and per kind the proposal
score cut is the one that best separates, by their strongest proposal of that kind, the training
videos that contain the kind from those that do not: video-level labels suffice.
"""

from __future__ import annotations

import numpy as np

from .config import CLASSES, MCWESConfig
from .decode import proposals


def best_cut(pos: list[float], neg: list[float], floor: float) -> float:
    """Score cut with the best balanced accuracy of "strongest proposal >= cut" against the
    weak label; halfway to the next lower score so a slightly weaker video still passes. The
    floor only bounds the result: as a candidate it would sit between negatives without any
    proposal (score 0) and the positives, and the cut would hug the negatives."""
    if not pos or not neg:
        return floor
    scores = np.unique(np.concatenate([pos, neg]))
    pos_a, neg_a = np.asarray(pos), np.asarray(neg)
    acc = [(pos_a >= c).mean() + (neg_a < c).mean() for c in scores]
    i = int(np.argmax(acc))
    return float(max(floor, (scores[i] + scores[i - 1]) / 2 if i else scores[i]))


def _typical_peak(peaks: list[float]) -> float:
    median = float(np.median(peaks)) if peaks else 0.0
    return median if median > 1e-6 else 1.0


def fit_decoding(
    acts: list[np.ndarray],
    labels: list[np.ndarray],
    spans: list[np.ndarray],
    fps: list[float],
    config: MCWESConfig,
) -> dict[str, float | list[float]]:
    """Scales and per-kind "score_cut" from training activations (S, 2) and weak labels [ME, MaE];
    stored in the checkpoint's norm and passed to decode.proposals by `predict`."""
    if config.label_by == "duration":
        scales: dict = {
            "expression_scale": _typical_peak(
                [a.sum(1).max() for a, y in zip(acts, labels, strict=True) if y.max() > 0]
            )
        }
    else:
        scales = {
            "act_scale": [
                _typical_peak([a[:, c].max() for a, y in zip(acts, labels, strict=True) if y[c] > 0])
                for c in range(len(CLASSES))
            ]
        }
    loose = {**scales, "score_cut": [1e-9] * len(CLASSES)}
    tops = []  # per video: the strongest proposal's score of each kind
    for a, sp, f in zip(acts, spans, fps, strict=True):
        found = proposals(a, sp, f, config, loose)
        tops.append([max((p[3] for p in found if p[0] == kind), default=0.0) for kind in CLASSES])
    cuts = []
    for c in range(len(CLASSES)):
        pos = [t[c] for t, y in zip(tops, labels, strict=True) if y[c] > 0]
        neg = [t[c] for t, y in zip(tops, labels, strict=True) if y[c] == 0]
        cuts.append(best_cut(pos, neg, config.min_score))
    return {**scales, "score_cut": cuts}
