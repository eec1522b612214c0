"""Row weights, monotone constraints and a size chosen from the curve in a run:
the weights read from a column, and the report's sections about them.

``weights``: the column the weights came from, their total, and the students'
held-out fidelity with the held-out rows weighted
(:func:`treedistill.measures._weighted.weighted_fidelity`); the other sections
of the report count rows.

``monotone``: the constraints, the fidelity they cost (each constrained student
against the same student fit without them, on the held-out rows, weighted when
the run is), and probes of the teacher and of the students along each
constrained column (:func:`treedistill.measures._monotone.monotone_probe`): the
share of held-out rows whose risk moves the wrong way by more than 1 point.

``size_choice``: with ``max_leaf_nodes="auto"``, the tree student's rule, size
curve and chosen budget (its ``size_curve_``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from treedistill.common._json import plain, scalar
from treedistill.exceptions import DataError, ParameterError
from treedistill.measures._monotone import monotone_probe
from treedistill.measures._weighted import weighted_fidelity

__all__ = [
    "check_columns",
    "control_sections",
    "fit_weights",
    "split_weights",
    "PROBE_STEPS",
    "PROBE_TOLERANCE",
    "monotone_section",
    "positive_and_rate",
    "read_weights",
    "weights_section",
]

#: Values of a constrained column each held-out row is probed at (5% to 95%).
PROBE_STEPS = 20
#: A wrong-way move of the risk larger than this is a violation (1 point).
PROBE_TOLERANCE = 0.01
#: Measures compared between a constrained student and the unconstrained one.
_COMPARED = ("agreement", "flagged_agreement", "spearman", "flag_auc")


def check_columns(params, frame: pd.DataFrame) -> None:
    """Refuse, before any work, a ``weight_column`` or a constrained column that
    is not in the data, a constrained column that is not numeric, and
    constraints on a target without exactly two classes."""
    names = {str(c).strip(): c for c in frame.columns}
    column = params.weight_column
    if column is not None and str(column).strip() not in names:
        raise ParameterError(
            f"weight_column {column!r} is not in the data", parameter="weight_column"
        )
    left_out = {*map(str, params.drop), params.target, params.weight_column}
    target = names.get(str(params.target).strip())
    if params.monotone_constraints and target is not None:
        n_classes = frame[target].dropna().nunique()
        if n_classes != 2:
            raise ParameterError(
                f"monotone_constraints needs a binary outcome; target "
                f"{params.target!r} has {n_classes} classes",
                parameter="monotone_constraints",
            )
    for column in params.monotone_constraints or {}:
        key = str(column).strip()
        if key not in names or key in left_out:
            raise ParameterError(
                f"monotone_constraints names column {column!r}, which is not a "
                "feature column of the data",
                parameter="monotone_constraints",
            )
        values = frame[names[key]]
        present = values.dropna()
        numeric = pd.to_numeric(present, errors="coerce").notna().all()
        if key in map(str, params.categorical_features) or not numeric:
            raise ParameterError(
                f"monotone_constraints: column {column!r} is categorical; only "
                "numeric columns can be constrained",
                parameter="monotone_constraints",
            )


def read_weights(frame: pd.DataFrame, column: str, target: str) -> np.ndarray:
    """The weights from ``column`` of the rows of ``frame`` with a ``target`` value
    (the rows a run uses).

    Raises :class:`DataError` naming the column and the first bad row (from 1)
    for a missing, non-numeric, negative or infinite weight, or when every
    weight is 0.
    """
    by_name = {str(c).strip(): c for c in frame.columns}
    positions = np.flatnonzero(frame[by_name[target.strip()]].notna().to_numpy())
    if str(column).strip() not in by_name:
        raise DataError(f"weight column {column!r} is not in the data", column=column)
    raw = frame[by_name[str(column).strip()]]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    bad_used = np.flatnonzero(bad[positions])
    if bad_used.size:
        first = int(positions[bad_used[0]])
        shown = raw.iloc[first]
        what = "is missing" if pd.isna(shown) else f"holds {scalar(shown)!r}"
        raise DataError(
            f"weight column {column!r}: row {first + 1} {what}; weights must be "
            "finite numbers >= 0",
            column=column,
        )
    w = values[positions]
    if not (w > 0).any():
        raise DataError(f"weight column {column!r} is 0 on every row", column=column)
    return w


def split_weights(weights: np.ndarray, split: tuple) -> dict:
    """``{"train", "test"}``: the weights of a split's rows (its frames indexed
    by position, before the rows are labelled)."""
    X_train, X_test = split[0], split[1]
    return {
        "train": weights[X_train.index.to_numpy()],
        "test": weights[X_test.index.to_numpy()],
    }


def fit_weights(weights: dict) -> dict:
    """``fit``'s keyword for the training rows' weights (none without weights)."""
    return {"sample_weight": weights["train"]} if weights else {}


def control_sections(params, models: dict, split: tuple, weights: dict, positive):
    """The report's ``weights``, ``monotone`` and ``size_choice`` sections a run
    asks for (none for a run without weights, constraints or an automatic size)."""
    out = {}
    X_train, X_test, y_train, y_test = split
    w_train, w_test = weights.get("train"), weights.get("test")
    first = next(iter(models.values()))
    if weights:
        pos, rate = positive_and_rate(
            first.classes_, y_train, w_train, positive, params.flag_rate
        )
        out["weights"] = weights_section(
            models,
            X_test,
            y_test,
            w_test,
            params.weight_column,
            w_train,
            positive=pos,
            flag_rate=rate,
        )
    tree = models.get("tree")
    if tree is not None and tree.get_params().get("max_leaf_nodes") == "auto":
        out["size_choice"] = plain(tree.size_curve_)
    if params.monotone_constraints:
        out["monotone"] = monotone_section(
            models, X_train, y_train, X_test, w_train=w_train, w_test=w_test
        )
    return out


def _proba(model, X) -> np.ndarray:
    return np.asarray(model.predict_proba(X), dtype=np.float64)


def _teacher_proba(model, X) -> np.ndarray:
    return np.asarray(model.teacher_proba(X), dtype=np.float64)


def _compact(fid: dict) -> dict:
    return {key: fid[key] for key in _COMPARED if key in fid}


def positive_and_rate(classes, y_train, w_train, positive=None, flag_rate=None):
    """The positive class's index (the given label, else the class with fewer
    training rows) and the flag rate (the given one, else the positive class's
    weighted share of the training rows)."""
    classes = list(np.asarray(classes).tolist())
    y = np.asarray(y_train)
    if positive is not None:
        pos = classes.index(positive)
    else:
        counts = [int(np.sum(y == c)) for c in classes]
        pos = 1 if counts[1] <= counts[0] else 0
    if flag_rate is None:
        w = np.asarray(w_train, dtype=np.float64)
        flag_rate = float(w[y == classes[pos]].sum() / w.sum())
    return pos, float(flag_rate)


def weights_section(
    models: dict,
    X_test,
    y_test,
    w_test,
    column: str,
    w_train,
    *,
    positive: int,
    flag_rate: float,
) -> dict:
    """The report's ``weights`` section (two-class runs: weighted fidelity per
    student at class index ``positive``; more classes: weighted agreement only)."""
    first = next(iter(models.values()))
    classes = list(first.classes_)
    y_idx = np.searchsorted(np.asarray(first.classes_), np.asarray(y_test))
    teacher = _teacher_proba(first, X_test)
    students = {}
    for name, model in models.items():
        proba = _proba(model, X_test)
        if len(classes) == 2:
            students[name] = weighted_fidelity(
                teacher,
                proba,
                w_test,
                y_idx,
                positive=int(positive),
                flag_rate=flag_rate,
            )
        else:
            agree = np.argmax(teacher, 1) == np.argmax(proba, 1)
            students[name] = {
                "weighted": True,
                "n": len(agree),
                "agreement": {"value": float(np.average(agree, weights=w_test))},
            }
    return plain(
        {
            "column": str(column),
            "train_total": float(np.sum(w_train)),
            "test_total": float(np.sum(w_test)),
            "train_rows_weight_0": int(np.sum(np.asarray(w_train) == 0)),
            "positive_class": scalar(first.classes_[positive])
            if len(classes) == 2
            else None,
            "flag_rate": float(flag_rate) if len(classes) == 2 else None,
            "scope": "the students' training (criterion and leaf values), the "
            "teacher's training when this run trained it, and the table below; "
            "the other sections of this report count rows",
            "students": students,
        }
    )


def monotone_section(
    models: dict,
    X_train,
    y_train,
    X_test,
    *,
    w_train=None,
    w_test=None,
    flag_rate=None,
) -> dict:
    """The report's ``monotone`` section for the students fit with constraints."""
    first = next(iter(models.values()))
    constraints = {str(k): int(v) for k, v in first.monotone_constraints.items() if v}
    r = int(first.monotone_class_)
    risk_class = first.class_names_[r] if hasattr(first, "class_names_") else None
    X_test = X_test[list(first.schema_.names)]
    teacher = _teacher_proba(first, X_test)
    weights = np.ones(len(X_test)) if w_test is None else np.asarray(w_test)
    fit_kw = {} if w_train is None else {"sample_weight": w_train}

    def teacher_risk(frame):
        return _teacher_proba(first, frame)[:, r]

    probes = {"teacher": [], "students": {}}
    for column, direction in constraints.items():
        probes["teacher"].append(
            _probe(teacher_risk, X_test, column, direction, w_test)
        )
    cost = {}
    for name, model in models.items():
        free = clone(model).set_params(monotone_constraints=None)
        free.fit(X_train, y_train, **fit_kw)
        measures = {}
        for label, m in (("constrained", model), ("unconstrained", free)):
            fid = weighted_fidelity(
                teacher, _proba(m, X_test), weights, positive=r, flag_rate=flag_rate
            )
            fid["n_leaves"] = _size(m)
            measures[label] = {**_compact(fid), "n_leaves": fid["n_leaves"]}
        cost[name] = measures

        def student_risk(frame, model=model):
            return _proba(model, frame)[:, r]

        probes["students"][name] = [
            _probe(student_risk, X_test, column, direction, w_test)
            for column, direction in constraints.items()
        ]
    return plain(
        {
            "constraints": constraints,
            "risk_class": risk_class,
            "weighted": w_test is not None,
            "steps": PROBE_STEPS,
            "tolerance": PROBE_TOLERANCE,
            "cost": cost,
            "probes": probes,
        }
    )


def _size(model) -> int | None:
    student = getattr(model, "student_", None)
    return int(student.get_n_leaves()) if hasattr(student, "get_n_leaves") else None


def _probe(risk, X, column, direction, w) -> dict:
    return monotone_probe(
        risk,
        X,
        column,
        direction,
        steps=PROBE_STEPS,
        tolerance=PROBE_TOLERANCE,
        sample_weight=w,
    )
