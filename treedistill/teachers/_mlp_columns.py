"""The MLP teacher's column encoding: numeric and categorical columns as network inputs.

Numeric columns: the median fills missing values, the value is standardised, with
an optional piecewise-linear encoding and a missing indicator. Categorical columns:
one-hot over the training categories plus a "missing" level. The fitted state of a
column is a dict of plain Python values, so it saves without pickle.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from treedistill.data._schema import MAX_MAGNITUDE, is_categorical

__all__ = [
    "MAX_MAGNITUDE",
    "column_kind",
    "fit_column",
    "n_outputs",
    "transform_column",
]


def column_kind(column: pd.Series, label: Any) -> str:
    """Return ``"numeric"`` or ``"categorical"`` for a DataFrame column."""
    dtype = column.dtype
    if pd.api.types.is_complex_dtype(dtype):
        raise ValueError(f"Complex data not supported (column {label!r}).")
    if is_categorical(column):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    raise ValueError(
        f"Column {label!r} has unsupported dtype {dtype}; use numeric, bool, "
        "string, object or category columns."
    )


def _numeric_values(values: Any, label: Any) -> np.ndarray:
    """Convert one column to a float64 array (NaN for missing); reject inf."""
    try:
        if isinstance(values, pd.Series):
            if pd.api.types.is_numeric_dtype(
                values.dtype
            ) and not pd.api.types.is_bool_dtype(values.dtype):
                out = values.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                out = pd.to_numeric(values, errors="raise").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
        else:
            out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Column {label!r} was numeric during fit but could not be converted "
            f"to numbers: {exc}"
        ) from exc
    out = np.array(out, dtype=np.float64, copy=True)
    if np.isinf(out).any():
        raise ValueError(
            f"Input X contains infinity in column {label!r}; only finite values "
            "and NaN (missing) are supported."
        )
    return out


def _category_keys(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return (missing mask, string keys of the non-missing values)."""
    obj = np.asarray(
        values.astype(object) if isinstance(values, pd.Series) else values,
        dtype=object,
    )
    missing = np.asarray(pd.isna(obj), dtype=bool)
    keys = np.array([str(v) for v in obj[~missing]], dtype=object)
    return missing, keys


def _category_codes(values: Any, categories: list) -> tuple[np.ndarray, np.ndarray]:
    """(missing mask, index in ``categories`` of each present value's key, -1 if
    unseen): what looking up :func:`_category_keys` gives, computed once per
    distinct value when every present value is a ``str`` (the usual case)."""
    lookup = {c: i for i, c in enumerate(categories)}
    obj = np.asarray(
        values.astype(object) if isinstance(values, pd.Series) else values,
        dtype=object,
    )
    missing = np.asarray(pd.isna(obj), dtype=bool)
    present = obj[~missing]
    if pd.api.types.infer_dtype(present, skipna=False) == "string":
        # str(v) is v for a str, and equal strings hash alike: one lookup per
        # distinct value gives the same codes as one per row.
        idx, distinct = pd.factorize(present)
        table = np.fromiter(
            (lookup.get(str(v), -1) for v in distinct),
            dtype=np.int64,
            count=len(distinct),
        )
        return missing, table[idx]
    keys = [str(v) for v in present]
    return missing, np.fromiter(
        (lookup.get(k, -1) for k in keys), dtype=np.int64, count=len(keys)
    )


def _ple_edges(x: np.ndarray, n_bins: int) -> list[float]:
    """Bin edges of the piecewise-linear encoding of one column's observed values.

    Quantile edges (duplicates dropped), or, when the column has at most
    ``n_bins + 1`` distinct values, the distinct values themselves, so that each
    observed value gets an exact thermometer code. An empty list (no encoding)
    when fewer than 2 bins would result: the standardised value already carries
    all the information of a constant or two-valued column.
    """
    distinct = np.unique(x)
    if len(distinct) <= n_bins + 1:
        edges = distinct
    else:
        edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1)))
    if len(edges) < 3:
        return []
    return [float(e) for e in edges]


def fit_column(
    values: Any, kind: str, label: Any, n_bins: int | None
) -> dict[str, Any]:
    if kind == "numeric":
        x = _numeric_values(values, label)
        missing = np.isnan(x)
        observed = x[~missing]
        if observed.size and np.abs(observed).max() >= MAX_MAGNITUDE:
            raise ValueError(
                f"Column {label!r} holds values as large as "
                f"{float(np.abs(observed).max()):g}: the network cannot learn from "
                f"numbers of size {MAX_MAGNITUDE:g} or more; rescale the column "
                "(e.g. take its logarithm) or drop it."
            )
        median = float(np.median(observed)) if observed.size else 0.0
        edges = _ple_edges(observed, n_bins) if n_bins and observed.size else []
        x[missing] = median
        mean = float(x.mean())
        scale = float(x.std())
        if not math.isfinite(scale) or scale <= 0.0:
            scale = 1.0
        if not math.isfinite(mean):
            mean = 0.0
        return {
            "name": str(label),
            "kind": "numeric",
            "median": median,
            "mean": mean,
            "scale": scale,
            "missing_indicator": bool(missing.any()),
            "edges": edges,
        }
    _, keys = _category_keys(values)
    categories = sorted(set(keys.tolist()))
    return {"name": str(label), "kind": "categorical", "categories": categories}


def n_outputs(state: dict[str, Any]) -> int:
    if state["kind"] == "numeric":
        n_bins = max(len(state.get("edges", [])) - 1, 0)
        return 1 + n_bins + int(state["missing_indicator"])
    return len(state["categories"]) + 1


def transform_column(values: Any, state: dict[str, Any], label: Any) -> np.ndarray:
    n = len(values)
    if state["kind"] == "numeric":
        x = _numeric_values(values, label)
        missing = np.isnan(x)
        x[missing] = state["median"]
        blocks = [((x - state["mean"]) / state["scale"])[:, None]]
        edges = state.get("edges", [])
        if len(edges) > 1:
            # Piecewise-linear encoding: for bin [lo, hi), clip((x - lo) / (hi - lo)).
            lo = np.asarray(edges[:-1], dtype=np.float64)
            width = np.diff(np.asarray(edges, dtype=np.float64))
            blocks.append(np.clip((x[:, None] - lo) / width, 0.0, 1.0))
        if state["missing_indicator"]:
            blocks.append(missing.astype(np.float64)[:, None])
        return np.hstack(blocks)
    categories = state["categories"]
    missing, codes_present = _category_codes(values, categories)
    codes = np.full(n, len(categories), dtype=np.int64)  # the "missing" level
    # Unseen categories get -1, i.e. an all-zero one-hot row.
    codes[~missing] = codes_present
    out = np.zeros((n, len(categories) + 1), dtype=np.float64)
    seen = codes >= 0
    out[np.flatnonzero(seen), codes[seen]] = 1.0
    return out
