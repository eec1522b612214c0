"""Which rows trained a teacher, and what columns it was trained on.

A teacher treedistill trains records a fingerprint of each of its training rows: the
first 16 hex digits of the sha256 of the row's feature values (columns in the
teacher's order, numbers as float64, text as text, missing as empty). The data are
not stored, only these hashes, so a later run can count the held-out rows the
teacher has seen. A teacher without this record (any model trained elsewhere) is
"overlap unknown", never independent.

The MLP teacher's fitted column encoding is also its schema: the kind of each
column and the categories it was trained on; :func:`schema_mismatches` compares a
data set with it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

__all__ = [
    "FINGERPRINT",
    "held_out_overlap",
    "row_fingerprints",
    "schema_mismatches",
    "training_rows",
]

#: How a row fingerprint is computed (recorded next to the fingerprints).
FINGERPRINT = "sha256-16 of the row's feature values"
_SEP = "\x1f"


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return repr(float(value))
    return str(value)


def row_fingerprints(X: pd.DataFrame) -> list[str]:
    """One fingerprint per row of ``X`` (see the module docstring)."""
    columns = [X.iloc[:, j].to_numpy(dtype=object) for j in range(X.shape[1])]
    out = []
    for i in range(len(X)):
        text = _SEP.join(_cell(col[i]) for col in columns)
        out.append(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    return out


def training_rows(teacher) -> dict | None:
    """The training-row record of ``teacher`` (``None``: it has none).

    An ensemble has one when every member (or the ensemble itself) has one.
    """
    record = getattr(teacher, "training_rows_", None)
    if record is not None:
        return record
    members = getattr(teacher, "teachers_", None)
    if members:
        records = [training_rows(m) for m in members]
        if all(r is not None for r in records):
            columns = records[0]["columns"]
            if all(r["columns"] == columns for r in records):
                rows = sorted({f for r in records for f in r["fingerprints"]})
                return {"method": FINGERPRINT, "columns": columns, "fingerprints": rows}
    inner = getattr(teacher, "model", None)  # a relabelled model
    if inner is not None and inner is not teacher:
        return training_rows(inner)
    return None


def held_out_overlap(teacher, X_test: pd.DataFrame) -> dict:
    """How many rows of ``X_test`` the teacher was trained on.

    Returns ``{"status": "none" | "overlap" | "unknown", "n_overlap", "n_test",
    "text"}`` (``n_overlap`` is ``None`` when unknown). Rows are matched by the
    fingerprint of their values in the columns the teacher recorded.
    """
    n_test = int(len(X_test))
    record = training_rows(teacher)
    if record is None:
        return {
            "status": "unknown",
            "n_overlap": None,
            "n_test": n_test,
            "text": "overlap with the held-out rows unknown: the teacher file does "
            "not record which rows trained it",
        }
    columns = list(record["columns"])
    absent = [c for c in columns if c not in X_test.columns]
    if absent:
        return {
            "status": "unknown",
            "n_overlap": None,
            "n_test": n_test,
            "text": "overlap with the held-out rows unknown: the teacher was trained "
            f"on column {absent[0]!r}, which the held-out rows lack",
        }
    seen = set(record["fingerprints"])
    hits = sum(f in seen for f in row_fingerprints(X_test[columns]))
    if hits == 0:
        text = (
            f"none of the {n_test} held-out rows is among the teacher's training rows"
        )
        status = "none"
    else:
        text = (
            f"the teacher was trained on {hits} of the {n_test} held-out rows "
            f"({hits / max(n_test, 1):.0%}): its accuracy and the students' fidelity "
            "on them are optimistic; train the teacher on other rows"
        )
        status = "overlap"
    return {"status": status, "n_overlap": hits, "n_test": n_test, "text": text}


def schema_mismatches(teacher, X: pd.DataFrame) -> list[dict]:
    """Columns of ``X`` whose values the teacher's recorded schema does not know.

    Only an MLP teacher (or an ensemble of them) records one: for each categorical
    column, the share of non-missing values outside its training categories; for
    each numeric column, the share of non-missing values that are not numbers.
    Returns ``[{"column", "kind", "share", "examples"}]`` for columns with any.
    """
    states = _schema(teacher)
    if not states:
        return []
    out = []
    for state in states:
        name = state.get("name")
        if name not in X.columns:
            continue
        values = X[name]
        present = values[values.notna()]
        if len(present) == 0:
            continue
        if state.get("kind") == "categorical":
            known = {str(c) for c in state.get("categories", [])}
            keys = present.astype(object).map(str)
            bad = keys[~keys.isin(known)]
        elif state.get("kind") == "numeric":
            numbers = pd.to_numeric(present.astype(object), errors="coerce")
            bad = present[numbers.isna()].astype(object).map(str)
        else:
            continue
        if len(bad):
            out.append(
                {
                    "column": str(name),
                    "kind": state["kind"],
                    "share": len(bad) / len(present),
                    "examples": sorted(set(bad.tolist()))[:3],
                }
            )
    return out


def _schema(teacher) -> list[dict] | None:
    states = getattr(teacher, "_preprocessing", None)
    if states is None:
        members = getattr(teacher, "teachers_", None)
        if members:
            states = getattr(members[0], "_preprocessing", None)
    inner = getattr(teacher, "model", None)  # a relabelled model
    if states is None and inner is not None and inner is not teacher:
        return _schema(inner)
    return states
