"""Weighted fidelity: a row of weight w counts as w rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from treedistill.exceptions import ParameterError
from treedistill.measures._fidelity import spearman
from treedistill.measures._metrics import fidelity, kl_divergence, total_variation
from treedistill.measures._weighted import weighted_fidelity, weighted_flags

RNG = np.random.default_rng(0)
N = 200
T1 = np.clip(RNG.beta(1, 6, N), 0.001, 0.999)
S1 = np.round(np.clip(T1 + RNG.normal(0, 0.05, N), 0.001, 0.999), 2)  # ties
T = np.column_stack([1 - T1, T1])
S = np.column_stack([1 - S1, S1])
Y = (RNG.random(N) < T1).astype(int)
W = RNG.integers(1, 5, N)
REP = np.repeat(np.arange(N), W)


def test_integer_weights_equal_repeated_rows():
    rate = 40 / W.sum()  # flags a whole number of repeated rows
    got = weighted_fidelity(T, S, W, Y, flag_rate=rate, n_boot=0)
    plain = fidelity(T[REP], S[REP], Y[REP], positive=1, flag_rate=rate, n_boot=0)
    assert got["weighted"] and got["n"] == N and got["weight_total"] == W.sum()
    assert got["agreement"]["value"] == pytest.approx(plain["agreement"])
    assert got["kl"]["value"] == pytest.approx(kl_divergence(T[REP], S[REP]))
    assert got["mean_abs_diff"]["value"] == pytest.approx(
        total_variation(T[REP], S[REP])
    )
    assert got["spearman"]["value"] == pytest.approx(spearman(T1[REP], S1[REP]))
    assert got["spearman"]["value"] == pytest.approx(
        plain["ranking"]["spearman"]["value"]
    )
    assert got["flag_auc"]["value"] == pytest.approx(
        plain["ranking"]["flag_auc"]["value"]
    )
    point = next(p for p in plain["operating_points"] if p["kind"] == "flag_rate")
    assert got["flagged_agreement"]["value"] == pytest.approx(
        point["flagged_agreement"]["value"]
    )
    assert got["student_accuracy"]["value"] == pytest.approx(plain["student_accuracy"])
    assert got["teacher_roc_auc"]["value"] == pytest.approx(
        roc_auc_score(Y, T1, sample_weight=W)
    )


def test_numbers_match_a_hand_computation():
    t = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    s = np.array([[0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.9, 0.1]])
    w = np.array([1.0, 2.0, 0.5, 4.0])
    got = weighted_fidelity(t, s, w, flag_rate=0.5, n_boot=0)
    # agreement: rows 0, 1, 3 agree -> (1 + 2 + 4) / 7.5
    assert got["agreement"]["value"] == pytest.approx(7 / 7.5)
    # the teacher flags half the weight, 3.75: row 1 (2.0), row 2 (0.5), then
    # 1.25 of row 3's 4.0; the student row 2 (0.5), row 1 (2.0), row 0 (1.0),
    # then 0.25 of row 3's 4.0
    t_flags = weighted_flags(t[:, 1], 0.5, w)
    s_flags = weighted_flags(s[:, 1], 0.5, w)
    np.testing.assert_allclose(t_flags, [0, 1, 1, 1.25 / 4])
    np.testing.assert_allclose(s_flags, [1, 1, 1, 0.25 / 4])
    both = np.sum(w * t_flags * s_flags)
    assert got["flagged_agreement"]["value"] == pytest.approx(both / 3.75)
    assert got["n_effective"] == pytest.approx(7.5**2 / (1 + 4 + 0.25 + 16))
    tv = 0.5 * np.abs(t - s).sum(axis=1)
    assert got["mean_abs_diff"]["value"] == pytest.approx(np.dot(w, tv) / 7.5)


def test_intervals_cover_the_value():
    got = weighted_fidelity(T, S, W, Y, n_boot=100)
    for key in ("agreement", "spearman", "flag_auc", "kl", "student_roc_auc"):
        est = got[key]
        assert est["low"] <= est["value"] <= est["high"]


@pytest.mark.parametrize(
    "w, message",
    [(np.zeros(N), "not all 0"), (-np.ones(N), "non-negative"), (np.ones(3), "200")],
)
def test_bad_weights_are_refused(w, message):
    with pytest.raises(ParameterError, match=message):
        weighted_fidelity(T, S, w)
