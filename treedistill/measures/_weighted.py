"""Fidelity measures with row weights (survey, case-control, inverse-probability).

Every measure is the weighted version of the unweighted one: a row of weight
``w`` counts as ``w`` rows. For a binary outcome the *risk* is P(positive);
the flag-rate operating point flags each model's top rows by its own risk until
their weight is ``flag_rate`` of the total (rows tied at the cut fractionally,
as in :mod:`treedistill.measures._fidelity`), and *flagged agreement* is the
weight of the rows both flag over the weight the teacher flags. Rank
correlation is Spearman's with weighted ranks (a row's rank is the weight of
the rows below it plus half its tie group's weight), the flag AUC the weighted
AUC of the student's risk for the teacher's flags.

Every estimate carries a seeded percentile bootstrap over rows (each resample
weighs a row by its weight times the times it was drawn) and the Kish
effective number of rows, ``(sum w)^2 / sum w^2``.
"""

from __future__ import annotations

import numpy as np

from treedistill.exceptions import ParameterError
from treedistill.measures._fidelity import (
    _auc_of_groups,
    _boot_estimate,
    _bootstrap,
    _dense,
    _RankedPair,
    kl_rows,
)

__all__ = ["weighted_flags", "weighted_fidelity"]


def weighted_flags(score: np.ndarray, rate: float, weight: np.ndarray) -> np.ndarray:
    """Flag the top rows by ``score`` until their weight is ``rate`` of the total.

    Returns each row's flag in [0, 1]: 1 above the cut, a shared fraction for
    the rows tied at the cut (so the flagged weight is exactly ``rate * sum w``).
    """
    score = np.asarray(score, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    target = float(np.clip(rate, 0.0, 1.0)) * w.sum()
    flags = np.zeros(score.size)
    if target <= 0:
        return flags
    values, inverse = np.unique(score, return_inverse=True)
    group_w = np.bincount(inverse, weights=w, minlength=values.size)[::-1]
    above = np.cumsum(group_w) - group_w  # weight of the groups above each one
    share = np.clip((target - above) / np.where(group_w > 0, group_w, 1.0), 0, 1)
    share = np.where(group_w > 0, share, 0.0)
    return share[::-1][inverse]


def _stats(t_risk, s_risk, t_flags, s_flags, agree, kl, diff, y, says_positive):
    """``stats(counts)``: every measure with the rows weighted by ``counts``."""
    pair = _RankedPair(t_risk, s_risk, t_flags)
    risks = {"teacher": t_risk, "student": s_risk}
    dense = {who: _dense(r) for who, r in risks.items()}

    def stats(counts):
        total = float(counts.sum())
        if total <= 0:
            return None
        sp, auc = pair.stats(counts)
        t_flagged = float(np.dot(counts, t_flags))
        both = float(np.dot(counts, t_flags * s_flags))
        out = {
            "agreement": float(np.dot(counts, agree)) / total,
            "flagged_agreement": both / t_flagged if t_flagged > 0 else None,
            "spearman": sp,
            "flag_auc": auc,
            "mean_abs_diff": float(np.dot(counts, diff)) / total,
            "kl": float(np.dot(counts, kl)) / total,
        }
        if y is not None:
            labelled = counts * (y >= 0)
            n_lab = float(labelled.sum())
            positive = labelled * (y == 1)
            pos_total = float(positive.sum())
            for who, (groups, size) in dense.items():
                hits = says_positive[who] == (y == 1)
                out[f"{who}_accuracy"] = (
                    float(np.dot(labelled, hits)) / n_lab if n_lab else None
                )
                pos = np.bincount(groups, weights=positive, minlength=size)
                tot = np.bincount(groups, weights=labelled, minlength=size)
                out[f"{who}_roc_auc"] = _auc_of_groups(
                    pos, tot - pos, pos_total, n_lab - pos_total
                )
        return out

    return stats


def weighted_fidelity(
    teacher_proba: np.ndarray,
    student_proba: np.ndarray,
    sample_weight,
    y_index: np.ndarray | None = None,
    *,
    positive: int = 1,
    flag_rate: float | None = None,
    confidence: float = 0.95,
    n_boot: int = 200,
    random_state=0,
) -> dict:
    """Weighted fidelity of a binary student against its teacher on one set of rows.

    Parameters
    ----------
    teacher_proba, student_proba : arrays of shape (n_samples, 2)
    sample_weight : array-like of shape (n_samples,)
        Non-negative row weights, not all zero.
    y_index : int array of shape (n_samples,), optional
        Index of the true class of each row (``-1`` for rows without one).
    positive : {0, 1}, default=1
        Index of the class whose probability is the risk.
    flag_rate : float, default=None
        Share of the total weight each model flags; ``None``: the teacher's
        weighted mean risk.
    confidence, n_boot, random_state :
        Level, resamples and seed of the bootstrap intervals.

    Returns
    -------
    dict
        ``weighted`` (True), ``n`` (rows), ``weight_total``, ``n_effective``,
        ``positive``, ``flag_rate`` and the estimates (``{"value", "low",
        "high", "n"}``) ``agreement``, ``flagged_agreement``, ``spearman``,
        ``flag_auc``, ``mean_abs_diff``, ``kl`` and, with labels,
        ``teacher_accuracy``, ``student_accuracy``, ``teacher_roc_auc``,
        ``student_roc_auc``.
    """
    t = np.asarray(teacher_proba, dtype=np.float64)
    s = np.asarray(student_proba, dtype=np.float64)
    if t.ndim != 2 or t.shape != s.shape or t.shape[1] != 2:
        raise ParameterError(
            "weighted fidelity needs two-class probabilities of one shape, got "
            f"{t.shape} and {s.shape}",
            parameter="student_proba",
        )
    n = len(t)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.size != n or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ParameterError(
            f"sample_weight must hold {n} finite non-negative weights, not all 0",
            parameter="sample_weight",
        )
    if positive not in (0, 1):
        raise ParameterError(
            f"positive must be 0 or 1, got {positive!r}", parameter="positive"
        )
    t_risk, s_risk = t[:, positive], s[:, positive]
    if flag_rate is None:
        flag_rate = float(np.average(t_risk, weights=w))
    if not 0 < float(flag_rate) < 1:
        raise ParameterError(
            f"flag_rate must be a share in (0, 1), got {flag_rate!r}",
            parameter="flag_rate",
        )
    y = None
    if y_index is not None:
        y = np.asarray(y_index)
        y = np.where(y >= 0, (y == positive).astype(int), -1)
    t_cls, s_cls = np.argmax(t, axis=1), np.argmax(s, axis=1)
    stats = _stats(
        t_risk,
        s_risk,
        weighted_flags(t_risk, flag_rate, w),
        weighted_flags(s_risk, flag_rate, w),
        (t_cls == s_cls).astype(np.float64),
        kl_rows(t, s),
        0.5 * np.abs(t - s).sum(axis=1),
        y,
        {"teacher": t_cls == positive, "student": s_cls == positive},
    )
    full = stats(w)
    # the flags stay those of all the rows, as in the unweighted bootstrap
    draws = [
        d
        for d in _bootstrap(n, n_boot, random_state, lambda c: stats(c * w))
        if d is not None
    ]
    n_eff = float(w.sum() ** 2 / np.sum(w * w))
    out = {
        "weighted": True,
        "n": int(n),
        "weight_total": float(w.sum()),
        "n_effective": n_eff,
        "positive": int(positive),
        "flag_rate": float(flag_rate),
    }
    for key, value in full.items():
        boot = [d[key] for d in draws if d.get(key) is not None]
        est = _boot_estimate(value, boot, n, confidence)
        out[key] = est
    return out
