"""Fidelity metrics: how closely a student reproduces its teacher.

- agreement: share of rows where student and teacher pick the same class, with a
  bootstrap 95% confidence interval;
- KL(teacher ‖ student) and total variation between their distributions;
- accuracy and ROC AUC of both against the true labels, when given;
- for rare outcomes (``fidelity``): per-class agreement, agreement at operating
  points (a probability threshold and a flag rate), risk-ranking and probability
  fidelity, each with an interval (the pieces live in ``_fidelity``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from treedistill.exceptions import ParameterError
from treedistill.measures import _fidelity as _fid

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
    positive: int | None = None,
    threshold: float = 0.5,
    flag_rate: float | Sequence[float] | None = None,
    confidence: float = 0.95,
    n_boot: int = 200,
    random_state=0,
    class_names: Sequence | None = None,
) -> dict:
    """All fidelity numbers of a student against its teacher on one set of rows.

    Parameters
    ----------
    teacher_proba, student_proba : arrays of shape (n_samples, n_classes)
    y_index : int array of shape (n_samples,), optional
        Index of the true class of each row (``-1`` for rows without one).
    positive : int, default=None
        Index of the positive class of a binary problem; by default the minority
        class by the teacher's mean probability (class 1 on a tie).
    threshold : float, default=0.5
        A binary row is flagged at the threshold operating point when its
        P(positive) is at least ``threshold``.
    flag_rate : float or sequence of floats, default=None
        Share of rows each model flags at the flag-rate operating point (its own
        top share by risk; rows tied at the cut are flagged fractionally). With
        ``None``, the teacher's mean P(positive) (per class for K > 2); callers
        pass the training prevalence.
    confidence : float, default=0.95
        Level of every interval.
    n_boot : int, default=200
        Bootstrap resamples for the measures that are not proportions; ``0``
        skips them (their ``low``/``high`` are then ``None``).
    random_state : int, default=0
        Seed of the bootstrap.
    class_names : sequence, default=None
        Names used in the ``degenerate`` sentences (``"class k"`` without).

    Returns
    -------
    dict
        ``n``, ``agreement``, ``agreement_ci`` (95%, binomial bootstrap), ``kl``,
        ``tv`` and, with labels, ``student_accuracy``, ``teacher_accuracy``,
        ``student_roc_auc``, ``teacher_roc_auc`` (plain floats, as before); and
        ``positive``, ``overall_agreement``, ``per_class``, ``operating_points``,
        ``ranking``, ``probability``, ``truth`` (with labels) and ``degenerate``.
        An estimate is ``{"value", "low", "high", "n"}``: proportions carry a
        Wilson interval, the rest a seeded bootstrap over rows. See
        :mod:`treedistill.measures._fidelity` for how ties at a flag-rate cut are counted.
    """
    teacher_proba = np.asarray(teacher_proba, dtype=np.float64)
    student_proba = np.asarray(student_proba, dtype=np.float64)
    if teacher_proba.ndim != 2 or teacher_proba.shape != student_proba.shape:
        raise ParameterError(
            "teacher_proba and student_proba must be 2-D arrays of one shape, got "
            f"{teacher_proba.shape} and {student_proba.shape}",
            parameter="student_proba",
        )
    n, k = teacher_proba.shape
    t_cls = np.argmax(teacher_proba, axis=1)
    s_cls = np.argmax(student_proba, axis=1)
    agree = t_cls == s_cls
    out = {
        "n": int(n),
        "agreement": float(agree.mean()) if n else float("nan"),
        "agreement_ci": list(
            agreement_interval(agree, n_boot=2000, random_state=random_state)
        ),
        "kl": kl_divergence(teacher_proba, student_proba),
        "tv": total_variation(teacher_proba, student_proba),
    }
    labeled = None
    if y_index is not None:
        y_index = np.asarray(y_index)
        labeled = y_index >= 0
        if labeled.any():
            y = y_index[labeled]
            out["student_accuracy"] = float(np.mean(s_cls[labeled] == y))
            out["teacher_accuracy"] = float(np.mean(t_cls[labeled] == y))
            out["student_roc_auc"] = roc_auc(y, student_proba[labeled])
            out["teacher_roc_auc"] = roc_auc(y, teacher_proba[labeled])
    boot = {"n_boot": int(n_boot), "confidence": confidence}
    out.update(
        _rare_outcome_measures(
            teacher_proba,
            student_proba,
            positive=positive,
            threshold=threshold,
            flag_rate=flag_rate,
            random_state=random_state,
            class_names=class_names,
            **boot,
        )
    )
    if labeled is not None and labeled.any():
        out["truth"] = _fid.truth(
            y_index[labeled],
            teacher_proba[labeled],
            student_proba[labeled],
            random_state=random_state,
            **boot,
        )
    return out


def _rare_outcome_measures(
    teacher_proba,
    student_proba,
    *,
    positive,
    threshold,
    flag_rate,
    n_boot,
    confidence,
    random_state,
    class_names,
) -> dict:
    n, k = teacher_proba.shape
    t_cls = np.argmax(teacher_proba, axis=1)
    s_cls = np.argmax(student_proba, axis=1)
    mean_t = teacher_proba.mean(axis=0) if n else np.full(k, 1.0 / k)
    if k == 2:
        if positive is None:
            positive = 1 if mean_t[1] <= mean_t[0] else 0
        if positive not in (0, 1):
            raise ParameterError(
                f"positive must be 0 or 1 for a binary problem, got {positive!r}",
                parameter="positive",
            )
        classes = [int(positive)]
    else:
        positive = None
        classes = list(range(k))
    rates = _flag_rates(flag_rate, mean_t, classes)
    points, flags = [], []
    for c, rate in zip(classes, rates, strict=True):
        t_risk, s_risk = teacher_proba[:, c], student_proba[:, c]
        if k == 2:
            point, _ = _fid.operating_point(
                "threshold", c, threshold, t_risk, s_risk, confidence
            )
            points.append(point)
        point, t_w = _fid.operating_point(
            "flag_rate", c, rate, t_risk, s_risk, confidence
        )
        points.append(point)
        flags.append(t_w)
    (sp, auc), by_class = _fid.ranking(
        teacher_proba[:, classes],
        student_proba[:, classes],
        np.column_stack(flags) if flags else np.zeros((n, 0)),
        n_boot=n_boot,
        confidence=confidence,
        random_state=random_state,
    )
    rank = {"spearman": sp, "flag_auc": auc}
    if k > 2:
        rank["by_class"] = by_class
    return {
        "positive": None if positive is None else int(positive),
        "overall_agreement": _fid.wilson(
            float(np.sum(t_cls == s_cls)), float(n), confidence
        ),
        "per_class": _fid.per_class(t_cls, s_cls, k, confidence),
        "operating_points": points,
        "ranking": rank,
        "probability": _fid.probability(
            teacher_proba,
            student_proba,
            n_boot=n_boot,
            confidence=confidence,
            random_state=random_state,
        ),
        "degenerate": _fid.degenerate_facts(teacher_proba, t_cls, points, class_names),
    }


def _flag_rates(flag_rate, mean_t, classes) -> list[float]:
    if flag_rate is None:
        return [float(mean_t[c]) for c in classes]
    rates = np.atleast_1d(np.asarray(flag_rate, dtype=np.float64))
    if rates.size == 1:
        rates = np.repeat(rates, len(classes))
    elif rates.size == len(mean_t):
        rates = rates[classes]
    if rates.size != len(classes) or not np.all((rates > 0) & (rates < 1)):
        raise ParameterError(
            f"flag_rate must be a share in (0, 1), or one per class, got {flag_rate!r}",
            parameter="flag_rate",
        )
    return [float(r) for r in rates]
