"""Dask: the tree student distilled from a Dask DataFrame, partition by partition.

Needs the optional packages ``dask[dataframe]`` and ``distributed``
(``pip install 'treedistill[dask]'``); nothing here is imported by treedistill
unless this module is used.

:func:`distill_tree` fits a :class:`~treedistill.DistilledTreeClassifier` whose
teacher is already fitted on a Dask DataFrame:

1. the column types, category levels and classes are read from the first
   ``sample_rows`` rows (an in-memory fit on them, without augmented rows, sets
   the model up);
2. on the cluster, each partition draws its augmented rows (the augmenter sees
   that partition's rows), is labelled by the teacher and encoded: the
   transfer set stays on the workers, one piece per partition;
3. the tree is grown by :class:`~treedistill.distill._streaming.StreamedHistTree` with
   :class:`DaskPasses`: every pass maps :func:`~treedistill.distill._streaming.chunk_plan`
   over the partitions on the workers and adds up their histograms on the
   client (a few hundred kB per partition), level by level;
4. with ``exact_rules`` (the default) every numeric threshold is snapped to the
   data's precision: each partition sends, per split, the largest value it
   sends left and the smallest it sends right, among its real rows and among
   all its transfer rows (:func:`~treedistill.distill._thresholds.split_bounds`); the
   client takes the max and min and snaps with the function the in-memory fit
   uses (:func:`~treedistill.distill._thresholds.snap_to_bounds`);
5. the leaves are refit on the teacher's temperature-1 labels the same way
   (and, after snapping, the node counts recounted).

For the same rows, bins and seed the tree is the one grown in memory,
thresholds included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from treedistill.distill._sample_size import choose_augment_factor
from treedistill.distill._streaming import (
    _combine,
    check_streamable,
    chunk_plan,
    chunk_root,
    chunk_sample,
    chunk_shape,
    set_node_totals,
    snap_student,
    streamed_student,
    streamed_tree,
)
from treedistill.distill._students import _node_totals
from treedistill.distill._thresholds import merge_bounds, snappable_nodes, split_bounds
from treedistill.distill._transfer import augment
from treedistill.exceptions import DataError, ParameterError
from treedistill.teachers._teachers import is_fitted, teacher_logits

__all__ = ["DaskPasses", "distill_tree", "refit_on_cluster", "snap_on_cluster"]

SAMPLE_ROWS = 50_000

#: The stages of :func:`distill_tree`, as told to its ``progress`` callback.
STAGES = ("sample", "transfer", "grow", "snap", "leaves")


def _client(client):
    try:
        from distributed import get_client
    except ImportError:
        raise ImportError(
            "Dask support needs dask[dataframe] and distributed: "
            "pip install 'treedistill[dask]'"
        ) from None
    if client is not None:
        return client
    try:
        return get_client()
    except ValueError:
        raise ParameterError(
            "no Dask client is running: start one (distributed.Client(...)) or "
            "pass client=",
            parameter="client",
        ) from None


# Run on the workers: each takes one partition's piece, a tuple
# (X, Q, Q_true, n_real): its real rows are the first n_real rows of X.
def _part_shape(part):
    return chunk_shape(part[0], part[1])


def _part_sample(part, rows, start):
    return chunk_sample(part[0], rows, start)


def _part_root(part, cuts, n_bins):
    return chunk_root(part[0], part[1], cuts, n_bins)


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


def _part_plan(part, B, tree, plan, n_bins):
    return chunk_plan(part[0], part[1], B, tree, plan, n_bins)


class DaskPasses:
    """The passes of :meth:`StreamedHistTree.fit_passes` as map-reduce on a cluster.

    Parameters
    ----------
    client : distributed.Client
    parts : list of futures
        One per partition, each holding ``(X, Q, ...)`` arrays on a worker.
    """

    def __init__(self, client, parts):
        self.client, self.parts = client, list(parts)
        self._bins = None
        self.lengths: list[int] = []

    def shape(self) -> tuple[int, int, int]:
        shapes = self.client.gather(self.client.map(_part_shape, self.parts))
        kinds = {(d, k) for m, d, k in shapes if m}
        if len(kinds) > 1:
            raise ValueError("every partition must have the same columns")
        self.lengths = [m for m, _, _ in shapes]
        d, k = kinds.pop() if kinds else (0, 0)
        return sum(self.lengths), d, k

    def sample(self, rows) -> list[np.ndarray]:
        starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).tolist()
        rows_f = self.client.scatter(rows, broadcast=True) if rows is not None else None
        n = len(self.parts)
        futures = self.client.map(_part_sample, self.parts, [rows_f] * n, starts)
        return self.client.gather(futures)

    def root(self, cuts, n_bins: int) -> np.ndarray:
        pairs = self.client.map(_part_root, self.parts, cuts=cuts, n_bins=n_bins)
        self._bins = self.client.map(_first, pairs)  # stay on the workers
        hists = self.client.gather(self.client.map(_second, pairs))
        return sum(hists[1:], hists[0])

    def plan(self, tree: dict, plan: dict, n_bins: int):
        futures = self.client.map(
            _part_plan, self.parts, self._bins, tree=tree, plan=plan, n_bins=n_bins
        )
        out = None
        for part in self.client.gather(futures):
            out = part if out is None else _combine(out, part)
        return out

    def close(self) -> None:
        self._bins = None


def _labels(frame: pd.DataFrame, target: str) -> np.ndarray:
    y = frame[target].to_numpy()
    if pd.isna(y).any():
        raise DataError(f"{target!r} has missing labels", column=target)
    return y


def _transfer_part(frame: pd.DataFrame, model, target: str, shift, seed: int):
    """One partition's transfer rows: encoded, labelled for splits and leaves,
    and the number of real rows (they come first)."""
    y = _labels(frame, target)
    X = frame.drop(columns=[target])
    X.columns = [str(c) for c in X.columns]
    if len(X):  # cleaned as predict cleans (text cells, pandas' NA, dtypes)
        X = model._check_X(X, reset=False)
    classes = model.classes_
    y_index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    if len(y) and np.any(classes[y_index] != y):
        bad = y[classes[y_index] != y][0]
        raise DataError(
            f"{target!r} holds {bad!r}, which the teacher does not know", column=target
        )
    n_aug = int(round(model.augment_factor_ * len(X))) if len(X) >= 2 else 0
    rng = np.random.default_rng(seed)
    extra = augment(X, model.schema_, model.augmentation, n_aug, rng)
    rows = pd.concat([X, extra], ignore_index=True) if len(extra) else X
    labels = np.concatenate([y_index, np.full(len(extra), -1)])
    z = teacher_logits(model.teacher_, model._teacher_input(rows), model.batch_size)
    q, q_true = model._split_targets(z, labels, shift)
    return model.schema_.encode(rows, warn_unseen=False), q, q_true, len(X)


def _part_real(part):
    return part[3]


def _part_totals(part, student):
    return _node_totals(student.tree_, student.apply(part[0]), part[2])


def _part_bounds(part, tree, nodes, float32):
    """The partition's split bounds: of its real rows, and of all its rows."""
    X = part[0]
    real = split_bounds(tree, X[: part[3]], nodes, float32=float32)
    return real, split_bounds(tree, X, nodes, float32=float32)


def snap_on_cluster(client, parts, student, schema) -> None:
    """Snap ``student``'s thresholds as in memory, from bounds gathered by partition.

    Every partition sends two ``(n_nodes, 2)`` arrays; the client reduces them
    (max of the left bounds, min of the right) and snaps.
    """
    nodes = snappable_nodes(student.tree_, schema)
    float32 = student.split_precision_ == "float32"
    futures = client.map(
        _part_bounds, parts, tree=student.tree_, nodes=nodes, float32=float32
    )
    real = transfer = None
    for r, t in client.gather(futures):
        real = r if real is None else merge_bounds(real, r)
        transfer = t if transfer is None else merge_bounds(transfer, t)
    snap_student(student, schema, real, transfer)


def refit_on_cluster(client, parts, student, *, recount: bool = False) -> None:
    """:meth:`SoftTree.refit_leaves` on every partition's rows and temperature-1
    labels: node sums and counts are added up on the client."""
    totals = client.gather(client.map(_part_totals, parts, student=student))
    sums = sum(t[0] for t in totals)
    counts = sum(t[1] for t in totals)
    set_node_totals(student, sums, counts, recount=recount)


def check_inputs(model, ddf, target: str, name: str) -> None:
    """The Dask DataFrame, its target column and the model's teacher, checked
    before any work; ``name`` is the function the messages speak of."""
    if not hasattr(ddf, "to_delayed") or not hasattr(ddf, "columns"):
        raise ParameterError(
            f"ddf must be a Dask DataFrame, got {type(ddf).__name__}", parameter="ddf"
        )
    if target not in ddf.columns:
        raise ParameterError(
            f"target column {target!r} is not in the Dask DataFrame (columns: "
            f"{', '.join(map(str, ddf.columns[:10]))})",
            parameter="target",
        )
    if model.teacher is None or not is_fitted(model.teacher):
        raise ParameterError(
            f"{name} needs a fitted teacher ({type(model).__name__}(teacher))",
            parameter="teacher",
        )


def _check(model, ddf, target) -> None:
    check_inputs(model, ddf, target, "distill_tree_dask")
    check_streamable(model)


def distill_tree(
    model, ddf, target: str, *, client=None, sample_rows=SAMPLE_ROWS, progress=None
):
    """Fit ``model`` (a DistilledTreeClassifier) on a Dask DataFrame.

    Parameters
    ----------
    model : DistilledTreeClassifier
        With a fitted teacher, ``builder`` "hist" or "auto" and greedy search.
        With ``exact_rules`` (the default) the thresholds are snapped to the
        data's precision, as in memory.
    ddf : dask.dataframe.DataFrame
        Feature columns and the ``target`` column.
    target : str
    client : distributed.Client, optional
        Default: the current client.
    sample_rows : int, default=50000
        Rows (from the first partitions) that column types, category levels and
        class weights are read from (the model is set up by a fit on them
        without augmented rows).
    progress : callable, optional
        Called as ``progress(stage, index, total)`` when each of the stages
        ``STAGES`` starts ("snap" and "leaves" only when they run).

    Returns
    -------
    model
        Fitted: ``student_`` grown on every row of ``ddf`` and its augmented rows.
    """
    _check(model, ddf, target)
    client = _client(client)
    import dask
    from distributed import wait

    mark = _marks(progress)
    mark("sample")
    head = ddf.head(int(sample_rows), npartitions=-1)
    if not len(head):
        raise DataError("the Dask DataFrame has no rows")
    # Schema, teacher and classes from the sample: its student is replaced below.
    kept = {"chunk_size": model.chunk_size, "augment_factor": model.augment_factor}
    model.set_params(chunk_size=None, augment_factor=0.0)
    y_head = _labels(head, target)
    try:
        model.fit(head.drop(columns=[target]), y_head)
    finally:
        model.set_params(**kept)
    # the head's fit drew no augmented rows; the partitions draw at this factor
    model.augment_factor_, model.augment_rule_ = choose_augment_factor(
        model.augment_factor, None
    )
    shift = getattr(model, "_split_logit_shift", lambda _y: 0.0)(y_head)
    seed = 0 if model.random_state is None else int(model.random_state)
    mark("transfer")
    parts = client.compute(
        [
            dask.delayed(_transfer_part)(p, model, target, shift, seed + i)
            for i, p in enumerate(ddf.to_delayed())
        ]
    )
    wait(parts)
    mark("grow")
    tree = streamed_tree(model, seed)
    passes = DaskPasses(client, parts)
    tree.fit_passes(passes)
    student = streamed_student(model, tree, seed)
    exact = bool(model.exact_rules)
    if exact:
        mark("snap")
        snap_on_cluster(client, parts, student, model.schema_)
    if exact or model._leaves_refit():
        # Leaves report the teacher's temperature-1 distribution, as in memory;
        # after snapping, node counts are those of the snapped tree.
        mark("leaves")
        refit_on_cluster(client, parts, student, recount=exact)
    model.student_ = student
    model.n_transfer_ = int(sum(passes.lengths))
    n_real = sum(client.gather(client.map(_part_real, parts)))
    model.n_augmented_ = model.n_transfer_ - int(n_real)
    model.search_ = "greedy"
    return model


def _marks(progress):
    """``mark(stage)``: tells ``progress`` that a stage of ``STAGES`` starts."""
    if progress is None:
        return lambda stage: None
    return lambda stage: progress(stage, STAGES.index(stage), len(STAGES))
