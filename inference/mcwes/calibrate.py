"""Decoding calibration from the training videos' weak labels (never from a held-out video).

A weakly trained class activation has no fixed scale: after a short training its peaks may sit
under every absolute threshold (no detections at all), after a long one over all of them. So
per class, the activation is divided by its typical peak in the training videos that contain the
class, and the proposal score cut is the one that best separates, by their strongest proposal,
the training videos that contain the class from those that do not: video-level labels suffice.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .config import CLASSES, MCWESConfig
from .decode import class_proposals


def top_score(
    x: np.ndarray, spans: np.ndarray, fps: float, dur_s: tuple[float, float], config: MCWESConfig
) -> float:
    props = class_proposals(x, spans, fps, dur_s, replace(config, min_score=1e-9))
    return max((p[2] for p in props), default=0.0)


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


def fit_decoding(
    acts: list[np.ndarray],
    labels: list[np.ndarray],
    spans: list[np.ndarray],
    fps: list[float],
    config: MCWESConfig,
) -> dict[str, list[float]]:
    """{"act_scale": per class, "score_cut": per class} from training activations (S, 2) and
    weak labels [ME, MaE]; stored in the checkpoint's norm and used by `predict`."""
    priors = (config.dur_me_s, config.dur_mae_s)
    scale, cut = [], []
    for c in range(len(CLASSES)):
        peaks = [a[:, c].max() for a, y in zip(acts, labels, strict=True) if y[c] > 0]
        s = float(np.median(peaks)) if peaks and np.median(peaks) > 1e-6 else 1.0
        tops = [
            top_score(a[:, c] / s, sp, f, priors[c], config)
            for a, sp, f in zip(acts, spans, fps, strict=True)
        ]
        pos = [t for t, y in zip(tops, labels, strict=True) if y[c] > 0]
        neg = [t for t, y in zip(tops, labels, strict=True) if y[c] == 0]
        scale.append(s)
        cut.append(best_cut(pos, neg, config.min_score))
    return {"act_scale": scale, "score_cut": cut}
