"""The bootstrap intervals of ``fidelity`` against a plain reference: the same
seeded resamples, each statistic recomputed from the resampled rows."""

import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from treedistill import fidelity
from treedistill.measures._fidelity import flag_weights

N_BOOT = 60
SEED = 11


def _pairwise_auc(score, positive_weight):
    """AUC from every (positive, negative) pair, ties counting 1/2."""
    w = positive_weight
    above = (score[:, None] > score[None, :]) + 0.5 * (score[:, None] == score[None, :])
    pos_total = w.sum()
    neg_total = w.size - pos_total
    if pos_total <= 0 or neg_total <= 0:
        return np.nan
    return float(w @ above @ (1.0 - w) / (pos_total * neg_total))


def _truth_auc(y, proba):
    if proba.shape[1] == 2:
        return (
            roc_auc_score(y == 1, proba[:, 1])
            if 0 < (y == 1).sum() < y.size
            else np.nan
        )
    present = np.unique(y)
    if present.size < 2:
        return np.nan
    return np.mean([roc_auc_score(y == c, proba[:, c]) for c in present])


def _kl(t, s):
    s = np.clip(s, 1e-6, None)
    s = s / s.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0) / s), 0.0).sum(axis=1)


def _spearman(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spearmanr(a, b).statistic


def _reference_draws(t, s, y, classes, flags):
    """Resample rows with the library's generator and recompute everything."""
    n = len(t)
    rng = np.random.default_rng(SEED)
    draws = []
    for _ in range(N_BOOT):
        idx = rng.integers(0, n, n)
        draws.append(
            {
                "spearman": [_spearman(t[idx, c], s[idx, c]) for c in classes],
                "flag_auc": [
                    _pairwise_auc(s[idx, c], f[idx])
                    for c, f in zip(classes, flags, strict=True)
                ],
                "teacher_auc": _truth_auc(y[idx], t[idx]),
                "student_auc": _truth_auc(y[idx], s[idx]),
                "mad": (0.5 * np.abs(t - s).sum(axis=1))[idx].mean(),
                "kl": _kl(t, s)[idx].mean(),
            }
        )
    return draws


def _interval(values):
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return None, None
    lo, hi = np.quantile(values, [0.025, 0.975])
    return lo, hi


def _mean_over_classes(per_class):
    arr = np.asarray(per_class, dtype=float)
    arr = arr[np.isfinite(arr)]
    return arr.mean() if arr.size else np.nan


def _check(est, values, full=None):
    lo, hi = _interval(values)
    if full is not None and not np.isfinite(full):
        assert est["value"] is None and est["low"] is None
        return
    if lo is None:
        assert est["low"] is None and est["high"] is None
        return
    assert est["low"] == pytest.approx(lo, abs=1e-9)
    assert est["high"] == pytest.approx(hi, abs=1e-9)
    if full is not None:
        assert est["value"] == pytest.approx(full, abs=1e-9)


def _compare(t, s, y, *, positive=None, flag_rate):
    k = t.shape[1]
    classes = [positive] if k == 2 else list(range(k))
    rates = [flag_rate] * len(classes)
    flags = [flag_weights(t[:, c], r) for c, r in zip(classes, rates, strict=True)]
    out = fidelity(
        t, s, y, positive=positive, flag_rate=flag_rate, n_boot=N_BOOT,
        random_state=SEED,
    )  # fmt: skip
    draws = _reference_draws(t, s, y, classes, flags)
    full_sp = [_spearman(t[:, c], s[:, c]) for c in classes]
    full_au = [_pairwise_auc(s[:, c], f) for c, f in zip(classes, flags, strict=True)]
    rank = out["ranking"]
    _check(
        rank["spearman"],
        [_mean_over_classes(d["spearman"]) for d in draws],
        _mean_over_classes(full_sp),
    )
    _check(
        rank["flag_auc"],
        [_mean_over_classes(d["flag_auc"]) for d in draws],
        _mean_over_classes(full_au),
    )
    if k > 2:
        for j in range(k):
            by = rank["by_class"]
            _check(by["spearman"][j], [d["spearman"][j] for d in draws], full_sp[j])
            _check(by["flag_auc"][j], [d["flag_auc"][j] for d in draws], full_au[j])
    for who, proba in (("teacher", t), ("student", s)):
        _check(
            out["truth"][who]["roc_auc"],
            [d[f"{who}_auc"] for d in draws],
            _truth_auc(y, proba),
        )
    _check(out["probability"]["mean_abs_diff"], [d["mad"] for d in draws])
    _check(out["probability"]["kl"], [d["kl"] for d in draws])
    return out


def _binary(p):
    return np.c_[1 - p, p]


def test_binary_with_ties_matches_plain_resampling():
    rng = np.random.default_rng(0)
    p = np.round(rng.beta(2, 6, 150), 2)  # many tied teacher risks
    leaf = np.digitize(p + rng.normal(0, 0.08, 150), [0.15, 0.3, 0.45])
    q = np.array([0.1, 0.25, 0.4, 0.6])[leaf]  # a four-leaf student
    y = (rng.random(150) < p).astype(int)
    out = _compare(_binary(p), _binary(q), y, positive=1, flag_rate=0.2)
    assert out["ranking"]["spearman"]["low"] < out["ranking"]["spearman"]["high"]


def test_constant_student_score_matches_plain_resampling():
    rng = np.random.default_rng(1)
    p = np.round(rng.beta(2, 5, 120), 1)
    q = np.full(120, 0.3)
    y = (rng.random(120) < p).astype(int)
    out = _compare(_binary(p), _binary(q), y, positive=1, flag_rate=0.25)
    assert out["ranking"]["spearman"]["value"] is None
    auc = out["ranking"]["flag_auc"]
    for key in ("value", "low", "high"):
        assert auc[key] == pytest.approx(0.5, abs=1e-12)
    assert out["truth"]["student"]["roc_auc"]["low"] == pytest.approx(0.5)


def test_three_classes_with_a_rare_label_match_plain_resampling():
    rng = np.random.default_rng(2)
    n = 90
    z = rng.normal(size=(n, 3)) + [1.5, 0.5, -0.5]
    t = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    t = np.round(t, 2)
    t /= t.sum(axis=1, keepdims=True)
    s = np.round(t + rng.normal(0, 0.2, t.shape), 1).clip(0.01, None)
    s /= s.sum(axis=1, keepdims=True)
    y = np.argmax(z + rng.normal(0, 0.5, z.shape), axis=1)
    y[y == 2] = 1
    y[:3] = 2  # three rows of class 2: some resamples draw none
    gen = np.random.default_rng(SEED)
    draws = [gen.integers(0, n, n) for _ in range(N_BOOT)]
    assert sum(not np.any(y[idx] == 2) for idx in draws) >= 1
    out = _compare(t, s, y, flag_rate=0.3)
    assert len(out["ranking"]["by_class"]["spearman"]) == 3
