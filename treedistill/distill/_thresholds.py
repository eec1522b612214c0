"""Split thresholds at the data's own precision, so printed rules are exact.

A grown tree keeps thresholds like ``70.99994`` or ``75.8493``: midpoints between
two values of the data (and, for scikit-learn's trees, between their float32
roundings). Printed rounded (``age <= 71``) they say something the tree does not do.
:func:`snap_thresholds` moves every numeric split, after the tree is grown, to the
*shortest* decimal number ``d`` with ``lo <= d < hi``, where ``lo`` is the largest
recorded value that the split sends left and ``hi`` the smallest it sends right;
integer columns get whole numbers. Recorded values are the real training rows (not
the augmented rows of the transfer set, whose values carry no precision of their
own); where a split separates no real rows on one side, the transfer rows are used
for that side.

Every recorded value stays on its side, so on the real rows the snapped tree is
the grown tree. The stored threshold is the float64 nearest to ``d``, and Python's
shortest ``repr`` of it prints ``d`` back; prediction compares ``x <= d`` in
float64 (see ``SoftTree.apply``), so the printed rule and the tree agree for every
value, including values no row had.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

__all__ = [
    "format_threshold",
    "merge_bounds",
    "shortest_decimal",
    "snap_thresholds",
    "snap_to_bounds",
    "snappable_nodes",
    "split_bounds",
]


def format_threshold(value: float) -> str:
    """A stored threshold as text: Python's shortest repr, ``70`` for ``70.0``."""
    value = float(value)
    if value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def shortest_decimal(lo: float, hi: float, *, integer: bool = False) -> float:
    """The float64 of the shortest decimal ``d`` with ``lo <= d < hi``.

    Parameters
    ----------
    lo, hi : float
        ``lo < hi``; ``hi`` may be ``inf``.
    integer : bool, default=False
        Prefer whole numbers (taken when one lies in the interval).

    Returns
    -------
    float
        Among the numbers with the fewest decimals (coarsest power of ten) in the
        interval, the smallest; ``lo`` itself when no shorter number fits.

    Examples
    --------
    >>> shortest_decimal(75.8493, 75.86)
    75.85
    >>> shortest_decimal(63.0, 71.0, integer=True)
    70.0
    >>> shortest_decimal(-0.25, 3.0)
    0.0
    """
    lo, hi = float(lo), float(hi)
    if not lo < hi:
        raise ValueError(f"need lo < hi, got lo={lo!r}, hi={hi!r}")
    exact_lo = Decimal(lo)
    top = max(abs(lo), abs(hi), 1.0) if math.isfinite(hi) else max(abs(lo), 1.0)
    start = int(math.floor(math.log10(top))) + (1 if math.isfinite(hi) else 0)
    stop = 0 if integer else -340
    for exp in range(start, stop - 1, -1):
        quantum = Decimal(1).scaleb(exp)
        for rounding in ("ROUND_FLOOR", "ROUND_CEILING"):
            steps = (exact_lo / quantum).to_integral_value(rounding=rounding)
            d = float(steps * quantum)
            if lo <= d < hi:
                return d + 0.0  # no negative zero
    if integer:
        return shortest_decimal(lo, hi)
    return lo


def _sides(values: np.ndarray, threshold: float, float32: bool) -> np.ndarray:
    """Which values the grown split sends left (``x <= threshold``)."""
    x = values.astype(np.float32).astype(np.float64) if float32 else values
    return x <= threshold


def snappable_nodes(tree, schema) -> np.ndarray:
    """Split nodes whose threshold is snapped: numeric columns, finite thresholds
    (not category indicators, not present/missing splits)."""
    inner = np.flatnonzero(np.asarray(tree.children_left) != -1)
    threshold = np.asarray(tree.threshold, dtype=np.float64)
    keep = [
        node
        for node in inner
        if math.isfinite(threshold[node])
        and not schema.features[int(tree.feature[node])].is_indicator
    ]
    return np.asarray(keep, dtype=np.intp)


def split_bounds(tree, X, nodes, *, float32: bool = False) -> np.ndarray:
    """Largest value of ``X`` that each split sends left and smallest it sends right.

    Parameters
    ----------
    tree : tree structure (``feature``, ``threshold``, ``children_left``)
    X : ndarray of shape (n_rows, n_features)
        Encoded rows (any subset: bounds of several subsets combine with
        :func:`merge_bounds`).
    nodes : array of int
        The split nodes to look at (:func:`snappable_nodes`).
    float32 : bool, default=False
        Take the sides as a tree comparing float32-rounded values does.

    Returns
    -------
    ndarray of shape (n_nodes, 2)
        Per node of ``tree``: the largest value sent left and the smallest sent
        right, NaN where no value of ``X`` is on that side (and for other nodes).
    """
    out = np.full((len(np.asarray(tree.children_left)), 2), np.nan)
    finite: dict[int, np.ndarray] = {}
    for node in np.asarray(nodes, dtype=np.intp):
        j = int(tree.feature[node])
        if j not in finite:
            col = np.asarray(X[:, j], dtype=np.float64)
            finite[j] = col[~np.isnan(col)]
        values = finite[j]
        left = _sides(values, float(tree.threshold[node]), float32)
        if left.any():
            out[node, 0] = values[left].max()
        if not left.all():
            out[node, 1] = values[~left].min()
    return out


def merge_bounds(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The :func:`split_bounds` of two sets of rows together."""
    return np.column_stack([np.fmax(a[:, 0], b[:, 0]), np.fmin(a[:, 1], b[:, 1])])


def snap_to_bounds(tree, schema, recorded, transfer=None) -> np.ndarray:
    """Move every snappable split of ``tree`` between its bounds (in place).

    ``recorded`` and ``transfer`` are :func:`split_bounds` of the real rows and
    of the whole transfer set; a side without real rows takes the transfer
    rows' bound. Returns the new thresholds.
    """
    threshold = tree.threshold
    for node in snappable_nodes(tree, schema):
        lo, hi = (None if math.isnan(v) else float(v) for v in recorded[node])
        if (lo is None or hi is None) and transfer is not None:
            t_lo, t_hi = (None if math.isnan(v) else float(v) for v in transfer[node])
            lo = t_lo if lo is None else lo
            hi = t_hi if hi is None else hi
        if lo is None and hi is None:
            continue
        if lo is None:  # nothing recorded on the left: keep the left side empty
            threshold[node] = float(math.ceil(hi)) - 1.0
            continue
        if hi is None:
            hi = math.inf
        column = schema.features[int(tree.feature[node])].column
        integer = schema.column(column).kind == "integer"
        threshold[node] = shortest_decimal(lo, hi, integer=integer)
    return np.asarray(threshold, dtype=np.float64).copy()


def snap_thresholds(
    tree, X_recorded: np.ndarray, schema, *, X_transfer=None, float32: bool = False
) -> np.ndarray:
    """Move every numeric split of ``tree`` to a threshold at the data's precision.

    Parameters
    ----------
    tree : tree structure with writable ``threshold`` (scikit-learn's ``Tree`` or
        ``TreeArrays``), ``feature`` and ``children_left``
    X_recorded : ndarray of shape (n_rows, n_features)
        The encoded real training rows.
    schema : TabularSchema
        Tells which encoded columns are numeric and which are integers.
    X_transfer : ndarray, optional
        The whole transfer set, used for a side of a split without real rows.
    float32 : bool, default=False
        Whether the grown tree compared float32-rounded values (scikit-learn's
        trees do); the sides of the recorded values are taken as it did.

    Returns
    -------
    ndarray
        The new thresholds (also written into ``tree.threshold``); splits of
        category indicators and present/missing splits are left as they were.
    """
    nodes = snappable_nodes(tree, schema)
    recorded = split_bounds(tree, X_recorded, nodes, float32=float32)
    transfer = None
    if X_transfer is not None:  # only for the nodes with a side without real rows
        lacking = nodes[np.isnan(recorded[nodes]).any(axis=1)]
        transfer = split_bounds(tree, X_transfer, lacking, float32=float32)
    return snap_to_bounds(tree, schema, recorded, transfer)
