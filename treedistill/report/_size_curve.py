"""Fidelity against tree size: the tree student at several leaf budgets.

Each point distils the same teacher with the model's own settings, next to a plain
scikit-learn tree on the teacher's hard labels at the same budget.

Read off one growth. Both trees grow best-first: the node with the largest gain is
split next, and every split is chosen from the rows of that node alone. The tree
grown to a budget of ``b`` leaves is therefore the first ``b - 1`` splits of the
tree grown to the largest budget, and its leaves hold the values the larger tree
holds at those nodes (every node of a tree keeps the mean distribution of the rows
reaching it). So the curve fits each tree once, at the largest budget, and cuts it
back (:func:`nested_leaves`); ``tests/report/test_size_curve.py`` checks that this
equals refitting at every budget.

Pruned trees (``search="prune"``) are read off one growth too: the tree of budget
``b`` keeps, of the first ``GROW_FACTOR * b - 1`` splits of one best-first growth
to ``GROW_FACTOR`` times the largest budget, the subtree of least loss
(:func:`pruned_leaves`, the same dynamic programme on the same node sums as the
search), so the curve grows once and prunes per budget (``"method": "one growth,
pruned"``). TAO (``search="tao"``), monotone constraints or a chunked fit do not
nest: those refit at each budget, the budgets in parallel threads (``"method":
"refit"``).

The refits label the same transfer set (same rows, same seed) at every budget, so
the teacher is asked once per row: :class:`LogitTable` keeps its logits, and
:class:`TabledTeacher` is the prefit teacher the refits are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import get_tags

from treedistill.distill._estimators import (
    GROW_FACTOR,
    DistilledTreeClassifier,
    _numeric_columns,
)
from treedistill.distill._tao import least_loss_subtree
from treedistill.measures._metrics import kl_divergence
from treedistill.measures._stability import in_threads
from treedistill.report._fidelity_section import tree_baseline
from treedistill.report._inputs import Inputs
from treedistill.report._operating import OperatingPoints, curve_measures
from treedistill.teachers._teachers import teacher_logits

__all__ = [
    "CURVE_ROWS",
    "LogitTable",
    "SizeCurveConfig",
    "TabledTeacher",
    "TOLERANCE",
    "curve_rows",
    "expansion_order",
    "nested_leaves",
    "objective",
    "size_curve",
]

#: A smaller tree is suggested when its objective is within this of the best.
TOLERANCE = 0.01

_SHARED_PARAMS = (
    "temperature",
    "alpha",
    "augmentation",
    "augment_factor",
    "batch_size",
    "random_state",
)


@dataclass(frozen=True, kw_only=True)
class SizeCurveConfig:
    """How the size curve is drawn.

    Attributes
    ----------
    grid : tuple of int
        Leaf budgets, sorted.
    criterion : str
        Split criterion of the hard-label surrogate trees.
    seed : int
        Seed of the refits that have no ``random_state`` and of the surrogates.
    ops : OperatingPoints
        Where flagged-row agreement and flag AUC are measured.
    point_kind : str or None
        The headline's operating point (``"threshold"`` or ``"flag_rate"``;
        ``None`` with more than two classes): what the size is judged by.
    """

    grid: tuple[int, ...]
    criterion: str
    seed: int
    ops: OperatingPoints
    point_kind: str | None = None


def _row_keys(X) -> np.ndarray:
    """A 64-bit hash per row, equal for rows with equal values.

    Two different rows share a key with a chance of about n² / 2⁶⁵ (1e-10 for
    50,000 rows).
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


class LogitTable:
    """Teacher logits by row, filled as the teacher is asked.

    Plays the part of scikit-learn's ``Pipeline(memory=...)`` for a teacher: the
    caller owns it and decides how long it lives.
    """

    def __init__(self):
        self.rows: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)


class TabledTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher whose logits are read from a :class:`LogitTable`.

    Rows the table lacks are sent to ``teacher`` (the whole input, as it was
    given, so the answers are those the teacher itself gives) and added to it.

    Parameters
    ----------
    teacher : fitted classifier
    table : LogitTable
    """

    def __init__(self, teacher=None, table=None):
        self.teacher = teacher
        self.table = table

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def __sklearn_tags__(self):
        try:
            return get_tags(self.teacher)
        except (AttributeError, TypeError, ValueError):
            return super().__sklearn_tags__()

    @property
    def classes_(self):
        """The wrapped teacher's classes."""
        return self.teacher.classes_

    def predict_logits(self, X) -> np.ndarray:
        """Logits of the wrapped teacher on ``X``, shape (n, n_classes)."""
        keys = _row_keys(X).tolist()
        known = self.table.rows
        if all(k in known for k in keys):
            return np.stack([known[k] for k in keys])
        z = teacher_logits(self.teacher, X)
        for key, row in zip(keys, z, strict=True):
            known.setdefault(key, row)
        return z

    def predict_proba(self, X) -> np.ndarray:
        """Softmax of :meth:`predict_logits`."""
        z = self.predict_logits(X)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def _tree_params(model, seed: int, table: LogitTable) -> dict:
    """Parameters of a tree distiller equivalent to ``model`` (any kind)."""
    params = model.get_params(deep=False)
    if not isinstance(model, DistilledTreeClassifier):
        params = {k: params[k] for k in _SHARED_PARAMS if k in params}
    if params.get("random_state") is None:
        params["random_state"] = seed
    params["teacher"] = TabledTeacher(model.teacher_, table)
    return params


#: Real training rows the size-curve refits (and their surrogates) use at most.
CURVE_ROWS = 5_000


def curve_rows(inputs: Inputs, limit: int, seed: int) -> tuple:
    """The training rows of the refits: all, or a seeded sample of ``limit``.

    Returns ``(X, y, encoded, teacher_class, n_rows)`` of those rows.
    """
    train = inputs.train
    n = len(train.frame)
    if n <= limit:
        return inputs.X_train, inputs.y_train, train.encoded, train.teacher_class, n
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=int(limit), replace=False))
    X = inputs.X_train
    X = X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]
    y = np.asarray(inputs.y_train)[idx]
    return X, y, train.encoded[idx], train.teacher_class[idx], int(limit)


def agreement_rate(p, q) -> float:
    """Share of rows where the argmax classes of ``p`` and ``q`` agree."""
    return float(np.mean(np.argmax(p, axis=1) == np.argmax(q, axis=1)))


def _refit_proba(student, inputs: Inputs, which: str) -> np.ndarray:
    """``student.predict_proba`` of the test or synthetic rows, from the rows as
    the primary model cleaned them when the refit cleans columns the same way."""
    rows = getattr(inputs, which)
    if _numeric_columns(student.schema_) != _numeric_columns(inputs.schema):
        return student.predict_proba(rows.model_in)
    frame = inputs.cleaned(which)
    return student._student_proba(student.schema_.encode(frame, warn_unseen=False))


def expansion_order(tree) -> np.ndarray:
    """The split nodes of a best-first tree in the order they were split.

    Both builders number a node when it is created, and create the two children
    of a node when they split it, so the splits are ordered by their children's
    numbers.
    """
    left = np.asarray(tree.children_left)[: int(tree.node_count)]
    inner = np.flatnonzero(left != -1)
    return inner[np.argsort(left[inner], kind="stable")]


def nested_leaves(tree, budget: int) -> tuple[np.ndarray, int]:
    """For every node of ``tree``, its leaf in the tree cut back to ``budget``
    leaves (its first ``budget - 1`` splits), and that tree's number of leaves."""
    n_nodes = int(tree.node_count)
    kept = expansion_order(tree)[: max(int(budget) - 1, 0)]
    split = np.zeros(n_nodes, dtype=bool)
    split[kept] = True
    return leaves_of(tree, split), len(kept) + 1


def pruned_leaves(tree, sums, budget: int, loss: str) -> tuple[np.ndarray, int]:
    """For every node of ``tree`` (grown best-first), its leaf in the tree that
    ``search="prune"`` builds at ``budget`` leaves, and that tree's leaves.

    That search grows ``GROW_FACTOR * budget`` leaves (the first splits of this
    growth) and keeps their subtree of least loss; ``sums`` are the split labels'
    weighted sums at each node (``_split_sums`` of the fitted distiller).
    """
    order = expansion_order(tree)[: max(GROW_FACTOR * int(budget) - 1, 0)]
    n_nodes = int(tree.node_count)
    if order.size + 1 <= int(budget):  # grown no larger than the budget: kept
        split = np.zeros(n_nodes, dtype=bool)
        split[order] = True
        return leaves_of(tree, split), int(split.sum()) + 1
    split = least_loss_subtree(
        np.asarray(tree.children_left)[:n_nodes],
        np.asarray(tree.children_right)[:n_nodes],
        np.asarray(sums)[:n_nodes],
        int(budget),
        loss,
        splittable=order,
    )
    return leaves_of(tree, split), int(split.sum()) + 1


def leaves_of(tree, split: np.ndarray) -> np.ndarray:
    """For every node of ``tree``, its leaf in the subtree whose split nodes are
    ``split`` (a mask over the nodes; the root's subtree)."""
    n_nodes = int(tree.node_count)
    left = np.asarray(tree.children_left)[:n_nodes]
    right = np.asarray(tree.children_right)[:n_nodes]
    leaf = np.arange(n_nodes)
    # Parents are numbered before their children: one pass from the root down.
    for node in range(n_nodes):
        if left[node] != -1:
            target = leaf[node] if not split[node] else None
            for child in (left[node], right[node]):
                leaf[child] = target if target is not None else child
    return leaf


def _prunes(model, params: dict) -> bool:
    """Whether ``model``'s tree was built by ``search="prune"`` with settings
    under which every budget's pruned tree is read off one growth (thresholds
    snapped to the data's values, so the grown and the pruned trees compare rows
    alike)."""
    return (
        getattr(model, "search_", None) == "prune"
        and bool(params.get("exact_rules", True))
        and params.get("chunk_size") is None
        and not params.get("monotone_constraints")
    )


def _nests(params: dict, search: str | None = None) -> bool:
    """Whether a student with these settings (grown by ``search``, the search
    its fit used) nests across budgets."""
    return (
        (search or params.get("search", "greedy")) == "greedy"
        and params.get("chunk_size") is None
        and not params.get("monotone_constraints")
    )


@dataclass(frozen=True)
class _Sized:
    """One budget's tree student and surrogate: leaves and probabilities."""

    student_leaves: int
    student_proba: object  # which ("test" / "synthetic") -> (n, k) probabilities
    surrogate_leaves: int
    surrogate_proba: object  # encoded rows -> (n, k) probabilities


def _refit_sized(student, est, proba, inputs: Inputs) -> _Sized:
    return _Sized(
        student.student_.get_n_leaves(),
        lambda which: _refit_proba(student, inputs, which),
        int(est.get_n_leaves()),
        proba,
    )


def _cut_sized(student, est, cols, k, budget, inputs: Inputs, cut=None) -> _Sized:
    """The largest student and surrogate cut back to ``budget`` leaves
    (``cut(tree, budget)``: how the student is cut; default its first splits)."""
    cut = nested_leaves if cut is None else cut
    s_leaf, s_leaves = cut(student.student_.tree_, budget)
    b_leaf, b_leaves = nested_leaves(est.tree_, budget)
    s_value = student.student_.value_
    b_value = est.tree_.value[:, 0, :]
    b_value = b_value / b_value.sum(axis=1, keepdims=True)

    def student_proba(which):
        rows = getattr(inputs, which)
        if _numeric_columns(student.schema_) != _numeric_columns(inputs.schema):
            encoded = student._encode(rows.model_in)
        else:
            encoded = student.schema_.encode(inputs.cleaned(which), warn_unseen=False)
        return s_value[s_leaf[student.student_.apply(encoded)]]

    def surrogate_proba(Z):
        out = np.zeros((len(Z), k))
        out[:, cols] = b_value[b_leaf[est.apply(Z)]]
        return out

    return _Sized(s_leaves, student_proba, b_leaves, surrogate_proba)


def _point(budget, sized: _Sized, inputs: Inputs, ops: OperatingPoints) -> dict:
    test, syn = inputs.test, inputs.synthetic
    s_test = sized.student_proba("test")
    b_test = sized.surrogate_proba(test.encoded)
    point = {
        "budget": int(budget),
        "student_leaves": int(sized.student_leaves),
        "student_held_out": agreement_rate(test.teacher_proba, s_test),
        "student_held_out_kl": kl_divergence(test.teacher_proba, s_test),
        "surrogate_leaves": int(sized.surrogate_leaves),
        "surrogate_held_out": agreement_rate(test.teacher_proba, b_test),
        "student_synthetic": None,
        "surrogate_synthetic": None,
        "measures": {
            "student": {"held_out": curve_measures(ops, test.teacher_proba, s_test)},
            "surrogate": {"held_out": curve_measures(ops, test.teacher_proba, b_test)},
        },
    }
    if syn is not None:
        s_syn = sized.student_proba("synthetic")
        b_syn = sized.surrogate_proba(syn.encoded)
        point["student_synthetic"] = agreement_rate(syn.teacher_proba, s_syn)
        point["surrogate_synthetic"] = agreement_rate(syn.teacher_proba, b_syn)
        point["measures"]["student"]["synthetic"] = curve_measures(
            ops, syn.teacher_proba, s_syn
        )
        point["measures"]["surrogate"]["synthetic"] = curve_measures(
            ops, syn.teacher_proba, b_syn
        )
    return point


def objective(ops: OperatingPoints, point_kind: str | None) -> dict:
    """The measure a tree size is judged by, and how it is named.

    ``point_kind`` is the kind of operating point the headline reports (binary
    problems): for a rare outcome, or when the headline is at the flag rate,
    flagged-row agreement there; otherwise agreement. More classes: the lowest
    per-class recall.
    """
    if ops.positive is None:
        return {"measure": "worst_class_recall", "label": "the lowest per-class recall"}
    if point_kind == "flag_rate":
        return {
            "measure": "flagged_flag_rate",
            "label": "agreement on the rows the teacher flags at the flag rate",
        }
    if ops.rare:
        # At a threshold the student may flag more rows than the teacher: the
        # overlap (shared flags over all flags) does not reward flagging everyone.
        return {
            "measure": "overlap_threshold",
            "label": "overlap of the rows teacher and student flag at the threshold",
        }
    return {"measure": "agreement", "label": "agreement"}


def _suggestion(points: list, config: SizeCurveConfig) -> dict:
    """The smallest budget within ``TOLERANCE`` of the best held-out objective."""
    goal = {
        **objective(config.ops, config.point_kind),
        "tolerance": TOLERANCE,
        "data": "held-out rows",
    }
    scored = [
        (p["measures"]["student"]["held_out"].get(goal["measure"]), p) for p in points
    ]
    scored = [(v, p) for v, p in scored if v is not None]
    goal["budget"] = goal["value"] = goal["best"] = None
    if scored:
        best = max(v for v, _ in scored)
        v, p = next((v, p) for v, p in scored if v >= best - TOLERANCE)
        goal.update(budget=p["budget"], value=v, best=best)
    return goal


def size_curve(
    model,
    inputs: Inputs,
    *,
    config: SizeCurveConfig,
    chosen: dict | None,
    refit: bool = False,
) -> dict:
    """Agreement of tree students and hard-label surrogates at each leaf budget.

    Parameters
    ----------
    model : fitted distiller
        Its settings (the ones a tree shares, for a boosted model) are refit at
        each budget on ``inputs.X_train``, or on a seeded sample of
        ``CURVE_ROWS`` of its rows when it has more (``n_train_rows`` in the
        result), so the curve costs the same at any size of data.
    inputs : Inputs
    config : SizeCurveConfig
    chosen : dict or None
        The fitted tree's own point, drawn as the choice.
    refit : bool, default=False
        Refit at every budget even where one growth gives the same trees (what
        the tests compare the one-growth curve with).
    """
    params = _tree_params(model, config.seed, LogitTable())
    # The objective the model was built for, not one chosen again on these rows.
    if getattr(model, "objective_", None) is not None:
        params["objective"] = model.objective_
    k = len(inputs.classes)
    X_fit, y_fit, encoded, teacher_class, n_rows = curve_rows(
        inputs, CURVE_ROWS, config.seed
    )

    fit_rows = (X_fit, y_fit, encoded, teacher_class)

    def fit(budget):
        student = DistilledTreeClassifier(
            **{**params, "max_leaf_nodes": int(budget), "max_depth": None}
        ).fit(X_fit, y_fit)
        est, proba = tree_baseline(
            encoded, teacher_class, k, budget, config.criterion, config.seed
        )
        return student, est, proba

    if not config.grid:
        points, method = [], "refit"
    elif not refit and _prunes(model, params):
        points, method = _pruned_points(model, params, fit_rows, inputs, config)
    else:
        points, method = _grown_points(params, fit, inputs, config, refit)
    return {
        "points": points,
        "chosen": chosen,
        "objective": _suggestion(points, config),
        "n_train_rows": n_rows,
        "method": method,
    }


def _grown_points(params, fit, inputs: Inputs, config, refit: bool) -> tuple:
    """The points of trees grown to each budget: cut back from one growth where
    the search nests, else refit at every budget (in parallel)."""
    k = len(inputs.classes)
    largest = fit(max(config.grid))
    nests = _nests(params, largest[0].search_) and not refit
    points = []
    if nests:
        student, est, _ = largest
        cols = est.classes_.astype(int)
        for budget in config.grid:
            sized = _cut_sized(student, est, cols, k, budget, inputs)
            points.append(_point(budget, sized, inputs, config.ops))
        return points, "one growth"
    others = [b for b in config.grid if b != max(config.grid)]
    # Native pools as in a single fit: the points equal refitting one by one.
    fitted = in_threads(fit, [(b,) for b in others], one_native_thread=False)
    fits = dict(zip(others, fitted, strict=True))
    fits[max(config.grid)] = largest
    for budget in config.grid:
        sized = _refit_sized(*fits[budget], inputs)
        points.append(_point(budget, sized, inputs, config.ops))
    return points, "refit"


def _pruned_points(model, params, fit_rows, inputs: Inputs, config) -> tuple:
    """The points of the pruned tree of every budget, read off one greedy growth
    to ``GROW_FACTOR`` times the largest budget (see :func:`pruned_leaves`)."""
    X_fit, y_fit, encoded, teacher_class = fit_rows
    k = len(inputs.classes)
    top = max(config.grid)
    grown = DistilledTreeClassifier(
        **{
            **params,
            "max_leaf_nodes": GROW_FACTOR * int(top),
            "max_depth": None,
            "search": "greedy",
        }
    ).fit(X_fit, y_fit)
    est, _ = tree_baseline(
        encoded, teacher_class, k, top, config.criterion, config.seed
    )
    cols = est.classes_.astype(int)
    loss = "error" if grown.objective_ == "agreement" else grown.criterion

    def cut(tree, budget):
        return pruned_leaves(tree, grown._split_sums, budget, loss)

    points = [
        _point(budget, _cut_sized(grown, est, cols, k, budget, inputs, cut=cut),
               inputs, config.ops)
        for budget in config.grid
    ]  # fmt: skip
    return points, "one growth, pruned"
