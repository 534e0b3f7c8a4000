"""Inter-annotator agreement against hand-computed numbers."""

import json

import pytest

from inference.metrics.agreement import cohen_kappa, evaluate_agreement
from inference.metrics.spans import Span


def test_kappa_on_a_hand_made_table():
    # 2x2 table: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 (n = 50).
    # po = 35/50 = 0.7; A yes 25/50, B yes 30/50 -> pe = 0.5*0.6 + 0.5*0.4 = 0.5 -> kappa 0.4.
    a = ["y"] * 20 + ["y"] * 5 + ["n"] * 10 + ["n"] * 15
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(b, a) == pytest.approx(0.4)


def test_kappa_edge_cases():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # chance agreement is 1: undefined
    assert cohen_kappa(["x", "y"], ["x", "y"]) == 1.0
    assert cohen_kappa(["x", "y"], ["y", "x"]) == -1.0
    with pytest.raises(ValueError, match="length"):
        cohen_kappa(["x"], [])


def test_interval_agreement():
    a = {
        "v1": [
            Span("ME", 0, 9, apex=5, emotion="happy"),
            Span("MaE", 20, 59, apex=30, emotion="sad"),
            Span("ME", 100, 105),
        ],
        "v2": [],
    }
    b = {
        "v1": [Span("ME", 1, 10, apex=6, emotion="happy"), Span("ME", 21, 58, apex=28, emotion="sad")],
        "v2": [Span("MaE", 0, 30)],
    }
    r = evaluate_agreement(a, b)
    assert r.matched == 2
    assert [s.onset for _, s in r.only_a] == [100]
    assert [(v, s.onset) for v, s in r.only_b] == [("v2", 0)]
    assert [i for *_, i in r.pairs] == pytest.approx([9 / 11, 38 / 40])
    assert r.differences("onset").values == [1, 1]
    assert r.differences("offset").values == [1, -1]
    apex = r.differences("apex").to_dict()
    assert (
        apex["values"] == [1, -2]
        and apex["mean"] == -0.5
        and apex["median"] == -0.5
        and apex["mean_abs"] == 1.5
    )
    # kind over pairs: A [ME, MaE], B [ME, ME] -> po 0.5, pe 0.5*1 + 0.5*0 = 0.5 -> kappa 0
    assert r.kappa_kind() == pytest.approx(0.0)
    assert r.kappa_emotion() == 1.0
    d = json.loads(json.dumps(r.to_dict()))
    assert d["matched"] == 2 and d["only_a"] == 1 and d["only_b"] == 1


def test_matching_within_kinds():
    a = {"v": [Span("MaE", 20, 59)]}
    b = {"v": [Span("ME", 21, 58)]}
    assert evaluate_agreement(a, b).matched == 1
    within = evaluate_agreement(a, b, match_kinds=True)
    assert within.matched == 0 and len(within.only_a) == 1 and len(within.only_b) == 1


def test_apex_missing_on_one_side_is_skipped():
    r = evaluate_agreement({"v": [Span("ME", 0, 9, apex=4)]}, {"v": [Span("ME", 0, 9)]})
    assert r.differences("apex").values == []
    assert r.differences("apex").to_dict()["mean"] is None
    assert r.kappa_emotion() is None
