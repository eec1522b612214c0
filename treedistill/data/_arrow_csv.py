"""The fast path of CSV reading: pyarrow parses, the strict reader explains failures.

:func:`read_csv_arrow` parses a CSV file with pyarrow's multi-threaded reader,
every column as text, then turns the columns whose cells are all plainly written
numbers into ``int64`` / ``float64`` arrays in vectorised steps. Every other
column is handed on as text, to be cleaned by exactly the rules of the strict
reader (:func:`treedistill.data._cleaning.clean_frame`), so both paths give the same
frame (dtypes, values, missing values and cleaning notes).

It returns ``None`` whenever it cannot be sure of giving the strict reader's
answer: pyarrow fails (a row with too many fields, bytes that are not UTF-8, …),
the file has no data rows, or the header has a blank or repeated name. The
caller then runs the strict reader, which gives the exact line-numbered error
(or, for the few files only it accepts, such as lines of blanks, the frame).

A column is converted here only when every non-empty cell matches
``-?digits`` (``int64`` when no cell is empty and all fit, as
``pandas.to_numeric`` gives) or a plain decimal / exponent number without a
sign ``+`` or surrounding blanks; pyarrow's string-to-float cast rounds as
``pandas.to_numeric`` does. Cells such as ``" 5"``, ``"+5"``, ``"inf"`` or
``"nan"`` leave their column to the strict cleaning rules, which note them.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

__all__ = ["read_csv_arrow"]

_HEAD_BYTES = 4 * 65536 + 4  # enough for the sniffer's 65,536 characters
_INTEGER = r"^-?[0-9]+$"
_DECIMAL = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_BLOCK_BYTES = 16 << 20  # pyarrow's parse block; rows may not span more


def _head_text(p: Path) -> str | None:
    """The first characters of the file as the strict reader decodes them."""
    with p.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None


def _column(values, pa, pc):
    """A text column as int64 / float64 when all its cells are plain numbers."""
    if values.null_count:  # pragma: no cover - strings are read as non-null
        return None
    empty = pc.equal(values, "")
    n_empty = pc.sum(empty).as_py() or 0
    if n_empty == len(values):
        return None
    present = values if n_empty == 0 else values.filter(pc.invert(empty))
    if n_empty == 0 and pc.all(pc.match_substring_regex(present, _INTEGER)).as_py():
        try:
            return pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # beyond int64: the strict rules decide
            return None
    if not pc.all(pc.match_substring_regex(present, _DECIMAL)).as_py():
        return None
    numbers = pc.cast(pc.if_else(empty, None, values), pa.float64())
    return numbers.to_numpy(zero_copy_only=False)


def _header(text: str, delimiter: str) -> list[str] | None:
    """The header fields (the first non-blank record) of the head text."""
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if record and not (len(record) == 1 and not record[0].strip()):
            return record
    return None


def _header_ok(names: list[str]) -> bool:
    stripped = [str(n).strip() for n in names]
    if any(not n or n.startswith("Unnamed: ") for n in stripped):
        return False
    return len(set(stripped)) == len(stripped)


def read_csv_arrow(p: Path, suffix: str) -> tuple[pd.DataFrame, str] | None:
    """Parse ``p`` with pyarrow; ``None`` when the strict reader must decide.

    Parameters
    ----------
    p : Path
        An existing, non-empty file.
    suffix : str
        Its lower-case suffix (``.tsv`` prefers the tab when sniffing).

    Returns
    -------
    (DataFrame, str) or None
        The frame before cleaning (plainly numeric columns converted, the others
        ``object`` arrays of ``str``) and the separator.
    """
    from treedistill.data._delimiter import sniff_delimiter as _sniff_delimiter

    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    text = _head_text(p)
    if text is None or not text.strip():
        return None
    delimiter = _sniff_delimiter(text, suffix)
    header = _header(text, delimiter)
    if header is None or not _header_ok(header):
        return None
    try:
        table = pacsv.read_csv(
            p,
            read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                auto_dict_encode=False,
            ),
        )
    except Exception:  # noqa: BLE001 - any failure is the strict reader's to explain
        return None
    if (
        table.num_rows == 0
        or table.column_names != header
        or any(t != pa.string() for t in table.schema.types)
    ):
        return None
    columns = {}
    for name, chunked in zip(header, table.columns, strict=True):
        values = chunked.combine_chunks()
        numbers = _column(values, pa, pc)
        if numbers is None:
            numbers = values.to_numpy(zero_copy_only=False).astype(object, copy=False)
        columns[name] = numbers
    del table
    return pd.DataFrame(columns, copy=False), delimiter
