"""Cleaning table cells: stray whitespace, missing-value markers, numbers stored as text.

:func:`clean_frame` applies the rules :func:`~treedistill.read_table` documents and
returns notes of what it changed, which :func:`~treedistill.prepare_data` reports.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from treedistill.data._schema import is_categorical
from treedistill.exceptions import DataError, DataWarning

__all__ = [
    "CLEANING_ATTR",
    "input_copy",
    "MISSING_TOKENS",
    "MOSTLY_NUMERIC",
    "clean_frame",
    "clean_input_frame",
    "grouped_number",
    "thousands_separator",
    "merge_notes",
]

#: Text cells that count as missing once stripped of surrounding whitespace
#: (matched exactly, so a category such as ``none`` is left alone).
MISSING_TOKENS = frozenset(
    {"", "?", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "null", "NULL", "None"}
)
#: A text column in which at least this share of the values are numbers is taken
#: to be a numeric column with bad cells.
MOSTLY_NUMERIC = 0.9
#: Where :func:`~treedistill.read_table` keeps its cleaning notes in ``frame.attrs``.
CLEANING_ATTR = "treedistill.cleaning"
#: pandas 3 copies on write: a shallow copy can never change the caller's frame.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3},\d{3}$")
#: Numbers with thousands separators: ``1,234.5`` / ``1,234,567`` (comma groups,
#: decimal point) and ``1.234,5`` / ``1.234.567`` (point groups, decimal comma),
#: each with the plain numbers the same column may hold besides.
_GROUPED = {
    ",": (
        re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"),
        re.compile(r"^[+-]?\d+(\.\d+)?$"),
    ),
    ".": (
        re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"),
        re.compile(r"^[+-]?\d+(,\d+)?$"),
    ),
}


def input_copy(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a caller's frame that may be changed without touching theirs
    (shallow where pandas copies on write, so no cell is copied)."""
    return frame.copy(deep=not _COPY_ON_WRITE)


def _empty_notes() -> dict[str, Any]:
    return {
        "column_names_stripped": [],
        "whitespace_stripped": 0,
        "missing_tokens": {},
        "text_to_numeric": [],
        "decimal_comma": [],
        "thousands_separators": {},
        "categories_merged": {},
        "by_column": {},
    }


def merge_notes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The cleaning notes of two passes over the same table, combined."""
    out = _empty_notes()
    for notes in (a, b):
        out["column_names_stripped"] += [
            c
            for c in notes.get("column_names_stripped", [])
            if c not in out["column_names_stripped"]
        ]
        out["whitespace_stripped"] += int(notes.get("whitespace_stripped", 0))
        for tok, n in notes.get("missing_tokens", {}).items():
            out["missing_tokens"][tok] = out["missing_tokens"].get(tok, 0) + int(n)
        for key in ("text_to_numeric", "decimal_comma"):
            out[key] += [c for c in notes.get(key, []) if c not in out[key]]
        out["thousands_separators"].update(notes.get("thousands_separators", {}))
        out["categories_merged"].update(notes.get("categories_merged", {}))
        for col, d in notes.get("by_column", {}).items():
            mine = out["by_column"].setdefault(col, {})
            for k, v in d.items():
                mine[k] = mine.get(k, 0) + v
    return out


def _clean_series(
    series: pd.Series, name: str, *, from_csv: bool, decimal_comma: bool | str
) -> tuple[pd.Series, dict[str, Any]]:
    """Clean one column; see :func:`~treedistill.read_table` for the rules."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        # an explicit category (or bool) column stays categorical, as text
        values = series.astype(object).to_numpy()
        out = np.array([np.nan if pd.isna(v) else str(v) for v in values], dtype=object)
        return pd.Series(out, index=series.index, name=series.name, dtype=object), {}
    if not is_categorical(series):
        if pd.api.types.is_extension_array_dtype(
            dtype
        ) and pd.api.types.is_numeric_dtype(dtype):
            has_na = bool(series.isna().any())
            if pd.api.types.is_integer_dtype(dtype) and not has_na:
                return series.astype(np.int64), {}
            return series.astype(np.float64), {}
        return series, {}
    return _clean_text(series, name, from_csv=from_csv, decimal_comma=decimal_comma)


def text_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (codes, distinct cells): ``cells[codes]`` is the column.

    Each present cell is taken as text (``str(v)`` for a cell that is not a
    string); the distinct texts come in the order they first appear and a
    missing cell has the code ``-1``. Work on the distinct texts, then spread
    the result with ``np.append(result, missing_value)[codes]``.
    """
    codes, uniques = pd.factorize(series)
    cells = np.asarray(uniques, dtype=object)
    if all(isinstance(v, str) for v in cells):
        return np.asarray(codes, dtype=np.intp), cells
    # not all text: hashing would merge 1, 1.0 and True, whose texts differ
    values = series.to_numpy(dtype=object, na_value=None)
    missing = pd.isna(values)
    text = np.full(len(values), None, dtype=object)
    text[~missing] = [v if isinstance(v, str) else str(v) for v in values[~missing]]
    codes, uniques = pd.factorize(text)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)


def thousands_separator(cells: Any) -> str | None:
    """The thousands separator every cell is written with (``","`` or ``"."``).

    ``None`` unless each cell is a number written with that separator
    (``1,234.5`` or ``1.234,5``) or a plain number, and at least one cell shows
    beyond doubt that the separator groups thousands: it holds both marks
    (``1,234.5``) or the separator twice (``1.234.567``). ``1,234`` or
    ``1.234`` alone could be decimals and are not read here.
    """
    for sep, (grouped, plain) in _GROUPED.items():
        other = "." if sep == "," else ","
        if not all(grouped.match(v) or plain.match(v) for v in cells):
            continue
        if any(grouped.match(v) and (other in v or v.count(sep) > 1) for v in cells):
            return sep
    return None


def grouped_number(cell: str) -> bool:
    """Whether one cell is a number written with thousands separators."""
    return any(grouped.match(cell) for grouped, _ in _GROUPED.values())


def _parse_grouped(kept: np.ndarray) -> tuple[Any, str | None]:
    """The cells as numbers when all are written with one thousands separator."""
    sep = thousands_separator(kept)
    if sep is None:
        return None, None
    other = "." if sep == "," else ","
    plain = [v.replace(sep, "").replace(other, ".") for v in kept]
    parsed = pd.to_numeric(pd.Series(plain, dtype=object), errors="coerce")
    if not parsed.notna().all():  # pragma: no cover - the patterns are numbers
        return None, None
    example = next(v for v in kept if sep in v and (other in v or v.count(sep) > 1))
    return parsed.to_numpy(), example


def _parse_numbers(
    kept: np.ndarray, decimal_comma: bool | str, name: str
) -> tuple[Any, bool | str]:
    """The cells as numbers (or None when one is not) and how commas were read.

    The second value is ``True`` when decimal commas were read, a cell such as
    ``"1,234.5"`` when thousands separators were, else ``False``. With
    ``decimal_comma="unambiguous"`` (a comma- or tab-separated file), commas
    are read as decimal commas unless every one of them could also separate
    thousands (``"1,234"``): such a column is refused rather than guessed.
    """
    if not kept.size:
        return None, False
    parsed = pd.to_numeric(pd.Series(kept, dtype=object), errors="coerce")
    if parsed.notna().all():
        return parsed.to_numpy(), False
    grouped, example = _parse_grouped(kept)
    if grouped is not None:
        return grouped, example
    if decimal_comma and not any("." in v for v in kept):
        swapped = [v.replace(",", ".") if _DECIMAL_COMMA.match(v) else v for v in kept]
        parsed = pd.to_numeric(pd.Series(swapped, dtype=object), errors="coerce")
        if parsed.notna().all():
            commas = [v for v in kept if "," in v]
            if decimal_comma == "unambiguous" and all(
                _THOUSANDS.match(v) for v in commas
            ):
                raise DataError(
                    f"column {name!r} holds numbers such as {commas[0]!r} whose "
                    "comma may mark thousands or decimals; write them without it "
                    "(1234 or 1.234)",
                    column=name,
                )
            return parsed.to_numpy(), True
    return None, False


def _merged_variants(raw: np.ndarray, kept: np.ndarray) -> dict[str, list[str]]:
    """Categories that differed only by surrounding whitespace: level -> variants."""
    variants: dict[str, set[str]] = {}
    for r, s in zip(raw, kept, strict=True):
        variants.setdefault(s, set()).add(r)
    return {level: sorted(vs) for level, vs in sorted(variants.items()) if len(vs) > 1}


def _clean_text(
    series: pd.Series,
    name: str,
    *,
    from_csv: bool,
    decimal_comma: bool | str,
    numbers: bool = True,
    text_codes_out: dict | None = None,
) -> tuple[pd.Series, dict[str, Any]]:
    """Clean a text column: strip, turn missing markers into NaN, read numbers.

    With ``numbers=False`` the column stays text whatever its values. A column
    that stays text is ``kept[where]`` (NaN where ``where`` is -1); with a dict
    ``text_codes_out``, ``text_codes_out[name] = (where, kept)`` is set for it.
    """
    info: dict[str, Any] = {}
    # every step works on the distinct cells, then is spread over the rows
    codes, raw = text_codes(series)
    counts = np.bincount(codes[codes >= 0], minlength=len(raw))
    stripped = np.array([v.strip() for v in raw], dtype=object)
    changed = np.array([r != t for r, t in zip(raw, stripped, strict=True)], bool)
    n_changed = int(counts[changed].sum())
    if n_changed:
        info["whitespace_stripped"] = n_changed
    tokens = np.array([v in MISSING_TOKENS for v in stripped], dtype=bool)
    token_counts: dict[str, int] = {}
    if tokens.any():
        found: dict[str, int] = {}
        for v, c in zip(stripped[tokens], counts[tokens], strict=True):
            found[v] = found.get(v, 0) + int(c)
        token_counts = {k: found[k] for k in sorted(found) if k != ""}
        if token_counts:
            info["missing_tokens"] = token_counts

    # the kept texts, distinct and in the order they first appear
    kept_index: dict[str, int] = {}
    to_kept = np.full(len(raw) + 1, -1, dtype=np.intp)  # last: missing cells
    for i in np.flatnonzero(~tokens):
        to_kept[i] = kept_index.setdefault(stripped[i], len(kept_index))
    kept = np.array(list(kept_index), dtype=object)
    where = to_kept[codes]  # each row's kept text, -1 where missing
    present = where >= 0
    numeric, comma = (
        _parse_numbers(kept, decimal_comma, name) if numbers else (None, False)
    )
    if comma is True:
        info["decimal_comma"] = True
    elif comma:
        info["thousands_separators"] = comma
    if numeric is not None:
        if numeric.dtype.kind not in "iuf":  # mixed: floats
            numeric = numeric.astype(np.float64)
        # whole numbers written as such ("7", not "7.0"), none missing: int64
        if present.all() and numeric.dtype.kind == "i":
            out = numeric.astype(np.int64)[where]
        else:
            out = np.append(numeric.astype(np.float64), np.nan)[where]
        if n_changed or token_counts or comma or not from_csv:
            info["text_to_numeric"] = True
        return pd.Series(out, index=series.index, name=series.name), info

    out = np.append(kept, np.nan)[where]
    if text_codes_out is not None:
        text_codes_out[name] = (where, kept)
    if n_changed:
        merged = _merged_variants(raw[~tokens], stripped[~tokens])
        if merged:
            info["categories_merged"] = merged
    return pd.Series(out, index=series.index, name=series.name, dtype=object), info


def clean_frame(
    frame: pd.DataFrame,
    *,
    from_csv: bool = False,
    decimal_comma: bool | str = False,
    skip: Iterable[str] = (),
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Clean every column of ``frame`` (those in ``skip`` are passed through).

    Returns the cleaned frame (column names stripped) and the notes of what changed.
    """
    notes = _empty_notes()
    skip = set(skip)
    columns = {}
    for raw_name in frame.columns:
        name = str(raw_name).strip()
        if name != str(raw_name):
            notes["column_names_stripped"].append(name)
        s = frame[raw_name]
        if name in skip:
            columns[name] = s
            continue
        cleaned, info = _clean_series(
            s, name, from_csv=from_csv, decimal_comma=decimal_comma
        )
        columns[name] = cleaned
        if not info:
            continue
        by_col: dict[str, int] = {}
        if "whitespace_stripped" in info:
            notes["whitespace_stripped"] += info["whitespace_stripped"]
            by_col["whitespace_stripped"] = info["whitespace_stripped"]
        for tok, n in info.get("missing_tokens", {}).items():
            notes["missing_tokens"][tok] = notes["missing_tokens"].get(tok, 0) + n
            by_col["missing_tokens"] = by_col.get("missing_tokens", 0) + n
        if info.get("text_to_numeric"):
            notes["text_to_numeric"].append(name)
        if info.get("decimal_comma"):
            notes["decimal_comma"].append(name)
        if "thousands_separators" in info:
            notes["thousands_separators"][name] = info["thousands_separators"]
        if "categories_merged" in info:
            notes["categories_merged"][name] = info["categories_merged"]
        if by_col:
            notes["by_column"][name] = by_col
    out = pd.DataFrame(columns, index=frame.index)
    return out, notes


def clean_input_frame(
    frame: pd.DataFrame,
    *,
    numeric: set[str] | None = None,
    warn: bool = False,
    codes: dict | None = None,
) -> pd.DataFrame:
    """A DataFrame given to an estimator, cleaned as :func:`read_table` cleans files.

    Only text (``object`` or string) columns change: surrounding whitespace is
    stripped and the :data:`MISSING_TOKENS` become missing; a column that held
    such markers and whose other values are all numbers becomes numeric (text of
    digits without markers stays text, as the caller typed it). At predict time
    ``numeric`` names the columns that were numeric in training: only those are
    read as numbers, so a text column whose new values are digits stays text.

    Parameters
    ----------
    frame : pandas.DataFrame
    numeric : set of str, default=None
        The columns that may become numbers (``None``: any).
    warn : bool, default=False
        Issue a :class:`~treedistill.exceptions.DataWarning` for each text column
        read as numbers because of missing markers, and for each text column in
        which at least :data:`MOSTLY_NUMERIC` of the values are numbers (naming
        the values that are not).
    codes : dict, default=None
        Filled with ``name -> (where, kept)`` for each cleaned column that stays
        text: the column is ``kept[where]`` (``kept`` its distinct values,
        ``where`` -1 for a missing cell); :meth:`TabularSchema.encode` takes it
        to compare each distinct value with the levels once.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing changes, else a cleaned copy.
    """
    out = None
    for name in frame.columns:
        s = frame[name]
        if not (
            pd.api.types.is_object_dtype(s.dtype) or isinstance(s.dtype, pd.StringDtype)
        ):
            continue
        # in training, only a column with missing markers becomes numeric: text
        # of digits without them stays categorical, as the caller typed it
        numbers = _has_markers(s) if numeric is None else str(name) in numeric
        cleaned, info = _clean_text(
            s,
            str(name),
            from_csv=False,
            decimal_comma=False,
            numbers=numbers,
            text_codes_out=codes,
        )
        if warn:
            _warn_about_text(str(name), cleaned, info)
        if out is None:
            out = input_copy(frame)
        out[name] = cleaned
    return frame if out is None else out


def _has_markers(series: pd.Series) -> bool:
    """Whether a text column holds one of the :data:`MISSING_TOKENS` (but ``''``)."""
    present = series.dropna()
    cells = present.astype(str).str.strip()
    return bool(cells.isin(MISSING_TOKENS - {""}).any())


def _warn_about_text(name: str, cleaned: pd.Series, info: dict[str, Any]) -> None:
    """Say when a text column was read as numbers, or is mostly numbers."""
    tokens = info.get("missing_tokens", {})
    shown = ", ".join(f"{t!r} ({n}x)" for t, n in sorted(tokens.items()))
    if info.get("text_to_numeric"):
        if tokens:
            warnings.warn(
                f"column {name!r} is text whose values are numbers apart from "
                f"{shown}: read as a numeric column with those cells missing",
                DataWarning,
                stacklevel=4,
            )
        return
    present = cleaned.dropna().astype(str)
    if not len(present):
        return
    parsed = pd.to_numeric(present, errors="coerce")
    bad = present[parsed.isna()]
    if len(bad) and 1 - len(bad) / len(present) >= MOSTLY_NUMERIC:
        counts = bad.value_counts()
        examples = ", ".join(f"{v!r} ({n}x)" for v, n in counts.head(3).items())
        more = f" and {len(counts) - 3} more" if len(counts) > 3 else ""
        warnings.warn(
            f"column {name!r} is text, but {len(present) - len(bad)} of its "
            f"{len(present)} values are numbers; the values {examples}{more} make "
            "it categorical: fix or blank them to use it as numbers",
            DataWarning,
            stacklevel=4,
        )
