"""Two-valued columns read as booleans, and user-declared categorical columns.

A column whose present values are exactly two of a known pair (``0``/``1``,
``False``/``True``, ``f``/``t``, ``n``/``y``, ``no``/``yes``, ``false``/``true``,
any letter case) is a boolean: the student sees it as one 0/1 column (1 for the
"true" value, NaN when missing) and the rules read "has hypertension" /
"no hypertension" (``0``/``1`` and bool columns whose name reads as a property a
patient has), "sex = 1" / "sex = 0" (other ``0``/``1`` columns: ``sex``, ``group``,
``x1``) or "smoker is yes" / "smoker is no" (the other pairs), never
``hypertension <= 0``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from treedistill.exceptions import ParameterError, UnseenCategoryWarning

__all__ = [
    "boolean_levels",
    "boolean_values",
    "reads_as_property",
    "resolve_categorical",
]

_PAIRS = {("0", "1"), ("f", "t"), ("n", "y"), ("no", "yes"), ("false", "true")}


def boolean_levels(levels: list) -> tuple | None:
    """``(false_level, true_level)`` when ``levels`` are a boolean pair, else None."""
    if len(levels) != 2:
        return None
    a, b = levels
    if all(isinstance(v, (bool, np.bool_)) for v in levels):
        return (a, b) if not a else (b, a)
    if all(isinstance(v, (int, float, np.number)) for v in levels):
        if {float(a), float(b)} == {0.0, 1.0}:
            return (a, b) if float(a) == 0.0 else (b, a)
        return None
    if all(isinstance(v, str) for v in levels):
        low = (a.strip().lower(), b.strip().lower())
        if low in _PAIRS:
            return a, b
        if low[::-1] in _PAIRS:
            return b, a
    return None


def reads_as_has(true_level) -> bool:
    """Whether the column reads "has X" / "no X" (0/1 and bool columns)."""
    return isinstance(true_level, (bool, np.bool_, int, float, np.number))


#: Words that name what a patient is or belongs to, not a property they have:
#: a 0/1 column named with one of them reads "sex = 1", never "has sex".
_NOT_PROPERTIES = frozenset(
    "sex gender male female man woman race ethnicity ethnic group arm cohort site "
    "centre center region country area ward unit type kind code class category cat "
    "grade stage level status year month day week id num number count score index "
    "rank order batch source label target outcome treatment treated control "
    "intervention".split()
)


def reads_as_property(name) -> bool:
    """Whether ``has <name>`` reads as a property of a patient.

    ``hypertension``, ``diabetes``, ``high_blood_pressure`` do; ``sex``,
    ``treatment_group``, ``is_smoker``, ``x1`` (codes, memberships, names already
    phrased as a question, bare letters and numbers) do not.
    """
    text = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name)).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w]
    if not words or words[0] in ("is", "has", "was", "had", "no", "not", "n"):
        return False
    if any(w in _NOT_PROPERTIES for w in words):
        return False
    # x1, f3, v12, q: a code, not a word
    return not (len(words) == 1 and re.fullmatch(r"[a-z]{1,2}[0-9]*", words[0]))


def boolean_values(
    s: pd.Series, name: str, levels: list, true_level, *, warn_unseen: bool = True
) -> np.ndarray:
    """A boolean column as 1.0 (true level), 0.0 (the other level), NaN (missing).

    A value that is neither level is scored as missing, with an
    :class:`~treedistill.exceptions.UnseenCategoryWarning`.
    """
    missing = s.isna().to_numpy()
    false_level = levels[0] if levels[1] == true_level else levels[1]
    numbers = isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf"
    if numbers and not any(isinstance(v, str) for v in (true_level, false_level)):
        values = s.to_numpy()  # a plain numeric column: compared as a whole
        is_true, is_false = values == true_level, values == false_level
    else:
        values = s.to_numpy(dtype=object)
        is_true, is_false = _equal(values, true_level), _equal(values, false_level)
    out = np.full(len(s), np.nan)
    out[is_true & ~missing] = 1.0
    out[is_false & ~missing] = 0.0
    unseen = np.isnan(out) & ~missing
    if warn_unseen and unseen.any():
        examples = sorted({str(v) for v in values[unseen].tolist()})[:3]
        warnings.warn(
            f"column {name!r} holds {int(unseen.sum())} value(s) that are neither "
            f"{false_level!r} nor {true_level!r} (e.g. {', '.join(examples)}); they "
            "are scored as missing",
            UnseenCategoryWarning,
            stacklevel=3,
        )
    return out


def _equal(values: np.ndarray, level) -> np.ndarray:
    if isinstance(level, str):
        return np.array([isinstance(v, str) and v == level for v in values], bool)
    hit = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, str) or v is None:
            continue
        try:
            hit[i] = bool(v == level)
        except (TypeError, ValueError):
            hit[i] = False
    return hit


def resolve_categorical(spec, columns: list[str]) -> list[str]:
    """Column names declared categorical by ``spec``.

    Parameters
    ----------
    spec : None, str, or array-like of str, int or bool
        Names, positions, or a boolean mask over ``columns`` (as
        ``HistGradientBoostingClassifier``'s ``categorical_features``); a str is
        one name or a comma-separated list.
    columns : list of str
        The training columns.

    Returns
    -------
    list of str
    """
    if spec is None:
        return []
    if isinstance(spec, str):
        spec = [p.strip() for p in spec.split(",") if p.strip()]
    items = list(np.asarray(spec, dtype=object).ravel()) if len(spec) else []
    if items and all(isinstance(v, (bool, np.bool_)) for v in items):
        if len(items) != len(columns):
            raise ParameterError(
                f"categorical_features is a mask of {len(items)} values but X has "
                f"{len(columns)} columns",
                parameter="categorical_features",
            )
        return [c for c, m in zip(columns, items, strict=True) if m]
    out = []
    for v in items:
        if isinstance(v, (int, np.integer)):
            if not -len(columns) <= int(v) < len(columns):
                raise ParameterError(
                    f"categorical_features: column index {int(v)} is out of range "
                    f"for {len(columns)} columns",
                    parameter="categorical_features",
                )
            out.append(columns[int(v)])
        elif str(v) in columns:
            out.append(str(v))
        else:
            raise ParameterError(
                f"categorical_features: column {str(v)!r} is not in the data",
                parameter="categorical_features",
            )
    return list(dict.fromkeys(out))
