"""A histogram-based decision tree for soft labels (fast on large transfer sets).

The exact builders in ``_students`` sort every feature at every node; on a transfer
set of a million rows and many classes that takes minutes. This builder follows the
histogram approach of LightGBM / scikit-learn's ``HistGradientBoosting``:

1. **Binning.** Each feature is cut into at most ``max_bins`` bins once, before the
   tree is grown. A feature with no more distinct values than ``max_bins`` gets one
   bin per value (the search is then exact); otherwise the cut points split the
   (sub-sampled) values into bins of about equal counts, a heavily repeated value
   keeping a bin of its own. Missing values (NaN) get a bin of their own.
2. **Histograms.** For a node, the per-bin sums of the (weighted) soft labels ``q``
   of its rows are computed for every feature at once, with one ``bincount`` per
   feature and class. Of two siblings only the smaller is counted; the larger is
   the parent minus the smaller ("histogram subtraction").
3. **Split search.** Cumulative sums over the bins give the class sums ``S`` on each
   side of every candidate cut, with missing values sent left and right; the soft
   criterion is evaluated for all of them in one vectorised step:

   - ``entropy``: ``W H(S / W)``, the soft cross-entropy of the node (nats);
   - ``gini``: ``W (1 - sum_k (S_k / W)^2)``, the soft Gini impurity;

   with ``W = sum_k S_k``. The cut that minimises the children's summed impurity is
   kept, exactly as the exact builders choose it.
4. **Thresholds in the data's units.** The threshold of a split is the midpoint
   between the largest value sent left and the smallest value sent right among the
   node's rows, as in scikit-learn; so a rule reads ``age <= 63.5`` with values
   that occur in the data. A split that sends only the missing values right has
   threshold ``+inf``.
5. **Growth.** Best-first (largest decrease of the total impurity first), honouring
   ``max_depth``, ``max_leaf_nodes`` and ``min_samples_leaf`` with scikit-learn's
   conventions; node ids are given in the same order as scikit-learn's best-first
   builder, so on data whose features have few distinct values the tree is the one
   the exact builder grows (up to ties between equally good splits).

Missing values follow scikit-learn's rules: the side they go to is learned when
the node had missing values during fit; otherwise they go to the child that
received more rows.
"""

from __future__ import annotations

import heapq

import numpy as np
from scipy import sparse

__all__ = ["HistTree", "TreeArrays", "bin_features"]

_EPSILON = np.finfo(np.float64).eps
_LEAF = -1
_UNDEFINED = -2
_BIN_SUBSAMPLE = 200_000


def _midpoint(a: float, b: float) -> float:
    """scikit-learn's threshold between two adjacent values ``a < b``."""
    t = a / 2.0 + b / 2.0
    if t == b or not np.isfinite(t):
        t = a
    return float(t)


def _cut_points(values: np.ndarray, max_bins: int) -> np.ndarray:
    """Cut points (bin upper edges) for the finite ``values`` of one feature."""
    if values.size == 0:
        return np.empty(0)
    uniq, counts = np.unique(values, return_counts=True)
    if uniq.size <= 1:
        return np.empty(0)
    if uniq.size <= max_bins:
        upper = np.arange(uniq.size - 1)
    else:
        cum = np.cumsum(counts)
        # A value holding at least a bin's share of the rows gets a bin of its own.
        heavy = np.flatnonzero(counts >= cum[-1] / max_bins)
        required = np.unique(np.concatenate([heavy - 1, heavy]))
        required = required[(required >= 0) & (required < uniq.size - 1)]
        n_free = max_bins - 1 - required.size
        if n_free < 1:
            required, n_free = required[:0], max_bins - 1
        targets = cum[-1] * np.arange(1, n_free + 1) / (n_free + 1)
        upper = np.searchsorted(cum, targets, side="left")
        upper = np.unique(np.concatenate([upper, required]))
        upper = upper[upper < uniq.size - 1]
    lo, hi = uniq[upper], uniq[upper + 1]
    cuts = lo / 2.0 + hi / 2.0
    bad = (cuts == hi) | ~np.isfinite(cuts)
    cuts[bad] = lo[bad]
    return cuts


def bin_features(
    X: np.ndarray,
    max_bins: int = 255,
    *,
    subsample: int | None = _BIN_SUBSAMPLE,
    random_state=None,
) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Bin every column of ``X`` into at most ``max_bins`` bins plus one for NaN.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Float matrix, NaN for missing values.
    max_bins : int, default=255
        Largest number of bins for the non-missing values of a feature (2 to 255).
    subsample : int or None, default=200000
        The cut points of a feature are computed from at most this many rows
        (drawn with ``random_state``); None uses every row.
    random_state : int, Generator or None

    Returns
    -------
    binned : ndarray of uint8, shape (n_features, n_samples)
        Bin index of each value, feature-major; NaN is in bin ``n_bins - 1``.
    cuts : list of ndarray
        Cut points of each feature: a value ``x`` is in bin ``i`` when
        ``cuts[i - 1] < x <= cuts[i]``.
    n_bins : int
        Bins per feature in ``binned``, the NaN bin included (the largest number of
        value bins over the features, plus one).
    """
    if not 2 <= int(max_bins) <= 255:
        raise ValueError(f"max_bins must be between 2 and 255, got {max_bins!r}")
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    rows = None
    if subsample is not None and n > subsample:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(n, size=int(subsample), replace=False))
    cuts = []
    for j in range(d):
        col = X[:, j] if rows is None else X[rows, j]
        cuts.append(_cut_points(col[~np.isnan(col)], int(max_bins)))
    n_bins = max(len(c) for c in cuts) + 2 if cuts else 2
    binned = np.empty((d, n), dtype=np.uint8)
    for j in range(d):
        col = X[:, j]
        b = np.searchsorted(cuts[j], col, side="left")
        b[np.isnan(col)] = n_bins - 1
        binned[j] = b
    return binned, cuts, n_bins


def _xlogx(a: np.ndarray) -> np.ndarray:
    """``a log a`` with ``0 log 0 = 0`` (``a >= 0``)."""
    return a * np.log(np.where(a > 0, a, 1.0))


def _impurity_sum(S: np.ndarray, criterion: str) -> np.ndarray:
    """Weighted impurity ``W * impurity(S / W)`` of class-sum vectors ``S`` (..., K)."""
    # Sums obtained by subtraction can be a rounding error below zero.
    S = np.maximum(S, 0.0)
    W = S.sum(axis=-1)
    if criterion == "entropy":
        return _xlogx(W) - _xlogx(S).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sq = np.where(W > 0, (S * S).sum(axis=-1) / W, 0.0)
    return W - sq


def descend(node: np.ndarray, left: np.ndarray, right: np.ndarray, goes_left):
    """Walk rows down a tree from the nodes in ``node`` (one per row) to leaves.

    ``goes_left(active, at)`` says, for the rows ``active`` standing at the split
    nodes ``at``, which go to the left child. ``node`` is updated in place and
    returned: the leaf of every row.
    """
    active = np.arange(len(node))
    while active.size:
        at = node[active]
        inner = left[at] != _LEAF
        active, at = active[inner], at[inner]
        if not active.size:
            break
        node[active] = np.where(goes_left(active, at), left[at], right[at])
    return node


class TreeArrays:
    """The arrays of a fitted tree, named as in ``sklearn.tree._tree.Tree``.

    Attributes
    ----------
    node_count, n_leaves, max_depth, n_features, n_classes, n_outputs : int
    children_left, children_right : ndarray of intp
        Child node ids, ``-1`` for leaves.
    feature : ndarray of intp
        Column split on (``-2`` at leaves).
    threshold : ndarray of float64
        A row goes left when its value is ``<= threshold`` (``-2`` at leaves).
    missing_go_to_left : ndarray of uint8
        Where a missing value goes at each split.
    impurity : ndarray of float64
        Soft impurity of each node (nats for entropy).
    n_node_samples : ndarray of intp
        Rows of the training data reaching each node.
    weighted_n_node_samples : ndarray of float64
        Their total sample weight.
    value : ndarray of shape (node_count, 1, n_classes)
        Mean soft label of each node.
    """

    def __init__(self, nodes: dict, value: np.ndarray, n_features: int):
        self.children_left = np.asarray(nodes["left"], dtype=np.intp)
        self.children_right = np.asarray(nodes["right"], dtype=np.intp)
        self.feature = np.asarray(nodes["feature"], dtype=np.intp)
        self.threshold = np.asarray(nodes["threshold"], dtype=np.float64)
        self.missing_go_to_left = np.asarray(nodes["missing_left"], dtype=np.uint8)
        self.impurity = np.asarray(nodes["impurity"], dtype=np.float64)
        self.n_node_samples = np.asarray(nodes["n"], dtype=np.intp)
        self.weighted_n_node_samples = np.asarray(nodes["w"], dtype=np.float64)
        self.value = np.asarray(value, dtype=np.float64)[:, None, :]
        depth = np.asarray(nodes["depth"], dtype=np.intp)
        self.node_count = int(self.children_left.size)
        self.n_leaves = int(np.sum(self.children_left == _LEAF))
        self.max_depth = int(depth.max()) if depth.size else 0
        self.n_features = int(n_features)
        self.n_classes = np.array([value.shape[1]], dtype=np.intp)
        self.n_outputs = 1
        self.node_depth = depth

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Leaf id of every row of ``X`` (float matrix, NaN for missing)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[-1] if X.ndim == 2 else X.shape} features, but the "
                f"tree was fit on {self.n_features}"
            )

        def goes_left(active, at):
            x = X[active, self.feature[at]]
            return np.where(
                np.isnan(x), self.missing_go_to_left[at] == 1, x <= self.threshold[at]
            )

        node = np.zeros(len(X), dtype=np.intp)
        return descend(node, self.children_left, self.children_right, goes_left)

    def parents(self) -> np.ndarray:
        """Parent id of every node (``-1`` for the root)."""
        parent = np.full(self.node_count, -1, dtype=np.intp)
        inner = np.flatnonzero(self.children_left != _LEAF)
        parent[self.children_left[inner]] = inner
        parent[self.children_right[inner]] = inner
        return parent

    def decision_path(self, X: np.ndarray) -> sparse.csr_matrix:
        """Indicator matrix (n_samples, node_count) of the nodes each row passes."""
        leaves = self.apply(X)
        parent = self.parents()
        depth = self.node_depth
        paths = np.full((self.node_count, self.max_depth + 1), -1, dtype=np.intp)
        for node in range(self.node_count):
            d, v = depth[node], node
            while v != -1:
                paths[node, d] = v
                v, d = parent[v], d - 1
        rows = paths[leaves]
        mask = rows >= 0
        indices = rows[mask]
        indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))])
        data = np.ones(indices.size, dtype=np.int64)
        return sparse.csr_matrix(
            (data, indices, indptr), shape=(len(leaves), self.node_count)
        )


class HistTree:
    """Decision tree grown on binned features with an exact soft criterion.

    Parameters
    ----------
    criterion : {"entropy", "gini"}, default="entropy"
    max_depth : int or None, default=None
    max_leaf_nodes : int or None, default=None
    min_samples_leaf : int, default=1
        Minimum rows in a leaf.
    max_bins : int, default=255
        Bins per feature for the non-missing values (2 to 255).
    random_state : int or None, default=None
        Seeds the row sample that the bin edges of large data are computed from.

    Attributes
    ----------
    tree_ : TreeArrays
    value_ : ndarray of shape (node_count, n_classes)
        Weighted mean of the soft labels of the rows reaching each node.
    n_bins_ : int
        Bins per feature used, the missing-value bin included.
    bin_cuts_ : list of ndarray
        Cut points of each feature's bins.
    split_order_ : ndarray of intp
        Ids of the split nodes in the order they were split (best first): the
        tree with ``m + 1`` leaves grown on the same data splits exactly the first
        ``m`` of them, see :meth:`apply_prefix`.
    """

    def __init__(
        self,
        *,
        criterion="entropy",
        max_depth=None,
        max_leaf_nodes=None,
        min_samples_leaf=1,
        max_bins=255,
        random_state=None,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.max_bins = max_bins
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(
        self, X: np.ndarray, Q: np.ndarray, sample_weight=None, *, bins=None
    ) -> HistTree:
        """Grow the tree on ``X`` (n, d) with soft labels ``Q`` (n, K).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Float matrix, NaN for missing values.
        Q : ndarray of shape (n_samples, n_classes)
            Target distribution of each row.
        sample_weight : ndarray of shape (n_samples,), optional
        bins : tuple, optional
            ``(binned, cuts, n_bins)`` of ``X`` as :func:`bin_features` gives them
            (cut points may come from a larger set of rows): the binning is
            skipped, as when many trees are grown on rows of one set.

        Returns
        -------
        self
        """
        X, Q = self._check_input(X, Q)
        n, d = X.shape
        k = Q.shape[1]
        msl = max(int(self.min_samples_leaf), 1)
        if bins is None:
            bins = bin_features(X, self.max_bins, random_state=self.random_state)
        binned, cuts, n_bins = bins
        self.n_bins_ = n_bins
        if sample_weight is None:
            w = None
            QwT = np.ascontiguousarray(Q.T)
        else:
            w = np.asarray(sample_weight, dtype=np.float64)
            QwT = np.ascontiguousarray((Q * w[:, None]).T)
        ctx = _Context(X, binned, QwT, n_bins, self.criterion, msl, d, k)
        table = _NodeTable(self.criterion, w)
        order = self._grow(ctx, table, n, k, msl)
        S = np.asarray(table.sums)
        W = S.sum(axis=1, keepdims=True)
        value = S / np.where(W > 0, W, 1.0)
        self.value_ = value
        self.tree_ = TreeArrays(table.nodes, value, d)
        self.n_features_in_ = d
        self.n_classes_ = k
        self.bin_cuts_ = cuts
        self.split_order_ = np.asarray(order, dtype=np.intp)
        return self

    def _check_input(self, X, Q) -> tuple[np.ndarray, np.ndarray]:
        if self.criterion not in ("entropy", "gini"):
            raise ValueError(
                f"criterion must be one of ['entropy', 'gini'], got {self.criterion!r}"
            )
        X = np.asarray(X, dtype=np.float64)
        Q = np.asarray(Q, dtype=np.float64)
        if X.ndim != 2 or Q.ndim != 2 or len(X) != len(Q):
            raise ValueError(
                f"X {X.shape} and Q {Q.shape} must be 2-D with the same number of rows"
            )
        if len(X) == 0:
            raise ValueError("cannot fit a tree on 0 rows")
        return X, Q

    def _grow(self, ctx: _Context, table: _NodeTable, n: int, k: int, msl: int):
        """Best-first growth: split the pending node of largest gain until the
        leaf budget is spent; return the nodes in the order they were split."""
        max_depth = np.inf if self.max_depth is None else int(self.max_depth)
        budget = np.inf if self.max_leaf_nodes is None else int(self.max_leaf_nodes) - 1

        def splittable(n_rows, depth, imp):
            return depth < max_depth and n_rows >= max(2, 2 * msl) and imp > _EPSILON

        heap: list = []
        order: list[int] = []
        root_rows = np.arange(n)
        root_hist = ctx.histogram(root_rows)
        root_S = root_hist[0, :, :k].sum(axis=0)
        root_id, root_imp = table.add(root_rows, 0, root_S)
        if splittable(n, 0, root_imp):
            split = ctx.best_split(root_hist, n, root_S)
            if split is not None:
                heapq.heappush(
                    heap, (-split["gain"], root_id, root_rows, root_hist, split)
                )
        while heap and budget > 0:
            _, node_id, rows, hist, split = heapq.heappop(heap)
            budget -= 1
            order.append(node_id)
            children = table.split(ctx, node_id, rows, split)
            children = [
                (cid, child_rows, S, splittable(len(child_rows), depth, imp))
                for cid, child_rows, S, depth, imp in children
            ]
            if budget <= 0 or not any(c[3] for c in children):
                continue
            for cid, child_rows, S, h in _child_histograms(ctx, children, hist):
                child_split = ctx.best_split(h, len(child_rows), S)
                if child_split is not None:
                    heapq.heappush(
                        heap, (-child_split["gain"], cid, child_rows, h, child_split)
                    )
        return order

    # -------------------------------------------------------------- predict
    def apply(self, X: np.ndarray) -> np.ndarray:
        """Leaf id of every row."""
        return self.tree_.apply(X)

    def decision_path(self, X: np.ndarray) -> sparse.csr_matrix:
        """Indicator matrix of the nodes each row passes through."""
        return self.tree_.decision_path(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Mean soft label of the leaf each row falls in."""
        return self.value_[self.apply(X)]

    def apply_prefix(self, X: np.ndarray, n_leaves: int) -> np.ndarray:
        """Node each row ends in when only the first ``n_leaves - 1`` splits are kept.

        Best-first growth makes this the tree that ``max_leaf_nodes=n_leaves``
        would grow on the same data, so one fit gives every smaller tree;
        ``value_[apply_prefix(X, k)]`` are its predictions.
        """
        t = self.tree_
        keep = np.zeros(t.node_count, dtype=bool)
        keep[self.split_order_[: max(int(n_leaves) - 1, 0)]] = True
        left = np.where(keep, t.children_left, _LEAF)
        right = np.where(keep, t.children_right, _LEAF)
        pruned = TreeArrays.__new__(TreeArrays)
        pruned.__dict__.update(t.__dict__)
        pruned.children_left, pruned.children_right = left, right
        return pruned.apply(X)


_NODE_FIELDS = (
    "left",
    "right",
    "feature",
    "threshold",
    "missing_left",
    "impurity",
    "n",
    "w",
    "depth",
)


class _NodeTable:
    """The growing tree's node arrays (as lists) and the class sums of each node."""

    def __init__(self, criterion: str, w: np.ndarray | None):
        self.criterion = criterion
        self.w = w
        self.nodes: dict[str, list] = {key: [] for key in _NODE_FIELDS}
        self.sums: list[np.ndarray] = []

    def add(self, rows: np.ndarray, depth: int, S: np.ndarray) -> tuple[int, float]:
        """Append a leaf holding ``rows``; return its id and impurity."""
        w = self.w
        weight = float(len(rows)) if w is None else float(w[rows].sum())
        return self.append(len(rows), weight, depth, S)

    def append(
        self, n_rows: int, weight: float, depth: int, S: np.ndarray
    ) -> tuple[int, float]:
        """Append a leaf of ``n_rows`` rows weighing ``weight`` with class sums
        ``S``; return its id and impurity."""
        nodes = self.nodes
        node_id = len(nodes["left"])
        W = float(S.sum())
        nodes["left"].append(_LEAF)
        nodes["right"].append(_LEAF)
        nodes["feature"].append(_UNDEFINED)
        nodes["threshold"].append(float(_UNDEFINED))
        nodes["missing_left"].append(0)
        imp = float(_impurity_sum(S, self.criterion)) / W if W > 0 else 0.0
        nodes["impurity"].append(imp)
        nodes["n"].append(int(n_rows))
        nodes["w"].append(float(weight))
        nodes["depth"].append(depth)
        self.sums.append(S)
        return node_id, imp

    def split(self, ctx, node_id: int, rows: np.ndarray, split: dict) -> list[tuple]:
        """Turn leaf ``node_id`` into a split; return its two children as
        ``(id, rows, class sums, depth, impurity)``."""
        nodes = self.nodes
        go_left = ctx.partition(rows, split)
        left_rows, right_rows = rows[go_left], rows[~go_left]
        nodes["feature"][node_id] = split["feature"]
        nodes["threshold"][node_id] = ctx.threshold(left_rows, right_rows, split)
        nodes["missing_left"][node_id] = int(
            split["missing_left"]
            if split["has_missing"]
            else len(left_rows) > len(right_rows)
        )
        depth = nodes["depth"][node_id] + 1
        children = []
        for child_rows, S in (
            (left_rows, split["left_sum"]),
            (right_rows, split["right_sum"]),
        ):
            cid, imp = self.add(child_rows, depth, S)
            children.append((cid, child_rows, S, depth, imp))
        nodes["left"][node_id] = children[0][0]
        nodes["right"][node_id] = children[1][0]
        return children


def _child_histograms(ctx, children: list[tuple], parent_hist: np.ndarray):
    """Histograms of the children that can still split: the smaller child's is
    built from its rows, the larger one's by subtraction from the parent's."""
    small = 0 if len(children[0][1]) <= len(children[1][1]) else 1
    hists = [None, None]
    hists[small] = ctx.histogram(children[small][1])
    if children[1 - small][3]:
        hists[1 - small] = parent_hist - hists[small]
    for (cid, child_rows, S, ok), h in zip(children, hists, strict=True):
        if ok:
            yield cid, child_rows, S, h


class _Context:
    """Data and the split search shared by the nodes of one fit."""

    def __init__(self, X, binned, QwT, n_bins, criterion, msl, d, k):
        self.X = X
        self.binned = binned
        self.QwT = QwT
        self.n_bins = n_bins
        self.criterion = criterion
        self.msl = msl
        self.d = d
        self.k = k

    def histogram(self, rows: np.ndarray) -> np.ndarray:
        """Per-feature, per-bin class sums and row counts of ``rows``.

        Returns an array of shape (n_features, n_bins, K + 1); the last channel
        counts rows.
        """
        whole = rows.size == self.binned.shape[1]
        Q = self.QwT if whole else self.QwT[:, rows]
        hist = np.empty((self.d, self.n_bins, self.k + 1))
        nb = self.n_bins
        for j in range(self.d):
            b = self.binned[j] if whole else self.binned[j, rows]
            b = b.astype(np.intp)
            for c in range(self.k):
                hist[j, :, c] = np.bincount(b, weights=Q[c], minlength=nb)
            hist[j, :, self.k] = np.bincount(b, minlength=nb)
        return hist

    def best_split(self, hist: np.ndarray, n_rows: int, S_node: np.ndarray):
        """The best split of a node from its histogram, or None."""
        k, msl = self.k, self.msl
        real = hist[:, :-1, :]
        miss = hist[:, -1, :]  # (d, K+1)
        cum = np.cumsum(real, axis=1)  # left side, missing right
        total = cum[:, -1, :] + miss  # (d, K+1)
        n_miss = miss[:, k]
        n_left_real = cum[:, :, k]
        n_real = total[:, k] - n_miss
        has_miss = n_miss > 0
        # Direction 0: missing right; direction 1: missing left (only evaluated
        # when the node has missing values).
        if has_miss.any():
            left = np.stack([cum, cum + miss[:, None, :]], axis=1)  # (d, 2, B, K+1)
        else:
            left = cum[:, None]  # (d, 1, B, K+1)
        right = total[:, None, None, :] - left
        nl, nr = left[..., k], right[..., k]
        right_real = n_real[:, None] - n_left_real  # (d, B)
        valid = (nl >= msl) & (nr >= msl) & (n_left_real > 0)[:, None, :]
        # Missing right: real rows on the right, or the missing rows alone.
        valid[:, 0] &= (right_real > 0) | (has_miss[:, None] & (right_real == 0))
        if left.shape[1] == 2:
            # Missing left needs real rows on the right and some missing rows.
            valid[:, 1] &= (right_real > 0) & has_miss[:, None]
        if not valid.any():
            return None
        score = _impurity_sum(left[..., :k], self.criterion) + _impurity_sum(
            right[..., :k], self.criterion
        )
        score = np.where(valid, score, np.inf)
        best = int(np.argmin(score))
        f, direction, b = np.unravel_index(best, score.shape)
        parent = float(_impurity_sum(S_node, self.criterion))
        gain = parent - float(score[f, direction, b])
        return {
            "feature": int(f),
            "bin": int(b),
            "missing_left": bool(direction == 1),
            "has_missing": bool(has_miss[f]),
            "only_missing_right": bool(direction == 0 and right_real[f, b] == 0),
            "gain": gain,
            "left_sum": left[f, direction, b, :k].copy(),
            "right_sum": right[f, direction, b, :k].copy(),
        }

    def partition(self, rows: np.ndarray, split: dict) -> np.ndarray:
        b = self.binned[split["feature"], rows]
        go_left = b <= split["bin"]
        if split["missing_left"]:
            go_left |= b == self.n_bins - 1
        return go_left

    def threshold(self, left_rows, right_rows, split) -> float:
        if split["only_missing_right"]:
            return float(np.inf)
        f = split["feature"]
        a = self.X[left_rows, f]
        c = self.X[right_rows, f]
        return _midpoint(float(np.nanmax(a)), float(np.nanmin(c)))
