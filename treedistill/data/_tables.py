"""Reading tables: CSV (UTF-8, separator detected) and Parquet files into DataFrames."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._files import first_line, quoted
from treedistill.data._arrow_csv import read_csv_arrow
from treedistill.data._cleaning import CLEANING_ATTR, MISSING_TOKENS, clean_frame
from treedistill.data._delimiter import SNIFF_CHARS
from treedistill.data._delimiter import sniff_delimiter as _sniff_delimiter
from treedistill.exceptions import DataError

__all__ = ["MISSING_TOKENS", "read_table"]

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_ARCHIVES = (
    (b"\x1f\x8b", "is gzip-compressed, not text; decompress it first (gunzip)"),
    (b"\x89PNG", "is a PNG image, not text"),
    (b"\xff\xd8\xff", "is a JPEG image, not text"),
    (b"%PDF-", "is a PDF document, not text; export its table as CSV"),
    (
        b"PK\x03\x04",
        "is a zip archive (an Excel workbook?), not text; export it as CSV",
    ),
)


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
      numbers written with a decimal comma (``"1,5"``, quoted in a
      comma-separated file) are read as such when no value of the column has a
      ``.``; in a comma- or tab-separated file, a column in which every comma
      could also separate thousands (``"1,234"``) is refused; numbers with
      thousands separators (``"1,234.5"``, ``"1.234,5"``, ``"1,234,567"``) are
      read as numbers when the whole column is written one way (noted under
      ``thousands_separators``);
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
        blank or repeated column name; or if a Parquet column holds lists,
        structs or maps.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in _CSV_SUFFIXES + _PARQUET_SUFFIXES:
        raise DataError(
            f"data file {quoted(path)} is not CSV or Parquet "
            "(accepted: .csv, .tsv, .txt, .parquet, .pq)",
            path=path,
        )
    if not p.exists():
        raise DataError(f"data file {quoted(path)} does not exist", path=path)
    if not p.is_file():
        raise DataError(f"data file {quoted(path)} is not a file", path=path)
    if p.stat().st_size == 0:
        raise DataError(f"data file {quoted(path)} is empty (0 bytes)", path=path)
    if suffix in _PARQUET_SUFFIXES:
        frame = _read_parquet(p, path)
        delimiter = None
    else:
        _check_bytes(p, path)
        frame, delimiter = _read_csv(p, path, suffix)
    comma = {None: False, ";": True}.get(delimiter, "unambiguous")
    try:
        frame, notes = clean_frame(
            frame, from_csv=delimiter is not None, decimal_comma=comma
        )
    except DataError as exc:
        raise DataError(
            f"data file {quoted(path)}: {exc}", path=path, column=exc.column
        ) from None
    frame.attrs[CLEANING_ATTR] = notes
    return frame


def _decode(data: bytes, path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(
            f"data file {quoted(path)} is UTF-16 text, not UTF-8; save it as UTF-8",
            path=path,
        )
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = skip + exc.start  # a position in the file, byte-order mark included
        line = data.count(b"\n", 0, at) + 1
        raise DataError(
            f"data file {quoted(path)} is not UTF-8 text (byte "
            f"0x{data[at]:02x} at position {at}, line {line}); save it as UTF-8",
            path=path,
            line=line,
        ) from None


def _check_bytes(p: Path, path) -> None:
    """Refuse compressed files, UTF-16 without a byte-order mark and NUL bytes.

    Each would otherwise be blamed on something else (field counts, UTF-8), or,
    for NUL bytes, pass unnoticed into the cells.
    """
    with p.open("rb") as fh:
        head = fh.read(SNIFF_CHARS)
    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            raise DataError(f"data file {quoted(path)} {what}", path=path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # named as UTF-16 when decoded
    nul = np.frombuffer(head, dtype=np.uint8) == 0
    if nul.sum() >= len(head) // 4:
        at_even = int(nul[::2].sum())
        if max(at_even, int(nul.sum()) - at_even) >= 0.9 * nul.sum():
            raise DataError(
                f"data file {quoted(path)} is UTF-16 text without a byte-order "
                "mark, not UTF-8; save it as UTF-8",
                path=path,
            )
    try:  # other bytes that are not UTF-8 are named as such when decoded
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return
    at, line = _find_nul(p)
    if at >= 0:
        raise DataError(
            f"data file {quoted(path)}: line {line} holds a NUL byte (\\x00, at "
            f"byte {at}), which is not text; remove it",
            path=path,
            line=line,
        )


def _find_nul(p: Path) -> tuple[int, int]:
    """(byte position, line) of the first NUL byte of a file, or (-1, -1)."""
    offset, lines = 0, 1
    with p.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 24), b""):
            at = chunk.find(b"\x00")
            if at >= 0:
                return offset + at, lines + chunk.count(b"\n", 0, at)
            offset += len(chunk)
            lines += chunk.count(b"\n")
    return -1, -1


def _read_csv(p: Path, path, suffix: str) -> tuple[pd.DataFrame, str]:
    fast = read_csv_arrow(p, suffix)  # None: the strict reader below decides
    if fast is not None and not _last_cell_open(fast[0], p):
        return fast
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(
            f"cannot read data file {quoted(path)}: {exc.strerror or exc}", path=path
        ) from None
    text = _decode(data, path)
    if not text.strip():
        raise DataError(
            f"data file {quoted(path)} is empty (only whitespace)", path=path
        )
    delim = _sniff_delimiter(text, suffix)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    start = 1
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                start = reader.line_num + 1
                continue  # a blank line
            if header is None:
                header = record
                _check_header(header, path)
                start = reader.line_num + 1
                continue
            if len(record) != len(header) or (
                reader.line_num > start and _runs_to_the_end(record, text)
            ):
                _refuse_open_quote(record, start, reader.line_num, path)
            if len(record) != len(header):
                raise DataError(
                    f"data file {quoted(path)}: line {reader.line_num} has "
                    f"{len(record)} fields but the header has {len(header)} "
                    f"(separator {delim!r})",
                    path=path,
                    line=reader.line_num,
                )
            rows.append(record)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(
            f"data file {quoted(path)} does not parse as CSV near line "
            f"{reader.line_num}: {exc}",
            path=path,
            line=reader.line_num,
        ) from None
    assert header is not None  # the text is not blank
    if not rows:
        raise DataError(
            f"data file {quoted(path)} has a header but no data rows", path=path
        )
    names = list(header)  # stripped (and the stripping noted) when cleaning
    columns = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            name: np.array(col, dtype=object)
            for name, col in zip(names, columns, strict=True)
        }
    )
    return frame, delim


def _last_cell_open(frame: pd.DataFrame, p: Path) -> bool:
    """Whether the last row holds a line break and the file ends without a quote.

    A quote opened and never closed swallows the rest of the file into one cell;
    the strict reader then names the line where it opened.
    """
    last = frame.iloc[-1].tolist()
    if not any(isinstance(v, str) and "\n" in v for v in last):
        return False
    with p.open("rb") as fh:
        fh.seek(max(0, p.stat().st_size - 64))
        return fh.read().rstrip()[-1:] != b'"'


def _runs_to_the_end(record: list[str], text: str) -> bool:
    """Whether a multi-line record is the file's last one, with no closing quote."""
    return bool(record) and "\n" in record[-1] and text.rstrip()[-1:] != '"'


def _refuse_open_quote(record: list[str], start: int, end: int, path) -> None:
    """Refuse a record in which a quote opened and never closed (or closed late)."""
    if end > start and any("\n" in field for field in record):
        raise DataError(
            f'data file {quoted(path)}: line {start} opens a quote (") that is '
            f"not closed before line {end}; close it or remove the stray quote",
            path=path,
            line=start,
        )


def _check_header(header: Sequence[object], path) -> None:
    seen: dict[str, int] = {}
    for i, raw in enumerate(header, 1):
        name = str(raw).strip()
        if not name or name.startswith("Unnamed: "):
            raise DataError(
                f"data file {quoted(path)} has a column with no name (column {i} "
                "of the header); name it or remove it",
                path=path,
            )
        if name in seen:
            raise DataError(
                f"data file {quoted(path)} has two columns named {name!r} "
                f"(columns {seen[name]} and {i} of the header)",
                path=path,
            )
        seen[name] = i


def _refuse_nested(schema, path) -> None:
    """Refuse a Parquet column of lists, structs or maps (not one value per cell)."""
    import pyarrow as pa

    for field in schema:
        if pa.types.is_nested(field.type):
            raise DataError(
                f"data file {quoted(path)}: column {field.name!r} holds nested "
                f"values ({field.type}), not one number or text per cell; flatten "
                "it into columns or drop it",
                path=path,
                column=field.name,
            )


def _read_parquet(p: Path, path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a declared extra
        raise DataError(
            f"reading {quoted(path)} needs pyarrow (pip install 'treedistill[parquet]')",
            path=path,
        ) from None
    try:
        table = pq.read_table(p)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's
        raise DataError(
            f"data file {quoted(path)} is not a readable Parquet file "
            f"({first_line(exc)})",
            path=path,
        ) from None
    _check_header(table.column_names, path)
    _refuse_nested(table.schema, path)
    try:
        frame = table.to_pandas()
    except Exception as exc:  # noqa: BLE001
        raise DataError(
            f"data file {quoted(path)} has columns pandas cannot hold "
            f"({first_line(exc)})",
            path=path,
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=True)
    if len(frame) == 0:
        raise DataError(
            f"data file {quoted(path)} has columns but no data rows", path=path
        )
    frame.columns = [str(c) for c in frame.columns]
    return frame
