"""Text that users open: visible direction controls and spreadsheet-safe CSV cells.

- :func:`show_controls` writes Unicode direction overrides and isolates (U+202A-202E,
  U+2066-2069, and the invisible marks U+200E, U+200F, U+061C) as visible ``<U+202E>``
  escapes, so a column name or category cannot visually reorder a rule or threshold.
  Every renderer of names and values for people (rules, reports, command-line output)
  passes text through it.
- :func:`csv_safe_frame` neutralises spreadsheet formulas in text cells of a table
  about to be written as CSV: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return gets a leading apostrophe. Numbers stay numbers.
- :func:`name_list` lists names for a one-line message: the first few and a count.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a frame is made safe, not for a line
    import pandas as pd

__all__ = [
    "DIRECTION_CONTROLS",
    "csv_safe",
    "csv_safe_frame",
    "name_list",
    "show_controls",
]

#: Characters that change the displayed order of text without being visible.
DIRECTION_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
_CONTROL_RE = re.compile("[" + "".join(sorted(DIRECTION_CONTROLS)) + "]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def show_controls(text: str) -> str:
    """``text`` with every direction control written as a visible ``<U+XXXX>``."""
    text = str(text)
    if not _CONTROL_RE.search(text):
        return text
    return _CONTROL_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def csv_safe(value):
    """One cell made safe to open in a spreadsheet (see the module docstring).

    Non-text values are returned unchanged; so is text that reads as a finite
    number (``-1.5`` stays a number).
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _is_number(value.strip()) and not value.startswith(("\t", "\r")):
        return value
    return "'" + value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are :func:`csv_safe`."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            out[name] = column.map(csv_safe, na_action="ignore")
        elif isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = column.astype(object).map(csv_safe, na_action="ignore")
    out.columns = [csv_safe(c) for c in out.columns]
    return out


def name_list(names, shown: int = 5) -> str:
    """``a, b, c, d, e and 1995 more``: the first ``shown`` names and a count."""
    names = [str(n) for n in names]
    head = ", ".join(names[:shown])
    rest = len(names) - shown
    return f"{head} and {rest} more" if rest > 0 else head
