"""Fidelity measures for rare outcomes: hand-computed values on small arrays."""

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from treedistill import agreement_interval, fidelity, kl_divergence, total_variation
from treedistill.exceptions import ParameterError
from treedistill.measures._fidelity import flag_weights, weighted_auc, wilson


def _binary(p):
    p = np.asarray(p, dtype=float)
    return np.c_[1 - p, p]


def _walk_plain(obj):
    if isinstance(obj, dict):
        for key, value in obj.items():
            assert isinstance(key, str)
            _walk_plain(value)
    elif isinstance(obj, list):
        for value in obj:
            _walk_plain(value)
    else:
        assert obj is None or type(obj) in (str, int, float, bool), (obj, type(obj))


def test_wilson_interval_numbers():
    est = wilson(8, 10)
    assert est["value"] == pytest.approx(0.8)
    assert est["low"] == pytest.approx(0.4902, abs=1e-4)
    assert est["high"] == pytest.approx(0.9433, abs=1e-4)
    assert est["n"] == 10
    # n of n: never a zero-width interval; the lower end is n / (n + z^2).
    full = wilson(10, 10)
    assert full["value"] == 1.0 and full["high"] == 1.0
    assert full["low"] == pytest.approx(10 / (10 + 1.959964**2), abs=1e-5)
    none = wilson(0, 3)
    assert none["low"] == 0.0 and none["high"] == pytest.approx(0.5615, abs=1e-4)
    assert wilson(0, 0) == {"value": None, "low": None, "high": None, "n": 0}


def test_flag_weights_split_ties_fractionally():
    w = flag_weights(np.array([0.9, 0.5, 0.5, 0.1]), 0.5)
    np.testing.assert_allclose(w, [1, 0.5, 0.5, 0])
    w = flag_weights(np.array([0.2, 0.2, 0.2, 0.2, 0.2]), 0.4)
    np.testing.assert_allclose(w, [0.4] * 5)
    assert flag_weights(np.arange(10.0), 0.3).tolist() == [0] * 7 + [1] * 3


def test_weighted_auc_counts_ties_as_half():
    score = np.array([0.9, 0.5, 0.5, 0.1])
    flags = np.array([1.0, 1.0, 0.0, 0.0])
    # Pairs (pos, neg): 0.9>0.5, 0.9>0.1, 0.5=0.5 (1/2), 0.5>0.1 -> 3.5 / 4.
    assert weighted_auc(score, flags) == pytest.approx(0.875)
    rng = np.random.default_rng(1)
    s = rng.integers(0, 4, 200).astype(float)
    y = (rng.random(200) < 0.3).astype(float)
    assert weighted_auc(s, y) == pytest.approx(roc_auc_score(y, s))
    assert np.isnan(weighted_auc(s, np.zeros(200)))


def test_binary_operating_points_and_ranking_by_hand():
    t = _binary([0.8, 0.6, 0.3, 0.2])
    s = _binary([0.9, 0.5, 0.5, 0.1])
    out = fidelity(t, s, flag_rate=0.5, n_boot=0)
    assert out["positive"] == 1  # mean P(1) 0.475 < 0.525
    thr, rate = out["operating_points"]
    assert thr["kind"] == "threshold" and thr["value"] == 0.5
    assert thr["teacher_cut"] == thr["student_cut"] == 0.5
    # Teacher flags rows 0, 1 (P >= 0.5); the student flags rows 0, 1, 2.
    assert (thr["teacher_flagged"], thr["student_flagged"]) == (2, 3)
    assert thr["flagged_agreement"]["value"] == 1.0
    assert thr["overlap"]["value"] == pytest.approx(2 / 3)
    assert thr["agreement"]["value"] == 0.75
    # Flag rate 0.5: the student's rows 1 and 2 tie at the cut, half flagged each.
    assert rate["kind"] == "flag_rate" and rate["value"] == 0.5
    assert (rate["teacher_cut"], rate["student_cut"]) == (0.6, 0.5)
    assert (rate["teacher_flagged"], rate["student_flagged"]) == (2, 2)
    assert rate["flagged_agreement"]["value"] == pytest.approx(0.75)
    assert rate["overlap"]["value"] == pytest.approx(1.5 / 2.5)
    assert rate["agreement"]["value"] == pytest.approx(0.75)
    assert rate["degenerate"] and thr["degenerate"]  # fewer than 5 flagged rows
    assert out["ranking"]["flag_auc"]["value"] == pytest.approx(0.875)
    assert out["ranking"]["spearman"]["value"] == pytest.approx(4.5 / np.sqrt(22.5))
    assert out["ranking"]["spearman"]["low"] is None  # no bootstrap asked for
    prob = out["probability"]
    assert prob["mean_abs_diff"]["value"] == pytest.approx((0.1 + 0.1 + 0.2 + 0.1) / 4)
    assert prob["kl"]["value"] == pytest.approx(kl_divergence(t, s))
    # Old keys keep their meaning.
    assert out["agreement"] == 0.75 and out["n"] == 4
    assert out["overall_agreement"]["value"] == 0.75


def test_positive_class_can_be_chosen_and_is_checked():
    t = _binary([0.8, 0.6, 0.3, 0.2])
    out = fidelity(t, t, positive=0, n_boot=0)
    assert out["positive"] == 0
    assert all(p["class_index"] == 0 for p in out["operating_points"])
    with pytest.raises(ParameterError, match="positive must be 0 or 1"):
        fidelity(t, t, positive=2)
    with pytest.raises(ParameterError, match="flag_rate must be a share"):
        fidelity(t, t, flag_rate=1.5)
    with pytest.raises(ParameterError, match="one shape"):
        fidelity(t, t[:2])


def test_degenerate_teacher_is_said_in_words():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.3, 100)
    p[7] = 0.31
    t = _binary(p)
    s = _binary(np.full(100, 0.05))
    out = fidelity(t, s, class_names=["no", "stroke"], n_boot=20)
    assert out["positive"] == 1
    thr = out["operating_points"][0]
    assert thr["degenerate"] and thr["teacher_flagged"] == 0
    assert thr["flagged_agreement"]["value"] is None
    assert "the teacher predicts no for every row (100 of 100)" in out["degenerate"]
    assert (
        "the teacher flags no row at threshold 0.5 (largest P(stroke) 0.31)"
        in out["degenerate"]
    )
    # The flag-rate point still compares something: the teacher flags its top rows.
    rate = out["operating_points"][1]
    assert not rate["degenerate"] and rate["teacher_flagged"] == round(p.mean() * 100)
    # A constant student ranks nothing: its correlation is undefined, AUC 1/2.
    assert out["ranking"]["spearman"]["value"] is None
    assert out["ranking"]["flag_auc"]["value"] == pytest.approx(0.5)


def test_three_classes_per_class_and_one_vs_rest_points():
    t = np.array(
        [
            [0.7, 0.2, 0.1],
            [0.6, 0.3, 0.1],
            [0.2, 0.7, 0.1],
            [0.1, 0.2, 0.7],
            [0.1, 0.1, 0.8],
            [0.3, 0.1, 0.6],
        ]
    )
    s = np.array(
        [
            [0.6, 0.3, 0.1],
            [0.3, 0.6, 0.1],
            [0.2, 0.6, 0.2],
            [0.2, 0.2, 0.6],
            [0.1, 0.2, 0.7],
            [0.5, 0.1, 0.4],
        ]
    )
    y = np.array([0, 1, 1, 2, 2, -1])
    out = fidelity(t, s, y, n_boot=50)
    assert out["positive"] is None
    rows = [
        (p["teacher_n"], p["student_n"], p["recall"]["value"], p["precision"]["value"])
        for p in out["per_class"]
    ]
    assert rows == [
        (2, 2, 0.5, 0.5),
        (1, 2, 1.0, 0.5),
        (3, 2, pytest.approx(2 / 3), 1.0),
    ]
    points = out["operating_points"]
    assert [p["kind"] for p in points] == ["flag_rate"] * 3
    assert [p["class_index"] for p in points] == [0, 1, 2]
    assert points[2]["value"] == pytest.approx(t[:, 2].mean())
    by = out["ranking"]["by_class"]
    assert len(by["spearman"]) == len(by["flag_auc"]) == 3
    mean_sp = np.mean([e["value"] for e in by["spearman"]])
    assert out["ranking"]["spearman"]["value"] == pytest.approx(mean_sp)
    truth = out["truth"]
    assert truth["teacher"]["accuracy"]["value"] == pytest.approx(4 / 5)
    assert truth["teacher"]["accuracy"]["n"] == 5
    assert truth["student"]["accuracy"]["value"] == 1.0  # rows 0-4 all right
    _walk_plain(out)


def test_bootstrap_is_seeded_and_result_is_plain_json():
    rng = np.random.default_rng(3)
    p = rng.beta(1, 12, 400)
    q = np.clip(p + rng.normal(0, 0.03, 400), 0, 1)
    y = (rng.random(400) < p).astype(int)
    a = fidelity(_binary(p), _binary(q), y, random_state=5)
    b = fidelity(_binary(p), _binary(q), y, random_state=5)
    c = fidelity(_binary(p), _binary(q), y, random_state=6)
    assert a == b
    assert a["ranking"]["spearman"]["low"] != c["ranking"]["spearman"]["low"]
    for est in (
        a["ranking"]["spearman"],
        a["ranking"]["flag_auc"],
        a["probability"]["kl"],
    ):
        assert est["low"] <= est["value"] <= est["high"] and est["low"] < est["high"]
    assert a["truth"]["student"]["roc_auc"]["value"] == pytest.approx(
        roc_auc_score(y, q)
    )
    assert a["truth"]["student"]["roc_auc"]["value"] == pytest.approx(
        a["student_roc_auc"]
    )
    _walk_plain(a)
    json.dumps(a, allow_nan=False)


def test_perfect_student_has_nonzero_width_intervals():
    p = np.linspace(0.01, 0.6, 50)
    out = fidelity(_binary(p), _binary(p), n_boot=0)
    for point in out["operating_points"]:
        est = point["flagged_agreement"]
        assert est["value"] == 1.0 and est["low"] < 1.0 and est["high"] == 1.0
    assert out["overall_agreement"]["low"] < 1.0
    assert out["degenerate"] == []


def test_a_perfect_flag_auc_gets_an_interval_of_nonzero_width():
    # Every bootstrap resample ranks the teacher's flags perfectly, so the
    # percentile interval alone would be [1, 1]; the interval is then that of
    # a proportion of 1 on the smaller group (10 flagged rows of 100).
    p = np.linspace(0.01, 0.99, 100)
    out = fidelity(_binary(p), _binary(p), flag_rate=0.1, n_boot=50)
    auc = out["ranking"]["flag_auc"]
    assert auc["value"] == 1.0 and auc["high"] == 1.0
    expected_low = wilson(10, 10)["low"]
    assert auc["low"] == pytest.approx(expected_low) and auc["low"] < 0.8
    assert out["ranking"]["spearman"]["value"] == pytest.approx(1.0)


# -------------------------------------------------------------------- metrics
def test_fidelity_numbers():
    t = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    s = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.3, 0.7]])
    out = fidelity(t, s, np.array([0, 1, 0, 0]))
    assert out["n"] == 4
    assert out["agreement"] == 0.75
    assert out["tv"] == pytest.approx((0.1 + 0.1 + 0.2 + 0) / 4)
    assert out["kl"] > 0
    assert out["student_accuracy"] == 0.5 and out["teacher_accuracy"] == 0.75
    assert kl_divergence(t, t) == pytest.approx(0.0)
    assert total_variation(t, t) == 0.0


def test_kl_floors_zero_student_probabilities():
    t = np.array([[0.5, 0.5]])
    s = np.array([[1.0, 0.0]])
    assert np.isfinite(kl_divergence(t, s))
    expected = 0.5 * np.log(0.5) + 0.5 * np.log(0.5 / 1e-6)
    assert kl_divergence(t, s) == pytest.approx(expected, rel=1e-4)


def test_agreement_interval_matches_normal_approximation_and_is_seeded():
    agree = np.r_[np.ones(900, bool), np.zeros(100, bool)]
    lo, hi = agreement_interval(agree)
    se = np.sqrt(0.9 * 0.1 / 1000)
    assert lo == pytest.approx(0.9 - 1.96 * se, abs=0.006)
    assert hi == pytest.approx(0.9 + 1.96 * se, abs=0.006)
    assert agreement_interval(agree) == (lo, hi)
    assert agreement_interval(0.9, 1000) == (lo, hi)
