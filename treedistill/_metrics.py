"""Fidelity metrics: how closely a student reproduces its teacher.

- agreement: share of rows where student and teacher pick the same class, with a
  bootstrap 95% confidence interval;
- KL(teacher ‖ student) and total variation between their distributions;
- accuracy and ROC AUC of both against the true labels, when given.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

__all__ = [
    "agreement",
    "agreement_interval",
    "kl_divergence",
    "total_variation",
    "roc_auc",
    "fidelity",
]

PROBA_FLOOR = 1e-6


def agreement(teacher_proba: np.ndarray, student_proba: np.ndarray) -> float:
    """Share of rows where the two argmax classes agree."""
    t = np.argmax(teacher_proba, axis=1)
    s = np.argmax(student_proba, axis=1)
    return float(np.mean(t == s)) if len(t) else float("nan")


def agreement_interval(
    agree: np.ndarray | float,
    n: int | None = None,
    *,
    level: float = 0.95,
    n_boot: int = 2000,
    random_state=0,
) -> tuple[float, float]:
    """Bootstrap percentile interval of an agreement rate.

    Resampling ``n`` rows with replacement from rows that agree with rate ``a``
    gives an agreeing count distributed Binomial(n, a), so the bootstrap is drawn
    exactly from that distribution (cost independent of ``n``).

    Parameters
    ----------
    agree : bool array of per-row agreement, or the rate (then give ``n``)
    """
    if n is None:
        agree = np.asarray(agree, dtype=bool)
        n = agree.size
        rate = float(agree.mean()) if n else float("nan")
    else:
        rate = float(agree)
    if not n:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(random_state)
    draws = rng.binomial(n, rate, size=n_boot) / n
    lo, hi = np.quantile(draws, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(lo), float(hi))


def _clip(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), PROBA_FLOOR, None)
    return p / p.sum(axis=1, keepdims=True)


def kl_divergence(teacher_proba: np.ndarray, student_proba: np.ndarray) -> float:
    """Mean KL(teacher ‖ student) in nats; the student's probabilities are floored
    at 1e-6 (a student that puts zero mass on a class the teacher deems possible
    pays ``log 1e6`` ≈ 13.8 per unit of teacher mass, not infinity)."""
    t = np.asarray(teacher_proba, dtype=np.float64)
    s = _clip(student_proba)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - np.log(s)), 0.0)
    return float(terms.sum(axis=1).mean()) if len(t) else float("nan")


def total_variation(teacher_proba: np.ndarray, student_proba: np.ndarray) -> float:
    """Mean total variation distance, ½ Σ |p_t − p_s|."""
    diff = np.abs(np.asarray(teacher_proba) - np.asarray(student_proba))
    return float(0.5 * diff.sum(axis=1).mean()) if len(diff) else float("nan")


def roc_auc(y_index: np.ndarray, proba: np.ndarray) -> float | None:
    """ROC AUC (one-vs-rest macro for K > 2); None when it is undefined."""
    y_index = np.asarray(y_index)
    k = proba.shape[1]
    present = np.unique(y_index)
    if present.size < 2:
        return None
    if k == 2:
        return float(roc_auc_score(y_index, proba[:, 1]))
    if present.size < k:
        # Macro average over the classes that occur (one-vs-rest).
        scores = [roc_auc_score(y_index == c, proba[:, c]) for c in present]
        return float(np.mean(scores))
    return float(roc_auc_score(y_index, _clip(proba), multi_class="ovr"))


def fidelity(
    teacher_proba: np.ndarray,
    student_proba: np.ndarray,
    y_index: np.ndarray | None = None,
    *,
    n_boot: int = 2000,
    random_state=0,
) -> dict:
    """All fidelity numbers of a student against its teacher on one set of rows.

    Parameters
    ----------
    teacher_proba, student_proba : arrays of shape (n_samples, n_classes)
    y_index : int array of shape (n_samples,), optional
        Index of the true class of each row (``-1`` for rows without one).

    Returns
    -------
    dict with ``n``, ``agreement``, ``agreement_ci`` (95%), ``kl``, ``tv``, and,
    when labels are given, ``student_accuracy``, ``teacher_accuracy``,
    ``student_roc_auc``, ``teacher_roc_auc``.
    """
    t_cls = np.argmax(teacher_proba, axis=1)
    s_cls = np.argmax(student_proba, axis=1)
    agree = t_cls == s_cls
    out = {
        "n": int(len(agree)),
        "agreement": float(agree.mean()) if len(agree) else float("nan"),
        "agreement_ci": list(
            agreement_interval(agree, n_boot=n_boot, random_state=random_state)
        ),
        "kl": kl_divergence(teacher_proba, student_proba),
        "tv": total_variation(teacher_proba, student_proba),
    }
    if y_index is not None:
        y_index = np.asarray(y_index)
        labeled = y_index >= 0
        if labeled.any():
            y = y_index[labeled]
            out["student_accuracy"] = float(np.mean(s_cls[labeled] == y))
            out["teacher_accuracy"] = float(np.mean(t_cls[labeled] == y))
            out["student_roc_auc"] = roc_auc(y, student_proba[labeled])
            out["teacher_roc_auc"] = roc_auc(y, teacher_proba[labeled])
    return out
