"""A table's rows as the file gives them, for output that copies the input rows.

:func:`~treedistill.read_table` cleans what it reads (numbers parsed, ``N/A`` and
blanks made missing, whitespace stripped); a command that writes the input rows
back (``predict``) writes them from :func:`input_rows` instead, so that each cell
is the text the file holds (``24`` stays ``24``, ``N/A`` stays ``N/A``) and a
Parquet file's named index (``patient_id``) is kept as a column.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from pathlib import Path

import pandas as pd

from treedistill.data._delimiter import sniff_delimiter

__all__ = ["input_rows"]


def input_rows(path: str | os.PathLike[str], n_rows: int) -> pd.DataFrame | None:
    """The rows of ``path`` as given: a CSV file's cells as text (header too), a
    Parquet file's columns as stored with its named index columns first.

    ``n_rows`` is how many rows :func:`~treedistill.read_table` read from the
    same file; ``None`` is returned when the rows found differ (the caller then
    writes the cleaned rows), or for a file that is neither.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = _parquet_rows(p)
    elif suffix in (".csv", ".tsv", ".txt"):
        frame = _csv_rows(p, suffix)
    else:
        return None
    if frame is None or len(frame) != n_rows:
        return None
    return frame


def _parquet_rows(p: Path) -> pd.DataFrame | None:
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(p).to_pandas()
    except Exception:  # noqa: BLE001 - read_table has already read it
        return None
    if isinstance(frame.index, pd.RangeIndex):
        return frame.reset_index(drop=True)
    named = [n for n in frame.index.names if n is not None]
    clash = [n for n in named if n in frame.columns]
    if not named or clash:
        return frame.reset_index(drop=True)
    if len(named) < frame.index.nlevels:  # unnamed levels carry no key
        drop = [i for i, n in enumerate(frame.index.names) if n is None]
        frame = frame.reset_index(level=drop, drop=True)
    return frame.reset_index()


def _csv_rows(p: Path, suffix: str) -> pd.DataFrame | None:
    data = p.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    delim = sniff_delimiter(text, suffix)
    records = [
        r
        for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        if r and not (len(r) == 1 and not r[0].strip())
    ]
    if not records:
        return None
    header, rows = records[0], records[1:]
    if any(len(r) != len(header) for r in rows) or len(set(header)) != len(header):
        return None
    return pd.DataFrame(rows, columns=header, dtype=object)
