"""Preparing data: from a table to features ``X``, labels ``y`` and a summary.

:func:`prepare_data` checks the target and every feature column, decides what is
kept, dropped or refused, and says why in a JSON-serialisable summary.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from treedistill.common._json import scalar
from treedistill.data._cleaning import (
    CLEANING_ATTR,
    MOSTLY_NUMERIC,
    clean_frame,
    grouped_number,
    merge_notes,
    thousands_separator,
)
from treedistill.data._schema import MAX_MAGNITUDE, is_categorical
from treedistill.exceptions import (
    DataError,
    DataWarning,
    IdentifierColumnWarning,
    IgnoredColumnWarning,
    ParameterError,
)

__all__ = [
    "HIGH_CARDINALITY",
    "MAX_LEVELS",
    "MAX_MAGNITUDE",
    "MIN_ROWS_PER_CLASS",
    "MOSTLY_NUMERIC",
    "prepare_data",
]

#: A categorical column with more distinct values than this is kept with a warning.
HIGH_CARDINALITY = 50
#: A text column with more distinct values than this is refused (one-hot width).
MAX_LEVELS = 200
#: Below this many rows per class on average (with 3 or more classes), the target
#: is refused unless ``many_classes=True``: it looks like a number to predict.
MIN_ROWS_PER_CLASS = 5

_ID_NAMES = re.compile(
    r"^(id|idx|index|row|rowid|row_id|row_number|record|record_id|uuid|key|mrn)$"
    r"|(^|[_\s.-])(id|uuid|mrn)$|^id[_\s.-]"
    r"|^(patient|record|subject|case|row|encounter|admission|visit)[_\s.-]?"
    r"(no|nr|num|number|id|code)$|(^|[_\s.-])(mrn|nhs[_\s.-]?number)([_\s.-]|$)",
    re.IGNORECASE,
)
_MIN_ID_ROWS = 20
_DATE = re.compile(
    r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def prepare_data(
    frame: pd.DataFrame,
    target: str,
    *,
    drop: Iterable[str] = (),
    source: str = "data",
    many_classes: bool = False,
    warn: bool = False,
    drop_identifiers: bool = True,
    keep: Iterable[str] = (),
) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """Split a table into features and labels, checking everything on the way.

    The table is cleaned as in :func:`~treedistill.read_table` (a no-op on what
    :func:`~treedistill.read_table` returns). Then, case by case:

    ===========================================  ===============================
    case                                         decision
    ===========================================  ===============================
    target column absent                         refused (close names suggested)
    target with one class (or none)              refused
    target of non-integer numbers                refused (not class labels)
    a class with a single row                    refused (at least 2 needed)
    ``drop`` names an absent column or target    refused
    3+ classes, fewer than 5 rows per class on   refused unless ``many_classes``
    average (:data:`MIN_ROWS_PER_CLASS`)
    text column of dates (``2021-03-04`` …)      refused (drop it or derive a
                                                 number)
    text column with > 200 distinct values       refused (:data:`MAX_LEVELS`)
    numbers of size >= 1e100                     refused (:data:`MAX_MAGNITUDE`)
    no feature column left                       refused
    numeric column with ``inf`` / ``-inf``       refused
    text column in which >= 90% of the present   refused, naming the first bad
    values are numbers (:data:`MOSTLY_NUMERIC`)  row and its value
    date/time column                             refused (convert or drop it)
    rows with a missing target                   dropped, counted, warned
    column with no value at all                  dropped, warned
    column named in ``drop``                     dropped
    constant column                              kept, warned
    column with missing values                   kept (the tree routes them);
                                                 one warning lists them all
    text column with > 50 levels                 kept, warned
    id-like column: all values distinct, and an  left out, warned, unless named
    id-like name (``id``, ``*_id``, ``MRN``,     in ``keep``; with
    ``record_no`` …), or >= 20 rows of           ``drop_identifiers=False`` kept,
    consecutive integers or of text              warned
    ===========================================  ===============================

    A ``category`` or bool column is text by the user's choice and is not
    checked for numbers.

    Rows are numbered from 1 in data order (the header is not a row), so row
    ``r`` of a CSV with a one-line header is usually on line ``r + 1``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, usually from :func:`~treedistill.read_table`.
    target : str
        Name of the label column.
    drop : iterable of str, default=()
        Columns not to use as features (identifiers, leaks …).
    source : str, default="data"
        How to name the table in messages (e.g. the file name).
    many_classes : bool, default=False
        Accept a target with 3 or more classes and fewer than
        :data:`MIN_ROWS_PER_CLASS` rows per class on average (refused by default:
        such a target is usually a number to predict).
    warn : bool, default=False
        Also issue each of the summary's warnings as a Python warning of its
        class: :class:`~treedistill.exceptions.IdentifierColumnWarning` for an
        id-like column, :class:`~treedistill.exceptions.IgnoredColumnWarning`
        for a column dropped as empty, :class:`~treedistill.exceptions.DataWarning`
        for the others.
    drop_identifiers : bool, default=True
        Leave id-like columns out of the features (with an
        :class:`~treedistill.exceptions.IdentifierColumnWarning` naming each,
        issued even without ``warn``), except those named in ``keep``, as
        :func:`~treedistill.run_distill` does. ``False`` keeps them, warned about.
    keep : iterable of str, default=()
        Id-like columns to keep as features (the same opt-in as a run's
        ``keep``).

    Returns
    -------
    X : pandas.DataFrame
        The feature columns, in table order, with a fresh ``RangeIndex``:
        numeric columns as int64/float64 (NaN where missing), categorical ones as
        ``object`` columns of ``str`` (NaN where missing).
    y : numpy.ndarray
        The labels of the rows kept: int64 for whole numbers, otherwise
        ``object`` strings (a bool or category column gives its values as text).
    summary : dict
        JSON-serialisable: ``source``, ``target``, ``rows_in``, ``rows_used``,
        ``rows_dropped``, ``rows_dropped_reasons`` (reason → count), ``classes``
        (list of ``{"label", "count"}``), ``features`` (names kept),
        ``columns`` (name → ``kind`` "numeric"/"categorical", ``n_missing``,
        ``missing_share``, ``n_levels`` for text, ``action``), ``cleaning``
        (whitespace stripped, missing tokens converted, text → numeric
        conversions, merged categories …) and ``warnings`` (one-line strings).

    Raises
    ------
    DataError
        In the refused cases above (``column`` names the column at fault).
    ParameterError
        When ``drop`` names the target or a column that is not in the table
        (``parameter="drop"``), or the target has too many classes for its rows
        (``parameter="many_classes"``).
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"{_where(source)} must be a pandas DataFrame, got {type(frame).__name__}"
        )
    where = _where(source)
    target = str(target).strip()  # column names are compared stripped
    drop = _check_names(frame, target, drop, where)
    # category and bool columns are categorical by the user's own choice
    explicit = {
        str(c).strip()
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(frame[c].dtype)
    }
    pre_notes = frame.attrs.get(CLEANING_ATTR, {}) if frame.attrs else {}
    cleaned, notes = clean_frame(frame, skip=drop)
    notes = merge_notes(pre_notes, notes)
    log = _Log()
    used, y, classes, counts, reasons = _target(cleaned, target, where, log)
    if not many_classes:
        _refuse_many_classes(target, len(classes), len(used))
    for name in notes["decimal_comma"]:
        log.add(
            f"column {name!r}: numbers written with a decimal comma read as numbers"
        )
    for name, merged in notes.get("categories_merged", {}).items():
        shown = "; ".join(
            " / ".join(repr(v) for v in variants) + f" -> {level!r}"
            for level, variants in list(merged.items())[:3]
        )
        log.add(
            f"column {name!r}: categories that differed only by surrounding spaces "
            f"merged ({shown})"
        )
    for name, example in notes.get("thousands_separators", {}).items():
        log.add(
            f"column {name!r}: numbers written with thousands separators (such as "
            f"{example!r}) read as numbers"
        )
    ids = (
        None
        if not drop_identifiers
        else {str(k).strip() for k in ([keep] if isinstance(keep, str) else keep)}
    )
    columns, features, dropped = _features(
        used, cleaned, target, drop, explicit, log, keep_ids=ids
    )
    if not features:
        raise DataError(
            f"no feature column left in {where} (target {target!r}, "
            f"{len(dropped)} dropped: {', '.join(repr(d) for d in dropped) or 'none'})"
        )
    X = used[features].copy()
    X.attrs = {}
    summary = {
        "source": str(source),
        "target": target,
        "rows_in": len(cleaned),
        "rows_used": len(used),
        "rows_dropped": len(cleaned) - len(used),
        "rows_dropped_reasons": reasons,
        "classes": [
            {"label": scalar(c), "count": int(n)}
            for c, n in zip(classes, counts, strict=True)
        ],
        "n_features": len(features),
        "features": features,
        "dropped_columns": dropped,
        "columns": columns,
        "cleaning": notes,
        "warnings": [text for text, _ in log.entries],
    }
    for text, category in log.entries:
        # A column left out is said even unasked: it never disappears silently.
        left_out = category is IdentifierColumnWarning and "left out" in text
        if warn or left_out:
            warnings.warn(text, category, stacklevel=2)
    return X, y, summary


class _Log:
    """The warnings of one :func:`prepare_data` call, each with its class."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, type[Warning]]] = []

    def add(self, text: str, category: type[Warning] = DataWarning) -> None:
        self.entries.append((text, category))


def _where(source: str) -> str:
    return "data" if source == "data" else repr(str(source))


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, options, n=3, cutoff=0.6)
    lowered = [o for o in options if o.lower() == name.lower() and o not in close]
    close = lowered + close
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close[:3]) + "?)"
    listed = ", ".join(repr(o) for o in options[:8])
    more = f" and {len(options) - 8} more" if len(options) > 8 else ""
    return f" (its columns: {listed}{more})"


def _check_names(
    frame: pd.DataFrame, target: str, drop: Iterable[str], where: str
) -> list[str]:
    """Check the column names, the target and ``drop``; return ``drop`` as a list."""
    names = [str(c).strip() for c in frame.columns]
    seen: set[str] = set()
    for name in names:
        if not name:
            raise DataError(f"{where} has a column with no name")
        if name in seen:
            raise DataError(f"{where} has two columns named {name!r}", column=name)
        seen.add(name)
    if target not in names:
        raise DataError(
            f"target column {target!r} is not in {where}{_suggest(target, names)}",
            column=target,
        )
    drop = [str(d).strip() for d in ([drop] if isinstance(drop, str) else drop)]
    for d in drop:
        if d == target:
            raise ParameterError(
                f"drop names the target column {target!r}", parameter="drop"
            )
        if d not in names:
            raise ParameterError(
                f"drop column {d!r} is not in {where}{_suggest(d, names)}",
                parameter="drop",
            )
    return drop


def _target(cleaned: pd.DataFrame, target: str, where: str, log: _Log):
    """The rows with a label, the labels, their classes and counts, drop reasons."""
    y_series = cleaned[target]
    if pd.api.types.is_datetime64_any_dtype(y_series.dtype):
        raise DataError(
            f"target column {target!r} holds dates, not class labels", column=target
        )
    y_missing = y_series.isna().to_numpy()
    n_missing_y = int(y_missing.sum())
    rows_in = len(cleaned)
    reasons: dict[str, int] = {}
    if n_missing_y:
        reasons["missing target"] = n_missing_y
        if n_missing_y == rows_in:
            raise DataError(
                f"target column {target!r} in {where} has no values", column=target
            )
        log.add(
            f"{n_missing_y} of {rows_in} rows dropped: target {target!r} is missing"
        )
    used = cleaned.loc[~y_missing].reset_index(drop=True)
    y = _labels(used[target], target)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise DataError(
            f"target column {target!r} has only one class ({scalar(classes[0])!r}); "
            "at least 2 are needed",
            column=target,
        )
    for cls, cnt in zip(classes, counts, strict=True):
        if cnt < 2:
            raise DataError(
                f"class {scalar(cls)!r} of target {target!r} has only 1 row; "
                "at least 2 are needed",
                column=target,
            )
    return used, y, classes, counts, reasons


def _labels(series: pd.Series, target: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
        if np.isinf(values).any():
            raise DataError(
                f"target column {target!r} has infinite values", column=target
            )
        if not np.all(values == np.round(values)):
            example = scalar(values[values != np.round(values)][0])
            raise DataError(
                f"target column {target!r} holds non-integer numbers (e.g. "
                f"{example!r}); a classification target needs class labels",
                column=target,
            )
        return values.astype(np.int64)
    return np.array([str(v) for v in series.to_numpy(dtype=object)], dtype=object)


def _features(
    used: pd.DataFrame,
    cleaned: pd.DataFrame,
    target: str,
    drop: list[str],
    explicit: set[str],
    log: _Log,
    keep_ids: set[str] | None = None,
):
    """Judge every column: (column entries, feature names, dropped columns).

    With ``keep_ids`` (a set), id-like columns not in it are left out.
    """
    columns: dict[str, dict[str, Any]] = {}
    features: list[str] = []
    dropped: dict[str, str] = {}
    with_missing: list[tuple[str, float]] = []
    for name in used.columns:
        s = used[name]
        if name == target:
            columns[name] = _column_entry(s, "target")
            continue
        if name in drop:
            columns[name] = _column_entry(s, "dropped: named in drop")
            dropped[name] = "named in drop"
            continue
        if pd.api.types.is_datetime64_any_dtype(
            s.dtype
        ) or pd.api.types.is_timedelta64_dtype(s.dtype):
            raise DataError(
                f"column {name!r} holds dates or times, which a tree cannot split "
                "on; convert it to a number (e.g. days) or drop it",
                column=name,
            )
        if int(s.isna().sum()) == len(used):
            columns[name] = _column_entry(s, "dropped: all values missing")
            dropped[name] = "all values missing"
            log.add(
                f"column {name!r} dropped: all values are missing", IgnoredColumnWarning
            )
            continue
        # judged on every row of the table, so row numbers are the file's
        leave_id = keep_ids is not None and name not in keep_ids
        columns[name] = _judge_feature(
            name, s, cleaned[name], explicit, log, leave_id=leave_id
        )
        if columns[name]["action"].startswith("dropped"):
            dropped[name] = columns[name]["action"].removeprefix("dropped: ")
            continue
        if columns[name]["n_missing"]:
            with_missing.append((name, columns[name]["n_missing"] / len(used)))
        features.append(name)
    if with_missing:
        with_missing.sort(key=lambda t: (-t[1], t[0]))
        shown = ", ".join(f"{n} {100 * share:.1f}%" for n, share in with_missing[:6])
        more = f" and {len(with_missing) - 6} more" if len(with_missing) > 6 else ""
        log.add(
            f"{len(with_missing)} feature column(s) have missing values (kept; the "
            f"tree routes them): {shown}{more}"
        )
    return columns, features, dropped


def _judge_feature(
    name: str,
    s: pd.Series,
    full: pd.Series,
    explicit: set[str],
    log: _Log,
    *,
    leave_id: bool = False,
) -> dict[str, Any]:
    """Refuse a feature column or note what it is; return its summary entry."""
    categorical = is_categorical(s)
    if categorical and name not in explicit:
        _refuse_dates(name, full)
        _refuse_mostly_numeric(name, full)
    elif not categorical:
        _refuse_non_finite(name, full)
    kind = "categorical" if categorical else "numeric"
    n_distinct = int(s.nunique(dropna=True))
    if leave_id and n_distinct > 1 and _looks_like_id(name, s, kind):
        log.add(
            f"column {name!r} looks like a record identifier (every value differs); "
            f"it is left out of the features: keep=[{name!r}] uses it",
            IdentifierColumnWarning,
        )
        return _column_entry(s, "dropped: looks like an identifier", kind=kind)
    if categorical and n_distinct > MAX_LEVELS:
        raise DataError(
            f"column {name!r} is text with {n_distinct} distinct values (more than "
            f"{MAX_LEVELS}): each would become its own 0/1 feature; drop it, or "
            "group its values into fewer categories",
            column=name,
        )
    if categorical:
        _note_case_variants(name, s, log)
    label = ""
    if n_distinct == 1:
        label = "constant"
        log.add(
            f"column {name!r} has a single value ({scalar(s.dropna().iloc[0])!r}): "
            "it cannot split the data (kept)"
        )
    elif _looks_like_id(name, s, kind):
        label = "looks like an identifier"
        log.add(
            f"column {name!r} looks like a row identifier (every value differs); "
            "it is kept as a feature: drop it if it is not one",
            IdentifierColumnWarning,
        )
    elif categorical and n_distinct > HIGH_CARDINALITY:
        label = f"high cardinality ({n_distinct} levels)"
        log.add(
            f"column {name!r} is text with {n_distinct} distinct values (more than "
            f"{HIGH_CARDINALITY}); each becomes its own 0/1 feature (kept)"
        )
    action = "kept" + (f": {label}" if label else "")
    if s.isna().any():
        action += " (missing values routed by the tree)"
    return _column_entry(s, action, kind=kind)


def _looks_like_id(name: str, series: pd.Series, kind: str) -> bool:
    present = series.dropna()
    if len(present) < 2 or not present.is_unique:
        return False
    if _ID_NAMES.search(name):
        return True
    if len(present) < _MIN_ID_ROWS:
        return False
    if kind == "categorical":
        return True
    values = present.to_numpy(dtype=np.float64)
    if not np.all(values == np.round(values)):
        return False
    ordered = np.sort(values)
    return bool(np.all(np.diff(ordered) == 1))


def _note_case_variants(name: str, s: pd.Series, log: _Log) -> None:
    """Warn when categories differ only by letter case (kept as separate levels)."""
    groups: dict[str, list[str]] = {}
    for level in sorted({str(v) for v in s.dropna()}):
        groups.setdefault(level.casefold(), []).append(level)
    variants = [levels for levels in groups.values() if len(levels) > 1]
    if not variants:
        return
    shown = "; ".join(" / ".join(repr(v) for v in levels) for levels in variants[:3])
    more = f" and {len(variants) - 3} more" if len(variants) > 3 else ""
    log.add(
        f"column {name!r} has categories that differ only by letter case "
        f"({shown}{more}); they are kept as separate levels: write each one "
        "way to merge them"
    )


def _first_text_cell(series: pd.Series) -> tuple[int, str, int, int]:
    """For a text column: (position, value) of its first non-number, and counts."""
    values = series.to_numpy(dtype=object)
    present = ~pd.isna(values)
    parsed = pd.to_numeric(pd.Series(values[present], dtype=object), errors="coerce")
    # a number with thousands separators is a number, not text, here
    bad = parsed.isna().to_numpy() & ~np.array(
        [grouped_number(str(v).strip()) for v in values[present]], dtype=bool
    )
    positions = np.flatnonzero(present)
    first = int(positions[np.flatnonzero(bad)[0]]) if bad.any() else -1
    return (
        first,
        (str(values[first]) if first >= 0 else ""),
        int(bad.sum()),
        int(present.sum()),
    )


def _refuse_many_classes(target: str, n_classes: int, n_rows: int) -> None:
    """Refuse a target with too few rows per class (unless opted in)."""
    if n_classes >= 3 and n_rows < MIN_ROWS_PER_CLASS * n_classes:
        raise ParameterError(
            f"target column {target!r} has {n_classes} classes for {n_rows} rows "
            f"({n_rows / n_classes:.1f} per class): it looks like a number to "
            f"predict, not class labels; set many_classes to distil "
            f"{n_classes} classes anyway",
            parameter="many_classes",
        )


def _refuse_dates(name: str, series: pd.Series) -> None:
    """Refuse a text column whose values are mostly dates or date-times."""
    present = series.dropna().astype(str)
    if not len(present):
        return
    dates = present.str.match(_DATE)
    if dates.mean() >= MOSTLY_NUMERIC:
        raise DataError(
            f"column {name!r} holds dates (e.g. {present[dates].iloc[0]!r}), which "
            "a tree cannot split on; drop it, or derive a number from it (such as "
            "an age or the days since an event)",
            column=name,
        )


def _refuse_mostly_numeric(name: str, series: pd.Series) -> None:
    """Refuse a text column whose present values are mostly numbers."""
    first, value, n_bad, n_present = _first_text_cell(series)
    if n_present and not n_bad:  # numbers, but not all written one way
        cells = [str(v).strip() for v in series.dropna()]
        grouped = [v for v in cells if grouped_number(v)]
        other = next(
            (v for v in cells if thousands_separator([grouped[0], v]) is None),
            cells[-1],
        )
        raise DataError(
            f"column {name!r} holds numbers written in different ways, such as "
            f"{grouped[0]!r} and {other!r}; write them all with the same "
            "thousands and decimal marks (or none)",
            column=name,
        )
    if n_bad and (n_present - n_bad) / n_present >= MOSTLY_NUMERIC:
        raise DataError(
            f"column {name!r} is numeric but row {first + 1} holds {value!r} "
            f"({n_bad} of {n_present} values are not numbers; fix or blank them, "
            "or drop the column)",
            column=name,
        )


def _refuse_non_finite(name: str, series: pd.Series) -> None:
    """Refuse a numeric column with infinities (or of an unusable dtype)."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        raise DataError(
            f"column {name!r} has values of type {series.dtype} that are neither "
            "numbers nor text",
            column=name,
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        raise DataError(
            f"column {name!r} has infinite values (first at row "
            f"{int(np.flatnonzero(inf)[0]) + 1})",
            column=name,
        )
    huge = np.abs(values) >= MAX_MAGNITUDE
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"column {name!r} has values too large to learn from (row {first + 1} "
            f"holds {scalar(values[first])!r}; at most {MAX_MAGNITUDE:g} in size); "
            "rescale the column (e.g. take its logarithm) or drop it",
            column=name,
        )


def _column_entry(series: pd.Series, action: str, *, kind: str | None = None) -> dict:
    n = len(series)
    n_miss = int(series.isna().sum())
    if kind is None:
        kind = "categorical" if is_categorical(series) else "numeric"
    entry: dict[str, Any] = {
        "kind": kind,
        "n_missing": n_miss,
        "missing_share": round(n_miss / n, 6) if n else 0.0,
        "action": action,
    }
    if kind == "categorical":
        entry["n_levels"] = int(series.nunique(dropna=True))
    return entry
