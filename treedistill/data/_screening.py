"""Checks on the data before training.

Before the teacher is trained, :func:`screen_data` looks for what an auditor would
be blamed for missing:

- identifier-like columns (every value distinct and an id-like name, or
  consecutive integers, or text unique per row): :func:`~treedistill.prepare_data`
  finds them; a run leaves them out unless kept (``keep``);
- possible target leaks: a column that alone separates the target almost perfectly
  (single-column ROC AUC >= :data:`LEAK_AUC`, per class one-vs-rest for 3 or more
  classes); flagged, never dropped silently;
- text columns used as categories (free text when they have many values), and the
  columns left out;
- columns of a few whole numbers (``cp`` 1-4, ``thal`` 3/6/7, 1/2-coded yes/no)
  that are split as quantities ("thal > 3"): if they are codes, declaring them
  categorical makes the rules read "thal is 7".

After the fit, :func:`treedistill.measures._missing_signal.missing_signal` says when
the tree's leaves hold mostly rows with a missing value.

Everything is returned as JSON-ready dicts with ready-made one-line ``lines``
(``{"level": "alert" | "note", "text": ...}``) for the report's "Data checks"
block.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from treedistill.common._json import scalar

__all__ = [
    "LEAK_AUC",
    "LEAK_MAX_ROWS",
    "check_lines",
    "code_columns",
    "code_line",
    "leak_scores",
    "screen_data",
    "screen_features",
    "screened",
    "already_screened",
]

#: A column whose single-column ROC AUC reaches this is flagged as a possible leak.
LEAK_AUC = 0.95
#: At most this many rows (a seeded sample) are scored for leaks.
LEAK_MAX_ROWS = 100_000
#: Text columns with more distinct values than this read as free text.
FREE_TEXT_LEVELS = 50
#: Numeric columns of whole numbers with at most this many distinct values (and
#: not 0/1) may be codes: the data checks suggest declaring them categorical.
CODE_MAX_VALUES = 10


def code_columns(X: pd.DataFrame, declared=()) -> list[dict]:
    """Numeric columns that look like codes: whole numbers, 2 to
    :data:`CODE_MAX_VALUES` distinct values, not a 0/1 pair, not declared
    categorical; ``{"column", "values"}`` (the distinct values, ascending)."""
    if isinstance(declared, str):
        declared = declared.split(",")
    declared = {str(c).strip() for c in declared or ()}
    out = []
    for name in X.columns:
        s = X[name]
        if str(name) in declared or not pd.api.types.is_numeric_dtype(s.dtype):
            continue
        if pd.api.types.is_bool_dtype(s.dtype):
            continue
        values = pd.unique(s.dropna().to_numpy(dtype=np.float64))
        if not 2 <= values.size <= CODE_MAX_VALUES:
            continue
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            continue
        if set(values.tolist()) <= {0.0, 1.0}:
            continue  # a 0/1 column reads as yes/no already
        out.append({"column": str(name), "values": [int(v) for v in np.sort(values)]})
    return out


def code_line(codes: list[dict]) -> str:
    """The data-checks line on columns that look like codes (:func:`code_columns`)."""
    names = [c["column"] for c in codes]
    shown = ", ".join(
        f"{c['column']} ({', '.join(map(str, c['values'][:6]))}"
        + (", …" if len(c["values"]) > 6 else "")
        + ")"
        for c in codes
    )
    return (
        f'columns of a few whole numbers are split as quantities ("{names[0]} > '
        f'{codes[0]["values"][0]}"): {shown}; if they are codes of categories, '
        f"declare them categorical (categorical_features={names!r}) and the rules "
        f'read "{names[0]} is {codes[0]["values"][-1]}"'
    )


# --------------------------------------------------------------------------- #
# Target leakage
# --------------------------------------------------------------------------- #
def _numeric_auc(values: np.ndarray, positive: np.ndarray) -> float:
    """Best single-column AUC of a numeric column (missing placed low or high)."""
    missing = np.isnan(values)
    present = values[~missing]
    if present.size == 0:
        return 0.5
    lo, hi = float(present.min()), float(present.max())
    best = 0.5
    for fill in (lo - 1.0, hi + 1.0) if missing.any() else (lo,):
        score = np.where(missing, fill, values)
        auc = float(roc_auc_score(positive, score))
        best = max(best, auc, 1.0 - auc)
    return best


def _categorical_auc(values: np.ndarray, positive: np.ndarray, seed: int) -> float:
    """AUC of a text column scored by its level's rate of the class, cross-fitted.

    Each half of the rows is scored with the rates of the other half (a level the
    other half lacks scores the overall rate), so a column unique per row cannot
    look separating.
    """
    codes = pd.Series(values, dtype=object).fillna("\x00missing").astype(str)
    fold = np.random.default_rng(seed).permutation(len(codes)) % 2
    score = np.empty(len(codes))
    prior = float(positive.mean())  # one prior: the class rate says nothing
    for k in (0, 1):
        train, test = fold != k, fold == k
        rates = pd.Series(positive[train]).groupby(codes[train].to_numpy()).mean()
        score[test] = codes[test].map(rates).fillna(prior).to_numpy(dtype=float)
    auc = float(roc_auc_score(positive, score))
    return max(auc, 1.0 - auc)


def leak_scores(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    max_rows: int = LEAK_MAX_ROWS,
    random_state: int = 0,
) -> list[dict]:
    """Single-column ROC AUC of every feature column against the target.

    Parameters
    ----------
    X : pandas.DataFrame
        Feature columns as :func:`~treedistill.prepare_data` returns them.
    y : array of shape (n_samples,)
        Class labels.
    max_rows : int, default=LEAK_MAX_ROWS
        Score a seeded sample of at most this many rows.
    random_state : int, default=0

    Returns
    -------
    list of dict
        One per column: ``column``, ``auc`` (the best over the classes: one score
        for a binary target, one-vs-rest for 3 or more classes), ``class`` (the
        class it is best for; ``None`` when binary). Sorted by ``auc``, highest
        first. Each AUC is at least 0.5 (either direction counts).
    """
    y = np.asarray(y)
    if len(y) > max_rows:
        pick = np.sort(
            np.random.default_rng(random_state).choice(len(y), max_rows, replace=False)
        )
        X, y = X.iloc[pick], y[pick]
    classes = np.unique(y)
    targets = [(None, y == classes[-1])] if len(classes) == 2 else []
    if len(classes) > 2:
        targets = [(scalar(c), y == c) for c in classes]
    out = []
    for name in X.columns:
        s = X[name]
        numeric = pd.api.types.is_numeric_dtype(s.dtype) and not (
            pd.api.types.is_bool_dtype(s.dtype)
        )
        best, best_class = 0.5, None
        for label, positive in targets:
            if numeric:
                auc = _numeric_auc(
                    s.to_numpy(dtype=np.float64, na_value=np.nan), positive
                )
            else:
                auc = _categorical_auc(s.to_numpy(dtype=object), positive, random_state)
            if auc > best:
                best, best_class = auc, label
        out.append({"column": str(name), "auc": round(best, 4), "class": best_class})
    out.sort(key=lambda r: (-r["auc"], r["column"]))
    return out


def _leak_text(leak: dict, target: str) -> str:
    name = leak["column"]
    what = (
        f"class {leak['class']!r} of {target!r} from the rest"
        if leak["class"] is not None
        else repr(target)
    )
    return (
        f"possible target leak: column {name!r} alone separates {what} almost "
        f"perfectly (single-column ROC AUC {leak['auc']:.3f}); if it is recorded "
        f"after or because of the outcome, leave it out (drop=[{name!r}]) and run again"
    )


# --------------------------------------------------------------------------- #
# Before training
# --------------------------------------------------------------------------- #
def screen_data(
    X: pd.DataFrame,
    y: np.ndarray,
    summary: Mapping,
    *,
    target: str,
    random_state: int = 0,
    categorical_features=(),
) -> dict:
    """What the data checks before training found, ready for the report.

    Parameters
    ----------
    X, y :
        The features and labels :func:`~treedistill.prepare_data` returned.
    summary : dict
        Its summary (identifier columns are read from the column actions).
    target : str
    random_state : int, default=0
    categorical_features : sequence of str, default=()
        Columns declared categorical (never suggested as codes).

    Returns
    -------
    dict
        ``identifiers`` (``{"column", "action"}``: ``"left out"`` or ``"kept"``),
        ``leaks`` (entries of :func:`leak_scores` at or above :data:`LEAK_AUC`,
        with ``text``), ``text_columns`` (``{"column", "n_levels", "free_text"}``),
        ``dropped`` (``{"column", "reason"}``), ``codes`` (numeric columns that
        look like codes, see :func:`code_columns`) and ``lines``.
    """
    columns = summary.get("columns", {}) or {}
    identifiers = []
    for name, info in columns.items():
        action = str(info.get("action", ""))
        if "identifier" in action:
            left_out = action.startswith("dropped")
            identifiers.append(
                {"column": name, "action": "left out" if left_out else "kept"}
            )
    leaks = [
        {**leak, "text": _leak_text(leak, target)}
        for leak in leak_scores(X, y, random_state=random_state)
        if leak["auc"] >= LEAK_AUC
    ]
    text_columns = [
        {
            "column": name,
            "n_levels": int(info.get("n_levels") or 0),
            "free_text": int(info.get("n_levels") or 0) > FREE_TEXT_LEVELS,
        }
        for name, info in columns.items()
        if name in X.columns and info.get("kind") == "categorical"
    ]
    dropped = [
        {"column": name, "reason": str(reason)}
        for name, reason in (summary.get("dropped_columns", {}) or {}).items()
        if "identifier" not in str(reason)
    ]
    checks = {
        "identifiers": identifiers,
        "leaks": leaks,
        "text_columns": text_columns,
        "dropped": dropped,
        "codes": code_columns(X, categorical_features),
        "leak_auc": LEAK_AUC,
    }
    checks["lines"] = check_lines(checks)
    return checks


def check_lines(checks: Mapping) -> list[dict]:
    """The "Data checks" lines of a checks dict: alerts first, then notes."""
    lines = []
    for ident in checks.get("identifiers", []):
        name = ident["column"]
        if ident["action"] == "left out":
            text = (
                f"column {name!r} looks like a record identifier and was left out "
                f"of the features (name it in keep to use it: keep=[{name!r}])"
            )
        else:
            text = f"column {name!r} looks like a record identifier and was kept"
        lines.append({"level": "alert", "text": text})
    lines += [
        {"level": "alert", "text": leak["text"]} for leak in checks.get("leaks", [])
    ]
    signal = checks.get("missing_signal") or {}
    lines += [{"level": "alert", "text": t} for t in signal.get("lines", [])]
    if not checks.get("leaks"):
        lines.append(
            {
                "level": "note",
                "text": "no column alone separates the target almost perfectly "
                f"(every single-column ROC AUC < {checks.get('leak_auc', LEAK_AUC):g})",
            }
        )
    text = checks.get("text_columns", [])
    if text:
        shown = ", ".join(
            f"{t['column']} ({t['n_levels']} values"
            + ("; free text?" if t["free_text"] else "")
            + ")"
            for t in text
        )
        lines.append(
            {
                "level": "note",
                "text": f"text columns used as categories (one 0/1 feature per "
                f"value): {shown}",
            }
        )
    if checks.get("codes"):
        lines.append({"level": "note", "text": code_line(checks["codes"])})
    lines.append(
        {
            "level": "note",
            "text": "columns of dates are refused before training (derive a number "
            "such as an age or a number of days from them)",
        }
    )
    for d in checks.get("dropped", []):
        lines.append(
            {"level": "note", "text": f"column {d['column']!r} left out: {d['reason']}"}
        )
    return [
        {**line, "text": line["text"][:1].upper() + line["text"][1:]} for line in lines
    ]


# --------------------------------------------------------------------------- #
# The estimators' own screening (the Python API)
# --------------------------------------------------------------------------- #
def screen_features(
    X: pd.DataFrame, y, *, keep=(), random_state: int = 0
) -> list[tuple[str, type]]:
    """What a distiller's ``fit`` says about its columns, as ``(text, warning
    class)`` pairs: the run's screening for an estimator, which never leaves a
    column out on its own.

    Refuses a text column of dates (:class:`~treedistill.exceptions.DataError`,
    as :func:`~treedistill.prepare_data` does); names each identifier-like column
    (:class:`~treedistill.exceptions.IdentifierColumnWarning`) and each possible
    target leak (:class:`~treedistill.exceptions.LeakageWarning`). Columns named
    in ``keep`` are kept without a word, as ``keep`` does for a run.
    """
    from treedistill.data._prepare import _looks_like_id, _refuse_dates
    from treedistill.data._schema import is_categorical
    from treedistill.exceptions import IdentifierColumnWarning, LeakageWarning

    if isinstance(keep, str):
        keep = keep.split(",")
    kept = {str(k).strip() for k in keep or ()}
    out: list[tuple[str, type]] = []
    for name in X.columns:
        if str(name) in kept:
            continue
        s = X[name]
        categorical = is_categorical(s)
        explicit = isinstance(s.dtype, pd.CategoricalDtype) or (
            pd.api.types.is_bool_dtype(s.dtype)
        )
        if categorical and not explicit:
            _refuse_dates(str(name), s)
        kind = "categorical" if categorical else "numeric"
        if s.nunique(dropna=True) > 1 and _looks_like_id(str(name), s, kind):
            out.append(
                (
                    f"column {str(name)!r} looks like a record identifier (every "
                    "value differs) and is used as a feature: leave it out of X "
                    f"(prepare_data does), or name it in keep=[{str(name)!r}] to "
                    "use it without this warning",
                    IdentifierColumnWarning,
                )
            )
    y = np.asarray(y)
    if len(y) and np.unique(y[~pd.isna(y)]).size >= 2:
        scored = X[[c for c in X.columns if str(c) not in kept]]
        for leak in leak_scores(scored, y, random_state=random_state):
            if leak["auc"] >= LEAK_AUC:
                out.append((_leak_text(leak, "y"), LeakageWarning))
    return out


_SCREENED: ContextVar[bool] = ContextVar("treedistill_screened", default=False)


@contextmanager
def screened():
    """Within it, distillers skip their own screening: a run screens its data
    once, before training, and its many fits (students, baselines, refits) do
    not repeat it."""
    token = _SCREENED.set(True)
    try:
        yield
    finally:
        _SCREENED.reset(token)


def already_screened() -> bool:
    """Whether the caller's data was screened already (see :func:`screened`)."""
    return _SCREENED.get()
