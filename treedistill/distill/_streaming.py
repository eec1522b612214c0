"""Distillation in bounded memory: a chunked transfer set and a tree from histograms.

A transfer set of millions of rows does not have to be held at once. Here it is
drawn, labelled by the teacher and encoded one chunk at a time and written to a
:class:`ChunkSpill` (plain binary files on disk). The histogram tree is then
grown by :class:`StreamedHistTree` in passes over the spill: each pass reads one
chunk at a time, routes its rows down the tree grown so far and adds their
per-bin class sums to the histograms of the nodes that need them. Memory is the
chunk, one ``(n_features, n_bins, K + 1)`` histogram per open node, and the bin
sample (at most 200,000 rows), not the transfer set. The bin indices of the
rows are computed once and kept on disk too (one byte per row and feature).

:class:`StreamedHistTree` grows the tree of :class:`~treedistill.distill._hist_tree.HistTree`
on the same rows: the same bin edges (drawn from the same row sample for the
same ``random_state``), the same best-first order, the same thresholds (midpoints
between the largest value sent left and the smallest sent right). Histograms are
summed chunk by chunk, so node values agree with the in-memory tree to rounding
(about 1e-15), and splits agree unless two candidate splits tie to that
precision. To know which node to split next, a pass computes the children's
histograms of every node waiting on the heap (the ones best-first growth may
split next), so the number of passes is about the depth of the tree, not the
number of leaves.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

import numpy as np

from treedistill.distill._hist_tree import (
    _BIN_SUBSAMPLE,
    _EPSILON,
    HistTree,
    TreeArrays,
    _Context,
    _cut_points,
    _midpoint,
    _NodeTable,
    descend,
)
from treedistill.distill._sample_size import record_augment_factor
from treedistill.distill._spill import ChunkSpill
from treedistill.distill._students import SoftTree, _node_totals
from treedistill.distill._thresholds import (
    merge_bounds,
    snap_to_bounds,
    snappable_nodes,
    split_bounds,
)
from treedistill.distill._transfer import augment, munge, munge_neighbours
from treedistill.exceptions import ParameterError
from treedistill.teachers._teachers import teacher_logits

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "ChunkSpill",
    "StreamedHistTree",
    "fit_streamed",
    "spill_transfer",
]

#: Rows per chunk unless told otherwise: ~80 MB of float64 at 30 features, 3 classes.
DEFAULT_CHUNK_ROWS = 262_144

Chunks = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]


def _bin_chunk(X: np.ndarray, cuts: list[np.ndarray], n_bins: int) -> np.ndarray:
    """Bin indices (n, d) as ``bin_features`` gives them, row-major uint8."""
    out = np.empty(X.shape, dtype=np.uint8)
    for j, c in enumerate(cuts):
        col = X[:, j]
        b = np.searchsorted(c, col, side="left")
        b[np.isnan(col)] = n_bins - 1
        out[:, j] = b
    return out


class _Plan:
    """What one pass computes for one waiting node: its smaller child's histogram
    and the values either side of its split."""

    def __init__(self, node: int, split: dict, small: int):
        self.node, self.split, self.small = node, split, small
        self.hist: np.ndarray | None = None
        self.left_max = -np.inf
        self.right_min = np.inf


# --------------------------------------------------------------------------- #
# One chunk's share of a pass: pure functions (run where the chunk is)
# --------------------------------------------------------------------------- #
def _accumulate(hist, slot, B, Q, n_slots: int) -> None:
    """Add the per-bin class sums and counts of rows to their slots' histograms."""
    _, d, nb, k1 = hist.shape
    k = k1 - 1
    size = n_slots * nb
    base = slot * nb
    for j in range(d):
        idx = base + B[:, j]
        for c in range(k):
            hist[:, j, :, c] += np.bincount(
                idx, weights=Q[:, c], minlength=size
            ).reshape(n_slots, nb)
        hist[:, j, :, k] += np.bincount(idx, minlength=size).reshape(n_slots, nb)


def chunk_shape(X, Q) -> tuple[int, int, int]:
    """(rows, features, classes) of a chunk, checked."""
    X, Q = np.asarray(X), np.asarray(Q)
    if X.ndim != 2 or Q.ndim != 2 or len(X) != len(Q):
        raise ValueError(
            f"chunk X {X.shape} and Q {Q.shape} must be 2-D with the same number "
            "of rows"
        )
    return len(X), X.shape[1], Q.shape[1]


def chunk_root(X, Q, cuts, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The chunk's bins and its share of the root histogram."""
    Q = np.asarray(Q, dtype=np.float64)
    B = _bin_chunk(np.asarray(X, dtype=np.float64), cuts, n_bins)
    hist = np.zeros((1, B.shape[1], n_bins, Q.shape[1] + 1))
    _accumulate(hist, np.zeros(len(B), dtype=np.intp), B.astype(np.intp), Q, 1)
    return B, hist[0]


def _route(B: np.ndarray, tree: dict, n_bins: int) -> np.ndarray:
    """Node of the tree grown so far that each binned row is in."""
    left, right = tree["left"], tree["right"]
    feature, sbin, mleft = tree["feature"], tree["bin"], tree["missing_left"]

    def goes_left(active, at):
        b = B[active, feature[at]].astype(np.intp)
        return np.where(b == n_bins - 1, mleft[at], b <= sbin[at])

    return descend(np.zeros(len(B), dtype=np.intp), left, right, goes_left)


def chunk_plan(X, Q, B, tree: dict, plan: dict, n_bins: int):
    """The chunk's share of a pass: smaller-child histograms and split values.

    ``tree`` holds the grown tree's arrays (``left``, ``right``, ``feature``,
    ``bin``, ``missing_left``); ``plan`` the waiting nodes' slot per node and
    each slot's split (``slot_of``, ``feature``, ``bin``, ``missing_left``,
    ``small``). Returns ``(hist, left_max, right_min)`` to be added up (max,
    min) over the chunks.
    """
    n_slots = len(plan["feature"])
    k = np.asarray(Q).shape[1]
    hist = np.zeros((n_slots, B.shape[1], n_bins, k + 1))
    left_max = np.full(n_slots, -np.inf)
    right_min = np.full(n_slots, np.inf)
    slot = plan["slot_of"][_route(B, tree, n_bins)]
    rows = np.flatnonzero(slot >= 0)
    if not rows.size:
        return hist, left_max, right_min
    slot = slot[rows]
    feat = plan["feature"][slot]
    b = B[rows, feat].astype(np.intp)
    go_left = np.where(
        b == n_bins - 1, plan["missing_left"][slot], b <= plan["bin"][slot]
    )
    x = np.asarray(X, dtype=np.float64)[rows, feat]
    real = ~np.isnan(x)
    np.maximum.at(left_max, slot[go_left & real], x[go_left & real])
    np.minimum.at(right_min, slot[~go_left & real], x[~go_left & real])
    mine = (~go_left).astype(np.intp) == plan["small"][slot]
    _accumulate(
        hist,
        slot[mine],
        B[rows[mine]].astype(np.intp),
        np.asarray(Q, dtype=np.float64)[rows[mine]],
        n_slots,
    )
    return hist, left_max, right_min


def chunk_sample(X, rows: np.ndarray | None, start: int) -> np.ndarray:
    """The chunk's rows among the global row numbers ``rows`` (all when None)."""
    X = np.asarray(X, dtype=np.float64)
    if rows is None:
        return X
    lo, hi = np.searchsorted(rows, [start, start + len(X)])
    return X[rows[lo:hi] - start]


class LocalPasses:
    """Passes over chunks in this process; the bins are kept on disk.

    Parameters
    ----------
    chunks : callable
        Returns a fresh iterable of ``(X, Q)`` pairs, the same rows every call.
    """

    def __init__(self, chunks: Chunks):
        self.chunks = chunks
        self._binned: ChunkSpill | None = None

    def shape(self) -> tuple[int, int, int]:
        n, dk = 0, None
        for X, Q in self.chunks():
            m, d, k = chunk_shape(X, Q)
            if dk is None:
                dk = (d, k)
            elif (d, k) != dk:
                raise ValueError("every chunk must have the same columns")
            n += m
        return (n, *(dk or (0, 0)))

    def sample(self, rows) -> list[np.ndarray]:
        parts, start = [], 0
        for X, _ in self.chunks():
            parts.append(chunk_sample(X, rows, start))
            start += len(X)
        return parts

    def root(self, cuts, n_bins: int) -> np.ndarray:
        total = None
        self._binned = ChunkSpill({"B": len(cuts)}, dtypes={"B": np.uint8})
        for X, Q in self.chunks():
            B, hist = chunk_root(X, Q, cuts, n_bins)
            self._binned.append(B=B)  # later passes read the bins
            total = hist if total is None else total + hist
        return total

    def plan(self, tree: dict, plan: dict, n_bins: int):
        out = None
        binned = self._binned.chunks("B")
        for (X, Q), (B,) in zip(self.chunks(), binned, strict=True):
            part = chunk_plan(X, Q, B, tree, plan, n_bins)
            out = part if out is None else _combine(out, part)
        return out

    def close(self) -> None:
        if self._binned is not None:
            self._binned.close()


def _combine(a, b):
    """Two chunks' shares of a pass, added up."""
    return a[0] + b[0], np.maximum(a[1], b[1]), np.minimum(a[2], b[2])


class StreamedHistTree(HistTree):
    """:class:`~treedistill.distill._hist_tree.HistTree` grown from chunks of rows.

    Same parameters and fitted attributes as ``HistTree``; fit with
    :meth:`fit_chunks` (or :meth:`fit_spill`). Sample weights are not supported.

    Attributes
    ----------
    n_passes_ : int
        Passes made over the data (shape, bin sample, root, then one per level
        of growth).
    """

    bin_subsample: int | None = _BIN_SUBSAMPLE

    def _cuts(self, passes, n: int, d: int) -> tuple[list, int]:
        """Cut points from the same row sample that ``bin_features`` draws."""
        sub = self.bin_subsample
        rows = None
        if sub is not None and n > sub:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(n, size=int(sub), replace=False))
        parts = passes.sample(rows)
        sample = np.concatenate(parts) if parts else np.empty((0, d))
        cuts = []
        for j in range(d):
            col = sample[:, j]
            cuts.append(_cut_points(col[~np.isnan(col)], int(self.max_bins)))
        n_bins = max(len(c) for c in cuts) + 2 if cuts else 2
        return cuts, n_bins

    def fit_spill(self, spill: ChunkSpill, x_key: str = "X", q_key: str = "Q"):
        """Grow the tree on the rows of a :class:`ChunkSpill`."""
        return self.fit_chunks(lambda: spill.chunks(x_key, q_key))

    def fit_chunks(self, chunks: Chunks) -> StreamedHistTree:
        """Grow the tree on the rows that ``chunks()`` yields, chunk by chunk.

        Parameters
        ----------
        chunks : callable
            Returns a fresh iterable of ``(X, Q)`` pairs each time it is called
            (once per pass), the same rows in the same order every time: ``X``
            of shape (rows, n_features), float, NaN for missing; ``Q`` of shape
            (rows, n_classes), the soft labels.

        Returns
        -------
        self
        """
        return self.fit_passes(LocalPasses(chunks))

    def fit_passes(self, passes) -> StreamedHistTree:
        """Grow the tree with ``passes`` (:class:`LocalPasses` or one like it).

        ``passes`` answers ``shape()``, ``sample(rows)``, ``root(cuts, n_bins)``
        and ``plan(tree, plan, n_bins)`` by running :func:`chunk_shape`,
        :func:`chunk_sample`, :func:`chunk_root` and :func:`chunk_plan` on every
        chunk and adding up the results, wherever the chunks are.
        """
        if self.criterion not in ("entropy", "gini"):
            raise ValueError(
                f"criterion must be one of ['entropy', 'gini'], got {self.criterion!r}"
            )
        if not 2 <= int(self.max_bins) <= 255:
            raise ValueError(
                f"max_bins must be between 2 and 255, got {self.max_bins!r}"
            )
        try:
            n, d, k = passes.shape()
            if not n:
                raise ValueError("cannot fit a tree on 0 rows")
            cuts, n_bins = self._cuts(passes, n, d)
            self.n_bins_, self.bin_cuts_ = n_bins, cuts
            grower = _Grower(self, passes, cuts, n_bins, n, d, k)
            grower.grow()
        finally:
            passes.close()
        S = np.asarray(grower.sums)
        W = S.sum(axis=1, keepdims=True)
        self.value_ = S / np.where(W > 0, W, 1.0)
        self.tree_ = TreeArrays(grower.nodes, self.value_, d)
        self.n_features_in_ = d
        self.n_classes_ = k
        self.split_order_ = np.asarray(grower.order, dtype=np.intp)
        self.n_passes_ = grower.n_passes + 3
        return self


class _Grower:
    """Best-first growth of one :class:`StreamedHistTree` fit."""

    def __init__(self, tree, passes, cuts, n_bins, n, d, k):
        self.passes, self.cuts, self.n_bins = passes, cuts, n_bins
        self.n, self.d, self.k = n, d, k
        self.criterion = tree.criterion
        self.msl = max(int(tree.min_samples_leaf), 1)
        self.max_depth = np.inf if tree.max_depth is None else int(tree.max_depth)
        self.budget = (
            np.inf if tree.max_leaf_nodes is None else int(tree.max_leaf_nodes) - 1
        )
        self.table = _NodeTable(self.criterion, None)
        self.nodes, self.sums = self.table.nodes, self.table.sums
        self.order: list[int] = []
        self.split_bin: list[int] = []
        # The split search of the in-memory tree, on histograms given to it.
        self.search = _Context(None, None, None, n_bins, self.criterion, self.msl, d, k)
        self.n_passes = 0

    # ------------------------------------------------------------ nodes
    def add_node(self, n_rows: int, depth: int, S: np.ndarray) -> tuple[int, float]:
        self.split_bin.append(-1)
        return self.table.append(n_rows, float(n_rows), depth, S)

    def splittable(self, n_rows, depth, imp) -> bool:
        return (
            depth < self.max_depth and n_rows >= max(2, 2 * self.msl) and imp > _EPSILON
        )

    def counts(self, hist: np.ndarray, split: dict) -> tuple[int, int]:
        """Rows sent left and right by ``split`` (exact: sums of whole counts)."""
        c = hist[split["feature"], :, self.k]
        n_left = c[: split["bin"] + 1].sum() + (c[-1] if split["missing_left"] else 0.0)
        return int(round(n_left)), int(round(c.sum() - n_left))

    # ---------------------------------------------------------- passes
    def root_pass(self) -> np.ndarray:
        return self.passes.root(self.cuts, self.n_bins)

    def plan_pass(self, plans: list[_Plan]) -> None:
        """Fill the smaller-child histogram and split values of every plan."""
        self.n_passes += 1
        slot_of = np.full(len(self.nodes["left"]), -1, dtype=np.intp)
        for s, p in enumerate(plans):
            slot_of[p.node] = s
        plan = {
            "slot_of": slot_of,
            "feature": np.array([p.split["feature"] for p in plans], dtype=np.intp),
            "bin": np.array([p.split["bin"] for p in plans], dtype=np.intp),
            "missing_left": np.array(
                [p.split["missing_left"] for p in plans], dtype=bool
            ),
            "small": np.array([p.small for p in plans], dtype=np.intp),
        }
        tree = {
            "left": np.asarray(self.nodes["left"], dtype=np.intp),
            "right": np.asarray(self.nodes["right"], dtype=np.intp),
            "feature": np.asarray(self.nodes["feature"], dtype=np.intp),
            "bin": np.asarray(self.split_bin, dtype=np.intp),
            "missing_left": np.asarray(self.nodes["missing_left"], dtype=bool),
        }
        hist, left_max, right_min = self.passes.plan(tree, plan, self.n_bins)
        for s, p in enumerate(plans):
            p.hist, p.left_max, p.right_min = hist[s], left_max[s], right_min[s]

    # ----------------------------------------------------------- growth
    def grow(self) -> None:
        root_hist = self.root_pass()
        root_S = root_hist[0, :, : self.k].sum(axis=0)
        root_id, root_imp = self.add_node(self.n, 0, root_S)
        heap: list = []
        waiting: dict[int, tuple] = {}  # node -> (hist, split)
        plans: dict[int, _Plan] = {}
        if self.splittable(self.n, 0, root_imp):
            split = self.search.best_split(root_hist, self.n, root_S)
            if split is not None:
                heapq.heappush(heap, (-split["gain"], root_id))
                waiting[root_id] = (root_hist, split)
        while heap and self.budget > 0:
            node_id = heap[0][1]
            if node_id not in plans:
                todo = []
                for _, nid in heap:
                    if nid not in plans:
                        h, sp = waiting[nid]
                        nl, nr = self.counts(h, sp)
                        todo.append(_Plan(nid, sp, 0 if nl <= nr else 1))
                self.plan_pass(todo)
                plans.update({p.node: p for p in todo})
            heapq.heappop(heap)
            self.split_node(
                node_id, waiting.pop(node_id), plans.pop(node_id), heap, waiting
            )

    def split_node(self, node_id, entry, plan, heap, waiting) -> None:
        hist, split = entry
        nodes = self.nodes
        self.budget -= 1
        self.order.append(node_id)
        n_left, n_right = self.counts(hist, split)
        if split["only_missing_right"]:
            threshold = float(np.inf)
        else:
            threshold = _midpoint(float(plan.left_max), float(plan.right_min))
        nodes["feature"][node_id] = split["feature"]
        nodes["threshold"][node_id] = threshold
        self.split_bin[node_id] = split["bin"]
        nodes["missing_left"][node_id] = int(
            split["missing_left"] if split["has_missing"] else n_left > n_right
        )
        depth = nodes["depth"][node_id] + 1
        children = []
        for n_child, S in ((n_left, split["left_sum"]), (n_right, split["right_sum"])):
            cid, imp = self.add_node(n_child, depth, S)
            children.append((cid, n_child, S, self.splittable(n_child, depth, imp)))
        nodes["left"][node_id] = children[0][0]
        nodes["right"][node_id] = children[1][0]
        if self.budget <= 0:
            return
        need = [c[3] for c in children]
        if not any(need):
            return
        small = plan.small
        hists = [None, None]
        hists[small] = plan.hist
        if need[1 - small]:
            hists[1 - small] = hist - plan.hist
        for (cid, n_child, S, ok), h in zip(children, hists, strict=True):
            if not ok:
                continue
            child_split = self.search.best_split(h, n_child, S)
            if child_split is not None:
                heapq.heappush(heap, (-child_split["gain"], cid))
                waiting[cid] = (h, child_split)


# --------------------------------------------------------------------------- #
# The transfer set in chunks, for DistilledTreeClassifier(chunk_size=...)
# --------------------------------------------------------------------------- #
def _label_chunk(model, part, labels, shift) -> tuple[np.ndarray, np.ndarray]:
    """Soft labels (split search) and temperature-1 labels (leaves) of one chunk."""
    z = teacher_logits(model.teacher_, model._teacher_input(part), model.batch_size)
    return model._split_targets(z, labels, shift)


def _augmenter(method: str, frame, schema, repeated: bool):
    """``draw(n, rng)``: augmented rows; MUNGE's neighbours found once when the
    rows are drawn in several chunks (the rows drawn are the same)."""
    if method == "munge" and repeated and len(frame) >= 2:
        neighbours = munge_neighbours(frame, schema)
        return lambda n, rng: munge(frame, schema, n, rng, neighbours=neighbours)
    return lambda n, rng: augment(frame, schema, method, n, rng)


def spill_transfer(model, frame, y, y_index, rng, *, directory=None) -> ChunkSpill:
    """Draw, label and encode the transfer set of ``model`` chunk by chunk.

    The real rows come first, then ``round(augment_factor * len(frame))``
    augmented rows drawn ``chunk_size`` at a time from ``rng``. With one chunk
    of augmented rows (``chunk_size >= `` their number) the rows are those the
    in-memory fit draws; with more, they are a different draw of the same
    augmenter, as a different seed would give.

    Returns the spill with fields ``X`` (encoded rows), ``Q`` (labels the splits
    are chosen on) and ``Qt`` (temperature-1 labels, for the leaves).
    """
    size = int(model.chunk_size)
    schema = model.schema_
    d, k = len(schema.feature_names_out), len(model.classes_)
    shift = getattr(model, "_split_logit_shift", lambda _y: 0.0)(y)
    spill = ChunkSpill({"X": d, "Q": k, "Qt": k}, directory=directory)
    try:
        for start in range(0, len(frame), size):
            part = frame.iloc[start : start + size]
            q, qt = _label_chunk(model, part, y_index[start : start + size], shift)
            X = schema.encode(part, warn_unseen=False)
            spill.append(X=X, Q=q, Qt=qt)
        n_aug = record_augment_factor(model, len(frame))
        draw = _augmenter(model.augmentation, frame, schema, n_aug > size)
        done = 0
        while done < n_aug:
            m = min(size, n_aug - done)
            extra = draw(m, rng)
            if not len(extra):
                break
            q, qt = _label_chunk(model, extra, np.full(len(extra), -1), shift)
            spill.append(X=schema.encode(extra, warn_unseen=False), Q=q, Qt=qt)
            done += len(extra)
    except BaseException:
        spill.close()
        raise
    return spill


def refit_leaves_chunked(student: SoftTree, chunks, *, recount: bool = False) -> None:
    """:meth:`SoftTree.refit_leaves` over ``(X, Q)`` chunks: node means of ``Q``
    (and, with ``recount``, the nodes' row counts, as after snapping)."""
    tree = student.tree_
    sums = counts = None
    for X, Q in chunks:
        s, c = _node_totals(tree, student.apply(X), np.asarray(Q, dtype=np.float64))
        sums = s if sums is None else sums + s
        counts = c if counts is None else counts + c
    if sums is not None:
        set_node_totals(student, sums, counts, recount=recount)


def set_node_totals(student: SoftTree, sums, counts, *, recount: bool = False) -> None:
    """Node values from per-node sums of ``Q`` and row counts gathered elsewhere."""
    fresh = sums / np.where(counts > 0, counts, 1.0)[:, None]
    student.value_ = np.where(counts[:, None] > 0, fresh, student.value_)
    if recount:
        student.tree_.weighted_n_node_samples[:] = counts
        student.tree_.n_node_samples[:] = counts.astype(np.intp)


def snap_student(student: SoftTree, schema, recorded, transfer=None) -> None:
    """Snap the thresholds of a streamed ``student`` to bounds gathered by chunk or
    partition (:func:`~treedistill.distill._thresholds.split_bounds` of the real rows and
    of the transfer rows), as :meth:`SoftTree.snap_thresholds` does in memory."""
    snap_to_bounds(student.tree_, schema, recorded, transfer)
    student.snapped_ = True


def snap_chunked(student: SoftTree, schema, real, chunks) -> None:
    """:meth:`SoftTree.snap_thresholds` with the transfer set in ``(X,)`` chunks
    (read only when a split has no real rows on one side)."""
    tree = student.tree_
    nodes = snappable_nodes(tree, schema)
    recorded = split_bounds(tree, real, nodes)
    lacking = nodes[np.isnan(recorded[nodes]).any(axis=1)]
    transfer = None
    for (X,) in chunks if len(lacking) else ():
        part = split_bounds(tree, X, lacking)
        transfer = part if transfer is None else merge_bounds(transfer, part)
    snap_student(student, schema, recorded, transfer)


def check_streamable(model) -> None:
    """Refuse settings the chunked fit does not offer, naming the parameter."""
    if model.builder == "exact":
        raise ParameterError(
            "chunk_size needs builder='hist' or 'auto' (the exact builder sorts "
            "the whole transfer set)",
            parameter="builder",
        )
    if model.search not in ("greedy", "auto"):
        raise ParameterError(
            "chunk_size needs search='greedy' (TAO and pruning revisit the whole "
            "transfer set)",
            parameter="search",
        )
    if getattr(model, "monotone_constraints", None):
        raise ParameterError(
            "monotone_constraints is not available with chunk_size or on Dask "
            "(the histogram tree grown there has no bounds)",
            parameter="monotone_constraints",
        )
    if getattr(model, "max_leaf_nodes", None) == "auto":
        raise ParameterError(
            "max_leaf_nodes='auto' is not available with chunk_size or on Dask",
            parameter="max_leaf_nodes",
        )


def _tree_params(model, seed) -> dict:
    return dict(
        criterion=model.criterion,
        max_depth=model.max_depth,
        max_leaf_nodes=model.max_leaf_nodes,
        min_samples_leaf=model.min_samples_leaf,
        random_state=seed,
    )


def streamed_tree(model, seed) -> StreamedHistTree:
    """An unfitted :class:`StreamedHistTree` with the tree settings of ``model``."""
    return StreamedHistTree(**_tree_params(model, seed))


def streamed_student(model, tree: StreamedHistTree, seed) -> SoftTree:
    """The :class:`SoftTree` student of ``model`` wrapping the fitted ``tree``."""
    student = SoftTree(builder="hist", **_tree_params(model, seed))
    student.n_classes_ = tree.n_classes_
    student.snapped_ = False
    student.builder_ = "hist"
    student.estimator_, student.tree_, student.value_ = tree, tree.tree_, tree.value_
    return student


def fit_streamed(model, frame, y, y_index, rng, seed) -> None:
    """The student of a :class:`DistilledTreeClassifier` fit in bounded memory.

    Sets ``student_``, ``n_transfer_``, ``n_augmented_`` and ``search_`` as the
    in-memory fit does; the transfer set lives in a :class:`ChunkSpill` for the
    duration of the fit.
    """
    check_streamable(model)
    with spill_transfer(model, frame, y, y_index, rng) as spill:
        model.n_transfer_ = spill.n_rows
        model.n_augmented_ = spill.n_rows - len(frame)
        tree = streamed_tree(model, seed).fit_spill(spill)
        student = streamed_student(model, tree, seed)
        exact = bool(model.exact_rules)
        if exact:  # thresholds at the data's precision, from the real rows
            real = model.schema_.encode(frame, warn_unseen=False)
            snap_chunked(student, model.schema_, real, spill.chunks("X"))
        if exact or model._leaves_refit():
            refit_leaves_chunked(student, spill.chunks("X", "Qt"), recount=exact)
        model.student_ = student
        model.search_ = "greedy"
        model.transfer_bytes_ = spill.nbytes()
