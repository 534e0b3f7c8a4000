"""Intervals and one-to-one interval matching shared by the spotting and agreement metrics.

Frames are integer indices counted inclusively: a span ``onset..offset`` covers
``offset - onset + 1`` frames, so two spans that touch at one frame overlap by one frame.

Matching (why optimal assignment): greedy matching by IoU can lose a true positive when one
prediction overlaps two truths (it takes the better-overlapping truth, which was the only one
another prediction could have matched). We solve the assignment exactly: among all one-to-one
matchings that use only pairs with IoU >= threshold, take one with the **most matches**, and
among those the **largest total IoU**. Remaining exact ties are broken by the solver's
deterministic order (earlier spans first, as given).

Speed (why blocks): only overlapping spans can match, so a sort-and-sweep over the onsets cuts a
video into groups of spans that overlap nothing outside the group; each group is solved on its
own, which is exact (the objective is a sum over groups). Small neighbouring groups are packed
into one block of at most ``MAX_BLOCK_CELLS`` IoU cells, so a video of usual size is one block,
solved as a whole, and a long one costs blocks instead of a dense m x n matrix. IoUs are
computed with numpy, once per video and kind, and reused for every threshold (``Overlaps``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
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
        for name, value in (("onset", self.onset), ("offset", self.offset), ("apex", self.apex)):
            if type(value) is int or (value is None and name == "apex"):
                continue  # the usual case, checked first: spans are built by the ten thousand
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
    """IoU of every truth (rows) against every prediction (columns), computed with numpy."""
    return _ious(_frames(truths), _frames(preds))


def _frames(spans: Sequence[Span]) -> np.ndarray:
    """(onset, offset) per span as an int64 array of shape (n, 2)."""
    return np.array([(s.onset, s.offset) for s in spans], dtype=np.int64).reshape(-1, 2)


def _ious(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Inclusive-frame IoU of each (onset, offset) row of `a` against each of `b`; exact as `iou`."""
    inter = np.minimum(a[:, 1:2], b[:, 1]) - np.maximum(a[:, 0:1], b[:, 0]) + 1
    np.clip(inter, 0, None, out=inter)
    union = (a[:, 1:2] - a[:, 0:1] + 1) + (b[:, 1] - b[:, 0] + 1) - inter
    return inter / union


MAX_BLOCK_CELLS = 4096


@dataclass(frozen=True)
class Block:
    """Truths `rows` and predictions `cols` (indices as given) that overlap no span outside them."""

    rows: np.ndarray
    cols: np.ndarray
    ious: np.ndarray  # len(rows) x len(cols)


class Overlaps:
    """The IoUs of one video's truths against its predictions, in independent blocks.

    Built once, matched at any threshold (``match``); ``best_truth`` / ``best_pred`` hold each
    span's largest IoU with the other side (0 without any overlap), to show near misses.
    """

    def __init__(self, truths: Sequence[Span], preds: Sequence[Span], max_cells: int = MAX_BLOCK_CELLS):
        t, p = _frames(truths), _frames(preds)
        self.blocks = [Block(rows, cols, _ious(t[rows], p[cols])) for rows, cols in _blocks(t, p, max_cells)]
        self.best_truth = np.zeros(len(t))
        self.best_pred = np.zeros(len(p))
        for block in self.blocks:
            self.best_truth[block.rows] = block.ious.max(axis=1)
            self.best_pred[block.cols] = block.ious.max(axis=0)

    def match(self, threshold: float) -> list[tuple[int, int, float]]:
        """One-to-one pairs (truth index, prediction index, IoU): most matches, then most IoU."""
        pairs = [
            (int(block.rows[r]), int(block.cols[c]), float(block.ious[r, c]))
            for block, rows, cols in self._solve(threshold)
            for r, c in zip(rows, cols, strict=True)
        ]
        return sorted(pairs)

    def count(self, threshold: float) -> int:
        """How many pairs `match` finds (for F1 at many thresholds without building the pairs)."""
        return sum(len(rows) for _, rows, _ in self._solve(threshold))

    def _solve(self, threshold: float) -> list[tuple[Block, np.ndarray, np.ndarray]]:
        """Each block with the rows and columns (block positions) of its matched pairs."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"IoU threshold must be in (0, 1], got {threshold}")
        solved = []
        for block in self.blocks:
            eligible = block.ious >= threshold
            if not eligible.any():
                continue
            if eligible.sum(axis=0).max() == 1 and eligible.sum(axis=1).max() == 1:
                rows, cols = np.nonzero(eligible)  # no span has a rival: every eligible pair matches
            else:
                # A match is worth more than any possible sum of IoUs (at most min(m, n)), so the
                # solver first maximises the count and then the total IoU.
                weight = np.where(eligible, (min(block.ious.shape) + 1) + block.ious, 0.0)
                rows, cols = linear_sum_assignment(weight, maximize=True)
                kept = eligible[rows, cols]
                rows, cols = rows[kept], cols[kept]
            solved.append((block, rows, cols))
        return solved


def _blocks(t: np.ndarray, p: np.ndarray, max_cells: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(truth indices, prediction indices) of each block; one block when the dense matrix is small."""
    m, n = len(t), len(p)
    if m == 0 or n == 0:
        return []
    if m * n <= max_cells:
        return [(np.arange(m), np.arange(n))]
    spans = np.concatenate([t, p])
    order = np.argsort(spans[:, 0], kind="stable")
    reach = np.maximum.accumulate(spans[order, 1])
    # A group ends where the next onset lies after every offset seen so far (sweep over onsets).
    cuts = [0, *(np.nonzero(spans[order[1:], 0] > reach[:-1])[0] + 1).tolist(), len(order)]
    truths_before = np.concatenate([[0], np.cumsum(order < m)])
    out, start, cells = [], 0, (0, 0)
    for left, right in pairwise(cuts):
        nt = int(truths_before[right] - truths_before[left])
        grown = (cells[0] + nt, cells[1] + (right - left - nt))
        if left > start and grown[0] * grown[1] > max_cells:
            out.append(order[start:left])
            start, grown = left, (nt, right - left - nt)
        cells = grown
    out.append(order[start:])
    blocks = []
    for members in out:
        members = np.sort(members)
        rows, cols = members[members < m], members[members >= m] - m
        if len(rows) and len(cols):
            blocks.append((rows, cols))
    return blocks


def match_spans(
    truths: Sequence[Span], preds: Sequence[Span], threshold: float
) -> tuple[list[tuple[int, int, float]], Overlaps]:
    """One-to-one matching: max number of pairs with IoU >= threshold, then max total IoU.

    Returns ``(pairs, overlaps)`` with pairs as (truth index, prediction index, IoU).
    """
    overlaps = Overlaps(truths, preds)
    return overlaps.match(threshold), overlaps


def check_spans_by_video(spans: Mapping[str, Sequence[Span]], what: str) -> None:
    """Fail early, naming the video, when a mapping does not hold lists of Span."""
    if not isinstance(spans, Mapping):
        raise TypeError(f"{what} must map video id -> list of Span, got {type(spans).__name__}")
    for video, items in spans.items():
        for i, span in enumerate(items):
            if not isinstance(span, Span):
                raise TypeError(f"{what}[{video!r}][{i}] is {type(span).__name__}, expected Span")
