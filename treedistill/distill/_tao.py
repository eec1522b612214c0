"""Non-greedy search for the soft-label tree: pruning, TAO refinement, multi-start.

Pruning (``search="prune"``) grows the tree best-first past the leaf budget and
cuts it back to its subtree of the budget with the least loss, exactly, by a
dynamic programme over the grown tree (:func:`least_loss_subtree`). The loss is
the objective's: the number of rows whose teacher class the tree misses
(``"error"``) for the agreement objective, the soft loss for ranking.

Greedy growth chooses every split once, looking one level ahead. Tree Alternating
Optimization (Carreira-Perpiñán & Tavallali, NeurIPS 2018) keeps the structure of a
tree and re-optimises each node's split against the loss of the whole tree:

- For a node whose two children are leaves, the best split of the rows that reach
  it, with both leaves' values refit, is the greedy criterion on those rows (soft
  Gini or soft cross-entropy), searched over binned thresholds.
- For any other node, the subtrees below it and the leaves' values are held fixed:
  every row reaching the node has a loss if sent left (routed down the left
  subtree to a leaf) and one if sent right, and the split that minimises the summed
  loss is a weighted two-class problem, solved exactly over binned thresholds.

A move is kept only when it lowers the loss of the rows at the node; the leaves'
values are then refit to the mean soft label of their rows, which lowers the
loss again or leaves it unchanged. Nodes are visited deepest first, and sweeps
repeat until one changes nothing, so the refined tree's soft loss on the
transfer set is never above the greedy tree's, with the same number of leaves.

Multi-start adds further greedy trees whose root splits on the 2nd, 3rd, ... best
column (best-first growth below it, on the same bins), refines the greedy tree and
the ``REFINED_STARTS`` others of lowest loss, and keeps the tree with the lowest soft
loss on the transfer set (the greedy tree's refinement is always a candidate).
Choosing on the transfer set itself keeps the guarantee above; with 8-32 leaves
and tens of thousands of rows the choice does not overfit (see
``benchmarks/tree_search.py``, where agreement is measured on fresh rows).

Missing values: a row with a missing value follows the node's ``missing_go_to_left``;
both directions are searched where the node has missing rows. One-hot category
indicators are columns like any other (a split at 0.5 tests one level).
"""

from __future__ import annotations

import heapq

import numpy as np

from treedistill.distill._hist_tree import TreeArrays, bin_features, descend
from treedistill.distill._students import SoftTree

__all__ = ["SearchedSoftTree", "least_loss_subtree", "refine_tree", "soft_loss"]

_CRITERIA = ("gini", "entropy")
_LEAF = -1
_TOL = 1e-10
# Starts refined by TAO besides the greedy tree (the others are only grown).
REFINED_STARTS = 2


def soft_loss(Q: np.ndarray, P: np.ndarray, criterion: str) -> np.ndarray:
    """Per-row soft loss of predictions ``P`` against targets ``Q``.

    ``gini``: squared error ``sum_k (q_k - p_k)^2`` (its sum over a leaf, at the
    leaf's mean, is the soft Gini impurity up to a constant); ``entropy``: the
    soft cross-entropy ``-sum_k q_k log p_k`` in nats.
    """
    if criterion == "gini":
        return ((Q - P) ** 2).sum(axis=1)
    if criterion == "error":
        return 1.0 - Q[np.arange(len(Q)), np.argmax(P, axis=1)]
    return -(Q * np.log(np.clip(P, 1e-12, None))).sum(axis=1)


def _impurity_sum(S: np.ndarray, criterion: str) -> np.ndarray:
    """Summed loss of rows with class sums ``S`` (..., K) at their mean, up to a
    per-row constant: ``W H(S/W)`` or ``W - |S|^2 / W``."""
    S = np.maximum(S, 0.0)
    W = S.sum(axis=-1)
    if criterion == "error":
        return W - S.max(axis=-1)
    if criterion == "entropy":
        logs = np.log(np.where(S > 0, S, 1.0))
        return W * np.log(np.where(W > 0, W, 1.0)) - (S * logs).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return W - np.where(W > 0, (S * S).sum(axis=-1) / W, 0.0)


class _Search:
    """A tree under refinement: mutable split arrays plus the data it is fit on."""

    def __init__(self, X, Q, w, flat, cuts, n_bins, criterion, msl):
        self.X, self.Q, self.w = X, Q, w
        self.Qw = Q * w[:, None]
        self.flat, self.cuts, self.n_bins = flat, cuts, n_bins
        self.criterion, self.msl = criterion, msl

    # ------------------------------------------------------------ structure
    def load(self, left, right, feature, threshold, missing_left):
        self.left = np.array(left, dtype=np.intp)
        self.right = np.array(right, dtype=np.intp)
        self.feature = np.array(feature, dtype=np.intp)
        self.threshold = np.array(threshold, dtype=np.float64)
        self.missing_left = np.array(missing_left, dtype=bool)
        m = self.left.size
        self.parent = np.full(m, -1, dtype=np.intp)
        inner = np.flatnonzero(self.left != _LEAF)
        self.parent[self.left[inner]] = inner
        self.parent[self.right[inner]] = inner
        self.depth = np.zeros(m, dtype=np.intp)
        for node in self._preorder():
            if self.parent[node] >= 0:
                self.depth[node] = self.depth[self.parent[node]] + 1
        self.value = np.zeros((m, self.Q.shape[1]))
        return self

    def _preorder(self):
        out, stack = [], [0]
        while stack:
            node = stack.pop()
            out.append(node)
            if self.left[node] != _LEAF:
                stack += [self.right[node], self.left[node]]
        return out

    def route(self, rows: np.ndarray, start: int) -> np.ndarray:
        """Leaf reached by each of ``rows`` when it starts at node ``start``."""

        def goes_left(active, at):
            x = self.X[rows[active], self.feature[at]]
            return np.where(np.isnan(x), self.missing_left[at], x <= self.threshold[at])

        node = np.full(rows.size, start, dtype=np.intp)
        return descend(node, self.left, self.right, goes_left)

    def refit(self, rows: np.ndarray | None = None) -> None:
        """Leaves' values: mean soft label of their rows (of ``rows``, or all)."""
        rows = np.arange(len(self.X)) if rows is None else rows
        leaves = self.leaf[rows]
        m = self.left.size
        W = np.bincount(leaves, weights=self.w[rows], minlength=m)
        for c in range(self.Q.shape[1]):
            S = np.bincount(leaves, weights=self.Qw[rows, c], minlength=m)
            hit = W > 0
            self.value[hit, c] = S[hit] / W[hit]

    def loss(self) -> float:
        per_row = soft_loss(self.Q, self.value[self.leaf], self.criterion)
        return float(per_row @ self.w)

    def subtree_leaves(self, node: int) -> np.ndarray:
        out, stack = [], [node]
        while stack:
            v = stack.pop()
            if self.left[v] == _LEAF:
                out.append(v)
            else:
                stack += [self.left[v], self.right[v]]
        return np.asarray(out, dtype=np.intp)

    # -------------------------------------------------------------- search
    def _scan(self, rows, channels, score_fn, features=None):
        """Best split of ``rows`` over the columns (all, or ``features``) and bins.

        ``channels`` (n_rows, c) are summed per bin; the last channel must count
        rows. ``score_fn(left, right)`` scores left/right channel sums (..., c).
        Returns (score, feature, bin, missing_left) or None.
        """
        found = self._scan_each(rows, channels, score_fn, features)
        return min(found, default=None)

    def _scan_each(self, rows, channels, score_fn, features=None):
        """The best split on each column that has a valid one (see ``_scan``).

        One ``bincount`` per channel covers every column at once: ``self.flat``
        holds each column's bin index offset by ``column * n_bins``.
        """
        nb, msl = self.n_bins, self.msl
        features = np.arange(self.flat.shape[0]) if features is None else features
        features = np.asarray(features, dtype=np.intp)
        d, c = features.size, channels.shape[1]
        flat = (
            self.flat[:, rows]
            if d == self.flat.shape[0]
            else self.flat[features][:, rows]
        )
        if d != self.flat.shape[0]:
            flat = flat - (features * nb)[:, None] + (np.arange(d) * nb)[:, None]
        idx = flat.ravel()
        hist = np.empty((d * nb, c))
        for ch in range(c):
            weights = np.broadcast_to(channels[:, ch], (d, rows.size)).ravel()
            hist[:, ch] = np.bincount(idx, weights=weights, minlength=d * nb)
        hist = hist.reshape(d, nb, c)
        cum = np.cumsum(hist[:, :-1], axis=1)  # (d, nb-1, c): missing right
        miss = hist[:, -1]  # (d, c)
        has_miss = (miss[:, -1] > 0)[:, None]
        total = (cum[:, -1] + miss)[:, None]
        n_left_real = cum[..., -1]
        right_real = (total[..., -1] - miss[:, None, -1]) - n_left_real
        scores = []
        for direction, left in enumerate((cum, cum + miss[:, None])):
            right = total - left
            ok = (left[..., -1] >= msl) & (right[..., -1] >= msl) & (n_left_real > 0)
            if direction == 0:
                ok &= (right_real > 0) | (has_miss & (right_real == 0))
            else:
                ok &= (right_real > 0) & has_miss
            with np.errstate(invalid="ignore"):
                scores.append(np.where(ok, score_fn(left, right), np.inf))
        score = np.concatenate(scores, axis=1)  # (d, 2 (nb-1)), direction-major
        pick = np.argmin(score, axis=1)
        found = []
        for f in np.flatnonzero(np.isfinite(score[np.arange(d), pick])):
            direction, b = divmod(int(pick[f]), nb - 1)
            found.append(
                (float(score[f, pick[f]]), int(features[f]), b, direction == 1)
            )
        return found

    def best_leaf_split(self, rows, features=None, each=False, criterion=None):
        """Best split of a leaf's ``rows`` by the greedy criterion (or ``criterion``)."""
        k = self.Q.shape[1]
        crit = self.criterion if criterion is None else criterion

        def score_fn(lft, rgt):
            return _impurity_sum(lft[..., :k], crit) + _impurity_sum(rgt[..., :k], crit)

        channels = np.column_stack([self.Qw[rows], np.ones(rows.size)])
        if each:
            return self._scan_each(rows, channels, score_fn, features)
        return self._scan(rows, channels, score_fn, features)

    def _cut(self, feature: int, b: int) -> float:
        cuts = self.cuts[feature]
        return float(cuts[b]) if b < cuts.size else float(np.inf)

    def improve(self, node: int, rows: np.ndarray) -> bool:
        """Re-optimise the split of ``node`` on its ``rows``; True if it moved."""
        if rows.size < 2 * self.msl:
            return False
        lchild, rchild = self.left[node], self.right[node]
        now_left = np.isin(self.leaf[rows], self.subtree_leaves(lchild))
        count = np.ones(rows.size)
        if self.left[lchild] == _LEAF and self.left[rchild] == _LEAF:
            Qw = self.Qw[rows]
            k = Qw.shape[1]

            def score_fn(lft, rgt):
                crit = self.criterion
                return _impurity_sum(lft[..., :k], crit) + _impurity_sum(
                    rgt[..., :k], crit
                )

            channels = np.column_stack([Qw, count])
            current = float(
                _impurity_sum(Qw[now_left].sum(0), self.criterion)
                + _impurity_sum(Qw[~now_left].sum(0), self.criterion)
            )
        else:
            wl = self.w[rows]
            q = self.Q[rows]
            a = soft_loss(q, self.value[self.route(rows, lchild)], self.criterion) * wl
            c = soft_loss(q, self.value[self.route(rows, rchild)], self.criterion) * wl
            base = float(c.sum())

            def score_fn(lft, rgt):
                return base + lft[..., 0]

            channels = np.column_stack([a - c, count])
            current = float(np.where(now_left, a, c).sum())
        best = self._scan(rows, channels, score_fn)
        if best is None or best[0] >= current - _TOL * (abs(current) + 1.0):
            return False
        saved = (
            self.feature[node],
            self.threshold[node],
            self.missing_left[node],
            self.leaf[rows].copy(),
        )
        _, j, b, miss_left = best
        self.feature[node], self.threshold[node] = j, self._cut(j, b)
        self.missing_left[node] = miss_left
        self.leaf[rows] = self.route(rows, node)
        counts = np.bincount(self.leaf[rows], minlength=self.left.size)
        if (counts[self.subtree_leaves(node)] < self.msl).any():
            self.feature[node], self.threshold[node] = saved[0], saved[1]
            self.missing_left[node] = saved[2]
            self.leaf[rows] = saved[3]
            return False
        self.refit(rows)
        return True

    def node_rows(self) -> list[np.ndarray]:
        """Rows reaching every node, from the current leaf assignment."""
        m = self.left.size
        by_leaf = [[] for _ in range(m)]
        order = np.argsort(self.leaf, kind="stable")
        bounds = np.searchsorted(self.leaf[order], np.arange(m + 1))
        for v in range(m):
            by_leaf[v] = order[bounds[v] : bounds[v + 1]]
        rows = [None] * m
        inside = np.zeros(m, dtype=bool)
        for node in reversed(self._preorder()):
            if self.left[node] == _LEAF:
                rows[node] = by_leaf[node]
            else:
                # In row order, as a sort of the children's rows would give,
                # in one pass over the rows instead of a sort.
                inside[:] = False
                inside[self.subtree_leaves(node)] = True
                rows[node] = np.flatnonzero(inside[self.leaf])
        return rows

    def sweep(self) -> int:
        """One pass over the split nodes, deepest first; number of moves made."""
        inner = np.flatnonzero(self.left != _LEAF)
        moved = 0
        for d in sorted(set(self.depth[inner].tolist()), reverse=True):
            rows = self.node_rows()
            for node in inner[self.depth[inner] == d]:
                moved += self.improve(int(node), rows[node])
        return moved

    # ------------------------------------------------------------ finishing
    def retighten(self) -> None:
        """Thresholds at the midpoint between the node's rows on either side, as
        the greedy builders place them; where missing values go when a node saw
        none: the child with more rows."""
        rows = self.node_rows()
        for node in np.flatnonzero(self.left != _LEAF):
            r = rows[node]
            x = self.X[r, self.feature[node]]
            go_left = np.isin(self.leaf[r], self.subtree_leaves(self.left[node]))
            real = ~np.isnan(x)
            lo, hi = x[go_left & real], x[~go_left & real]
            if lo.size and hi.size:
                a, b = float(lo.max()), float(hi.min())
                t = a / 2.0 + b / 2.0
                self.threshold[node] = a if (t == b or not np.isfinite(t)) else t
            if not (~real).any():
                self.missing_left[node] = go_left.sum() > (~go_left).sum()

    def arrays(self) -> TreeArrays:
        rows = self.node_rows()
        m = self.left.size
        value = np.zeros((m, self.Q.shape[1]))
        impurity = np.zeros(m)
        for v in range(m):
            W = float(self.w[rows[v]].sum())
            if W > 0:
                S = self.Qw[rows[v]].sum(axis=0)
                value[v] = S / W
                impurity[v] = float(_impurity_sum(S, self.criterion)) / W
        nodes = {
            "left": self.left,
            "right": self.right,
            "feature": np.where(self.left == _LEAF, -2, self.feature),
            "threshold": np.where(self.left == _LEAF, -2.0, self.threshold),
            "missing_left": self.missing_left.astype(np.uint8),
            "impurity": impurity,
            "n": [r.size for r in rows],
            "w": [float(self.w[r].sum()) for r in rows],
            "depth": self.depth,
        }
        return TreeArrays(nodes, value, self.X.shape[1])


def _tree_parts(tree, features: np.ndarray | None = None):
    """Split arrays of a fitted tree (scikit-learn's or ``TreeArrays``)."""
    n = int(tree.node_count)
    feature = np.asarray(tree.feature)[:n].astype(np.intp)
    if features is not None:
        feature = np.where(feature >= 0, features[np.maximum(feature, 0)], feature)
    return (
        np.asarray(tree.children_left)[:n],
        np.asarray(tree.children_right)[:n],
        feature,
        np.asarray(tree.threshold, dtype=np.float64)[:n],
        np.asarray(tree.missing_go_to_left)[:n].astype(bool),
    )


def least_loss_subtree(
    left, right, sums, n_leaves: int, criterion: str, splittable=None
) -> np.ndarray:
    """The subtree (same root) of at most ``n_leaves`` leaves with the least loss,
    every leaf at the mean of its rows' targets; ties go to the lower Gini
    impurity of the targets, then to fewer leaves.

    Exact, by dynamic programming over the tree: the least loss of a node's
    subtree with ``j`` leaves is the node as a leaf (``j = 1``) or the best share
    of ``j`` between its children.

    Parameters
    ----------
    left, right : ndarray of int
        Child node ids (-1 at leaves).
    sums : ndarray of shape (n_nodes, n_classes)
        Weighted sums of the targets of the rows reaching each node.
    n_leaves : int
    criterion : {"error", "gini", "entropy"}
        The loss (see :func:`soft_loss`).
    splittable : array of node ids, optional
        The nodes that may stay split (default: every split node).

    Returns
    -------
    ndarray of bool
        For every node, whether it is split in the chosen subtree.
    """
    left, right = np.asarray(left), np.asarray(right)
    m, L = left.size, int(n_leaves)
    may_split = left != _LEAF
    if splittable is not None:
        allowed = np.zeros(m, dtype=bool)
        allowed[np.asarray(splittable, dtype=np.intp)] = True
        may_split &= allowed
    # Sums rounded: the same counts whether summed over rows or read off a tree.
    S = np.round(np.maximum(np.asarray(sums, dtype=np.float64), 0.0), 6)
    primary = np.full((m, L + 1), np.inf)
    secondary = np.full((m, L + 1), np.inf)
    split_at = np.zeros((m, L + 1), dtype=np.intp)
    order, stack = [], [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if may_split[node]:
            stack += [right[node], left[node]]
    for node in reversed(order):
        primary[node, 1] = float(_impurity_sum(S[node], criterion))
        secondary[node, 1] = float(_impurity_sum(S[node], "gini"))
        if not may_split[node]:
            continue
        lc, rc = left[node], right[node]
        for j in range(2, L + 1):
            a = primary[lc, 1:j] + primary[rc, j - 1 : 0 : -1]
            b = secondary[lc, 1:j] + secondary[rc, j - 1 : 0 : -1]
            if not np.isfinite(a).any():
                continue
            lo = a.min()
            tie = np.flatnonzero(a <= lo + _TOL * (abs(lo) + 1.0))
            pick = int(tie[np.argmin(b[tie])])
            primary[node, j], secondary[node, j] = a[pick], b[pick]
            split_at[node, j] = pick + 1
    lo = primary[0, 1:].min()
    tie = np.flatnonzero(primary[0, 1:] <= lo + _TOL * (abs(lo) + 1.0))
    b = secondary[0, 1:][tie]
    best = int(tie[np.flatnonzero(b <= b.min() + _TOL * (abs(b.min()) + 1.0))[0]]) + 1
    split = np.zeros(m, dtype=bool)
    stack = [(0, best)]
    while stack:
        node, j = stack.pop()
        if j == 1:
            continue
        split[node] = True
        jl = int(split_at[node, j])
        stack += [(left[node], jl), (right[node], j - jl)]
    return split


def _prune(search: _Search, n_leaves: int) -> None:
    """Cut the search's tree back to its subtree of at most ``n_leaves`` leaves
    with the least loss on its rows (:func:`least_loss_subtree`). A tree grown
    best-first to a larger budget holds the tree grown to ``n_leaves`` as a
    subtree, so the pruned tree's loss is never above that tree's."""
    rows = search.node_rows()
    sums = np.zeros((search.left.size, search.Q.shape[1]))
    for node in search._preorder():
        sums[node] = search.Qw[rows[node]].sum(axis=0)
    split = least_loss_subtree(
        search.left, search.right, sums, n_leaves, search.criterion
    )
    keep_left, keep_right, feature, threshold, missing = [], [], [], [], []

    def build(node):
        i = len(feature)
        feature.append(-2), threshold.append(-2.0), missing.append(False)
        keep_left.append(_LEAF), keep_right.append(_LEAF)
        if not split[node]:
            return i
        feature[i] = int(search.feature[node])
        threshold[i] = float(search.threshold[node])
        missing[i] = bool(search.missing_left[node])
        keep_left[i] = build(search.left[node])
        keep_right[i] = build(search.right[node])
        return i

    build(0)
    search.load(keep_left, keep_right, feature, threshold, missing)
    search.leaf = search.route(np.arange(len(search.X)), 0)


def _refine(search: _Search, max_sweeps: int) -> int:
    search.refit()
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        if not search.sweep():
            break
    return sweeps


def refine_tree(
    student: SoftTree,
    X: np.ndarray,
    Q: np.ndarray,
    *,
    sample_weight=None,
    n_starts: int = 1,
    max_sweeps: int = 10,
    max_bins: int = 255,
    random_state=None,
    loss: str | None = None,
    n_leaves: int | None = None,
) -> dict:
    """Refine a fitted :class:`SoftTree` in place by TAO (and multi-start).

    Parameters
    ----------
    student : SoftTree
        Fitted on ``(X, Q)``; its ``tree_``, ``value_`` and ``estimator_`` are
        replaced by the refined tree (a ``TreeArrays``).
    X : ndarray of shape (n_samples, n_features)
    Q : ndarray of shape (n_samples, n_classes)
        The targets the student was fit to.
    sample_weight : ndarray of shape (n_samples,), optional
    n_starts : int, default=1
        Greedy starts; the first is ``student``'s own tree, the others root on
        the next-best columns (see the module notes). The greedy tree and the
        ``REFINED_STARTS`` others of lowest soft loss are refined by TAO; the
        tree of lowest soft loss is kept.
    max_sweeps : int, default=10
        Largest number of passes over the nodes per start.
    max_bins : int, default=255
        Bins per column of the candidate thresholds.
    random_state : int or None
    loss : {"gini", "entropy", "error"}, optional
        The loss minimised (default: ``student``'s criterion). ``"error"``: the
        number of rows whose target's argmax the tree's argmax misses (``Q`` then
        holds one-hot labels, such as the teacher's class).
    n_leaves : int, optional
        Cut the grown tree back first to its subtree of at most ``n_leaves``
        leaves of least loss (:func:`least_loss_subtree`); ``max_sweeps=0``
        then keeps the pruned tree as it is.

    Returns
    -------
    dict
        ``loss_greedy`` and ``loss`` (the loss of ``student``'s tree before
        and after, summed over rows), ``loss_pruned`` (after the cut, or None),
        ``start`` (index of the start kept) and
        ``sweeps`` (passes made on each refined start: the greedy tree, then the
        ``REFINED_STARTS`` other starts of lowest loss).
    """
    X = np.asarray(X, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    criterion = student.criterion if loss is None else loss
    msl = max(int(student.min_samples_leaf), 1)
    if int(max_sweeps) > 0 or int(n_starts) > 1:
        binned, cuts, n_bins = bin_features(X, max_bins, random_state=random_state)
        flat = binned.astype(np.intp) + (np.arange(X.shape[1]) * n_bins)[:, None]
        del binned
    else:  # a cut alone searches no split: no bins needed
        flat, cuts, n_bins = None, None, 0

    def new_search():
        return _Search(X, Q, w, flat, cuts, n_bins, criterion, msl)

    first = new_search().load(*_tree_parts(student.tree_))
    first.leaf = np.asarray(student.apply(X), dtype=np.intp)
    first.retighten()
    first.refit()
    loss_greedy = first.loss()
    pruned = None
    if n_leaves is not None and int(np.sum(first.left == _LEAF)) > int(n_leaves):
        _prune(first, int(n_leaves))
        first.refit()
        pruned = first.loss()
    starts = [first]
    if int(n_starts) > 1:
        # Other starts: the root split on the 2nd, 3rd, ... best column, then
        # greedy growth below it.
        roots = sorted(
            first.best_leaf_split(
                np.arange(len(X)), each=True, criterion=student.criterion
            )
        )
        for split in roots[1 : int(n_starts)]:
            search = _grow(new_search(), student, root_split=split)
            search.refit()
            starts.append(search)
    # TAO moves a tree a little; the starts differ more. Refine the greedy tree
    # and the REFINED_STARTS other starts of lowest loss as grown.
    others = sorted(range(1, len(starts)), key=lambda i: (starts[i].loss(), i))
    refined = [0, *others[:REFINED_STARTS]]
    sweeps = {}
    best, best_loss, best_start = first, np.inf, 0
    for i in refined:
        sweeps[i] = _refine(starts[i], max_sweeps)
        loss = starts[i].loss()
        if i == 0 or loss < best_loss - _TOL * (abs(best_loss) + 1.0):
            best, best_loss, best_start = starts[i], loss, i
    best.retighten()
    tree = best.arrays()
    student.tree_ = tree
    student.estimator_ = tree
    student.value_ = np.asarray(tree.value[:, 0, :])
    return {
        "loss_greedy": loss_greedy,
        "loss_pruned": pruned,
        "loss": best_loss,
        "start": best_start,
        "sweeps": [sweeps[i] for i in refined],
    }


def _grow(search: _Search, student, root_split=None) -> _Search:
    """Grow a tree best-first by the greedy criterion on the binned columns, as
    the builders do, with the root's split given (or the best one)."""
    n = len(search.X)
    crit, msl = student.criterion, search.msl
    max_depth = np.inf if student.max_depth is None else int(student.max_depth)
    leaves = student.max_leaf_nodes
    budget = np.inf if leaves is None else int(leaves) - 1
    parts = {"left": [_LEAF], "right": [_LEAF], "feature": [-2], "threshold": [-2.0]}
    parts["missing"], depth, rows_of, heap = [False], [0], {0: np.arange(n)}, []

    def push(node, split):
        if split is None:
            return
        gain = float(_impurity_sum(search.Qw[rows_of[node]].sum(0), crit)) - split[0]
        if gain > 0:
            heapq.heappush(heap, (-gain, node, split))

    def best(node):
        r = rows_of[node]
        if depth[node] >= max_depth or r.size < 2 * msl:
            return None
        return search.best_leaf_split(r, criterion=crit)

    push(0, best(0) if root_split is None else root_split)
    while heap and budget > 0:
        _, node, (_, j, b, miss_left) = heapq.heappop(heap)
        budget -= 1
        r = rows_of.pop(node)
        x = search.X[r, j]
        cut = search._cut(j, b)
        go = np.where(np.isnan(x), miss_left, x <= cut)
        parts["feature"][node], parts["threshold"][node] = j, cut
        parts["missing"][node] = miss_left
        for side in (go, ~go):
            rows_of[len(depth)] = r[side]
            for key, v in (("left", _LEAF), ("right", _LEAF), ("feature", -2)):
                parts[key].append(v)
            parts["threshold"].append(-2.0)
            parts["missing"].append(False)
            depth.append(depth[node] + 1)
        parts["left"][node], parts["right"][node] = len(depth) - 2, len(depth) - 1
        if budget > 0:
            push(len(depth) - 2, best(len(depth) - 2))
            push(len(depth) - 1, best(len(depth) - 1))
    search.load(
        parts["left"],
        parts["right"],
        parts["feature"],
        parts["threshold"],
        parts["missing"],
    )
    search.leaf = np.empty(n, dtype=np.intp)
    for node, r in rows_of.items():
        search.leaf[r] = node
    return search


class SearchedSoftTree(SoftTree):
    """A :class:`SoftTree` grown greedily, then refined by TAO (see module notes).

    Parameters
    ----------
    criterion, max_depth, max_leaf_nodes, min_samples_leaf, random_state, builder,
    max_bins :
        As in :class:`SoftTree` (they shape the greedy start).
    n_starts : int, default=1
        Greedy starts (see :func:`refine_tree`).
    max_sweeps : int, default=10
    loss : str or None, default=None
        The loss refined (see :func:`refine_tree`; default the criterion).
    grow_leaves : int or None, default=None
        Grow the greedy tree to this many leaves, then cut it back to
        ``max_leaf_nodes`` (``search="prune"``; see :func:`refine_tree`).

    Attributes
    ----------
    tree_ : TreeArrays
    search_ : str
        ``"tao"`` (one start) or ``"tao-multistart"``.
    search_info_ : dict
        What :func:`refine_tree` returned.
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
        n_starts=1,
        max_sweeps=10,
        loss=None,
        grow_leaves=None,
    ):
        super().__init__(
            criterion=criterion,
            max_depth=max_depth,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            random_state=random_state,
            builder=builder,
            max_bins=max_bins,
        )
        self.n_starts = n_starts
        self.max_sweeps = max_sweeps
        self.loss = loss
        self.grow_leaves = grow_leaves

    def fit(
        self, X: np.ndarray, Q: np.ndarray, sample_weight=None, *, bins=None
    ) -> SearchedSoftTree:
        """Grow the greedy tree on ``(X, Q)``, then refine it (``bins``: the
        histogram builder's binning of ``X``, as in :meth:`SoftTree.fit`).

        Returns
        -------
        self
        """
        budget = self.max_leaf_nodes
        if self.grow_leaves is not None and budget is not None:
            self.max_leaf_nodes = max(int(self.grow_leaves), int(budget))
            try:
                super().fit(X, Q, sample_weight=sample_weight, bins=bins)
            finally:
                self.max_leaf_nodes = budget
        else:
            super().fit(X, Q, sample_weight=sample_weight, bins=bins)
        self.search_info_ = refine_tree(
            self,
            X,
            Q,
            sample_weight=sample_weight,
            n_starts=self.n_starts,
            max_sweeps=self.max_sweeps,
            max_bins=self.max_bins,
            random_state=self.random_state,
            loss=self.loss,
            n_leaves=None if self.grow_leaves is None else budget,
        )
        if int(self.n_starts) > 1:
            self.search_ = "tao-multistart"
        elif self.grow_leaves is not None and int(self.max_sweeps) == 0:
            self.search_ = "prune"
        else:
            self.search_ = "tao"
        return self
