"""Students fit to soft labels: a decision tree and gradient-boosted trees.

Both take the student's numeric matrix (original units, see ``_schema``) and a
matrix ``Q`` of target distributions, one row per sample.

Soft-label tree, two exact criteria:

- ``gini``: a multi-output ``DecisionTreeRegressor`` on ``Q`` with squared error.
  The squared error of a node's distributions around their mean is the soft Gini
  impurity (plus a constant), so it ranks splits exactly like Gini on soft labels.
- ``entropy``: weighted duplication. Each row appears once per class ``k`` with
  label ``k`` and weight ``q_k``; a ``DecisionTreeClassifier(criterion="entropy")``
  on those rows minimises the soft cross-entropy exactly. It costs up to K× the rows
  (rows with zero weight are dropped).

In both cases a leaf's value is the (weighted) mean of the ``Q`` rows that reach it.

Both criteria can also be grown by the histogram builder of ``_hist_tree``
(``builder="hist"``): features binned into at most 255 bins, the same soft criteria
evaluated from per-bin class sums. It is many times faster on large transfer sets
and gives the exact builder's tree when no feature has more distinct values than
bins; ``builder="auto"`` uses it from ``AUTO_HIST_ROWS`` rows up.

Boosted student: xgboost with the soft cross-entropy objective — ``binary:logistic``
on ``q_1`` for two classes, and :func:`soft_softmax_objective` (gradient ``p - q``)
for more.
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import BaseDecisionTree, DecisionTreeClassifier, DecisionTreeRegressor

from treedistill.distill._choices import CRITERIA
from treedistill.distill._hist_tree import HistTree, descend
from treedistill.distill._thresholds import snap_thresholds
from treedistill.teachers._soften import softmax

__all__ = [
    "SoftTree",
    "SoftBoosting",
    "soft_softmax_objective",
    "CRITERIA",
    "BUILDERS",
    "AUTO_HIST_ROWS",
    "bound_monotone",
]

BUILDERS = ("exact", "hist", "auto")
# builder="auto" grows the tree on histograms from this many rows up.
AUTO_HIST_ROWS = 50_000


class TreeAccessors:
    """What every fitted tree student offers, given ``apply``, ``tree_`` and
    ``value_`` (the live :class:`SoftTree` and a saved one alike)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.value_[self.apply(X)]

    def get_depth(self) -> int:
        return int(self.tree_.max_depth)

    def get_n_leaves(self) -> int:
        return int(self.tree_.n_leaves)

    def features_used(self) -> np.ndarray:
        f = self.tree_.feature
        return np.unique(f[f >= 0])


class SoftTree(TreeAccessors):
    """A decision tree fit to soft labels.

    Parameters
    ----------
    criterion : {"entropy", "gini"}
    max_depth, max_leaf_nodes, min_samples_leaf : as in scikit-learn
        ``min_samples_leaf`` counts real rows for both criteria.
    random_state : int or None
    builder : {"exact", "hist", "auto"}, default="exact"
        ``"exact"`` searches every distinct value (scikit-learn's trees);
        ``"hist"`` searches bin boundaries (:class:`treedistill.distill._hist_tree.HistTree`),
        thresholds still midpoints between values of the data; ``"auto"`` uses
        ``"hist"`` from ``AUTO_HIST_ROWS`` rows up and ``"exact"`` below.
    max_bins : int, default=255
        Bins per feature of the histogram builder (2 to 255).
    monotonic_cst : array of int of shape (n_features,), default=None
        For two classes: +1 (-1) makes the probability of class
        ``monotone_class`` rise (fall) or stay as that feature's value rises,
        0 leaves a feature free. The exact builder grows the tree under the
        constraints (scikit-learn's ``monotonic_cst``); every builder then bounds
        the leaf values by propagation (:func:`bound_monotone`), after growth and
        after every :meth:`refit_leaves`.
    monotone_class : int, default=1
        The class whose probability ``monotonic_cst`` constrains.

    Attributes
    ----------
    tree_ : sklearn.tree._tree.Tree or treedistill.distill._hist_tree.TreeArrays
        The tree's arrays (``children_left``, ``children_right``, ``feature``,
        ``threshold``, ``missing_go_to_left``, ``weighted_n_node_samples``, …).
    estimator_ : the fitted scikit-learn tree, or the ``HistTree``
    builder_ : str
        The builder used, ``"exact"`` or ``"hist"``.
    split_precision_ : {"float32", "float64"}
        How :meth:`apply` compares a value with a threshold: scikit-learn's trees
        round values to float32 first; after :meth:`snap_thresholds` (and for the
        histogram builder) values are compared as they are, in float64.
    value_ : ndarray of shape (n_nodes, n_classes)
        Mean target distribution at every node.
    """

    def __init__(
        self,
        *,
        criterion="entropy",
        max_depth=None,
        max_leaf_nodes=None,
        min_samples_leaf=1,
        random_state=None,
        builder="exact",
        max_bins=255,
        monotonic_cst=None,
        monotone_class=1,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.builder = builder
        self.max_bins = max_bins
        self.monotonic_cst = monotonic_cst
        self.monotone_class = monotone_class

    def fit(
        self, X: np.ndarray, Q: np.ndarray, sample_weight=None, *, bins=None
    ) -> SoftTree:
        """Grow the tree on ``X`` with target distributions ``Q``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Float matrix, NaN for missing values.
        Q : ndarray of shape (n_samples, n_classes)
            Target distribution of each row.
        sample_weight : ndarray of shape (n_samples,), optional
        bins : tuple, optional
            The histogram builder's binning of ``X`` (see ``HistTree.fit``);
            ignored by the exact builder.

        Returns
        -------
        self
        """
        X = np.asarray(X, dtype=np.float64)
        Q = np.asarray(Q, dtype=np.float64)
        n, k = Q.shape
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        self.n_classes_ = k
        self.snapped_ = False
        if self.builder not in BUILDERS:
            raise ValueError(
                f"builder must be one of {list(BUILDERS)}, got {self.builder!r}"
            )
        builder = self.builder
        if builder == "auto":
            builder = "hist" if n >= AUTO_HIST_ROWS else "exact"
        self.builder_ = builder
        if builder == "hist":
            est = HistTree(
                criterion=self.criterion,
                max_depth=self.max_depth,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                max_bins=self.max_bins,
                random_state=self.random_state,
            ).fit(X, Q, sample_weight=sample_weight, bins=bins)
            self.estimator_ = est
            self.tree_ = est.tree_
            self.value_ = est.value_
            self._bound_monotone()
            return self
        if self.monotonic_cst is not None:
            return self._fit_exact_monotone(X, Q, w)
        common = dict(
            max_depth=self.max_depth,
            max_leaf_nodes=self.max_leaf_nodes,
            random_state=self.random_state,
        )
        if self.criterion == "gini":
            est = DecisionTreeRegressor(
                criterion="squared_error",
                min_samples_leaf=self.min_samples_leaf,
                **common,
            )
            est.fit(X, Q, sample_weight=w)
            value = est.tree_.value[:, :, 0]
        elif self.criterion == "entropy":
            rows = np.repeat(np.arange(n), k)
            labels = np.tile(np.arange(k), n)
            weights = (Q * w[:, None]).ravel()
            keep = weights > 0
            # min_samples_leaf counts real rows: as a fraction of the total weight.
            frac = 0.0
            if self.min_samples_leaf and self.min_samples_leaf > 1:
                frac = min(0.5, float(self.min_samples_leaf) / n)
            est = DecisionTreeClassifier(
                criterion="entropy", min_weight_fraction_leaf=frac, **common
            )
            est.fit(X[rows[keep]], labels[keep], sample_weight=weights[keep])
            value = np.zeros((est.tree_.node_count, k))
            value[:, est.classes_.astype(int)] = est.tree_.value[:, 0, :]
        else:
            raise ValueError(
                f"criterion must be one of {list(CRITERIA)}, got {self.criterion!r}"
            )
        totals = value.sum(axis=1, keepdims=True)
        self.value_ = value / np.where(totals > 0, totals, 1.0)
        self.estimator_ = est
        self.tree_ = est.tree_
        return self

    def _fit_exact_monotone(self, X, Q, w) -> SoftTree:
        """The exact builder under ``monotonic_cst`` (two classes): the same soft
        criteria on the probability of ``monotone_class`` alone (for two classes
        they rank splits as on both columns), grown by scikit-learn's trees."""
        n, k = Q.shape
        if k != 2:
            raise ValueError("monotonic_cst needs exactly two classes")
        r = int(self.monotone_class)
        cst = np.asarray(self.monotonic_cst, dtype=np.int64)
        common = dict(
            max_depth=self.max_depth,
            max_leaf_nodes=self.max_leaf_nodes,
            random_state=self.random_state,
        )
        if self.criterion == "gini":
            est = DecisionTreeRegressor(
                criterion="squared_error",
                min_samples_leaf=self.min_samples_leaf,
                monotonic_cst=cst,
                **common,
            )
            est.fit(X, Q[:, r], sample_weight=w)
            risk = est.tree_.value[:, 0, 0]
        elif self.criterion == "entropy":
            rows = np.repeat(np.arange(n), 2)
            labels = np.tile(np.array([0, 1]), n)
            q = Q[:, r] / np.where(Q.sum(axis=1) > 0, Q.sum(axis=1), 1.0)
            weights = (np.column_stack([1.0 - q, q]) * w[:, None]).ravel()
            keep = weights > 0
            frac = 0.0
            if self.min_samples_leaf and self.min_samples_leaf > 1:
                frac = min(0.5, float(self.min_samples_leaf) / n)
            est = DecisionTreeClassifier(
                criterion="entropy",
                min_weight_fraction_leaf=frac,
                monotonic_cst=cst,
                **common,
            )
            est.fit(X[rows[keep]], labels[keep], sample_weight=weights[keep])
            value = np.zeros((est.tree_.node_count, 2))
            value[:, est.classes_.astype(int)] = est.tree_.value[:, 0, :]
            risk = value[:, 1] / np.where(value.sum(axis=1) > 0, value.sum(axis=1), 1)
        else:
            raise ValueError(
                f"criterion must be one of {list(CRITERIA)}, got {self.criterion!r}"
            )
        value = np.empty((len(risk), 2))
        value[:, r] = risk
        value[:, 1 - r] = 1.0 - risk
        self.value_ = value
        self.estimator_ = est
        self.tree_ = est.tree_
        self._bound_monotone()
        return self

    def _bound_monotone(self) -> None:
        if getattr(self, "monotonic_cst", None) is None:
            return
        self.value_ = bound_monotone(
            self.tree_,
            self.value_,
            np.asarray(self.monotonic_cst, dtype=np.int64),
            int(self.monotone_class),
        )

    @property
    def split_precision_(self) -> str:
        """``"float32"`` while scikit-learn's own tree decides, else ``"float64"``."""
        if getattr(self, "snapped_", False):
            return "float64"
        est = getattr(self, "estimator_", None)
        return "float32" if isinstance(est, BaseDecisionTree) else "float64"

    def snap_thresholds(self, X_recorded, schema, *, X_transfer=None) -> SoftTree:
        """Move numeric thresholds to the data's precision (see ``_thresholds``).

        Afterwards :meth:`apply` compares in float64, so a row goes left exactly
        when its value is ``<=`` the printed threshold. Node counts and values are
        not changed here: call :meth:`refit_leaves` with ``recount=True``.
        """
        snap_thresholds(
            self.tree_,
            X_recorded,
            schema,
            X_transfer=X_transfer,
            float32=self.split_precision_ == "float32",
        )
        self.snapped_ = True
        return self

    def refit_leaves(
        self,
        X: np.ndarray,
        Q: np.ndarray,
        *,
        recount: bool = False,
        sample_weight=None,
    ) -> SoftTree:
        """Set every node's value to the mean of ``Q`` over the rows reaching it.

        The structure is kept; used to report the teacher's temperature-1
        distribution in a tree whose splits were chosen on softened labels.
        With ``recount=True`` the nodes' row counts (``weighted_n_node_samples``,
        the coverage of the rules) are also recounted on ``X``, as after
        :meth:`snap_thresholds`. With ``sample_weight`` the means are weighted
        and ``weighted_n_node_samples`` holds the weight of each node.
        """
        Q = np.asarray(Q, dtype=np.float64)
        leaves = self.apply(X)
        if sample_weight is None:
            sums, counts = _node_totals(self.tree_, leaves, Q)
            weights = counts
        else:
            w = np.asarray(sample_weight, dtype=np.float64)
            sums, counts, weights = _node_totals(self.tree_, leaves, Q, w)
        fresh = sums / np.where(weights > 0, weights, 1.0)[:, None]
        self.value_ = np.where(weights[:, None] > 0, fresh, self.value_)
        if recount:
            self.tree_.weighted_n_node_samples[:] = weights
            if hasattr(self.tree_, "n_node_samples"):
                self.tree_.n_node_samples[:] = counts.astype(np.intp)
        self._bound_monotone()
        return self

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Id of the leaf each row of ``X`` falls in."""
        X = np.asarray(X, dtype=np.float64)
        if self.split_precision_ == "float64":
            return apply_float64(self.tree_, X)
        return np.asarray(self.estimator_.apply(X), dtype=np.intp)


def apply_float64(tree, X: np.ndarray) -> np.ndarray:
    """Leaf of each row, comparing ``x <= threshold`` in float64 (NaN: missing)."""
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    threshold = np.asarray(tree.threshold, dtype=np.float64)
    missing_left = np.asarray(tree.missing_go_to_left) != 0
    if X.ndim != 2 or (X.shape[1] <= feature.max(initial=-1)):
        raise ValueError(f"X of shape {X.shape} does not have the tree's features")

    def goes_left(active, at):
        x = X[active, feature[at]]
        return np.where(np.isnan(x), missing_left[at], x <= threshold[at])

    return descend(np.zeros(len(X), dtype=np.intp), left, right, goes_left)


def _node_totals(tree, leaves: np.ndarray, Q: np.ndarray, w=None):
    """Sum of ``Q`` and number of rows over the rows reaching every node.

    Leaf totals are counted from ``leaves`` and added up the tree, deepest nodes
    first, so no per-row path is needed. With row weights ``w`` the sums are
    weighted and the nodes' weights are returned third.
    """
    n_nodes = int(tree.node_count)
    k = Q.shape[1]
    sums = np.empty((n_nodes, k))
    Qw = Q if w is None else Q * w[:, None]
    for c in range(k):
        sums[:, c] = np.bincount(leaves, weights=Qw[:, c], minlength=n_nodes)
    counts = np.bincount(leaves, minlength=n_nodes).astype(np.float64)
    totals = [counts]
    if w is not None:
        totals.append(np.bincount(leaves, weights=w, minlength=n_nodes))
    left = np.asarray(tree.children_left)[:n_nodes]
    right = np.asarray(tree.children_right)[:n_nodes]
    parent = np.full(n_nodes, -1, dtype=np.intp)
    inner = np.flatnonzero(left != -1)
    parent[left[inner]] = inner
    parent[right[inner]] = inner
    depth = np.zeros(n_nodes, dtype=np.intp)
    for node in range(n_nodes):  # parents precede their children
        if parent[node] >= 0:
            depth[node] = depth[parent[node]] + 1
    for level in range(int(depth.max()), 0, -1):
        at = np.flatnonzero(depth == level)
        np.add.at(sums, parent[at], sums[at])
        for t in totals:
            np.add.at(t, parent[at], t[at])
    return (sums, *totals)


def bound_monotone(tree, value: np.ndarray, cst: np.ndarray, r: int) -> np.ndarray:
    """Node values of a two-class tree with class ``r``'s probability monotone.

    Bound propagation, as histogram boosting libraries do it: from the root
    down, a split on a feature with constraint ``c`` (+1 or -1) gives its two
    children bounds that meet at a value ``mid``, every leaf on the low side of
    the split at most (``c=+1``; at least for ``-1``) ``mid`` and every leaf on
    the high side at least ``mid``; each node's value is clipped to its bounds.
    ``mid`` lies between the largest leaf on one side and the smallest on the
    other when they are in order (no leaf moves), else at the two children's
    weighted mean. Two rows that differ only in a constrained feature part at
    a split on it, so the tree's probability moves only the allowed way along
    every constrained feature.
    """
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    weight = np.asarray(tree.weighted_n_node_samples, dtype=np.float64)
    risk = np.asarray(value, dtype=np.float64)[:, r].copy()

    def leaves_under(node):
        out, stack = [], [node]
        while stack:
            at = stack.pop()
            if left[at] == -1:
                out.append(at)
            else:
                stack += [left[at], right[at]]
        return np.asarray(out, dtype=np.intp)

    stack = [(0, -np.inf, np.inf)]
    while stack:
        node, lo, hi = stack.pop()
        risk[node] = min(max(risk[node], lo), hi)
        a, b = left[node], right[node]
        if a == -1:
            continue
        c = int(cst[feature[node]])
        if c == 0:
            stack += [(a, lo, hi), (b, lo, hi)]
            continue
        low_side, high_side = (a, b) if c > 0 else (b, a)
        top = np.clip(risk[leaves_under(low_side)], lo, hi).max()
        bottom = np.clip(risk[leaves_under(high_side)], lo, hi).min()
        if top <= bottom:
            mid = 0.5 * (top + bottom)
        else:
            v = np.clip(risk[[low_side, high_side]], lo, hi)
            w = weight[[low_side, high_side]]
            mid = float(v @ w / w.sum()) if w.sum() > 0 else float(v.mean())
        stack += [(low_side, lo, mid), (high_side, mid, hi)]
    out = np.empty((len(risk), 2))
    out[:, r] = risk
    out[:, 1 - r] = 1.0 - risk
    return out


def soft_softmax_objective(labels: np.ndarray, predt: np.ndarray, sample_weight=None):
    """Soft cross-entropy for xgboost with an (n, K) target of distributions.

    Gradient ``p - q`` with ``p = softmax(margin)``; Hessian ``2 p (1 - p)``
    (the bound xgboost's own softmax uses), floored at 1e-6.
    """
    q = np.asarray(labels, dtype=np.float64).reshape(predt.shape)
    p = softmax(predt, axis=1)
    grad = p - q
    hess = np.maximum(2.0 * p * (1.0 - p), 1e-6)
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)[:, None]
        grad = grad * w
        hess = hess * w
    return grad, hess


class SoftBoosting:
    """Gradient-boosted trees (xgboost) fit to soft labels.

    Parameters
    ----------
    n_estimators : int
        Boosting rounds (one tree per round for two classes, K trees otherwise).
    max_depth : int
    learning_rate : float
    random_state : int or None
    n_jobs : int or None
    monotone_constraints : tuple of int, default=None
        For two classes, xgboost's ``monotone_constraints`` on the margin of
        class 1 (one entry per feature: +1 rising, -1 falling, 0 free).
    """

    def __init__(
        self,
        *,
        n_estimators=10,
        max_depth=2,
        learning_rate=0.3,
        random_state=None,
        n_jobs=None,
        monotone_constraints=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.monotone_constraints = monotone_constraints

    def fit(self, X: np.ndarray, Q: np.ndarray, sample_weight=None) -> SoftBoosting:
        from xgboost import XGBRegressor

        X = np.asarray(X, dtype=np.float64)
        Q = np.asarray(Q, dtype=np.float64)
        k = Q.shape[1]
        self.n_classes_ = k
        seed = 0 if self.random_state is None else int(self.random_state)
        common = dict(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            tree_method="hist",
            random_state=seed,
            n_jobs=self.n_jobs,
        )
        if self.monotone_constraints is not None:
            if k != 2:
                raise ValueError("monotone_constraints needs exactly two classes")
            cst = ",".join(str(int(c)) for c in self.monotone_constraints)
            common["monotone_constraints"] = f"({cst})"
        prior = np.clip(np.average(Q, axis=0, weights=sample_weight), 1e-6, None)
        if k == 2:
            p1 = float(np.clip(prior[1] / prior.sum(), 1e-6, 1 - 1e-6))
            self.base_margin_ = np.array([np.log(p1 / (1 - p1))])
            est = XGBRegressor(objective="binary:logistic", **common)
            est.fit(
                X,
                Q[:, 1],
                sample_weight=sample_weight,
                base_margin=np.full(len(X), self.base_margin_[0]),
            )
        else:
            logp = np.log(prior / prior.sum())
            self.base_margin_ = logp - logp.mean()
            est = XGBRegressor(
                objective=soft_softmax_objective,
                multi_strategy="one_output_per_tree",
                **common,
            )
            est.fit(
                X,
                Q,
                sample_weight=sample_weight,
                base_margin=np.tile(self.base_margin_, (len(X), 1)),
            )
        self.estimator_ = est
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (n, K)."""
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        if self.n_classes_ == 2:
            m = self.estimator_.predict(
                X, output_margin=True, base_margin=np.full(n, self.base_margin_[0])
            )
            m = np.asarray(m, dtype=np.float64).reshape(-1)
            return np.column_stack([np.zeros(n), m])
        m = self.estimator_.predict(
            X, output_margin=True, base_margin=np.tile(self.base_margin_, (n, 1))
        )
        return np.asarray(m, dtype=np.float64).reshape(n, self.n_classes_)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.decision_function(X), axis=1)

    def n_trees(self) -> int:
        return len(self.estimator_.get_booster().get_dump())
