"""Would another run give the same explanation? Bootstrap refits of a tree student.

The tree student is refit on bootstrap resamples of its transfer set: the real
training rows and one augmented draw, both labelled by the fitted teacher once
(the teacher is never refit or called again per refit). Each refit resamples the
real rows and the augmented rows with replacement, grows a tree with the model's
own settings and a seed of its own, and is compared with the main tree:

* which column each refit splits on at the root and in the top two levels;
* the refit's fidelity to the teacher on the evaluation rows (agreement, and for
  a binary problem the share of the teacher's flagged rows it flags, at the
  threshold and at the flag rate);
* how often the refit predicts the main tree's class on the evaluation rows.

The pool is drawn, labelled, encoded and (for the histogram builder) binned once;
every refit grows a tree on its resample of the pool's binned rows, so a refit
costs one tree growth. The refits run in batches of :data:`SETTLE_BATCH`; after
at least :data:`SETTLE_MIN_REFITS` they stop early, once a batch has moved no
column's share of root splits by more than :data:`SETTLE_POINTS` (the root
frequencies have settled; ``stop_when_settled=False`` runs them all). Refit i is
the same tree whether or not the run stops early. With ``max_transfer_rows`` (a report's bound) a larger
pool is drawn from a seeded sample of the real rows instead (``n_train`` of
``n_train_total``): the spread is then that of trees fit on fewer rows, which
overstates the instability of the tree fit on all of them.
"""

from __future__ import annotations

import contextvars
import copy
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from treedistill.distill._hist_tree import bin_features
from treedistill.distill._sample_size import augment_factor_of
from treedistill.distill._transfer import augment, munge
from treedistill.exceptions import ParameterError
from treedistill.measures._fidelity import flag_weights, wilson
from treedistill.teachers._teachers import teacher_logits

__all__ = [
    "stability",
    "refit_stability",
    "ROOT_STABLE_SHARE",
    "SETTLE_BATCH",
    "SETTLE_MIN_REFITS",
    "SETTLE_POINTS",
    "TOP_DEPTH",
]

ROOT_STABLE_SHARE = 0.7  # below this share of refits the root split is unstable
TOP_DEPTH = 2  # "the top levels": the root and its children
#: Early stop of the refits: they run in batches of SETTLE_BATCH and, after at
#: least SETTLE_MIN_REFITS, stop once a batch has changed no column's share of
#: root splits by more than SETTLE_POINTS (5 percentage points).
SETTLE_BATCH = 5
SETTLE_MIN_REFITS = 10
SETTLE_POINTS = 0.05


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------
def stability(
    model,
    X,
    y=None,
    *,
    X_test=None,
    n_refits: int = 20,
    positive_class=None,
    threshold: float = 0.5,
    flag_rate: float | None = None,
    random_state: int | None = 0,
    stop_when_settled: bool = True,
) -> dict:
    """Refit a distilled tree on bootstrap resamples and measure what changes.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier
    X : array-like or DataFrame
        The training rows the model was fit on (resampled with replacement).
    y : array-like, default=None
        Their true labels; needed only when the model blends them in
        (``alpha > 0``) or weights the split search ``"balanced"``.
    X_test : array-like or DataFrame, default=None
        Held-out rows the refits are measured on; ``None``: ``X`` itself.
    n_refits : int, default=20
        Bootstrap refits at most (at least 2).
    positive_class : class label, default=None
        The flagged class of a binary problem; ``None``: the class the teacher
        gives least often on ``X``.
    threshold : float, default=0.5
        A row is flagged when P(positive) >= ``threshold``.
    flag_rate : float, default=None
        Each model flags its own top ``flag_rate`` share of rows; ``None``: the
        share of ``X`` the teacher puts in the positive class.
    random_state : int or None, default=0
    stop_when_settled : bool, default=True
        Stop early when the root-column frequencies have settled: the refits
        run in batches of :data:`SETTLE_BATCH` and, after at least
        :data:`SETTLE_MIN_REFITS`, stop once a batch has changed no column's
        share of root splits by more than :data:`SETTLE_POINTS` (5 points).
        The refits run are the first of the full run, the same trees.

    Returns
    -------
    dict
        ``n_refits`` (the refits run), ``n_refits_max`` (asked for),
        ``stopped_early`` and ``settle`` (the rule: ``batch``, ``min_refits``,
        ``max_change``; ``None`` when every refit runs); ``n_train`` and ``n_augmented`` (the resampled pool);
        ``n_test``; ``root``: the main tree's root column, how many refits share
        it and its share (``stable`` when at least :data:`ROOT_STABLE_SHARE`)
        with its 95% Wilson interval (``low``, ``high``: the sampling error of
        a share over that many refits);
        ``columns``: per column the share of refits that split on it at the root,
        in the top two levels and anywhere; ``agreement``, ``flagged_threshold``
        and ``flagged_flag_rate``: the main tree's value and the refits' spread
        (``None`` for the flag measures when not binary);
        ``same_prediction``: the share of evaluation rows where each refit
        predicts the main tree's class, summarised; ``n_leaves``: the refits'
        leaf counts, summarised.
    """
    _check_model(model)
    if X_test is None:
        X_test = X
    t_proba = model.teacher_proba(X_test)
    positive, rate = _flag_settings(model, X, positive_class, flag_rate)
    return refit_stability(
        model,
        X,
        y,
        X_test,
        t_proba,
        n_refits=n_refits,
        positive=positive,
        threshold=threshold,
        flag_rate=rate,
        random_state=random_state,
        stop_when_settled=stop_when_settled,
    )


def _flag_settings(model, X, positive_class, flag_rate):
    """The flagged class's index and the flag rate (``None`` unless binary)."""
    classes = np.asarray(model.classes_).tolist()
    if len(classes) != 2:
        return None, None
    counts = np.bincount(np.argmax(model.teacher_proba(X), axis=1), minlength=2)
    positive = int(np.argmin(counts))
    if positive_class is not None:
        if positive_class not in classes:
            raise ParameterError(
                f"positive_class {positive_class!r} is not a class of the teacher "
                f"(its classes: {classes})",
                parameter="positive_class",
            )
        positive = classes.index(positive_class)
    share = float(counts[positive] / max(1, counts.sum()))
    return positive, share if flag_rate is None else float(flag_rate)


def _check_model(model, *, bounded: bool = False) -> None:
    from treedistill.distill._estimators import DistilledTreeClassifier

    if not isinstance(model, DistilledTreeClassifier):
        raise ParameterError(
            "stability needs a fitted DistilledTreeClassifier, got "
            f"{type(model).__name__}",
            parameter="model",
        )
    if not hasattr(model, "student_"):
        raise ParameterError(
            "stability needs a fitted model: call fit first", parameter="model"
        )
    if model.chunk_size is not None and not bounded:
        raise ParameterError(
            "stability refits the tree in memory; this model was fit in chunks "
            f"(chunk_size={model.chunk_size})",
            parameter="model",
        )


def _check_n_refits(n_refits) -> int:
    if isinstance(n_refits, bool) or not isinstance(n_refits, (int, np.integer)):
        raise ParameterError(
            f"n_refits must be a whole number, got {n_refits!r}", parameter="n_refits"
        )
    if n_refits < 2:
        raise ParameterError(
            f"n_refits must be at least 2 to show a spread, got {n_refits}",
            parameter="n_refits",
        )
    return int(n_refits)


# ---------------------------------------------------------------------------
# The pool every refit resamples
# ---------------------------------------------------------------------------
def _pool(model, X, y, rng: np.random.Generator, neighbours=None):
    """Encoded transfer rows with their soft labels (split search and leaves).

    ``neighbours``: MUNGE's neighbours of the rows of ``X``, when already searched.
    """
    frame = model._check_X(X, reset=False)
    needs_y = model.alpha > 0 or isinstance(model.split_class_weight, str)
    if y is None and needs_y:
        raise ParameterError(
            "y is needed to refit this model (alpha > 0 or split_class_weight="
            "'balanced')",
            parameter="y",
        )
    if y is not None:
        y = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)
        if len(y) != len(frame):
            raise ParameterError(
                f"X has {len(frame)} rows but y has {len(y)}: they must match",
                parameter="y",
            )
        labels = np.searchsorted(model.classes_, y)
    else:
        labels = np.full(len(frame), -1)
    n_aug = int(round(augment_factor_of(model, len(frame)) * len(frame)))
    if model.augmentation == "munge" and neighbours is not None and n_aug > 0:
        extra = munge(frame, model.schema_, n_aug, rng, neighbours=neighbours)
    else:
        extra = augment(frame, model.schema_, model.augmentation, n_aug, rng)
    z = np.concatenate(
        [
            teacher_logits(model.teacher_, model._teacher_input(f), model.batch_size)
            for f in (frame, extra)
            if len(f)
        ]
    )
    labels = np.concatenate([labels, np.full(len(extra), -1)])
    shift = model._split_logit_shift(np.asarray(model.classes_) if y is None else y)
    q_train, q_true = model._split_targets(z, labels, shift)
    both = pd.concat([frame, extra], ignore_index=True) if len(extra) else frame
    X_enc = model.schema_.encode(both, warn_unseen=False)
    return X_enc, q_train, q_true, len(frame), len(extra)


def _pool_bins(model, pool, seed: int):
    """The pool's binning, shared by the refits, when they grow greedy histogram
    trees (``None`` otherwise: each refit then searches as the main fit did)."""
    student = model.student_
    search = getattr(model, "search_", model.search)
    # A pruned tree is grown greedily too (then cut: no split searched after).
    if getattr(student, "builder_", None) != "hist" or search not in (
        "greedy",
        "prune",
    ):
        return None
    return bin_features(pool[0], student.max_bins, random_state=seed)


def _draw(pool, rng: np.random.Generator) -> np.ndarray:
    """The rows of one bootstrap resample of the pool (real and augmented apart)."""
    n_real, n_aug = pool[3], pool[4]
    return np.concatenate(
        [rng.integers(0, n_real, n_real), n_real + rng.integers(0, n_aug, n_aug)]
    ).astype(np.intp)


def _refit(model, pool, rng: np.random.Generator, seed: int, bins=None, idx=None):
    """One bootstrap refit: a shallow copy of ``model`` with a new student, on
    the resample ``idx`` (drawn from ``rng`` when not given)."""
    X_enc, q_train, q_true, n_real, n_aug = pool
    if idx is None:
        idx = _draw(pool, rng)
    refit = copy.copy(model)
    refit.n_transfer_ = idx.size
    refit.n_augmented_ = n_aug
    # the main tree's builder, not the one "auto" would pick for fewer rows
    refit.builder = getattr(model.student_, "builder_", model.builder)
    refit.student_ = refit._make_student(seed)
    # each drawn row once, weighted by its count: the same tree as the draw with
    # its repeats (weights act as copies in the split search), about a third
    # fewer rows to search
    rows, counts = np.unique(idx, return_counts=True)
    shared = {} if bins is None else {"bins": (bins[0][:, rows], bins[1], bins[2])}
    refit.student_.fit(X_enc[rows], q_train[rows], sample_weight=counts, **shared)
    refit._finish_student(X_enc[idx], q_true[idx])
    return refit


# ---------------------------------------------------------------------------
# What a tree splits on
# ---------------------------------------------------------------------------
def split_columns(model, depth: int | None = None) -> list[str]:
    """Source columns of the splits in the top ``depth`` levels (all: ``None``),
    root first, breadth first, without repeats."""
    tree = model.student_.tree_
    features = model.schema_.features
    out, level = [], [0]
    d = 0
    while level and (depth is None or d < depth):
        nxt = []
        for node in level:
            if tree.children_left[node] == -1:
                continue
            col = features[int(tree.feature[node])].column
            if col not in out:
                out.append(col)
            nxt += [int(tree.children_left[node]), int(tree.children_right[node])]
        level, d = nxt, d + 1
    return out


def _root(model) -> str | None:
    cols = split_columns(model, 1)
    return cols[0] if cols else None


# ---------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------
def _flagged(t_score, s_score, kind: str, value: float) -> float | None:
    """Share of the teacher's flagged rows the student also flags."""
    if kind == "threshold":
        t_w = (t_score >= value).astype(float)
        s_w = (s_score >= value).astype(float)
    else:
        t_w, s_w = flag_weights(t_score, value), flag_weights(s_score, value)
    total = float(t_w.sum())
    return float(np.sum(t_w * s_w) / total) if total > 0 else None


def _measures(t_proba, s_proba, positive, threshold, flag_rate) -> dict:
    out = {
        "agreement": float(
            np.mean(np.argmax(s_proba, axis=1) == np.argmax(t_proba, axis=1))
        )
    }
    if positive is not None:
        t, s = t_proba[:, positive], s_proba[:, positive]
        out["flagged_threshold"] = _flagged(t, s, "threshold", threshold)
        out["flagged_flag_rate"] = (
            _flagged(t, s, "flag_rate", flag_rate) if flag_rate else None
        )
    return out


def spread(values: Sequence, main: float | None = None) -> dict | None:
    """Summary of the refits' values: mean, sd, min, 5/50/95% quantiles, max."""
    arr = np.asarray([v for v in values if v is not None], dtype=np.float64)
    if arr.size == 0:
        return None
    q05, q50, q95 = np.quantile(arr, [0.05, 0.5, 0.95])
    return {
        "main": main,
        "n": int(arr.size),
        "mean": float(arr.mean()),
        "sd": float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
        "min": float(arr.min()),
        "p05": float(q05),
        "median": float(q50),
        "p95": float(q95),
        "max": float(arr.max()),
        "values": arr.tolist(),
    }


def _column_rows(model, refits: list) -> list[dict]:
    n = len(refits)
    roots = [_root(r) for r in refits]
    tops = [set(split_columns(r, TOP_DEPTH)) for r in refits]
    anywhere = [set(split_columns(r)) for r in refits]
    main_top = split_columns(model, TOP_DEPTH)
    main_all = set(split_columns(model))
    rows = []
    for col in model.schema_.names:
        n_any = sum(col in a for a in anywhere)
        if n_any == 0 and col not in main_all:
            continue
        rows.append(
            {
                "column": col,
                "root": sum(r == col for r in roots) / n,
                "top": sum(col in t for t in tops) / n,
                "anywhere": n_any / n,
                "main_root": col == _root(model),
                "main_top": col in main_top,
            }
        )
    rows.sort(key=lambda r: (-r["root"], -r["top"], -r["anywhere"], r["column"]))
    return rows


def refit_stability(
    model,
    X,
    y,
    test_in,
    teacher_proba: np.ndarray,
    *,
    n_refits: int,
    positive: int | None,
    threshold: float,
    flag_rate: float | None,
    random_state,
    max_transfer_rows: int | None = None,
    neighbours: np.ndarray | None = None,
    stop_when_settled: bool = True,
) -> dict:
    """:func:`stability` on rows already checked: ``test_in`` is what the model's
    methods take, ``teacher_proba`` the teacher on those rows, ``positive`` the
    index of the flagged class (``None``: not binary).

    ``max_transfer_rows``: draw the pool from a seeded sample of the real rows
    when all of them would make a larger one (a model fit in chunks is then
    refit in memory on that sample). ``neighbours``: MUNGE's neighbours of the
    rows of ``X`` (used when ``X`` is not sampled). ``stop_when_settled``: see
    :func:`stability`.
    """
    _check_model(model, bounded=max_transfer_rows is not None)
    n_refits = _check_n_refits(n_refits)
    seeds = np.random.SeedSequence(random_state).generate_state(n_refits + 1)
    rng = np.random.default_rng(int(seeds[0]))
    n_total = len(X)
    X, y = _bounded_rows(model, X, y, max_transfer_rows, int(seeds[0]))
    pool = _pool(model, X, y, rng, neighbours if len(X) == n_total else None)
    bins = _pool_bins(model, pool, int(seeds[0]))
    # the refits share the model's schema: the evaluation rows are encoded once
    test_enc = model.encode(test_in)
    main_proba = model._student_proba(test_enc)
    main = _measures(teacher_proba, main_proba, positive, threshold, flag_rate)
    main_class = np.argmax(main_proba, axis=1)
    # The resamples are drawn in order from one generator, then the refits of a
    # batch run side by side on the machine's cores (each is seeded: the same
    # trees in any order; tree growth releases the GIL, so threads suffice).
    batch = SETTLE_BATCH if stop_when_settled else n_refits
    fitted: list = []
    before = None
    while len(fitted) < n_refits:
        todo = seeds[1 + len(fitted) : 1 + min(n_refits, len(fitted) + batch)]
        draws = [_draw(pool, rng) for _ in todo]
        fitted += in_threads(
            lambda seed, idx: _refit(model, pool, rng, int(seed), bins, idx),
            list(zip(todo, draws, strict=True)),
        )
        shares = _root_shares(fitted)
        if len(fitted) >= SETTLE_MIN_REFITS and _settled(before, shares):
            break
        before = shares
    stopped = len(fitted) < n_refits
    refits, per_refit, same = [], [], []
    for refit in fitted:
        proba = refit._student_proba(test_enc)
        per_refit.append(
            _measures(teacher_proba, proba, positive, threshold, flag_rate)
        )
        same.append(float(np.mean(np.argmax(proba, axis=1) == main_class)))
        refits.append(refit)
    root = _root(model)
    n_root = sum(_root(r) == root for r in refits) if root is not None else 0
    n_run = len(refits)
    interval = wilson(n_root, n_run)
    out = {
        "n_refits": n_run,
        "n_refits_max": n_refits,
        "stopped_early": stopped,
        "settle": (
            {
                "batch": SETTLE_BATCH,
                "min_refits": SETTLE_MIN_REFITS,
                "max_change": SETTLE_POINTS,
            }
            if stop_when_settled
            else None
        ),
        "n_train": pool[3],
        "n_train_total": int(n_total),
        "sampled": pool[3] < n_total,
        "n_augmented": pool[4],
        "n_test": int(len(main_class)),
        "root": {
            "column": root,
            "n_same": int(n_root),
            "share": n_root / n_run,
            "stable": n_root / n_run >= ROOT_STABLE_SHARE,
            "threshold": ROOT_STABLE_SHARE,
            "low": interval["low"],
            "high": interval["high"],
        },
        "columns": _column_rows(model, refits),
        "same_prediction": spread(same),
        "n_leaves": spread([r.student_.get_n_leaves() for r in refits]),
    }
    for key in ("agreement", "flagged_threshold", "flagged_flag_rate"):
        out[key] = spread([m.get(key) for m in per_refit], main.get(key))
    return out


def _root_shares(refits: list) -> dict:
    """Each root column's share of the refits (``None``: no split at all)."""
    roots = [_root(r) for r in refits]
    return {col: roots.count(col) / len(roots) for col in set(roots)}


def _settled(before: dict | None, after: dict) -> bool:
    """Whether the last batch moved no root column's share by more than
    :data:`SETTLE_POINTS` (never after the first batch)."""
    if before is None:
        return False
    return all(
        abs(after.get(c, 0.0) - before.get(c, 0.0)) <= SETTLE_POINTS + 1e-12
        for c in set(before) | set(after)
    )


def in_threads(fn, items: list, *, one_native_thread: bool = True) -> list:
    """``[fn(*item) for item in items]``, on up to one thread per core, each call
    in a copy of the caller's context (so a run's settings, such as its data
    having been screened, hold in the threads too).

    ``one_native_thread``: one BLAS / OpenMP thread per call. The calls already
    fill the cores, and native pools of their own on top of them only wait on
    each other.
    """
    n_jobs = min(len(items), os.cpu_count() or 1)
    if n_jobs <= 1:
        return [fn(*item) for item in items]
    from joblib import Parallel, delayed
    from threadpoolctl import threadpool_limits

    contexts = [contextvars.copy_context() for _ in items]
    calls = (
        delayed(ctx.run)(fn, *item) for ctx, item in zip(contexts, items, strict=True)
    )
    if not one_native_thread:
        return Parallel(n_jobs=n_jobs, prefer="threads")(calls)
    with threadpool_limits(limits=1):
        return Parallel(n_jobs=n_jobs, prefer="threads")(calls)


def _bounded_rows(model, X, y, max_transfer_rows: int | None, seed: int):
    """``X`` and ``y``, or a seeded sample of their rows small enough that with
    the model's augmented rows the pool has at most ``max_transfer_rows``."""
    if max_transfer_rows is None:
        return X, y
    limit = max(2, int(max_transfer_rows / (1.0 + augment_factor_of(model))))
    if len(X) <= limit:
        return X, y
    rows = np.sort(np.random.default_rng([seed, 1]).choice(len(X), limit, False))
    X = X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
    if y is not None:
        y = y.iloc[rows] if hasattr(y, "iloc") else np.asarray(y)[rows]
    return X, y
