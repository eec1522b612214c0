"""The record of a run: what report.json's ``run`` section and config.json hold."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._json import plain

__all__ = [
    "data_for_report",
    "library_versions",
    "student_file_names",
    "student_record",
    "teacher_description",
    "unseen_category_notes",
]

_VERSIONED = ("scikit-learn", "xgboost", "torch", "pandas", "numpy", "shap")


def student_file_names(kinds: Sequence[str]) -> dict[str, str]:
    """File name of each student in a run directory."""
    if len(kinds) == 1:
        return {kinds[0]: "student.json"}
    return {kind: f"student-{kind}.json" for kind in kinds}


def library_versions() -> dict[str, str]:
    """Versions of Python, treedistill and the libraries a run depends on."""
    from treedistill.common._version import __version__

    out = {"python": sys.version.split()[0], "treedistill": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def student_record(model) -> dict:
    """Every parameter a student was fit with (its own defaults resolved)."""
    params = model.get_params(deep=False)
    params.pop("teacher", None)
    if getattr(model, "augment_rule_", None) is not None:  # what "auto" chose
        params["augment_factor_used"] = model.augment_factor_
        params["augment_rule"] = model.augment_rule_
    return plain(params)


def teacher_description(teacher) -> str:
    """``MLPTeacher``, or ``EnsembleTeacher(arithmetic: MLPTeacher, ...)``."""
    if hasattr(teacher, "teachers_"):
        inner = ", ".join(type(t).__name__ for t in teacher.teachers_)
        return f"EnsembleTeacher({teacher.method}: {inner})"
    return type(teacher).__name__


def unseen_category_notes(schema, X: pd.DataFrame) -> list[str]:
    """One note per categorical column of ``X`` holding levels training never saw.

    Such rows are kept and scored: they match no category of the students (every
    0/1 column of that column is 0), and the teacher sees them as they are.
    """
    notes = []
    for col in schema.columns:
        if not col.is_categorical or col.name not in X.columns:
            continue
        present = X[col.name].dropna()
        new = present[~present.isin(list(col.levels))]
        if new.empty:
            continue
        examples = ", ".join(repr(str(v)) for v in sorted({str(v) for v in new})[:3])
        notes.append(
            f"column {col.name!r}: {len(new)} held-out row(s) hold categories not "
            f"seen in training ({examples}); they match no category of the student "
            "(kept and scored)"
        )
    return notes


def data_for_report(summary: dict, **head) -> dict:
    """The data summary shaped for the report: per-column facts as table rows.

    Keys of ``summary`` that are not reshaped here are passed through as they are;
    its warnings are left out (the run's notes carry them).
    """
    summary = plain(summary)
    out = dict(head)
    columns = summary.pop("columns", {}) or {}
    cleaning = dict(summary.pop("cleaning", {}) or {})
    by_column = cleaning.pop("by_column", {}) or {}
    for key in ("warnings", "features", "source", "target"):
        summary.pop(key, None)
    fields = ["kind", "action", "n_missing", "missing_share", "n_levels"]
    extra = sorted({k for c in by_column.values() for k in c})
    rows = []
    for name, info in columns.items():
        row = {"column": name}
        row.update({f: info.get(f) for f in fields})
        row.update({k: (by_column.get(name) or {}).get(k) for k in extra})
        row.update({k: v for k, v in info.items() if k not in row})
        rows.append(row)
    out.update(
        {
            key: summary.pop(key)
            for key in ("rows_in", "rows_used", "rows_dropped")
            if key in summary
        }
    )
    dropped = summary.pop("dropped_columns", {}) or {}
    if isinstance(dropped, dict):
        dropped = [{"column": k, "reason": v} for k, v in dropped.items()]
    out["columns"] = rows
    out["dropped_columns"] = dropped
    out["cleaning"] = {k: v for k, v in cleaning.items() if v not in (0, [], {}, None)}
    out.update(summary)
    return out


def run_config(
    params, *, models, files, data_path: Path, data_sha, teacher_info, sweeps
):
    """The content of config.json (deterministic: same inputs, same bytes)."""
    recorded = params.to_dict()
    data_recorded = str(data_path)
    if params.copy_data:
        # The copy in the run directory is the lasting one.
        data_recorded = recorded["data"] = f"inputs/{data_path.name}"
    teacher_paths = [Path(p) for p in params.teacher]
    config = {
        "command": "distill",
        "options": recorded,
        "seed": int(params.seed),
        "resolved": {
            kind: {**student_record(model), "file": files[kind]}
            for kind, model in models.items()
        },
        # As given and absolute; a copied data file is recorded by its copy only.
        "data": {"path": data_recorded, "sha256": data_sha}
        if params.copy_data
        else {
            "path": data_recorded,
            "given": str(data_path),
            "absolute": str(Path(data_path).absolute()),
            "sha256": data_sha,
        },
        "teachers": [
            {"path": str(p), "absolute": str(p.absolute()), "sha256": f["sha256"]}
            for p, f in zip(teacher_paths, teacher_info.get("files", []), strict=True)
        ],
        # A teacher the run trained is saved in the run directory; teacher files
        # given by the user are recorded above by absolute path and sha256.
        "teacher_file": None if teacher_paths else "teacher.pt",
        "held_out_rows": {
            "file": "held_out_rows.csv",
            "by": params.row_id or "row number (from 1, in data order)",
        },
        "teacher": teacher_info,
        "versions": library_versions(),
    }
    if sweeps:
        config["sweep"] = plain(sweeps)
    return config


def teacher_classes(teacher) -> list:
    """The teacher's class labels as plain values."""
    return plain(np.asarray(teacher.classes_))
