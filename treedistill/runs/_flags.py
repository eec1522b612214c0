"""Flagging rows at an operating point, as the report does: ``predict``'s ``flagged``.

At a probability threshold a row is flagged when the positive class's probability
is at least the threshold. At a flag rate the top share of the rows given is
flagged by that probability, ``n_flagged(n, rate)`` rows (``rate * n`` rounded
half up, at least one); rows tied at the cut share the flags that remain, so
their ``flagged`` is that share (between 0 and 1) and the column sums to exactly
the count the report gives for the same rows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from treedistill.exceptions import ParameterError
from treedistill.measures._fidelity import cut_of, flag_weights

__all__ = ["RUN", "flag_rows", "resolve_flagging", "run_operating_points"]

#: The value of ``threshold`` / ``flag_rate`` that means "the run's own".
RUN = "run"


def run_operating_points(source: str | os.PathLike) -> dict | None:
    """The operating points of the run ``source`` belongs to (a run directory or a
    student file in one), as its ``report.json`` records them; ``None`` without
    a report."""
    path = Path(source)
    folder = path if path.is_dir() else path.parent
    report = folder / "report.json"
    if not report.is_file():
        return None
    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
        return dict(doc["operating_points"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _positive(classes: list, ops: dict | None, positive_class):
    if len(classes) != 2:
        raise ParameterError(
            f"flagging rows needs a student of two classes; this one has "
            f"{len(classes)} ({classes})",
            parameter="threshold",
        )
    wanted = positive_class
    if wanted is None and ops is not None:
        wanted = ops.get("positive_class")
    if wanted is None:
        return classes[1]
    for c in classes:
        if c == wanted or str(c) == str(wanted):
            return c
    raise ParameterError(
        f"positive_class {wanted!r} is not a class of the student (its classes: "
        f"{classes})",
        parameter="positive_class",
    )


def resolve_flagging(
    classes: list,
    *,
    threshold=None,
    flag_rate=None,
    positive_class=None,
    ops: dict | None = None,
) -> dict | None:
    """``{"kind", "value", "positive"}`` of the flag asked for (``None``: none).

    ``threshold`` / ``flag_rate`` is a number, or :data:`RUN` for the run's own
    (read from ``ops``, the run's operating points); not both.
    """
    if threshold is None and flag_rate is None:
        return None
    if threshold is not None and flag_rate is not None:
        raise ParameterError(
            "give threshold or flag_rate, not both (one flagged column)",
            parameter="threshold",
        )
    kind, value = (
        ("threshold", threshold) if threshold is not None else ("flag_rate", flag_rate)
    )
    positive = _positive(classes, ops, positive_class)
    if isinstance(value, str) and value.strip().lower() == RUN:
        if ops is None or not isinstance(ops.get(kind), (int, float)):
            raise ParameterError(
                f"{kind} of the run: the student is not in a run directory with a "
                f"report.json of a two-class run; give {kind} as a number",
                parameter=kind,
            )
        value = ops[kind]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{kind} must be a number in [0, 1] or {RUN!r}, got {value!r}",
            parameter=kind,
        ) from None
    low_open = kind == "flag_rate"
    if not np.isfinite(value) or not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise ParameterError(
            f"{kind} must be in {'(0, 1]' if low_open else '[0, 1]'}, got {value:g}",
            parameter=kind,
        )
    return {"kind": kind, "value": value, "positive": positive}


def flag_rows(score: np.ndarray, flag: dict) -> tuple[np.ndarray, float]:
    """The ``flagged`` column for ``score`` (the positive class's probability)
    and the probability cut it corresponds to (see the module docstring)."""
    score = np.asarray(score, dtype=np.float64)
    if flag["kind"] == "threshold":
        return (score >= flag["value"]).astype(np.float64), float(flag["value"])
    return flag_weights(score, flag["value"]), cut_of(score, flag["value"])


def run_flag_cut(source: str | os.PathLike, student: str) -> dict:
    """The probability cut the run's flag rate came to for ``student`` (``"tree"``
    or ``"boosted"``) on the run's held-out rows, from its report.json:
    ``{"rate", "cut", "positive"}``.

    Raises :class:`ParameterError` (``flag_rate``) when the run has none.
    """
    path = Path(source)
    folder = path if path.is_dir() else path.parent
    try:
        doc = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        ops = doc["operating_points"]
        row = next(r for r in doc["fidelity"]["held_out"] if r["key"] == student)
        point = next(
            p for p in row["measures"]["operating_points"] if p["kind"] == "flag_rate"
        )
        cut = float(point["student_cut"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        raise ParameterError(
            f"flag_rate of the run: {str(folder)!r} has no report.json of a "
            f"two-class run with the {student} student's flag-rate cut; give "
            "threshold instead",
            parameter="flag_rate",
        ) from None
    return {"rate": ops["flag_rate"], "cut": cut, "positive": ops["positive_class"]}
