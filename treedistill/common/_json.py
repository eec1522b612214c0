"""The JSON form of results: one cleaner for every file treedistill writes."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd

__all__ = ["SIGNIFICANT_DIGITS", "dumps", "plain", "scalar"]

#: Floats in report.json keep this many significant digits.
SIGNIFICANT_DIGITS = 6


def scalar(value):
    """A single value as the Python value users wrote (``2``, ``'yes'``), not ``np.int64(2)``.

    Missing values (``None``, NaN, ``pd.NA``, ``pd.NaT``) become ``None``.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plain(obj, *, digits: int | None = None):
    """``obj`` as plain JSON types.

    Mappings get string keys; numpy scalars and arrays become Python numbers and
    lists; sets are sorted; non-finite floats and missing values become ``None``;
    paths become strings; anything else unknown becomes ``str(obj)``. With
    ``digits``, floats are rounded to that many significant digits.
    """
    if isinstance(obj, Mapping):
        return {str(k): plain(v, digits=digits) for k, v in obj.items()}
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Integral):
        return int(obj)
    if isinstance(obj, Real):
        x = float(obj)
        if not math.isfinite(x):
            return None
        return float(f"{x:.{digits}g}") if digits else x
    if isinstance(obj, np.ndarray):
        return [plain(v, digits=digits) for v in obj.tolist()]
    if isinstance(obj, (set, frozenset)):
        return [plain(v, digits=digits) for v in sorted(obj, key=str)]
    if isinstance(obj, (list, tuple)):
        return [plain(v, digits=digits) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    return str(obj)


def dumps(obj, *, digits: int | None = None) -> str:
    """Deterministic JSON text (sorted keys, two-space indent, final newline)."""
    return (
        json.dumps(plain(obj, digits=digits), indent=2, sort_keys=True, allow_nan=False)
        + "\n"
    )
