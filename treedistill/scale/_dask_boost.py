"""Dask: the boosted student distilled from a Dask DataFrame with ``xgboost.dask``.

Needs the optional packages ``dask[dataframe]`` and ``distributed``
(``pip install 'treedistill[dask]'``) besides xgboost; nothing here is imported
by treedistill unless this module is used.

:func:`distill_boosted` fits a :class:`~treedistill.DistilledBoostingClassifier`
whose teacher is already fitted on a Dask DataFrame, as
:func:`treedistill.scale._dask.distill_tree` does for the tree:

1. the column types, category levels and classes are read from the first
   ``sample_rows`` rows (an in-memory fit on them, without augmented rows and
   with one boosting round, sets the model up);
2. on the cluster, each partition draws its augmented rows, is labelled by the
   teacher and encoded (:func:`treedistill.scale._dask._transfer_part`): the transfer
   set stays on the workers, one piece per partition;
3. the class prior of the softened labels, which sets the base margin, is added
   up from per-partition sums;
4. ``xgboost.dask.DaskXGBRegressor`` boosts on those pieces with the in-memory
   student's parameters and objective (``binary:logistic`` on ``q_1`` for two
   classes, :func:`~treedistill.distill._students.soft_softmax_objective` for more);
5. its booster is loaded into a plain ``xgboost.XGBRegressor``, so the model is
   a normal fitted ``DistilledBoostingClassifier``: predict, rules, saving,
   export and the report work on it unchanged.

On one partition the booster is the one boosted in memory on the same rows. On
several, xgboost merges per-worker quantile sketches into the histogram cuts: the
cuts are the same when no feature has more distinct values than ``max_bin``
(256), otherwise a threshold can move to a neighbouring value of the data, so the
model is close to the in-memory one but not always equal.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from treedistill.distill._estimators import DistilledBoostingClassifier, _seed
from treedistill.distill._sample_size import choose_augment_factor
from treedistill.distill._students import SoftBoosting, soft_softmax_objective
from treedistill.exceptions import DataError, ParameterError
from treedistill.scale._dask import SAMPLE_ROWS, _client, _transfer_part, check_inputs

__all__ = ["STAGES", "distill_boosted"]

#: The stages :func:`distill_boosted` tells its ``progress`` callback about.
STAGES = ("sample", "transfer", "boost")


# Run on the workers: each takes one partition's piece (X, q, q_true, n_real),
# as made by treedistill.scale._dask._transfer_part (the real rows come first).
def _part_counts(part) -> tuple[int, int]:
    return len(part[0]), int(part[3])


def _part_q_sum(part) -> np.ndarray:
    return np.asarray(part[1], dtype=np.float64).sum(axis=0)


def _part_x(part) -> np.ndarray:
    return np.asarray(part[0], dtype=np.float64)


def _part_label(part) -> np.ndarray:
    q = np.asarray(part[1], dtype=np.float64)
    return q[:, 1].copy() if q.shape[1] == 2 else q


def _marks(progress):
    """``mark(stage)``: tells ``progress`` that a stage of ``STAGES`` starts."""
    if progress is None:
        return lambda stage: None
    return lambda stage: progress(stage, STAGES.index(stage), len(STAGES))


def _check(model, ddf, target, sample_rows) -> None:
    if not isinstance(model, DistilledBoostingClassifier):
        raise ParameterError(
            "distill_boosted_dask needs a DistilledBoostingClassifier, got "
            f"{type(model).__name__} (distill_tree_dask fits the tree)",
            parameter="model",
        )
    check_inputs(model, ddf, target, "distill_boosted_dask")
    if model.monotone_constraints:
        raise ParameterError(
            "monotone_constraints is not available on Dask",
            parameter="monotone_constraints",
        )
    if (
        isinstance(sample_rows, bool)
        or not isinstance(sample_rows, Integral)
        or sample_rows < 2
    ):
        raise ParameterError(
            f"sample_rows must be an integer of at least 2, got {sample_rows!r}",
            parameter="sample_rows",
        )


def _xgboost_dask():
    try:
        from xgboost import dask as xgb_dask
    except ImportError as exc:
        raise ImportError(
            f"the boosted student on Dask needs xgboost.dask ({exc}): "
            "pip install 'treedistill[dask]'"
        ) from None
    return xgb_dask


def _set_up(model, head, target: str) -> None:
    """Schema, teacher and classes from the first rows (no augmentation, one round)."""
    saved = model.get_params(deep=False)
    model.set_params(augment_factor=0.0, n_estimators=1)
    try:
        model.fit(head.drop(columns=[target]), head[target].to_numpy())
    finally:
        model.set_params(
            augment_factor=saved["augment_factor"], n_estimators=saved["n_estimators"]
        )
    # the head's fit drew no augmented rows; the partitions draw at this factor
    model.augment_factor_, model.augment_rule_ = choose_augment_factor(
        model.augment_factor, None
    )


def _xgb_params(student: SoftBoosting, k: int) -> dict:
    """The xgboost parameters ``SoftBoosting.fit`` boosts with for ``k`` classes."""
    params = dict(
        n_estimators=student.n_estimators,
        max_depth=student.max_depth,
        learning_rate=student.learning_rate,
        tree_method="hist",
        random_state=0 if student.random_state is None else int(student.random_state),
        n_jobs=student.n_jobs,
    )
    if k == 2:
        return dict(objective="binary:logistic", **params)
    return dict(
        objective=soft_softmax_objective,
        multi_strategy="one_output_per_tree",
        **params,
    )


def _base_margin(prior: np.ndarray) -> np.ndarray:
    """``SoftBoosting.fit``'s base margin from the mean of the soft labels."""
    prior = np.clip(prior, 1e-6, None)
    if len(prior) == 2:
        p1 = float(np.clip(prior[1] / prior.sum(), 1e-6, 1 - 1e-6))
        return np.array([np.log(p1 / (1 - p1))])
    logp = np.log(prior / prior.sum())
    return logp - logp.mean()


def _arrays(client, parts, lengths, d: int, k: int, base_margin):
    """The transfer set on the workers as Dask arrays: X, labels, base margins."""
    import dask.array as da

    def stack(func, shape):
        pieces = [
            da.from_delayed(client.submit(func, p), shape=(m, *shape), dtype=float)
            for p, m in zip(parts, lengths, strict=True)
        ]
        return da.concatenate(pieces, axis=0)

    X = stack(_part_x, (d,))
    y = stack(_part_label, () if k == 2 else (k,))
    width = base_margin if k > 2 else base_margin[:1]
    margin = da.ones((sum(lengths), len(width)), chunks=(X.chunks[0], len(width)))
    margin = margin * width
    return X, y, margin[:, 0] if k == 2 else margin


def distill_boosted(
    model, ddf, target: str, *, client=None, sample_rows=SAMPLE_ROWS, progress=None
):
    """Fit ``model`` (a DistilledBoostingClassifier) on a Dask DataFrame.

    Parameters
    ----------
    model : DistilledBoostingClassifier
        With a fitted teacher.
    ddf : dask.dataframe.DataFrame
        Feature columns and the ``target`` column.
    target : str
    client : distributed.Client, optional
        Default: the current client.
    sample_rows : int, default=50000
        Rows (from the first partitions) that column types, category levels and
        classes are read from (the model is set up by a fit on them without
        augmented rows).
    progress : callable, optional
        Called as ``progress(stage, index, total)`` when each of the stages
        ``STAGES`` starts.

    Returns
    -------
    model
        Fitted: ``student_`` boosted with ``xgboost.dask`` on every row of ``ddf``
        and its augmented rows; its ``estimator_`` is a plain fitted
        ``xgboost.XGBRegressor``.
    """
    _check(model, ddf, target, sample_rows)
    client = _client(client)
    xgb_dask = _xgboost_dask()
    import dask
    from xgboost import XGBRegressor

    mark = _marks(progress)
    mark("sample")
    head = ddf.head(int(sample_rows), npartitions=-1)
    if not len(head):
        raise DataError("the Dask DataFrame has no rows")
    _set_up(model, head, target)
    given = _seed(model.random_state)
    seed = 0 if given is None else given
    mark("transfer")
    shared = dask.delayed(model)
    parts = client.compute(
        [
            dask.delayed(_transfer_part)(p, shared, target, 0.0, seed + i)
            for i, p in enumerate(ddf.to_delayed())
        ]
    )
    counts = client.gather(client.map(_part_counts, parts))
    parts = [p for p, (m, _) in zip(parts, counts, strict=True) if m]
    lengths = [m for m, _ in counts if m]
    n_transfer = sum(lengths)
    k = len(model.classes_)
    prior = sum(client.gather(client.map(_part_q_sum, parts))) / n_transfer

    mark("boost")
    student = model._make_student(given)
    student.n_classes_ = k
    student.base_margin_ = _base_margin(prior)
    params = _xgb_params(student, k)
    d = len(model.feature_names_out_)
    X, y, margin = _arrays(client, parts, lengths, d, k, student.base_margin_)
    remote = xgb_dask.DaskXGBRegressor(**params)
    remote.client = client
    remote.fit(X, y, base_margin=margin)
    # The booster in a plain XGBRegressor with the in-memory student's parameters.
    # load_model sets base_score, objective, ... from the booster: reset them.
    est = XGBRegressor(**params)
    unfitted = est.get_params()
    est.load_model(bytearray(remote.get_booster().save_raw()))
    est.set_params(**unfitted)
    student.estimator_ = est

    model.student_ = student
    model.n_transfer_ = int(n_transfer)
    model.n_augmented_ = int(n_transfer - sum(n for _, n in counts))
    return model
