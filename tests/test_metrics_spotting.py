"""MEGC spotting metrics against numbers worked out by hand."""

import json

import pytest

from inference.metrics.spans import Span, iou, match_spans
from inference.metrics.spotting import Counts, evaluate_spotting


def me(on, off, **kw):
    return Span("ME", on, off, **kw)


def mae(on, off, **kw):
    return Span("MaE", on, off, **kw)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((1, 10), (6, 15), 5 / 15),  # the brief's example: inter 5, union 15
        ((0, 9), (0, 4), 0.5),  # inter 5, union 10
        ((0, 5), (2, 7), 0.5),  # inter 4 (2..5), union 8
        ((0, 5), (3, 8), 3 / 9),
        ((0, 4), (4, 8), 1 / 9),  # touching at one frame: inter 1, union 9
        ((0, 1), (1, 1), 0.5),  # touching at one frame, and IoU exactly 0.5
        ((0, 4), (5, 9), 0.0),  # adjacent, no common frame
        ((3, 3), (3, 3), 1.0),
    ],
)
def test_iou_inclusive_frames(a, b, expected):
    assert iou(me(*a), me(*b)) == pytest.approx(expected, abs=1e-12)
    assert iou(me(*b), me(*a)) == pytest.approx(expected, abs=1e-12)


def test_iou_exactly_half_is_a_true_positive_and_just_below_is_not():
    at_half = evaluate_spotting({"v": [me(0, 5)]}, {"v": [me(2, 7)]})
    below = evaluate_spotting({"v": [me(0, 5)]}, {"v": [me(3, 8)]})
    assert at_half.counts["ME"] == Counts(1, 0, 0)
    assert below.counts["ME"] == Counts(0, 1, 1)


def test_touching_one_frame_spans():
    # 0-1 vs 1-1 share one frame, IoU 1/2: TP; 0-4 vs 4-8 share one frame, IoU 1/9: FP + FN.
    r = evaluate_spotting({"v": [me(0, 1), me(10, 14)]}, {"v": [me(1, 1), me(14, 18)]})
    assert r.counts["ME"] == Counts(1, 1, 1)
    (fp,) = r.videos["v"].false_positives
    assert fp.span == me(14, 18) and fp.best_iou == pytest.approx(1 / 9)


def test_optimal_assignment_beats_greedy_when_a_prediction_overlaps_two_truths():
    # Truths A 0-9, B 3-14. P1 1-10: IoU(A)=9/11, IoU(B)=8/14. P2 0-5: IoU(A)=6/10, IoU(B)=3/15.
    # Greedy by IoU gives P1-A and leaves P2 unmatched (1 TP); the optimum is P1-B, P2-A (2 TP).
    truths = [me(0, 9), me(3, 14)]
    preds = [me(1, 10), me(0, 5)]
    pairs, _ = match_spans(truths, preds, 0.5)
    assert [(t, p) for t, p, _ in pairs] == [(0, 1), (1, 0)]
    r = evaluate_spotting({"v": truths}, {"v": preds})
    assert r.counts["ME"] == Counts(2, 0, 0)
    assert sorted(m.iou for m in r.videos["v"].matches) == pytest.approx([8 / 14, 6 / 10])


def test_one_prediction_over_two_truths_takes_the_higher_iou():
    r = evaluate_spotting({"v": [me(0, 9), me(3, 14)]}, {"v": [me(1, 10)]})
    assert r.counts["ME"] == Counts(1, 0, 1)
    (m,) = r.videos["v"].matches
    assert m.truth == me(0, 9) and m.iou == pytest.approx(9 / 11)
    (fn,) = r.videos["v"].false_negatives
    assert fn.span == me(3, 14) and fn.best_iou == pytest.approx(8 / 14)


def test_me_and_mae_are_scored_separately_and_pooled_overall():
    truth = {"v": [me(0, 9), mae(50, 89)]}
    preds = {"v": [mae(0, 9), mae(52, 90), me(200, 205)]}
    r = evaluate_spotting(truth, preds)
    assert r.counts["ME"] == Counts(0, 1, 1)  # the MaE prediction on 0-9 never meets the ME truth
    assert r.counts["MaE"] == Counts(1, 1, 0)  # 52-90 vs 50-89: inter 38, union 41
    assert r.counts["overall"] == Counts(1, 2, 1)
    assert r.counts["overall"].f1 == pytest.approx(2 / 5)
    assert r.videos["v"].matches[0].iou == pytest.approx(38 / 41)


def test_counts_are_pooled_over_videos_not_averaged():
    truth = {"a": [me(0, 9)], "b": [me(0, 9), me(20, 29), me(40, 49)]}
    preds = {"a": [me(0, 9)], "b": [me(100, 109)]}
    r = evaluate_spotting(truth, preds)
    assert r.videos["a"].counts["ME"].f1 == 1.0
    assert r.videos["b"].counts["ME"] == Counts(0, 1, 3)
    assert r.counts["ME"] == Counts(1, 1, 3)
    assert r.counts["ME"].f1 == pytest.approx(2 / 6)  # the mean of per-video F1 would be 0.5
    assert r.counts["ME"].precision == pytest.approx(0.5)
    assert r.counts["ME"].recall == pytest.approx(0.25)


def test_empty_sides_and_undefined_ratios():
    r = evaluate_spotting({"empty": [], "only_truth": [me(0, 9)]}, {"only_pred": [me(0, 4), mae(10, 40)]})
    assert set(r.videos) == {"empty", "only_truth", "only_pred"}
    assert r.videos["empty"].counts["overall"] == Counts(0, 0, 0)
    assert r.videos["empty"].counts["overall"].f1 is None  # 0/0 is reported as undefined
    only_pred = r.videos["only_pred"].counts["overall"]
    assert (only_pred.precision, only_pred.recall, only_pred.f1) == (0.0, None, 0.0)
    only_truth = r.videos["only_truth"].counts["overall"]
    assert (only_truth.precision, only_truth.recall, only_truth.f1) == (None, 0.0, 0.0)
    assert r.counts["overall"] == Counts(0, 2, 1)


def test_blinks_and_other_movements_are_not_scored():
    r = evaluate_spotting({"v": [Span("blink", 0, 5)]}, {"v": [Span("other", 0, 5)]})
    assert r.counts["overall"] == Counts(0, 0, 0)


def test_video_subset_and_unknown_video():
    truth = {"a": [me(0, 9)], "b": [me(0, 9)]}
    r = evaluate_spotting(truth, {"a": [me(0, 9)]}, videos=["a"])
    assert list(r.videos) == ["a"] and r.counts["ME"] == Counts(1, 0, 0)
    with pytest.raises(ValueError, match="'zz'"):
        evaluate_spotting(truth, {}, videos=["a", "zz"])


def test_f1_against_several_thresholds():
    # IoU of the single pair is 8/12 = 0.667: TP at 0.3 and 0.5, not at 0.7.
    r = evaluate_spotting({"v": [me(0, 9)]}, {"v": [me(2, 11)]}, thresholds=[0.3, 0.5, 0.7])
    assert {t: f["ME"] for t, f in r.f1_by_threshold.items()} == {0.3: 1.0, 0.5: 1.0, 0.7: 0.0}
    assert r.f1_by_threshold[0.7]["MaE"] is None


def test_threshold_changes_matching():
    strict = evaluate_spotting({"v": [me(0, 9)]}, {"v": [me(2, 11)]}, iou_threshold=0.7)
    assert strict.counts["ME"] == Counts(0, 1, 1)


def test_to_dict_is_json():
    r = evaluate_spotting(
        {"v": [me(0, 9, ref=7)]}, {"v": [me(0, 9, score=0.9), me(30, 35)]}, thresholds=[0.3]
    )
    d = json.loads(json.dumps(r.to_dict()))
    assert d["counts"]["ME"] == {"tp": 1, "fp": 1, "fn": 0, "precision": 0.5, "recall": 1.0, "f1": 2 / 3}
    assert d["videos"]["v"]["matches"][0]["truth"]["ref"] == 7
    assert d["videos"]["v"]["false_positives"][0]["span"]["onset"] == 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "me", "onset": 0, "offset": 3}, "kind"),
        ({"kind": "ME", "onset": 5, "offset": 3}, "onset <= offset"),
        ({"kind": "ME", "onset": -1, "offset": 3}, "onset <= offset"),
        ({"kind": "ME", "onset": 1.5, "offset": 3}, "onset must be an integer"),
        ({"kind": "ME", "onset": 0, "offset": 3, "apex": 9}, "apex 9"),
    ],
)
def test_bad_spans_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Span(**kwargs)


def test_bad_containers_name_the_video():
    with pytest.raises(TypeError, match=r"predictions\['v2'\]\[0\]"):
        evaluate_spotting({}, {"v2": [(0, 9)]})
    with pytest.raises(ValueError, match="threshold"):
        evaluate_spotting({"v": [me(0, 9)]}, {"v": [me(0, 9)]}, iou_threshold=0.0)
