"""Recognition metrics and the spot-then-recognise score, against hand-computed numbers."""

import json

import pytest

from inference.metrics.recognition import evaluate_recognition, evaluate_spot_then_recognise
from inference.metrics.spans import Span


def test_accuracy_uf1_uar_and_confusion():
    # a: TP 2 FP 0 FN 1 -> F1 4/5, recall 2/3; b: TP 1 FP 1 FN 1 -> 1/2, 1/2; c: TP 1 FP 1 FN 0 -> 2/3, 1.
    r = evaluate_recognition(list("aaabbc"), list("aabbcc"))
    assert r.classes == ["a", "b", "c"]
    assert r.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.uf1 == pytest.approx((4 / 5 + 1 / 2 + 2 / 3) / 3)
    assert r.uar == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)


def test_pooling_folds_differs_from_averaging_them():
    fold1 = (["a", "a"], ["a", "a"])  # alone: UF1 1.0
    fold2 = (["a", "b", "b", "b"], ["b", "b", "b", "b"])  # alone: a F1 0, b F1 6/7
    pooled = evaluate_recognition(fold1[0] + fold2[0], fold1[1] + fold2[1])
    # pooled a: TP 2 FP 0 FN 1 -> 4/5; b: TP 3 FP 1 FN 0 -> 6/7
    assert pooled.uf1 == pytest.approx((4 / 5 + 6 / 7) / 2)
    assert evaluate_recognition(*fold1).uf1 == 1.0


def test_class_absent_from_truth_is_left_out_of_the_averages():
    r = evaluate_recognition(["a", "b"], ["a", "d"], classes=["a", "b", "c", "d"])
    assert r.absent_classes == ["c", "d"]
    assert r.uf1 == pytest.approx(0.5)  # a: 1, b: 0; c and d have no truth
    assert r.uar == pytest.approx(0.5)
    assert r.accuracy == 0.5
    assert r.per_class()["d"] == {"tp": 0, "fp": 1, "fn": 0, "support": 0, "f1": None, "recall": None}
    assert r.confusion.shape == (4, 4)


def test_empty_and_bad_input():
    r = evaluate_recognition([], [], classes=["a"])
    assert (r.accuracy, r.uf1, r.uar) == (None, None, None)
    with pytest.raises(ValueError, match="predicted\\[1\\] = 'x'"):
        evaluate_recognition(["a", "a"], ["a", "x"], classes=["a", "b"])
    with pytest.raises(ValueError, match="3 labels"):
        evaluate_recognition(["a", "a", "a"], ["a"])


def test_spot_then_recognise():
    truth = {"v": [Span("ME", 0, 9, emotion="happy"), Span("MaE", 20, 59, emotion="sad")]}
    preds = {
        "v": [
            Span("ME", 0, 9, emotion="happy"),
            Span("MaE", 20, 59, emotion="happy"),
            Span("ME", 100, 105, emotion="sad"),
        ]
    }
    r = evaluate_spot_then_recognise(truth, preds)
    # spotting: TP 2, FP 1, FN 0 -> F1 4/5; recognition on the 2 TPs: happy 2/3, sad 0 -> UF1 1/3
    assert r.spotting.counts["overall"].f1 == pytest.approx(0.8)
    assert r.recognition.uf1 == pytest.approx(1 / 3)
    assert r.score == pytest.approx(0.8 / 3)
    me_only = evaluate_spot_then_recognise(truth, preds, kind="ME")
    assert me_only.score == pytest.approx(2 / 3 * 1.0)  # ME F1 2/3, recognition of the one ME TP correct
    json.dumps(r.to_dict())


def test_spot_then_recognise_edge_cases():
    nothing = evaluate_spot_then_recognise({"v": [Span("ME", 0, 9, emotion="a")]}, {"v": []})
    assert nothing.score == 0.0
    with pytest.raises(ValueError, match="prediction span 0..9 of video 'v' has no emotion"):
        evaluate_spot_then_recognise({"v": [Span("ME", 0, 9, emotion="a")]}, {"v": [Span("ME", 0, 9)]})
