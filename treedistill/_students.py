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

Boosted student: xgboost with the soft cross-entropy objective — ``binary:logistic``
on ``q_1`` for two classes, and :func:`soft_softmax_objective` (gradient ``p - q``)
for more.
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from treedistill._soften import softmax

__all__ = ["SoftTree", "SoftBoosting", "soft_softmax_objective", "CRITERIA"]

CRITERIA = ("entropy", "gini")


class SoftTree:
    """A decision tree fit to soft labels.

    Parameters
    ----------
    criterion : {"entropy", "gini"}
    max_depth, max_leaf_nodes, min_samples_leaf : as in scikit-learn
        ``min_samples_leaf`` counts real rows for both criteria.
    random_state : int or None

    Attributes
    ----------
    tree_ : sklearn.tree._tree.Tree
    estimator_ : the fitted scikit-learn tree
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
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def fit(self, X: np.ndarray, Q: np.ndarray, sample_weight=None) -> SoftTree:
        X = np.asarray(X, dtype=np.float64)
        Q = np.asarray(Q, dtype=np.float64)
        n, k = Q.shape
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        self.n_classes_ = k
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

    def refit_leaves(self, X: np.ndarray, Q: np.ndarray) -> SoftTree:
        """Set every node's value to the mean of ``Q`` over the rows reaching it.

        The structure is kept; used to report the teacher's temperature-1
        distribution in a tree whose splits were chosen on softened labels.
        """
        paths = self.estimator_.decision_path(np.asarray(X, dtype=np.float64))
        sums = np.asarray(paths.T @ np.asarray(Q, dtype=np.float64))
        counts = np.asarray(paths.sum(axis=0)).ravel()
        fresh = sums / np.where(counts > 0, counts, 1.0)[:, None]
        self.value_ = np.where(counts[:, None] > 0, fresh, self.value_)
        return self

    def apply(self, X: np.ndarray) -> np.ndarray:
        return self.estimator_.apply(np.asarray(X, dtype=np.float64))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.value_[self.apply(X)]

    def get_depth(self) -> int:
        return int(self.tree_.max_depth)

    def get_n_leaves(self) -> int:
        return int(self.tree_.n_leaves)

    def features_used(self) -> np.ndarray:
        f = self.tree_.feature
        return np.unique(f[f >= 0])


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
    """

    def __init__(
        self,
        *,
        n_estimators=10,
        max_depth=2,
        learning_rate=0.3,
        random_state=None,
        n_jobs=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.n_jobs = n_jobs

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
        prior = np.clip(
            np.average(Q, axis=0, weights=sample_weight), 1e-6, None
        )
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
