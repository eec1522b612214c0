"""Fidelity measures for rare outcomes: operating points, per-class agreement, risk
ranking and probability fidelity, each with an honest interval.

An *estimate* is a dict ``{"value", "low", "high", "n"}``. Proportions carry a
Wilson score interval (never of zero width, not even for n of n); every other
measure carries a seeded percentile bootstrap over rows.

Flag-rate operating points flag each model's top ``m = round(r * n)`` rows by its
own score. Rows tied at the cut are flagged *fractionally*: each tied row counts as
flagged with the weight that makes the flagged total exactly ``m``. Every
count derived from the flags is then the expected count under random tie-breaking,
which neither rewards nor punishes a tree for the many ties between rows of one
leaf, and does not depend on row order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import norm, rankdata

PROBA_FLOOR = 1e-6

__all__ = [
    "estimate",
    "wilson",
    "flag_weights",
    "weighted_auc",
    "spearman",
    "kl_rows",
]


# ---------------------------------------------------------------------------
# Estimates
# ---------------------------------------------------------------------------
def estimate(value, low=None, high=None, n: int = 0) -> dict:
    """An estimate dict with plain Python floats (``None`` where undefined)."""

    def f(x):
        return None if x is None or not np.isfinite(x) else float(x)

    return {"value": f(value), "low": f(low), "high": f(high), "n": int(n)}


def wilson(successes: float, n: float, confidence: float = 0.95) -> dict:
    """Proportion ``successes / n`` with its Wilson score interval.

    ``successes`` may be fractional (an expected count). With ``n == 0`` every
    field but ``n`` is ``None``.
    """
    if n <= 0:
        return estimate(None, n=0)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return estimate(p, low, high, round(n))


def _boot_estimate(value, draws, n: int, confidence: float) -> dict:
    draws = np.asarray([d for d in draws if d is not None and np.isfinite(d)])
    if value is None or not np.isfinite(value) or draws.size < 2:
        return estimate(value, n=n)
    lo, hi = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return estimate(value, lo, hi, n)


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------
def flag_weights(score: np.ndarray, rate: float) -> np.ndarray:
    """Flag the top ``rate`` share of rows by ``score``, ties at the cut fractionally.

    Returns weights in [0, 1] summing to :func:`n_flagged` rows.
    """
    score = np.asarray(score, dtype=np.float64)
    n = score.size
    m = n_flagged(n, rate)
    w = np.zeros(n)
    if m == 0:
        return w
    cut = float(np.sort(score)[::-1][m - 1])
    above = score > cut
    at = score == cut
    w[above] = 1.0
    rest = m - above.sum()
    w[at] = rest / at.sum()
    return w


def cut_of(score: np.ndarray, rate: float) -> float:
    """The score at which the top ``rate`` share of rows begins (``nan`` if none)."""
    score = np.asarray(score, dtype=np.float64)
    m = n_flagged(score.size, rate)
    return float(np.sort(score)[::-1][m - 1]) if m else float("nan")


def n_flagged(n: int, rate: float) -> int:
    """Rows flagged at a flag rate: ``rate * n`` rounded half up, at least one row
    for a positive rate."""
    rate = float(np.clip(rate, 0.0, 1.0))
    if n == 0 or rate <= 0:
        return 0
    return int(min(n, max(1, np.floor(rate * n + 0.5))))


def weighted_auc(score: np.ndarray, positive_weight: np.ndarray) -> float:
    """AUC of ``score`` for rows that are positive with weight ``w`` and negative
    with weight ``1 - w``; ties between a positive and a negative count 1/2.

    ``nan`` when either side has no weight.
    """
    score = np.asarray(score, dtype=np.float64)
    w = np.asarray(positive_weight, dtype=np.float64)
    pos_total = w.sum()
    neg_total = w.size - pos_total
    if pos_total <= 0 or neg_total <= 0:
        return float("nan")
    values, inverse = np.unique(score, return_inverse=True)
    pos = np.bincount(inverse, weights=w, minlength=values.size)
    neg = np.bincount(inverse, weights=1.0 - w, minlength=values.size)
    neg_below = np.cumsum(neg) - neg
    return float(np.sum(pos * (neg_below + 0.5 * neg)) / (pos_total * neg_total))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of ``a * b`` in this thread. ``np.dot`` hands vectors to BLAS, whose
    threads for one short product cost more than they save and stall for
    milliseconds when the cores are busy; the bootstrap takes thousands."""
    return float(np.einsum("i,i->", a, b))


def _centred_ranks(counts: np.ndarray, n: float) -> np.ndarray:
    """Average rank, less the mean rank ``(n + 1) / 2``, of each of the sorted
    distinct values that occur ``counts`` times (ties share a rank)."""
    below = np.cumsum(counts) - counts
    return below + (counts + 1) / 2.0 - (n + 1) / 2.0


def _auc_of_groups(pos: np.ndarray, neg: np.ndarray, pos_total, neg_total) -> float:
    """:func:`weighted_auc` from the positive and negative weight of each of the
    sorted distinct scores."""
    if pos_total <= 0 or neg_total <= 0:
        return float("nan")
    neg_below = np.cumsum(neg) - neg
    return _dot(pos, neg_below + 0.5 * neg) / (pos_total * neg_total)


def _dense(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ranks of ``values`` (0 for the smallest; equal values share one) and
    the number of distinct values."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return inverse.ravel(), uniq.size


class _RankedPair:
    """Spearman and flag AUC of one class's risks, for any row weights.

    A bootstrap resample is given as row counts (how often each row was drawn).
    The statistics of the resampled rows are then sums over the rows weighted by
    these counts, and a row's rank comes from the summed counts of the distinct
    values below its own and of its own (ties share the average rank); the
    values are sorted once, not per resample.
    """

    def __init__(self, t_risk: np.ndarray, s_risk: np.ndarray, t_flags: np.ndarray):
        self.t_groups, self.t_size = _dense(t_risk)
        self.s_groups, self.s_size = _dense(s_risk)
        self.flags = np.asarray(t_flags, dtype=np.float64)

    def stats(self, counts: np.ndarray) -> tuple[float, float]:
        n = float(counts.sum())
        t_counts = np.bincount(self.t_groups, weights=counts, minlength=self.t_size)
        s_counts = np.bincount(self.s_groups, weights=counts, minlength=self.s_size)
        t_rank = _centred_ranks(t_counts, n)
        s_rank = _centred_ranks(s_counts, n)
        denom = np.sqrt(
            _dot(t_counts, t_rank * t_rank) * _dot(s_counts, s_rank * s_rank)
        )
        if denom > 0:
            cross = _dot(counts * t_rank[self.t_groups], s_rank[self.s_groups])
            sp = cross / denom
        else:
            sp = float("nan")
        flagged = counts * self.flags
        pos = np.bincount(self.s_groups, weights=flagged, minlength=self.s_size)
        pos_total = float(flagged.sum())
        auc = _auc_of_groups(pos, s_counts - pos, pos_total, n - pos_total)
        return sp, auc


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); ``nan`` if a side is
    constant."""
    ra = rankdata(a)
    rb = rankdata(b)
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt(np.dot(ra, ra) * np.dot(rb, rb))
    return float(np.dot(ra, rb) / denom) if denom > 0 else float("nan")


def kl_rows(teacher_proba: np.ndarray, student_proba: np.ndarray) -> np.ndarray:
    """Per-row KL(teacher ‖ student) in nats, the student floored at 1e-6."""
    t = np.asarray(teacher_proba, dtype=np.float64)
    s = np.clip(np.asarray(student_proba, dtype=np.float64), PROBA_FLOOR, None)
    s = s / s.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - np.log(s)), 0.0)
    return terms.sum(axis=1)


def _bootstrap(n: int, n_boot: int, random_state, stat) -> list:
    """``stat(counts)`` on ``n_boot`` seeded resamples of ``n`` rows.

    Each resample draws ``n`` row indices (``default_rng(random_state)``, one
    ``integers(0, n, n)`` call per resample) and passes how often each row was
    drawn, as floats; a statistic of the resampled rows is the same statistic
    with the rows weighted by these counts.
    """
    if n_boot <= 0 or n < 2:
        return []
    rng = np.random.default_rng(random_state)
    return [
        stat(np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64))
        for _ in range(n_boot)
    ]


# ---------------------------------------------------------------------------
# The pieces of ``fidelity``
# ---------------------------------------------------------------------------
def class_label(k: int, class_names: Sequence | None) -> str:
    return str(class_names[k]) if class_names is not None else f"class {k}"


def per_class(t_cls, s_cls, k: int, confidence: float) -> list[dict]:
    out = []
    for c in range(k):
        t_in = t_cls == c
        s_in = s_cls == c
        both = float(np.sum(t_in & s_in))
        out.append(
            {
                "class_index": c,
                "teacher_n": int(t_in.sum()),
                "student_n": int(s_in.sum()),
                "recall": wilson(both, float(t_in.sum()), confidence),
                "precision": wilson(both, float(s_in.sum()), confidence),
            }
        )
    return out


def _is_degenerate(flagged: float, n: int) -> bool:
    return flagged < max(5.0, 0.01 * n) or flagged > 0.99 * n


def operating_point(
    kind: str, c: int, value: float, t_score, s_score, confidence: float
) -> tuple[dict, np.ndarray]:
    """One operating point for class ``c``; returns it and the teacher's flags."""
    n = t_score.size
    if kind == "threshold":
        t_w = (t_score >= value).astype(np.float64)
        s_w = (s_score >= value).astype(np.float64)
        t_cut = s_cut = float(value)
    else:
        t_w = flag_weights(t_score, value)
        s_w = flag_weights(s_score, value)
        t_cut, s_cut = cut_of(t_score, value), cut_of(s_score, value)
    both = float(np.sum(t_w * s_w))
    union = float(np.sum(t_w + s_w - t_w * s_w))
    same = float(np.sum(t_w * s_w + (1 - t_w) * (1 - s_w)))
    t_flagged = float(t_w.sum())
    point = {
        "kind": kind,
        "class_index": int(c),
        "value": float(value),
        "teacher_cut": t_cut,
        "student_cut": s_cut,
        "teacher_flagged": int(round(t_flagged)),
        "student_flagged": int(round(float(s_w.sum()))),
        "flagged_agreement": wilson(both, t_flagged, confidence),
        "overlap": wilson(both, union, confidence),
        "agreement": wilson(same, float(n), confidence),
        "degenerate": bool(_is_degenerate(t_flagged, n)),
    }
    return point, t_w


def _pct(count: int, n: int) -> str:
    """A share as a percentage that never rounds a partial share to 0% or 100%."""
    for digits in (1, 2, 3):
        text = f"{100 * count / n:.{digits}f}"
        if 0 < count < n and float(text) in (0.0, 100.0):
            continue
        return text + "%"
    return text + "%"


def degenerate_facts(
    teacher_proba: np.ndarray,
    t_cls: np.ndarray,
    points: list[dict],
    class_names: Sequence | None,
) -> list[str]:
    """Human-readable facts about a teacher that gives (nearly) one answer."""
    n = len(t_cls)
    facts = []
    if n:
        counts = np.bincount(t_cls, minlength=teacher_proba.shape[1])
        top = int(np.argmax(counts))
        name = class_label(top, class_names)
        if counts[top] == n:
            facts.append(f"the teacher predicts {name} for every row ({n} of {n})")
        elif counts[top] > 0.99 * n:
            facts.append(
                f"the teacher predicts {name} for {counts[top]} of {n} rows "
                f"({_pct(counts[top], n)})"
            )
    for p in points:
        if not p["degenerate"]:
            continue
        c = p["class_index"]
        risk = teacher_proba[:, c]
        name = f"P({class_label(c, class_names)})"
        flagged = p["teacher_flagged"]
        if p["kind"] == "threshold":
            where = f"at threshold {p['value']:g}"
            if flagged == 0:
                facts.append(
                    f"the teacher flags no row {where} (largest {name} {risk.max():.2f})"
                )
            elif flagged == n:
                facts.append(
                    f"the teacher flags every row {where} "
                    f"(smallest {name} {risk.min():.2f})"
                )
            else:
                facts.append(
                    f"the teacher flags {flagged} of {n} rows ({_pct(flagged, n)}) "
                    f"{where}"
                )
        else:
            facts.append(
                f"the flag rate {100 * p['value']:.1f}% for {name} flags "
                f"{flagged} of {n} rows: too few or too many to compare"
            )
    return facts


def ranking(
    t_risk: np.ndarray,
    s_risk: np.ndarray,
    t_flags: np.ndarray,
    *,
    n_boot: int,
    confidence: float,
    random_state,
) -> tuple[dict, dict]:
    """Spearman and flag AUC estimates for a set of classes (columns).

    ``t_risk``, ``s_risk`` and ``t_flags`` have one column per class compared;
    the returned estimates are means over those columns, with per-column ones.
    """
    n, m = t_risk.shape
    # Values sorted once per column; every resample then ranks by counting.
    pairs = [_RankedPair(t_risk[:, j], s_risk[:, j], t_flags[:, j]) for j in range(m)]

    def stats(counts):
        both = [pair.stats(counts) for pair in pairs]
        return [b[0] for b in both], [b[1] for b in both]

    full_sp, full_au = stats(np.ones(n))
    draws = _bootstrap(n, n_boot, random_state, stats)
    by_sp, by_au = [], []
    for j in range(m):
        by_sp.append(
            _boot_estimate(full_sp[j], [d[0][j] for d in draws], n, confidence)
        )
        by_au.append(
            _boot_estimate(full_au[j], [d[1][j] for d in draws], n, confidence)
        )

    def mean_est(full, pick):
        value = _nanmean(full)
        boot = [_nanmean(pick(d)) for d in draws]
        return _boot_estimate(value, boot, n, confidence)

    flagged = np.asarray(t_flags, dtype=np.float64).sum(axis=0)
    pairs_n = np.minimum(flagged, n - flagged)
    by_au = [_not_zero_width(e, pairs_n[j], confidence) for j, e in enumerate(by_au)]
    sp = mean_est(full_sp, lambda d: d[0])
    au = _not_zero_width(
        mean_est(full_au, lambda d: d[1]), pairs_n.min(initial=n), confidence
    )
    return (sp, au), {"spearman": by_sp, "flag_auc": by_au}


def _not_zero_width(est: dict, n_eff: float, confidence: float) -> dict:
    """Widen an AUC's bootstrap interval where it collapses.

    Within one row of its bound (an AUC of at least ``1 - 1 / n_eff``, or at
    most ``1 / n_eff``) nearly every resample ranks the flagged rows perfectly
    and the percentile interval shrinks to about nothing. There the interval
    also covers the Wilson interval of a proportion with the same value on the
    smaller of the two groups, ``n_eff``: a perfect ranking of 50 flagged rows
    is no surer than 50 of 50.
    """
    value, low, high = est["value"], est["low"], est["high"]
    if value is None or low is None or high is None or n_eff < 1:
        return est
    if 1 / n_eff < value < 1 - 1 / n_eff:
        return est
    w = wilson(value * n_eff, n_eff, confidence)
    return {**est, "low": min(low, w["low"]), "high": max(high, w["high"])}


def _nanmean(values) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


class _TruthAuc:
    """ROC AUC of one model's probabilities against the labels ``y`` (class
    indices), for any row weights: of P(class 1) for two classes, else the macro
    one-vs-rest AUC over the classes present."""

    def __init__(self, y: np.ndarray, proba: np.ndarray):
        self.binary = proba.shape[1] == 2
        columns = [1] if self.binary else range(proba.shape[1])
        self.dense = {c: _dense(proba[:, c]) for c in columns}
        self.is_class = {c: (y == c).astype(np.float64) for c in columns}

    def _auc(self, c: int, counts: np.ndarray, n: float) -> float:
        groups, size = self.dense[c]
        positive = counts * self.is_class[c]
        pos = np.bincount(groups, weights=positive, minlength=size)
        total = np.bincount(groups, weights=counts, minlength=size)
        pos_total = float(positive.sum())
        return _auc_of_groups(pos, total - pos, pos_total, n - pos_total)

    def stat(self, counts: np.ndarray, class_counts: np.ndarray) -> float:
        """The AUC of the rows drawn ``counts`` times; ``class_counts`` holds the
        weight of each class."""
        n = float(counts.sum())
        if self.binary:
            return self._auc(1, counts, n)
        present = np.flatnonzero(class_counts > 0)
        if present.size < 2:
            return float("nan")
        return _nanmean([self._auc(int(c), counts, n) for c in present])


def truth(
    y: np.ndarray,
    teacher_proba: np.ndarray,
    student_proba: np.ndarray,
    *,
    n_boot: int,
    confidence: float,
    random_state,
) -> dict:
    """Accuracy (Wilson) and ROC AUC (bootstrap) of both models on labelled rows."""
    n = y.size
    models = {"teacher": teacher_proba, "student": student_proba}
    aucs = {who: _TruthAuc(y, proba) for who, proba in models.items()}
    k = teacher_proba.shape[1]

    def stats(counts):
        class_counts = np.bincount(y, weights=counts, minlength=k)
        return {who: auc.stat(counts, class_counts) for who, auc in aucs.items()}

    full = stats(np.ones(n))
    draws = _bootstrap(n, n_boot, random_state, stats)
    out = {}
    for who, proba in models.items():
        hits = float(np.sum(np.argmax(proba, axis=1) == y))
        out[who] = {
            "accuracy": wilson(hits, float(n), confidence),
            "roc_auc": _boot_estimate(
                full[who], [d[who] for d in draws], n, confidence
            ),
        }
    return out


def probability(
    teacher_proba: np.ndarray,
    student_proba: np.ndarray,
    *,
    n_boot: int,
    confidence: float,
    random_state,
) -> dict:
    """Mean absolute difference of risk (total variation per row) and mean KL."""
    diff = 0.5 * np.abs(teacher_proba - student_proba).sum(axis=1)
    kl = kl_rows(teacher_proba, student_proba)
    n = diff.size
    draws = _bootstrap(
        n,
        n_boot,
        random_state,
        lambda counts: (_dot(counts, diff) / n, _dot(counts, kl) / n),
    )
    return {
        "mean_abs_diff": _boot_estimate(
            diff.mean() if n else None, [d[0] for d in draws], n, confidence
        ),
        "kl": _boot_estimate(
            kl.mean() if n else None, [d[1] for d in draws], n, confidence
        ),
    }
