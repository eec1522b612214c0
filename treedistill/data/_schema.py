"""Feature schema: column kinds, the student's numeric encoding, input checks.

The schema is learned from the training frame. It records, for each column, whether
it is numeric (``"float"`` or ``"integer"``) or categorical (with its levels), its
observed range and whether it had missing values. It turns frames into the numeric
matrix that the tree students split on: numeric columns stay in their original units
(no scaling) and each categorical column becomes one 0/1 column per level, NaN where
the value is missing, so a split reads as ``smoker is current``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from treedistill.data._booleans import boolean_levels, boolean_values
from treedistill.exceptions import UnseenCategoryWarning

__all__ = ["MAX_MAGNITUDE", "ColumnInfo", "TabularSchema", "as_frame", "is_categorical"]

#: Numbers of at least this size cannot be standardised safely (their squares
#: overflow float64 well before 1e308).
MAX_MAGNITUDE = 1e100

_CATEGORICAL_KINDS = ("O", "U", "S", "b")


def is_categorical(series: pd.Series) -> bool:
    """Whether a column is categorical: text, ``category``, bool (the one test used everywhere)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_string_dtype(dtype):
        return True
    return getattr(dtype, "kind", "O") in _CATEGORICAL_KINDS


def as_frame(X, feature_names=None) -> pd.DataFrame:
    """Return ``X`` as a DataFrame (a copy is not made for frames).

    Arrays get the column names ``feature_names`` or ``x0 … x{d-1}``.
    """
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got an array of shape {arr.shape}")
    names = (
        list(feature_names)
        if feature_names is not None
        else [f"x{i}" for i in range(arr.shape[1])]
    )
    return pd.DataFrame(arr, columns=names)


@dataclass
class ColumnInfo:
    """What the schema knows about one input column."""

    name: str
    kind: str  # "float", "integer" or "categorical"
    levels: list = field(default_factory=list)
    frequencies: list = field(default_factory=list)
    low: float = float("nan")
    high: float = float("nan")
    has_missing: bool = False
    missing_rate: float = 0.0
    true_level: object = None  # set for a two-valued (boolean) column

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"

    @property
    def is_boolean(self) -> bool:
        """A two-valued column; ``levels`` are the two values, ``true_level`` the
        "yes". Numeric ones stay one 0/1 column, text/bool ones one column per
        level; a value that is neither level is scored as missing."""
        return self.true_level is not None


@dataclass
class EncodedFeature:
    """One column of the student's numeric matrix."""

    name: str
    column: str
    level: object = None  # the category this 0/1 column stands for, if any

    @property
    def is_indicator(self) -> bool:
        return self.level is not None


class TabularSchema:
    """Column kinds and encodings learned from a training frame.

    Parameters
    ----------
    columns : list of ColumnInfo
    """

    def __init__(self, columns: list[ColumnInfo]):
        self.columns = columns
        self.features: list[EncodedFeature] = []
        for col in columns:
            if col.is_categorical:
                for level in col.levels:
                    self.features.append(
                        EncodedFeature(f"{col.name}={level}", col.name, level)
                    )
            else:
                self.features.append(EncodedFeature(col.name, col.name))

    # ------------------------------------------------------------------ building
    @classmethod
    def infer(
        cls, X: pd.DataFrame, *, categorical_features=(), booleans: bool = False
    ) -> TabularSchema:
        """Learn the schema of a training frame.

        ``categorical_features`` names columns to treat as categories whatever
        their dtype (coded columns such as ``thal``); with ``booleans=True``, other
        two-valued columns become booleans (see ``treedistill.data._booleans``).
        """
        declared = {str(c) for c in categorical_features}
        columns = []
        for name in X.columns:
            s = X[name]
            missing = s.isna().to_numpy()
            info = ColumnInfo(
                name=str(name),
                kind="float",
                has_missing=bool(missing.any()),
                missing_rate=float(missing.mean()) if len(s) else 0.0,
            )
            if str(name) in declared or is_categorical(s):
                info.kind = "categorical"
                present = s[~missing]
                if isinstance(s.dtype, pd.CategoricalDtype):
                    counts = present.value_counts(sort=False)
                    counts = counts[counts > 0]
                    levels = [c for c in s.cat.categories if c in counts.index]
                    counts = counts.reindex(levels)
                else:
                    counts = present.value_counts(sort=False)
                    coded = str(name) in declared
                    levels = sorted(counts.index, key=_level_key if coded else str)
                    counts = counts.reindex(levels)
                    if coded:
                        levels = [_whole(v) for v in levels]
                info.levels = list(levels)
                pair = boolean_levels(info.levels) if booleans else None
                if pair is not None and str(name) not in declared:
                    info.true_level = pair[1]
                total = float(counts.sum())
                info.frequencies = (
                    (counts.to_numpy(dtype=float) / total).tolist() if total else []
                )
            else:
                values = _numeric_values(s, str(name))
                finite = values[~np.isnan(values)]
                if finite.size:
                    info.low = float(finite.min())
                    info.high = float(finite.max())
                    if pd.api.types.is_integer_dtype(s.dtype) or np.all(
                        finite == np.round(finite)
                    ):
                        info.kind = "integer"
                    if booleans and set(np.unique(finite).tolist()) == {0.0, 1.0}:
                        info.levels, info.true_level = [0, 1], 1
            columns.append(info)
        return cls(columns)

    # ----------------------------------------------------------------- accessors
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def feature_names_out(self) -> list[str]:
        return [f.name for f in self.features]

    def column(self, name: str) -> ColumnInfo:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    # ------------------------------------------------------------------ checking
    def conform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Check that ``X`` has the training columns and put them in order.

        Extra columns are ignored; a missing column raises ``ValueError``.
        """
        have = [str(c) for c in X.columns]
        missing = [n for n in self.names if n not in have]
        if missing:
            raise ValueError(
                f"column {missing[0]!r} is missing from the data "
                f"({len(missing)} of the training columns are absent)"
            )
        if have == self.names:
            return X
        renamed = X.copy(deep=False)
        renamed.columns = have
        return renamed[self.names]

    # ------------------------------------------------------------------ encoding
    def encode(
        self,
        X: pd.DataFrame,
        *,
        warn_unseen: bool = True,
        codes: dict | None = None,
        order: str = "C",
    ) -> np.ndarray:
        """Return the float matrix the students split on (original units).

        ``codes`` (from :func:`~treedistill.data._cleaning.clean_input_frame`,
        which cleaned ``X``) gives text columns as distinct values and their
        positions, so each distinct value is compared with the levels once.
        ``order="F"`` lays the matrix out column by column (the same values,
        quicker to fill and to read a column at a time, as a tree does).
        """
        X = self.conform(X)
        n = len(X)
        out = np.empty((n, len(self.features)), dtype=np.float64, order=order)
        j = 0
        for col in self.columns:
            s = X[col.name]
            if col.is_boolean and not col.is_categorical:
                out[:, j] = boolean_values(
                    s, col.name, col.levels, col.true_level, warn_unseen=warn_unseen
                )
                j += 1
            elif col.is_categorical:
                k = len(col.levels)
                n_unseen, unseen_values = _encode_levels(
                    s, col, out[:, j : j + k], (codes or {}).get(col.name)
                )
                j += k
                if warn_unseen and n_unseen:
                    examples = sorted({str(v) for v in unseen_values})[:3]
                    warnings.warn(
                        f"column {col.name!r} has {n_unseen} value(s) not seen "
                        f"in training (e.g. {', '.join(examples)}); they match no "
                        + (
                            "category"
                            if not col.is_boolean
                            else "value: scored as missing"
                        ),
                        UnseenCategoryWarning,
                        stacklevel=2,
                    )
            else:
                out[:, j] = _numeric_values(s, col.name)
                j += 1
        return out


def _encode_levels(s: pd.Series, col: ColumnInfo, block: np.ndarray, given=None):
    """Write a categorical column's 0/1 columns (NaN where missing) into
    ``block``; return the number of values matching no level and those values.

    Each distinct value is compared with the levels once, and the result spread
    over the rows, where hashing cannot merge values that compare differently
    (texts, whole numbers, booleans); other columns are compared row by row.
    ``given`` is ``(codes, distinct)`` of the column when already known.
    """
    if given is not None:
        codes, distinct = given
    else:
        codes, distinct = pd.factorize(s)
        codes = np.asarray(codes, dtype=np.intp)
        distinct = np.asarray(distinct, dtype=object)
    if s.dtype.kind in "iub" or all(isinstance(v, str) for v in distinct):
        hits = np.zeros((len(distinct), len(col.levels)), dtype=bool)
        for i, level in enumerate(col.levels):
            hits[:, i] = _equal(distinct, level)
        unseen = ~hits.any(axis=1)
        # one row per distinct value, the last for missing cells (codes -1)
        values = np.vstack([hits, np.zeros((1, len(col.levels)), bool)]).astype(
            np.float64
        )
        values[-1] = np.nan
        if col.is_boolean:  # neither of the two values: scored as missing
            values[np.flatnonzero(unseen)] = np.nan
        for i in range(len(col.levels)):
            block[:, i] = values[:, i][codes]
        counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
        return int(counts[unseen].sum()), distinct[unseen]
    missing = s.isna().to_numpy()
    values = s.to_numpy(dtype=object, na_value=np.nan)
    known = np.zeros(len(s), dtype=bool)
    for i, level in enumerate(col.levels):
        hit = _equal(values, level)
        known |= hit
        block[:, i] = hit
        block[missing, i] = np.nan
    unseen = ~known & ~missing
    if col.is_boolean:  # neither of the two values: scored as missing
        block[unseen] = np.nan
    return int(unseen.sum()), values[unseen]


def _level_key(v):
    """Sort numbers as numbers (2 before 10), then everything else as text."""
    if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def _whole(v):
    """A level as users wrote it: ``3`` rather than ``3.0`` or ``np.int64(3)``."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _equal(values: np.ndarray, level) -> np.ndarray:
    try:
        hit = values == level
        if not (isinstance(hit, np.ndarray) and hit.dtype == bool):
            hit = np.array([v == level for v in values], dtype=bool)
    except (TypeError, ValueError):  # pragma: no cover - exotic objects
        hit = np.array([v == level for v in values], dtype=bool)
    if _is_number(level) and values.dtype == object:
        # a coded level (thal 7) given as text ("7", "7.0") is the same level
        text = np.flatnonzero(np.array([isinstance(v, str) for v in values], bool))
        for i in text:
            hit[i] = _text_number(values[i]) == level
    return hit


def _is_number(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    return isinstance(v, (int, float, np.number))


def _text_number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _numeric_values(s: pd.Series, name: str) -> np.ndarray:
    """Column as float64 with NaN for missing; infinities and text are refused."""
    try:
        values = pd.to_numeric(s, errors="raise").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"column {name!r} must be numeric; it holds a value that is not a number "
            f"({exc})"
        ) from None
    if np.isinf(values).any():
        raise ValueError(f"column {name!r} contains infinite values")
    return np.array(values, dtype=np.float64, copy=True)
