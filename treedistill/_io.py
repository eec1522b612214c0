"""Safe file input and output: data tables, teacher models, atomic writes.

Everything that reads a user's file goes through this module, and every problem
with such a file is reported as a :class:`DataError`: a one-line ``ValueError``
that names the file, column or option at fault.

- :func:`read_table` reads a CSV or Parquet file and cleans what a user should
  not have to clean by hand (stray whitespace, ``?`` for missing, numbers
  stored as text).
- :func:`prepare_data` turns a table into features ``X``, labels ``y`` and a
  JSON-serialisable summary of what was kept, dropped or refused and why.
- :func:`load_teacher` / :func:`save_teacher` read and write teacher models
  without running code from the file (pickle only on explicit request).
- :func:`atomic_write_text` / :func:`atomic_write_bytes` never leave a
  half-written file behind; :func:`sha256_file` fingerprints a file.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import importlib
import io
import os
import pickle
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "AdaptedTeacher",
    "DataError",
    "MISSING_TOKENS",
    "HIGH_CARDINALITY",
    "MOSTLY_NUMERIC",
    "SKOPS_ALLOWED_MODULES",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_teacher",
    "prepare_data",
    "read_table",
    "save_teacher",
    "sha256_file",
]

#: Text cells that count as missing once stripped of surrounding whitespace
#: (matched exactly, so a category such as ``none`` is left alone).
MISSING_TOKENS = frozenset(
    {"", "?", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "null", "NULL", "None"}
)
#: A categorical column with more distinct values than this is kept with a warning.
HIGH_CARDINALITY = 50
#: A text column in which at least this share of the values are numbers is taken
#: to be a numeric column with bad cells, and refused.
MOSTLY_NUMERIC = 0.9

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_DELIMITERS = (",", ";", "\t")
_SNIFF_CHARS = 65536
_SNIFF_ROWS = 50
_CLEANING_ATTR = "treedistill.cleaning"
_ID_NAMES = re.compile(
    r"^(id|idx|index|row|rowid|row_id|row_number|record|record_id|uuid|key)$"
    r"|(^|[_\s.-])(id|uuid)$|^id[_\s.-]",
    re.IGNORECASE,
)
_MIN_ID_ROWS = 20
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


class DataError(ValueError):
    """A problem with a user's file or option, in one line naming what is at fault."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).splitlines()))


def _quote(path: str | os.PathLike[str]) -> str:
    return repr(os.fspath(path))


def _first_line(exc: BaseException) -> str:
    """An exception as ``Type: first line of its message``."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


# --------------------------------------------------------------------------- #
# Atomic writes and hashes
# --------------------------------------------------------------------------- #
def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_mode()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a temporary file in the same folder, which is flushed,
    fsync-ed and then renamed over ``path`` with :func:`os.replace`. If anything
    fails, the temporary file is removed and ``path`` is left as it was. Missing
    parent folders are created.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    data : bytes
        The complete new content.

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.
    """
    target = Path(path)
    if target.is_dir():
        raise DataError(f"cannot write {_quote(target)}: it is a folder")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"cannot create the folder {_quote(parent)} for {_quote(target)}: "
            f"{exc.strerror or exc}"
        ) from None
    mode = target.stat().st_mode & 0o7777 if target.exists() else _FILE_MODE
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(parent)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, line endings as given) atomically; see
    :func:`atomic_write_bytes`.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    text : str
        The complete new content.

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hex digits.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise DataError(f"file {_quote(path)} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{_quote(path)} is a folder, not a file") from None
    return digest.hexdigest()


# --------------------------------------------------------------------------- #
# Reading tables
# --------------------------------------------------------------------------- #
def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet file into a cleaned DataFrame.

    CSV files (``.csv``, ``.tsv``, ``.txt``) must be UTF-8 (a byte-order mark is
    allowed); the separator (``,``, ``;`` or tab) is detected from the first
    rows. Parquet files (``.parquet``, ``.pq``) are read with pyarrow. The file
    is only read, never modified.

    Cleaning, recorded in ``frame.attrs["treedistill.cleaning"]`` (and reported
    by :func:`prepare_data`):

    - whitespace (spaces, tabs, line breaks) around column names and text cells
      is stripped, so ``"ckd\\t"`` and ``"ckd"`` are one category;
    - cells that are then empty or one of :data:`MISSING_TOKENS` (``?``, ``NA``,
      ``N/A``, ``nan``, ``null``, ``None`` …; matched exactly) are missing;
    - a text column whose remaining values all parse as numbers becomes numeric
      (int64 when they are whole numbers and none is missing, else float64);
      in a ``;``-separated file, numbers written with a decimal comma
      (``"1,5"``) are read as such when no value of the column has a ``.``;
    - other text columns are ``object`` columns of ``str`` with ``NaN`` for
      missing; bool and category columns become such text columns too.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    pandas.DataFrame
        One column per header field, a fresh ``RangeIndex``.

    Raises
    ------
    DataError
        If the file is missing, empty, not CSV or Parquet, not UTF-8, has no data
        rows, has a row with more or fewer fields than the header, or has a
        blank or repeated column name.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in _CSV_SUFFIXES + _PARQUET_SUFFIXES:
        raise DataError(
            f"data file {_quote(path)} is not CSV or Parquet "
            "(accepted: .csv, .tsv, .txt, .parquet, .pq)"
        )
    if not p.exists():
        raise DataError(f"data file {_quote(path)} does not exist")
    if not p.is_file():
        raise DataError(f"data file {_quote(path)} is not a file")
    if p.stat().st_size == 0:
        raise DataError(f"data file {_quote(path)} is empty (0 bytes)")
    if suffix in _PARQUET_SUFFIXES:
        frame = _read_parquet(p, path)
        delimiter = None
    else:
        frame, delimiter = _read_csv(p, path, suffix)
    frame, notes = _clean_frame(
        frame, from_csv=delimiter is not None, decimal_comma=(delimiter == ";")
    )
    frame.attrs[_CLEANING_ATTR] = notes
    return frame


def _decode(data: bytes, path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(
            f"data file {_quote(path)} is UTF-16 text, not UTF-8; save it as UTF-8"
        )
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start  # a position in the file, byte-order mark included
        line = data.count(b"\n", 0, at) + 1
        raise DataError(
            f"data file {_quote(path)} is not UTF-8 text (byte "
            f"0x{data[at]:02x} at position {at}, line {line}); save it as UTF-8"
        ) from None


def _sniff_delimiter(text: str, suffix: str) -> str:
    """The candidate separator that splits the first rows most consistently."""
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > len(sample)
    preferred = "\t" if suffix == ".tsv" else ","
    best, best_score = preferred, (-1.0, 0, 0)
    for delim in _DELIMITERS:
        try:
            rows = [
                r
                for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
                if r
            ][: _SNIFF_ROWS + 1]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the last record may be cut in the middle
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(len(r) == width for r in body) / len(body)
        score = (consistent, width, int(delim == preferred))
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(p: Path, path, suffix: str) -> tuple[pd.DataFrame, str]:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot read data file {_quote(path)}: {exc.strerror or exc}"
        ) from None
    text = _decode(data, path)
    if not text.strip():
        raise DataError(f"data file {_quote(path)} is empty (only whitespace)")
    delim = _sniff_delimiter(text, suffix)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            if header is None:
                header = record
                _check_header(header, path)
                continue
            if len(record) != len(header):
                raise DataError(
                    f"data file {_quote(path)}: line {reader.line_num} has "
                    f"{len(record)} fields but the header has {len(header)} "
                    f"(separator {delim!r})"
                )
            rows.append(record)
    except csv.Error as exc:
        raise DataError(
            f"data file {_quote(path)} does not parse as CSV near line "
            f"{reader.line_num}: {exc}"
        ) from None
    assert header is not None  # the text is not blank
    if not rows:
        raise DataError(f"data file {_quote(path)} has a header but no data rows")
    names = list(header)  # stripped (and the stripping noted) when cleaning
    columns = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            name: np.array(col, dtype=object)
            for name, col in zip(names, columns, strict=True)
        }
    )
    return frame, delim


def _check_header(header: Sequence[object], path) -> None:
    seen: dict[str, int] = {}
    for i, raw in enumerate(header, 1):
        name = str(raw).strip()
        if not name or name.startswith("Unnamed: "):
            raise DataError(
                f"data file {_quote(path)} has a column with no name (column {i} "
                "of the header); name it or remove it"
            )
        if name in seen:
            raise DataError(
                f"data file {_quote(path)} has two columns named {name!r} "
                f"(columns {seen[name]} and {i} of the header)"
            )
        seen[name] = i


def _read_parquet(p: Path, path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a declared extra
        raise DataError(
            f"reading {_quote(path)} needs pyarrow (pip install 'treedistill[parquet]')"
        ) from None
    try:
        table = pq.read_table(p)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's
        raise DataError(
            f"data file {_quote(path)} is not a readable Parquet file "
            f"({_first_line(exc)})"
        ) from None
    _check_header(table.column_names, path)
    try:
        frame = table.to_pandas()
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"data file {_quote(path)} has columns pandas cannot hold "
            f"({_first_line(exc)})"
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=True)
    if len(frame) == 0:
        raise DataError(f"data file {_quote(path)} has columns but no data rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


# --------------------------------------------------------------------------- #
# Cleaning
# --------------------------------------------------------------------------- #
def _empty_notes() -> dict[str, Any]:
    return {
        "column_names_stripped": [],
        "whitespace_stripped": 0,
        "missing_tokens": {},
        "text_to_numeric": [],
        "decimal_comma": [],
        "categories_merged": {},
        "by_column": {},
    }


def _merge_notes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
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
        out["categories_merged"].update(notes.get("categories_merged", {}))
        for col, d in notes.get("by_column", {}).items():
            mine = out["by_column"].setdefault(col, {})
            for k, v in d.items():
                mine[k] = mine.get(k, 0) + v
    return out


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
    )


def _clean_series(
    series: pd.Series, name: str, *, from_csv: bool, decimal_comma: bool
) -> tuple[pd.Series, dict[str, Any]]:
    """Clean one column; see :func:`read_table` for the rules."""
    info: dict[str, Any] = {}
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        # an explicit category (or bool) column stays categorical, as text
        values = series.astype(object).to_numpy()
        out = np.array([np.nan if pd.isna(v) else str(v) for v in values], dtype=object)
        return pd.Series(out, index=series.index, name=series.name, dtype=object), info
    if not _is_text(series):
        if pd.api.types.is_extension_array_dtype(
            dtype
        ) and pd.api.types.is_numeric_dtype(dtype):
            has_na = bool(series.isna().any())
            if pd.api.types.is_integer_dtype(dtype) and not has_na:
                return series.astype(np.int64), info
            return series.astype(np.float64), info
        return series, info

    values = series.to_numpy(dtype=object, na_value=None)
    missing = pd.isna(values)
    if isinstance(dtype, pd.StringDtype):
        raw = values[~missing]  # every present value is already a str
    else:
        raw = np.array(
            [v if isinstance(v, str) else str(v) for v in values[~missing]],
            dtype=object,
        )
    stripped = np.array([v.strip() for v in raw], dtype=object)
    changed = raw != stripped
    n_changed = int(changed.sum())
    if n_changed:
        info["whitespace_stripped"] = n_changed
    tokens = np.isin(stripped, list(MISSING_TOKENS))
    token_counts: dict[str, int] = {}
    if tokens.any():
        kinds, counts = np.unique(stripped[tokens].astype(str), return_counts=True)
        token_counts = {
            str(k): int(c) for k, c in zip(kinds, counts, strict=True) if k != ""
        }
        if token_counts:
            info["missing_tokens"] = token_counts

    present_idx = np.flatnonzero(~missing)[~tokens]
    kept = stripped[~tokens]
    n = len(values)

    # numbers stored as text
    numeric = None
    if kept.size:
        parsed = pd.to_numeric(pd.Series(kept, dtype=object), errors="coerce")
        if parsed.notna().all():
            numeric = parsed.to_numpy()
        elif decimal_comma and not any("." in v for v in kept):
            swapped = [
                v.replace(",", ".") if _DECIMAL_COMMA.match(v) else v for v in kept
            ]
            parsed = pd.to_numeric(pd.Series(swapped, dtype=object), errors="coerce")
            if parsed.notna().all():
                numeric = parsed.to_numpy()
                info["decimal_comma"] = True
    if numeric is not None:
        if numeric.dtype.kind not in "iuf":  # mixed: floats
            numeric = numeric.astype(np.float64)
        # whole numbers written as such ("7", not "7.0"), none missing: int64
        if len(present_idx) == n and numeric.dtype.kind == "i":
            out = numeric.astype(np.int64)
        else:
            out = np.full(n, np.nan)
            out[present_idx] = numeric.astype(np.float64)
        cleaned_needed = bool(n_changed or token_counts or info.get("decimal_comma"))
        if cleaned_needed or not from_csv:
            info["text_to_numeric"] = True
        return pd.Series(out, index=series.index, name=series.name), info

    out = np.full(n, np.nan, dtype=object)
    out[present_idx] = kept
    if n_changed:
        raw_kept = raw[~tokens]
        variants: dict[str, set[str]] = {}
        for r, s in zip(raw_kept, kept, strict=True):
            variants.setdefault(s, set()).add(r)
        merged = {
            level: sorted(vs) for level, vs in sorted(variants.items()) if len(vs) > 1
        }
        if merged:
            info["categories_merged"] = merged
    return pd.Series(out, index=series.index, name=series.name, dtype=object), info


def _clean_frame(
    frame: pd.DataFrame,
    *,
    from_csv: bool = False,
    decimal_comma: bool = False,
    skip: Iterable[str] = (),
) -> tuple[pd.DataFrame, dict[str, Any]]:
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
        if "categories_merged" in info:
            notes["categories_merged"][name] = info["categories_merged"]
        if by_col:
            notes["by_column"][name] = by_col
    out = pd.DataFrame(columns, index=frame.index)
    return out, notes


# --------------------------------------------------------------------------- #
# From a table to X, y
# --------------------------------------------------------------------------- #
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


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


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


def _first_text_cell(series: pd.Series) -> tuple[int, str, int, int]:
    """For a text column: (position, value) of its first non-number, and counts."""
    values = series.to_numpy(dtype=object)
    present = ~pd.isna(values)
    parsed = pd.to_numeric(pd.Series(values[present], dtype=object), errors="coerce")
    bad = parsed.isna().to_numpy()
    positions = np.flatnonzero(present)
    first = int(positions[np.flatnonzero(bad)[0]]) if bad.any() else -1
    return (
        first,
        (str(values[first]) if first >= 0 else ""),
        int(bad.sum()),
        int(present.sum()),
    )


def _refuse_mostly_numeric(name: str, series: pd.Series) -> None:
    """Refuse a text column whose present values are mostly numbers."""
    first, value, n_bad, n_present = _first_text_cell(series)
    if n_bad and (n_present - n_bad) / n_present >= MOSTLY_NUMERIC:
        raise DataError(
            f"column {name!r} is numeric but row {first + 1} holds {value!r} "
            f"({n_bad} of {n_present} values are not numbers; fix or blank them, "
            f"or pass --drop {name})"
        )


def _refuse_non_finite(name: str, series: pd.Series) -> None:
    """Refuse a numeric column with infinities (or of an unusable dtype)."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        raise DataError(
            f"column {name!r} has values of type {series.dtype} that are neither "
            "numbers nor text"
        )
    inf = np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if inf.any():
        raise DataError(
            f"column {name!r} has infinite values (first at row "
            f"{int(np.flatnonzero(inf)[0]) + 1})"
        )


def prepare_data(
    frame: pd.DataFrame,
    target: str,
    *,
    drop: Iterable[str] = (),
    source: str = "data",
) -> tuple[pd.DataFrame, np.ndarray, dict[str, Any]]:
    """Split a table into features and labels, checking everything on the way.

    The table is cleaned as in :func:`read_table` (a no-op on what
    :func:`read_table` returns). Then, case by case:

    ===========================================  ===============================
    case                                         decision
    ===========================================  ===============================
    target column absent                         refused (close names suggested)
    target with one class (or none)              refused
    target of non-integer numbers                refused (not class labels)
    a class with a single row                    refused (at least 2 needed)
    ``drop`` names an absent column or target    refused
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
    id-like column: all values distinct, and an  kept, warned; only ``drop``
    id-like name (``id``, ``*_id`` …), or >= 20  removes it
    rows of consecutive integers or of text
    ===========================================  ===============================

    A ``category`` or bool column is text by the user's choice and is not
    checked for numbers.

    Rows are numbered from 1 in data order (the header is not a row), so row
    ``r`` of a CSV with a one-line header is usually on line ``r + 1``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, usually from :func:`read_table`.
    target : str
        Name of the label column.
    drop : iterable of str, default=()
        Columns not to use as features (identifiers, leaks …).
    source : str, default="data"
        How to name the table in messages (e.g. the file name).

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
        In the refused cases above.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"{_where(source)} must be a pandas DataFrame, got {type(frame).__name__}"
        )
    where = _where(source)
    names = [str(c).strip() for c in frame.columns]
    seen: set[str] = set()
    for name in names:
        if not name:
            raise DataError(f"{where} has a column with no name")
        if name in seen:
            raise DataError(f"{where} has two columns named {name!r}")
        seen.add(name)
    target = str(target)
    if target not in names:
        raise DataError(
            f"target column {target!r} is not in {where}{_suggest(target, names)}"
        )
    drop = [str(d) for d in ([drop] if isinstance(drop, str) else drop)]
    for d in drop:
        if d == target:
            raise DataError(f"--drop names the target column {target!r}")
        if d not in names:
            raise DataError(
                f"--drop column {d!r} is not in {where}{_suggest(d, names)}"
            )

    pre_notes = frame.attrs.get(_CLEANING_ATTR, {}) if frame.attrs else {}
    # category and bool columns are categorical by the user's own choice
    explicit = {
        str(c).strip()
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(frame[c].dtype)
    }
    cleaned, notes = _clean_frame(frame, skip=drop)
    notes = _merge_notes(pre_notes, notes)
    rows_in = len(cleaned)
    warnings_: list[str] = []

    # ----- the target
    y_series = cleaned[target]
    if pd.api.types.is_datetime64_any_dtype(y_series.dtype):
        raise DataError(f"target column {target!r} holds dates, not class labels")
    y_missing = y_series.isna().to_numpy()
    n_missing_y = int(y_missing.sum())
    keep = ~y_missing
    reasons: dict[str, int] = {}
    if n_missing_y:
        reasons["missing target"] = n_missing_y
        if n_missing_y == rows_in:
            raise DataError(f"target column {target!r} in {where} has no values")
        warnings_.append(
            f"{n_missing_y} of {rows_in} rows dropped: target {target!r} is missing"
        )
    used = cleaned.loc[keep].reset_index(drop=True)
    y = _labels(used[target], target)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise DataError(
            f"target column {target!r} has only one class ({_plain(classes[0])!r}); "
            "at least 2 are needed"
        )
    for cls, cnt in zip(classes, counts, strict=True):
        if cnt < 2:
            raise DataError(
                f"class {_plain(cls)!r} of target {target!r} has only 1 row; "
                "at least 2 are needed"
            )

    # ----- the features
    columns: dict[str, dict[str, Any]] = {}
    features: list[str] = []
    dropped: dict[str, str] = {}
    with_missing: list[tuple[str, float, int]] = []
    n_used = len(used)
    for name in used.columns:
        s = used[name]
        if name == target:
            columns[name] = _column_entry(s, "target")
            continue
        if name in drop:
            columns[name] = _column_entry(s, "dropped: by --drop")
            dropped[name] = "by --drop"
            continue
        dtype = s.dtype
        if pd.api.types.is_datetime64_any_dtype(
            dtype
        ) or pd.api.types.is_timedelta64_dtype(dtype):
            raise DataError(
                f"column {name!r} holds dates or times, which a tree cannot split on; "
                f"convert it to a number (e.g. days) or pass --drop {name}"
            )
        n_miss = int(s.isna().sum())
        if n_miss == n_used:
            columns[name] = _column_entry(s, "dropped: all values missing")
            dropped[name] = "all values missing"
            warnings_.append(f"column {name!r} dropped: all values are missing")
            continue
        categorical = _is_text(s)
        # judged on every row of the table, so row numbers are the file's
        if categorical and name not in explicit:
            _refuse_mostly_numeric(name, cleaned[name])
        elif not categorical:
            _refuse_non_finite(name, cleaned[name])
        kind = "categorical" if categorical else "numeric"
        n_distinct = int(s.nunique(dropna=True))
        label = ""
        if n_distinct == 1:
            label = "constant"
            warnings_.append(
                f"column {name!r} has a single value ({_plain(s.dropna().iloc[0])!r}): "
                "it cannot split the data (kept)"
            )
        elif _looks_like_id(name, s, kind):
            label = "looks like an identifier"
            warnings_.append(
                f"column {name!r} looks like a row identifier (every value differs); "
                f"it is kept as a feature: pass --drop {name} if it is not one"
            )
        elif categorical and n_distinct > HIGH_CARDINALITY:
            label = f"high cardinality ({n_distinct} levels)"
            warnings_.append(
                f"column {name!r} is text with {n_distinct} distinct values (more than "
                f"{HIGH_CARDINALITY}); each becomes its own 0/1 feature (kept)"
            )
        action = "kept" + (f": {label}" if label else "")
        if n_miss:
            action += " (missing values routed by the tree)"
            with_missing.append((name, n_miss / n_used, n_miss))
        columns[name] = _column_entry(s, action, kind=kind)
        features.append(name)

    if not features:
        raise DataError(
            f"no feature column left in {where} (target {target!r}, "
            f"{len(dropped)} dropped: {', '.join(repr(d) for d in dropped) or 'none'})"
        )
    if with_missing:
        with_missing.sort(key=lambda t: (-t[1], t[0]))
        shown = ", ".join(f"{n} {100 * share:.1f}%" for n, share, _ in with_missing[:6])
        more = f" and {len(with_missing) - 6} more" if len(with_missing) > 6 else ""
        warnings_.append(
            f"{len(with_missing)} feature column(s) have missing values (kept; the "
            f"tree routes them): {shown}{more}"
        )

    X = used[features].copy()
    X.attrs = {}
    summary = {
        "source": str(source),
        "target": target,
        "rows_in": int(rows_in),
        "rows_used": int(n_used),
        "rows_dropped": int(rows_in - n_used),
        "rows_dropped_reasons": reasons,
        "classes": [
            {"label": _plain(c), "count": int(n)}
            for c, n in zip(classes, counts, strict=True)
        ],
        "n_features": len(features),
        "features": features,
        "dropped_columns": dropped,
        "columns": columns,
        "cleaning": notes,
        "warnings": warnings_,
    }
    return X, y, summary


def _labels(series: pd.Series, target: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
        if np.isinf(values).any():
            raise DataError(f"target column {target!r} has infinite values")
        if not np.all(values == np.round(values)):
            example = values[values != np.round(values)][0]
            raise DataError(
                f"target column {target!r} holds non-integer numbers (e.g. "
                f"{example!r}); a classification target needs class labels"
            )
        return values.astype(np.int64)
    return np.array([str(v) for v in series.to_numpy(dtype=object)], dtype=object)


def _column_entry(series: pd.Series, action: str, *, kind: str | None = None) -> dict:
    n = len(series)
    n_miss = int(series.isna().sum())
    if kind is None:
        kind = "categorical" if _is_text(series) else "numeric"
    entry: dict[str, Any] = {
        "kind": kind,
        "n_missing": n_miss,
        "missing_share": round(n_miss / n, 6) if n else 0.0,
        "action": action,
    }
    if kind == "categorical":
        entry["n_levels"] = int(series.nunique(dropna=True))
    return entry


# --------------------------------------------------------------------------- #
# Teachers
# --------------------------------------------------------------------------- #
_MLP_SUFFIXES = (".pt", ".pth", ".td-teacher")
_XGB_SUFFIXES = (".json", ".ubj")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_ACCEPTED = (
    ".pt/.td-teacher (treedistill MLPTeacher), .pt2 (torch.export program), "
    ".skops, .json/.ubj (xgboost), .pkl/.pickle/.joblib (only with --trust-pickle)"
)
_ENSEMBLE_TAG = "treedistill.EnsembleTeacher"
_ENSEMBLE_VERSION = 1
#: Modules whose classes a ``.skops`` teacher may contain.
SKOPS_ALLOWED_MODULES = ("sklearn", "numpy", "scipy.sparse", "scipy.special", "xgboost")


def _coerce_classes(classes) -> list | None:
    """``--classes`` as labels: a comma-separated string or a sequence.

    Strings that all parse as whole numbers become ints (and as numbers, floats),
    the same rule :func:`read_table` applies to a target column.
    """
    if classes is None:
        return None
    if isinstance(classes, str):
        items: list = [c.strip() for c in classes.split(",")]
    else:
        items = [_plain(c) for c in classes]
    if isinstance(classes, str) or all(isinstance(c, str) for c in items):
        items = [str(c).strip() for c in items]
        if any(not c for c in items):
            raise DataError("--classes has an empty class name")
        parsed = pd.to_numeric(pd.Series(items, dtype=object), errors="coerce")
        if parsed.notna().all():
            vals = parsed.to_numpy(dtype=np.float64)
            if np.all(vals == np.round(vals)) and not any("." in c for c in items):
                items = [int(v) for v in vals]
            else:
                items = [float(v) for v in vals]
    if len(items) < 2:
        raise DataError(f"--classes needs at least 2 classes, got {len(items)}")
    if len(set(items)) != len(items):
        raise DataError(f"--classes repeats a class: {items}")
    return items


class AdaptedTeacher:
    """A fitted model seen through other class labels and/or a column order.

    Parameters
    ----------
    model : fitted classifier
        Gives the scores, in the order of its own classes.
    classes : sequence, default=None
        Labels for those outputs (default: the model's ``classes_``).
    feature_names : sequence of str, default=None
        The columns the model is given from a DataFrame, in this order.
    """

    def __init__(self, model, *, classes=None, feature_names=None):
        self.model = model
        self.classes_ = (
            np.asarray(classes) if classes is not None else np.asarray(model.classes_)
        )
        self.feature_names = None if feature_names is None else list(feature_names)
        n_in = len(self.feature_names) if self.feature_names else None
        self.n_features_in_ = getattr(model, "n_features_in_", n_in)

    def __sklearn_is_fitted__(self):
        return True

    def __repr__(self) -> str:
        return (
            f"AdaptedTeacher({type(self.model).__name__}, "
            f"classes={self.classes_.tolist()!r})"
        )

    def _columns(self, X):
        if self.feature_names is not None and isinstance(X, pd.DataFrame):
            absent = [c for c in self.feature_names if c not in X.columns]
            if absent:
                raise ValueError(
                    f"column {absent[0]!r} that the teacher needs is missing from the "
                    "data"
                )
            return X[self.feature_names]
        return X

    def predict_logits(self, X) -> np.ndarray:
        from treedistill._teachers import _raw_logits

        return _raw_logits(self.model, self._columns(X))

    def predict_proba(self, X) -> np.ndarray:
        from treedistill._soften import softmax

        return softmax(self.predict_logits(X), axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]


def load_teacher(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    trust_pickle: bool = False,
    ensemble: str = "arithmetic",
    classes: Sequence | str | None = None,
    feature_names: Sequence[str] | None = None,
):
    """Load a fitted teacher (or an ensemble of several) from files.

    The format follows the extension:

    - ``.pt`` / ``.pth`` / ``.td-teacher``: a :class:`~treedistill.MLPTeacher` (or
      an ensemble of them) written by :func:`save_teacher`, read with
      ``torch.load(weights_only=True)``: no code in the file can run.
    - ``.pt2``: a ``torch.export`` program (float32 (n, d) → logits (n, K)),
      wrapped in :class:`~treedistill.TorchExportTeacher`; needs ``classes``
      (``feature_names`` gives the column order it expects).
    - ``.skops``: read with ``skops.io.load``, trusting only the types it needs
      that are classes (or numpy ufuncs) of the modules in
      :data:`SKOPS_ALLOWED_MODULES`; any other type is refused before loading.
    - ``.json`` / ``.ubj``: an xgboost classifier in xgboost's own format. Its
      classes are ``0 … K-1``; ``classes`` relabels them in that order.
    - ``.pkl`` / ``.pickle`` / ``.joblib``: only when ``trust_pickle`` is true,
      since unpickling runs code from the file.

    Parameters
    ----------
    paths : path or list of paths
        One file gives that teacher; several give an
        :class:`~treedistill.EnsembleTeacher` of them.
    trust_pickle : bool, default=False
        Allow pickle / joblib files.
    ensemble : {"arithmetic", "geometric"}, default="arithmetic"
        How several teachers are combined.
    classes : sequence or comma-separated str, default=None
        Class labels in output order: required for ``.pt2``, relabels an xgboost
        model, and is checked against the classes of any other model. Strings
        that all parse as whole numbers become ints.
    feature_names : sequence of str, default=None
        Column order the teacher expects: given to a ``.pt2`` program; any other
        model is given only these columns, in this order, from a DataFrame.

    Returns
    -------
    teacher
        A fitted classifier with ``classes_``.

    Raises
    ------
    DataError
        For a missing file, an unknown format, a refused pickle or skops type, a
        file that does not load, or a model that is not a fitted classifier.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise DataError("no teacher file given")
    if ensemble not in ("arithmetic", "geometric"):
        raise DataError(
            f"--ensemble must be 'arithmetic' or 'geometric', got {ensemble!r}"
        )
    labels = _coerce_classes(classes)
    names = None if feature_names is None else [str(f) for f in feature_names]
    teachers = [
        _load_one(p, trust_pickle=trust_pickle, classes=labels, feature_names=names)
        for p in paths
    ]
    if len(teachers) == 1:
        return teachers[0]
    from treedistill._teachers import EnsembleTeacher

    try:
        return EnsembleTeacher.from_fitted(teachers, method=ensemble)
    except ValueError as exc:
        raise DataError(
            f"the teachers {', '.join(_quote(p) for p in paths)} cannot form an "
            f"ensemble: {exc}"
        ) from None


def _load_one(path, *, trust_pickle, classes, feature_names):
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in _PICKLE_SUFFIXES and not trust_pickle:
        raise DataError(
            f"refusing to unpickle {_quote(path)}: pickle files can run code; pass "
            "--trust-pickle if you trust this file, or save the model with skops"
        )
    if not p.exists():
        raise DataError(f"teacher file {_quote(path)} does not exist")
    if not p.is_file():
        raise DataError(f"teacher file {_quote(path)} is not a file")
    if suffix in _MLP_SUFFIXES:
        model = _load_torch_teacher(p, path)
    elif suffix == ".pt2":
        return _load_export(p, path, classes, feature_names)
    elif suffix == ".skops":
        model = _load_skops(p, path)
    elif suffix in _XGB_SUFFIXES:
        model = _load_xgboost(p, path)
        if classes is not None:
            k = len(model.classes_)
            if len(classes) != k:
                raise DataError(
                    f"teacher {_quote(path)} has {k} classes but --classes gives "
                    f"{len(classes)}"
                )
            return AdaptedTeacher(model, classes=classes, feature_names=feature_names)
    elif suffix in _PICKLE_SUFFIXES:
        model = _load_pickle(p, path)
    else:
        raise DataError(
            f"teacher file {_quote(path)} has an unknown format "
            f"{suffix or '(none)'!r}; "
            f"accepted: {_ACCEPTED}"
        )
    _check_classifier(model, path)
    if classes is not None:
        have = [_plain(c) for c in np.asarray(model.classes_).tolist()]
        if have != list(classes):
            raise DataError(
                f"teacher {_quote(path)} has classes {have} but --classes gives "
                f"{list(classes)}"
            )
    if feature_names is not None:
        return AdaptedTeacher(model, feature_names=feature_names)
    return model


def _check_classifier(model, path) -> None:
    from treedistill._teachers import is_fitted

    if (
        not hasattr(model, "predict_proba")
        and not hasattr(model, "predict_logits")
        and (not hasattr(model, "decision_function"))
    ):
        raise DataError(
            f"teacher file {_quote(path)} holds a {type(model).__name__}, not a "
            "classifier (no predict_proba or decision_function)"
        )
    try:
        fitted = is_fitted(model)
        has_classes = hasattr(model, "classes_")
    except Exception:  # noqa: BLE001 - a broken object is the file's fault
        fitted = has_classes = False
    if not fitted or not has_classes:
        raise DataError(
            f"teacher file {_quote(path)} holds a {type(model).__name__} that is not "
            "a fitted classifier with classes_"
        )


def _load_torch_teacher(p: Path, path):
    import torch

    if not zipfile.is_zipfile(p):
        raise DataError(
            f"teacher file {_quote(path)} is not a torch.save file (a treedistill "
            "teacher is written by save_teacher or MLPTeacher.save)"
        )
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise DataError(
            f"teacher file {_quote(path)} holds Python objects beyond tensors and "
            "plain values, which are not loaded (a treedistill teacher is written by "
            "save_teacher or MLPTeacher.save)"
        ) from None
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"teacher file {_quote(path)} is not a treedistill teacher saved with "
            f"torch ({_first_line(exc)})"
        ) from None
    if isinstance(payload, dict) and payload.get("format") == _ENSEMBLE_TAG:
        return _ensemble_from_payload(payload, path)
    return _mlp_from_payload(payload, path)


def _mlp_from_payload(payload, path, member: int | None = None):
    import torch

    from treedistill._mlp import _FORMAT_TAG, MLPTeacher

    what = f"teacher file {_quote(path)}" + (
        f" (ensemble member {member + 1})" if member is not None else ""
    )
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT_TAG:
        raise DataError(
            f"{what} is not a treedistill teacher (no MLPTeacher or EnsembleTeacher "
            "format tag)"
        )
    buf = io.BytesIO()
    torch.save(payload, buf)
    buf.seek(0)
    try:
        return MLPTeacher.load(buf)
    except Exception as exc:  # noqa: BLE001
        # MLPTeacher.load names its path in messages; a buffer has none, so the
        # original failure is the context of the error raised while naming it.
        cause = (
            exc.__context__ if isinstance(exc, TypeError) and exc.__context__ else exc
        )
        detail = str(cause).split(": ", 1)[-1] if str(cause) else type(cause).__name__
        raise DataError(f"{what} is not a valid saved MLPTeacher ({detail})") from None


def _ensemble_from_payload(payload: dict, path):
    from treedistill._teachers import EnsembleTeacher

    if payload.get("version") != _ENSEMBLE_VERSION:
        raise DataError(
            f"teacher file {_quote(path)} has unsupported ensemble format version "
            f"{payload.get('version')!r} (expected {_ENSEMBLE_VERSION})"
        )
    members = payload.get("members")
    if not isinstance(members, list) or not members:
        raise DataError(f"teacher file {_quote(path)} is an ensemble with no members")
    teachers = [_mlp_from_payload(m, path, i) for i, m in enumerate(members)]
    try:
        return EnsembleTeacher.from_fitted(
            teachers,
            method=payload.get("method", "arithmetic"),
            weights=payload.get("weights"),
        )
    except ValueError as exc:
        raise DataError(
            f"teacher file {_quote(path)} holds an invalid ensemble: {exc}"
        ) from None


def _load_export(p: Path, path, classes, feature_names):
    from treedistill._teachers import TorchExportTeacher

    if classes is None:
        raise DataError(
            f"a .pt2 teacher needs --classes (the labels of its outputs, in order): "
            f"{_quote(path)}"
        )
    teacher = TorchExportTeacher(str(p), list(classes), feature_names=feature_names)
    try:
        teacher._program()
    except ValueError as exc:
        raise DataError(str(exc)) from None
    return teacher


def _skops_type_allowed(name: str) -> bool:
    module, _, attr = name.rpartition(".")
    if not module or not any(
        module == m or module.startswith(m + ".") for m in SKOPS_ALLOWED_MODULES
    ):
        return False
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, (type, np.ufunc))


def _load_skops(p: Path, path):
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops is a dependency
        raise DataError(
            f"reading {_quote(path)} needs skops (pip install skops)"
        ) from None
    try:
        untrusted = sio.get_untrusted_types(file=p)
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"teacher file {_quote(path)} is not a readable skops file "
            f"({_first_line(exc)})"
        ) from None
    refused = [t for t in untrusted if not _skops_type_allowed(t)]
    if refused:
        raise DataError(
            f"teacher file {_quote(path)} needs type {refused[0]!r}, which is not on "
            f"the allow-list ({', '.join(SKOPS_ALLOWED_MODULES)} classes); "
            "refusing to load it"
        )
    try:
        return sio.load(p, trusted=list(untrusted))
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"teacher file {_quote(path)} does not load with skops ({_first_line(exc)})"
        ) from None


def _load_xgboost(p: Path, path):
    import xgboost

    model = xgboost.XGBClassifier()
    try:
        model.load_model(os.fspath(p))
    except Exception as exc:  # noqa: BLE001
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        first = re.sub(r"^\[[\d:]+\] \S+: ", "", first)  # xgboost's time and source
        raise DataError(
            f"teacher file {_quote(path)} is not an xgboost classifier model ({first})"
        ) from None
    objective = str(model.get_params().get("objective") or "")
    if not objective.startswith(("binary:", "multi:")):
        raise DataError(
            f"teacher file {_quote(path)} is an xgboost model with objective "
            f"{objective!r}, not a classifier"
        )
    return model


def _load_pickle(p: Path, path):
    import joblib

    try:
        return joblib.load(p)
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"teacher file {_quote(path)} does not unpickle ({_first_line(exc)})"
        ) from None


def _mlp_payload(teacher) -> dict:
    import torch

    buf = io.BytesIO()
    teacher.save(buf)
    buf.seek(0)
    return torch.load(buf, map_location="cpu", weights_only=True)


def save_teacher(teacher, path: str | os.PathLike[str]) -> Path:
    """Save a treedistill teacher to one file that loads without pickle.

    An :class:`~treedistill.MLPTeacher` is written by its own ``save``. An
    :class:`~treedistill.EnsembleTeacher` whose members are all MLPTeachers is
    written as one ``torch.save`` dict ``{"format": "treedistill.EnsembleTeacher",
    "version": 1, "method", "weights", "members": [<each member's MLPTeacher
    dict>]}`` that ``torch.load(weights_only=True)`` reads. Both are read back by
    :func:`load_teacher` (use a ``.pt`` or ``.td-teacher`` name). The file is
    written atomically.

    Parameters
    ----------
    teacher : MLPTeacher or EnsembleTeacher of MLPTeachers
        Fitted.
    path : str or os.PathLike

    Returns
    -------
    Path

    Raises
    ------
    DataError
        For any other teacher (save those with skops or xgboost's ``save_model``)
        or an unfitted one.
    """
    import torch

    from treedistill._mlp import MLPTeacher
    from treedistill._teachers import EnsembleTeacher, is_fitted

    if isinstance(teacher, MLPTeacher):
        if not is_fitted(teacher):
            raise DataError("the MLPTeacher to save is not fitted")
        buf = io.BytesIO()
        teacher.save(buf)
        return atomic_write_bytes(path, buf.getvalue())
    if isinstance(teacher, EnsembleTeacher):
        members = getattr(teacher, "teachers_", None)
        if members is None:
            raise DataError("the EnsembleTeacher to save is not fitted")
        for m in members:
            if not isinstance(m, MLPTeacher):
                raise DataError(
                    "only an EnsembleTeacher of MLPTeachers can be saved by "
                    f"treedistill; it holds a {type(m).__name__} (save that with skops)"
                )
        weights = (
            None if teacher.weights is None else [float(w) for w in teacher.weights]
        )
        payload = {
            "format": _ENSEMBLE_TAG,
            "version": _ENSEMBLE_VERSION,
            "method": str(teacher.method),
            "weights": weights,
            "members": [_mlp_payload(m) for m in members],
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        return atomic_write_bytes(path, buf.getvalue())
    raise DataError(
        f"cannot save a {type(teacher).__name__} teacher: treedistill saves only "
        "MLPTeacher and EnsembleTeacher of MLPTeachers; save other models with skops "
        "(skops.io.dump) or xgboost's save_model"
    )
