"""The fast matcher (numpy IoUs, sort-and-sweep blocks, IoUs reused across thresholds) against
simple reference implementations on random cases: the MEGC counting rule must not change."""

from itertools import combinations, permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from inference.metrics.spans import Overlaps, Span, iou, iou_matrix
from inference.metrics.spotting import evaluate_spotting

THRESHOLDS = (0.1, 0.3, 0.5, 0.7, 1.0)


def spans(max_size: int, frames: int = 60, kinds=("ME",)):
    span = st.builds(
        lambda kind, onset, length: Span(kind, onset, onset + length),
        st.sampled_from(kinds),
        st.integers(0, frames),
        st.integers(0, 12),
    )
    return st.lists(span, max_size=max_size)


def brute_force(truths: list[Span], preds: list[Span], threshold: float) -> tuple[int, float]:
    """(matches, total IoU) of the best one-to-one matching, by trying every matching."""
    best = (0, 0.0)
    for k in range(1, min(len(truths), len(preds)) + 1):
        for rows in combinations(range(len(truths)), k):
            for cols in permutations(range(len(preds)), k):
                values = [iou(truths[r], preds[c]) for r, c in zip(rows, cols, strict=True)]
                if min(values) >= threshold:
                    best = max(best, (k, sum(values)))
    return best


def dense(truths: list[Span], preds: list[Span], threshold: float) -> list[tuple[int, int, float]]:
    """The matcher before blocks: scalar IoU of every pair, one assignment over the whole matrix."""
    ious = np.array([[iou(t, p) for p in preds] for t in truths]).reshape(len(truths), len(preds))
    if ious.size == 0:
        return []
    eligible = ious >= threshold
    weight = np.where(eligible, (min(ious.shape) + 1) + ious, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return sorted(
        (int(r), int(c), float(ious[r, c])) for r, c in zip(rows, cols, strict=True) if eligible[r, c]
    )


def best_of(ious: np.ndarray, axis: int) -> np.ndarray:
    return ious.max(axis=axis) if ious.size else np.zeros(ious.shape[1 - axis])


@settings(max_examples=300, deadline=None)
@given(spans(5), spans(5), st.sampled_from(THRESHOLDS), st.sampled_from([1, 4, 4096]))
def test_matching_is_optimal_like_trying_every_matching(truths, preds, threshold, max_cells):
    pairs = Overlaps(truths, preds, max_cells=max_cells).match(threshold)
    count, total = brute_force(truths, preds, threshold)
    assert len(pairs) == count
    assert sum(v for _, _, v in pairs) == pytest.approx(total, abs=1e-9)
    assert len({i for i, _, _ in pairs}) == len({j for _, j, _ in pairs}) == len(pairs)
    assert all(v >= threshold and v == iou(truths[i], preds[j]) for i, j, v in pairs)


@settings(max_examples=150, deadline=None)
@given(
    spans(40, frames=400), spans(40, frames=400), st.sampled_from(THRESHOLDS), st.sampled_from([1, 16, 64])
)
def test_blocks_count_like_one_dense_assignment(truths, preds, threshold, max_cells):
    """Cut into blocks: the same number of matches, total IoU and near-miss IoUs as the dense solver."""
    overlaps = Overlaps(truths, preds, max_cells=max_cells)
    fast, reference = overlaps.match(threshold), dense(truths, preds, threshold)
    assert len(fast) == len(reference)
    assert sum(v for *_, v in fast) == pytest.approx(sum(v for *_, v in reference), abs=1e-9)
    ious = iou_matrix(truths, preds)
    assert overlaps.best_truth.tolist() == best_of(ious, 1).tolist()
    assert overlaps.best_pred.tolist() == best_of(ious, 0).tolist()


@settings(max_examples=150, deadline=None)
@given(spans(30), spans(30), st.sampled_from(THRESHOLDS))
def test_one_block_picks_the_very_pairs_of_the_dense_solver(truths, preds, threshold):
    assert Overlaps(truths, preds).match(threshold) == dense(truths, preds, threshold)


@settings(max_examples=200, deadline=None)
@given(spans(15, frames=30), spans(15, frames=30))
def test_vectorised_iou_is_exactly_the_scalar_rule(truths, preds):
    assert iou_matrix(truths, preds).tolist() == [[iou(t, p) for p in preds] for t in truths]


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abc"), spans(8, kinds=("ME", "MaE")), max_size=3),
    st.dictionaries(st.sampled_from("abc"), spans(8, kinds=("ME", "MaE")), max_size=3),
)
def test_f1_per_threshold_equals_a_full_evaluation_at_that_threshold(truth, preds):
    result = evaluate_spotting(truth, preds, 0.5, thresholds=THRESHOLDS)
    for t in THRESHOLDS:
        alone = evaluate_spotting(truth, preds, t)
        assert result.f1_by_threshold[t] == {k: c.f1 for k, c in alone.counts.items()}


def test_far_apart_groups_are_separate_blocks_and_still_match():
    # Two groups 1000 frames apart, cells forced small: two blocks, each solved on its own.
    truths = [Span("ME", 0, 9), Span("ME", 3, 14), Span("ME", 1000, 1009)]
    preds = [Span("ME", 1, 10), Span("ME", 0, 5), Span("ME", 1002, 1011)]
    overlaps = Overlaps(truths, preds, max_cells=1)
    assert [(b.rows.tolist(), b.cols.tolist()) for b in overlaps.blocks] == [([0, 1], [0, 1]), ([2], [2])]
    assert [(i, j) for i, j, _ in overlaps.match(0.5)] == [(0, 1), (1, 0), (2, 2)]
