"""Bootstrap benchmark: ``treedistill.fidelity`` on 250,000 held-out rows, with the
bootstrap intervals computed as now (each resample as row counts weighting arrays
sorted once) and as before (each resample's rows gathered and ranked again).

The "before" path is kept here only, as a copy of the earlier ``ranking``,
``truth`` and ``probability`` of ``treedistill/measures/_fidelity.py``; both paths run in
this process on the same arrays, and every number of the two results is
compared (the largest absolute difference is printed).

Data: a teacher's probabilities from a logistic model (rounded to 5 decimals, so
some rows tie), a 64-leaf tree student (64 distinct probability rows), a
boosted-like student (the teacher's log-odds plus noise), labels drawn from the
teacher; binary (minority class about 23%) and three classes.

Usage::

    python benchmarks/fidelity_bootstrap.py [--rows 250000] [--n-boot 200]
"""

from __future__ import annotations

import argparse
import time
import types

import numpy as np

from treedistill.measures import _fidelity as fid
from treedistill.measures import _metrics

# --------------------------------------------------------------------------
# The bootstrap as it was (resampled rows gathered per resample)
# --------------------------------------------------------------------------


def _before_bootstrap(n, n_boot, random_state, stat):
    if n_boot <= 0 or n < 2:
        return []
    rng = np.random.default_rng(random_state)
    return [stat(rng.integers(0, n, n)) for _ in range(n_boot)]


def _group_ranks(groups):
    counts = np.bincount(groups)
    below = np.cumsum(counts) - counts
    return (below + (counts + 1) / 2.0)[groups]


def _pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    denom = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / denom) if denom > 0 else float("nan")


def _grouped_auc(groups, w):
    pos_total = w.sum()
    neg_total = w.size - pos_total
    if pos_total <= 0 or neg_total <= 0:
        return float("nan")
    pos = np.bincount(groups, weights=w)
    neg = np.bincount(groups, weights=1.0 - w, minlength=pos.size)
    neg_below = np.cumsum(neg) - neg
    return float(np.sum(pos * (neg_below + 0.5 * neg)) / (pos_total * neg_total))


def _before_ranking(t_risk, s_risk, t_flags, *, n_boot, confidence, random_state):
    n, m = t_risk.shape
    t_dense = [np.unique(t_risk[:, j], return_inverse=True)[1] for j in range(m)]
    s_dense = [np.unique(s_risk[:, j], return_inverse=True)[1] for j in range(m)]

    def stats(idx):
        sp, au = [], []
        for j in range(m):
            s_groups = s_dense[j][idx]
            sp.append(_pearson(_group_ranks(t_dense[j][idx]), _group_ranks(s_groups)))
            au.append(_grouped_auc(s_groups, t_flags[idx, j]))
        return sp, au

    full_sp, full_au = stats(np.arange(n))
    draws = _before_bootstrap(n, n_boot, random_state, stats)
    by_sp = [
        fid._boot_estimate(full_sp[j], [d[0][j] for d in draws], n, confidence)
        for j in range(m)
    ]
    by_au = [
        fid._boot_estimate(full_au[j], [d[1][j] for d in draws], n, confidence)
        for j in range(m)
    ]

    def mean_est(full, pick):
        boot = [fid._nanmean(pick(d)) for d in draws]
        return fid._boot_estimate(fid._nanmean(full), boot, n, confidence)

    flagged = np.asarray(t_flags, dtype=np.float64).sum(axis=0)
    pairs_n = np.minimum(flagged, n - flagged)
    by_au = [
        fid._not_zero_width(e, pairs_n[j], confidence) for j, e in enumerate(by_au)
    ]
    sp = mean_est(full_sp, lambda d: d[0])
    au = fid._not_zero_width(
        mean_est(full_au, lambda d: d[1]), pairs_n.min(initial=n), confidence
    )
    return (sp, au), {"spearman": by_sp, "flag_auc": by_au}


def _auc_vs_truth(y, dense):
    if len(dense) == 2:
        return _grouped_auc(dense[1], (y == 1).astype(np.float64))
    present = np.unique(y)
    if present.size < 2:
        return float("nan")
    return fid._nanmean(
        [_grouped_auc(dense[c], (y == c).astype(np.float64)) for c in present]
    )


def _before_truth(y, teacher_proba, student_proba, *, n_boot, confidence, random_state):
    n = y.size
    out = {}
    for who, proba in (("teacher", teacher_proba), ("student", student_proba)):
        hits = float(np.sum(np.argmax(proba, axis=1) == y))
        dense = [np.unique(col, return_inverse=True)[1] for col in proba.T]
        full = _auc_vs_truth(y, dense)
        draws = _before_bootstrap(
            n,
            n_boot,
            random_state,
            lambda idx, d=dense: _auc_vs_truth(y[idx], [col[idx] for col in d]),
        )
        out[who] = {
            "accuracy": fid.wilson(hits, float(n), confidence),
            "roc_auc": fid._boot_estimate(full, draws, n, confidence),
        }
    return out


def _before_probability(
    teacher_proba, student_proba, *, n_boot, confidence, random_state
):
    diff = 0.5 * np.abs(teacher_proba - student_proba).sum(axis=1)
    kl = fid.kl_rows(teacher_proba, student_proba)
    n = diff.size
    draws = _before_bootstrap(
        n, n_boot, random_state, lambda idx: (diff[idx].mean(), kl[idx].mean())
    )
    return {
        "mean_abs_diff": fid._boot_estimate(
            diff.mean() if n else None, [d[0] for d in draws], n, confidence
        ),
        "kl": fid._boot_estimate(
            kl.mean() if n else None, [d[1] for d in draws], n, confidence
        ),
    }


BEFORE = types.ModuleType("fidelity_before")
BEFORE.__dict__.update(vars(fid))
BEFORE.ranking = _before_ranking
BEFORE.truth = _before_truth
BEFORE.probability = _before_probability

# --------------------------------------------------------------------------
# Data, timing, comparison
# --------------------------------------------------------------------------


def make_case(n: int, k: int, student: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, k)) * 1.5
    z[:, 0] += 2.0
    t = np.exp(z - z.max(axis=1, keepdims=True))
    t = np.round(t / t.sum(axis=1, keepdims=True), 5)
    t /= t.sum(axis=1, keepdims=True)
    if student == "tree":
        rank = np.argsort(np.argsort(t[:, -1]))
        leaf = np.minimum(rank * 64 // n, 63)
        leaf = np.where(rng.random(n) < 0.1, rng.integers(0, 64, n), leaf)
        centres = np.array([t[leaf == j].mean(axis=0) for j in range(64)])
        s = centres[leaf]
    else:
        zs = np.log(t) + rng.normal(0, 0.3, t.shape)
        s = np.exp(zs) / np.exp(zs).sum(axis=1, keepdims=True)
    y = np.minimum((rng.random(n)[:, None] > np.cumsum(t, axis=1)).sum(axis=1), k - 1)
    return t, s, y


def _largest_difference(a, b) -> float:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return max([_largest_difference(a[k], b[k]) for k in a], default=0.0)
    if isinstance(a, list):
        assert len(a) == len(b)
        return max(
            [_largest_difference(x, y) for x, y in zip(a, b, strict=True)], default=0.0
        )
    if isinstance(a, float) and isinstance(b, float):
        return 0.0 if np.isnan(a) and np.isnan(b) else abs(a - b)
    assert a == b, (a, b)
    return 0.0


def _timed(module, t, s, y, n_boot):
    _metrics._fid = module
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        out = _metrics.fidelity(t, s, y, n_boot=n_boot, random_state=0)
        return out, time.perf_counter() - wall, time.process_time() - cpu
    finally:
        _metrics._fid = fid


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=250_000)
    ap.add_argument("--n-boot", type=int, default=200)
    args = ap.parse_args(argv)
    print(f"fidelity() on {args.rows:,} rows, n_boot={args.n_boot}\n")
    print(
        "| case | before s (CPU s) | now s (CPU s) | CPU ratio | largest difference |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for k, student in ((2, "tree"), (2, "boosted"), (3, "tree")):
        t, s, y = make_case(args.rows, k, student)
        old, old_wall, old_cpu = _timed(BEFORE, t, s, y, args.n_boot)
        new, new_wall, new_cpu = _timed(fid, t, s, y, args.n_boot)
        print(
            f"| {k} classes, {student} student | {old_wall:.2f} ({old_cpu:.2f}) | "
            f"{new_wall:.2f} ({new_cpu:.2f}) | {old_cpu / new_cpu:.1f}x | "
            f"{_largest_difference(old, new):.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
