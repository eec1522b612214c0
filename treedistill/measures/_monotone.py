"""Probes along a column: does a model's risk move the way a constraint says?

A row is *probed* along a column by setting that column, and nothing else, to
each of ``steps`` evenly spaced values from the column's ``low`` to its ``high``
quantile (5% and 95% by default) over the rows probed, and reading the model's
risk at each. Along a column whose risk should rise (``direction=+1``) the row's
*wrong-way move* is the largest fall of its risk from any step to a later one
(for ``-1`` the largest rise); the row violates the direction when that move is
more than ``tolerance`` (1 point of risk by default).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from treedistill.exceptions import ParameterError

__all__ = ["monotone_probe", "wrong_way_moves"]


def wrong_way_moves(risk: np.ndarray, direction: int) -> np.ndarray:
    """Largest move against ``direction`` of each row of ``risk`` (n, steps),
    the steps in rising order of the probed column; 0 when there is none."""
    r = np.asarray(risk, dtype=np.float64)
    if direction > 0:
        return np.max(np.maximum.accumulate(r, axis=1) - r, axis=1)
    return np.max(r - np.minimum.accumulate(r, axis=1), axis=1)


def monotone_probe(
    risk: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    column: str,
    direction: int,
    *,
    steps: int = 20,
    low: float = 0.05,
    high: float = 0.95,
    tolerance: float = 0.01,
    sample_weight=None,
) -> dict:
    """Share of the rows of ``X`` whose ``risk`` moves against ``direction``.

    Parameters
    ----------
    risk : callable
        Takes a frame with the columns of ``X`` and returns one risk per row.
    X : DataFrame
        The rows probed (held-out rows, say).
    column : str
        The numeric column moved.
    direction : {1, -1}
        +1: risk should not fall as the column rises; -1: should not rise.
    steps : int, default=20
        Values of the column each row is probed at (at least 2).
    low, high : float, default=0.05, 0.95
        Quantiles of the column (over ``X``) the probe runs between.
    tolerance : float, default=0.01
        A wrong-way move larger than this is a violation.
    sample_weight : array-like, default=None
        Row weights of the share (then ``weighted`` is true).

    Returns
    -------
    dict
        ``column``, ``direction``, ``steps``, ``from``, ``to`` (the probed
        range), ``n`` (rows probed), ``tolerance``, ``share`` (of rows, or of
        weight, that violate), ``violating`` (rows), ``worst`` (largest
        wrong-way move) and ``weighted``.
    """
    if direction not in (1, -1):
        raise ParameterError(
            f"direction must be 1 or -1, got {direction!r}", parameter="direction"
        )
    if int(steps) < 2:
        raise ParameterError(
            f"steps must be at least 2, got {steps!r}", parameter="steps"
        )
    if column not in X.columns:
        raise ParameterError(
            f"column {column!r} is not one of the columns", parameter="column"
        )
    values = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    n = len(X)
    if finite.size == 0 or n == 0:
        raise ParameterError(
            f"column {column!r} has no numeric values to probe", parameter="column"
        )
    lo, hi = np.quantile(finite, [low, high])
    grid = np.linspace(lo, hi, int(steps))
    probe = X.loc[X.index.repeat(len(grid))].reset_index(drop=True)
    probe[column] = np.tile(grid, n)
    r = np.asarray(risk(probe), dtype=np.float64).reshape(n, len(grid))
    moves = wrong_way_moves(r, direction)
    bad = moves > tolerance
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    return {
        "column": str(column),
        "direction": int(direction),
        "steps": int(steps),
        "from": float(lo),
        "to": float(hi),
        "n": int(n),
        "tolerance": float(tolerance),
        "share": float(w[bad].sum() / w.sum()) if w.sum() > 0 else None,
        "violating": int(bad.sum()),
        "worst": float(moves.max()),
        "weighted": sample_weight is not None,
    }
