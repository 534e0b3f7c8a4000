"""Intervals and one-to-one interval matching shared by the spotting and agreement metrics.

Frames are integer indices counted inclusively: a span ``onset..offset`` covers
``offset - onset + 1`` frames, so two spans that touch at one frame overlap by one frame.

Matching (why optimal assignment): greedy matching by IoU can lose a true positive when one
prediction overlaps two truths (it takes the better-overlapping truth, which was the only one
another prediction could have matched). We solve the assignment exactly: among all one-to-one
matchings that use only pairs with IoU >= threshold, take one with the **most matches**, and
among those the **largest total IoU**. Remaining exact ties are broken by the solver's
deterministic order (earlier spans first, as given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

KINDS = ("ME", "MaE", "blink", "other")
EXPRESSION_KINDS = ("ME", "MaE")


@dataclass(frozen=True)
class Span:
    """One interval of one video: a ground truth, a prediction, or one annotator's label."""

    kind: str
    onset: int
    offset: int
    apex: int | None = None
    score: float | None = None
    ref: Any = None
    emotion: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Span kind {self.kind!r} is not one of {KINDS} (span {self.ref!r})")
        for name in ("onset", "offset", "apex"):
            value = getattr(self, name)
            if value is None and name == "apex":
                continue
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(
                    f"Span {name} must be an integer frame index, got {value!r} (span {self.ref!r})"
                )
        if self.onset < 0 or self.offset < self.onset:
            raise ValueError(
                f"Span needs 0 <= onset <= offset, got {self.onset}..{self.offset} (span {self.ref!r})"
            )
        if self.apex is not None and not self.onset <= self.apex <= self.offset:
            raise ValueError(
                f"Span apex {self.apex} lies outside {self.onset}..{self.offset} (span {self.ref!r})"
            )

    @property
    def length(self) -> int:
        return self.offset - self.onset + 1

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ref"] = self.ref if isinstance(self.ref, str | int | float | type(None)) else repr(self.ref)
        return out


def iou(a: Span, b: Span) -> float:
    """Intersection over union of two inclusive frame spans (MEGC rule)."""
    inter = max(0, min(a.offset, b.offset) - max(a.onset, b.onset) + 1)
    union = a.length + b.length - inter
    return inter / union


def iou_matrix(truths: Sequence[Span], preds: Sequence[Span]) -> np.ndarray:
    """IoU of every truth (rows) against every prediction (columns)."""
    out = np.zeros((len(truths), len(preds)))
    for i, t in enumerate(truths):
        for j, p in enumerate(preds):
            out[i, j] = iou(t, p)
    return out


def match_spans(
    truths: Sequence[Span], preds: Sequence[Span], threshold: float
) -> tuple[list[tuple[int, int, float]], np.ndarray]:
    """One-to-one matching: max number of pairs with IoU >= threshold, then max total IoU.

    Returns ``(pairs, ious)`` with pairs as (truth index, prediction index, IoU).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"IoU threshold must be in (0, 1], got {threshold}")
    ious = iou_matrix(truths, preds)
    if ious.size == 0:
        return [], ious
    eligible = ious >= threshold
    # A match is worth more than any possible sum of IoUs (at most min(m, n)), so the solver first
    # maximises the count and then the total IoU.
    weight = np.where(eligible, (min(ious.shape) + 1) + ious, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    pairs = [(int(r), int(c), float(ious[r, c])) for r, c in zip(rows, cols, strict=True) if eligible[r, c]]
    return sorted(pairs), ious


def check_spans_by_video(spans: Mapping[str, Sequence[Span]], what: str) -> None:
    """Fail early, naming the video, when a mapping does not hold lists of Span."""
    if not isinstance(spans, Mapping):
        raise TypeError(f"{what} must map video id -> list of Span, got {type(spans).__name__}")
    for video, items in spans.items():
        for i, span in enumerate(items):
            if not isinstance(span, Span):
                raise TypeError(f"{what}[{video!r}][{i}] is {type(span).__name__}, expected Span")
