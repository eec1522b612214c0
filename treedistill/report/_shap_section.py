"""SHAP importance of the teacher and the students, and how their rankings agree."""

from __future__ import annotations

import numpy as np

from treedistill.common._json import scalar
from treedistill.report._explain import student_importance, teacher_importance
from treedistill.report._inputs import Inputs

__all__ = ["N_SHAP_BACKGROUND", "shap_section"]

N_SHAP_BACKGROUND = 50


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _teacher(primary, rows, background, train_frame, seed) -> dict:
    try:
        out = teacher_importance(
            primary, rows, background, train_frame, np.random.default_rng(seed)
        )
        out["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a teacher SHAP cannot explain is reported
        out = {"status": "failed", "reason": _first_line(exc)}
    return out


def _student(model, enc) -> dict:
    try:
        out = student_importance(model, enc)
        out["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        out = {"status": "failed", "reason": _first_line(exc)}
    return out


def _rank_correlation(teacher: dict, student: dict) -> float | None:
    from scipy.stats import spearmanr

    if teacher.get("status") != "ok" or student["status"] != "ok":
        return None
    a = np.asarray(teacher["importance"])
    b = np.asarray(student["importance"])
    if a.size >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0:
        return float(spearmanr(a, b).statistic)
    return None


def shap_section(
    inputs: Inputs, *, shap_rows: int, seed_pick: int, seed: int, positive=None
) -> dict:
    """Mean |SHAP| per column for the teacher and each model on sampled held-out rows.

    ``seed_pick`` draws the explained rows and the background rows; ``seed`` the
    teacher's permutations. A model SHAP cannot explain is reported as failed.
    A binary problem explains one class's probability; the mean |SHAP| is the
    same for either class (their SHAP values are opposite), so the section names
    the positive class (index ``positive``).
    """
    primary = inputs.primary
    test_frame, train_frame = inputs.test.frame, inputs.train.frame
    pick = np.random.default_rng(seed_pick)
    n_rows = min(int(shap_rows), len(test_frame))
    rows_idx = np.sort(pick.choice(len(test_frame), size=n_rows, replace=False))
    n_bg = min(N_SHAP_BACKGROUND, len(train_frame))
    bg_idx = np.sort(pick.choice(len(train_frame), size=n_bg, replace=False))
    rows = test_frame.iloc[rows_idx]
    background = train_frame.iloc[bg_idx]
    classes = inputs.classes
    out = {
        "columns": list(primary.schema_.names),
        "n_rows": int(len(rows)),
        "n_background": int(len(background)),
        "positive_class": None if positive is None else scalar(classes[positive]),
        "teacher": None,
        "students": {},
        "spearman": {},
    }
    if len(rows) == 0:
        out["teacher"] = {"status": "skipped", "reason": "no rows to explain"}
        return out
    out["teacher"] = _teacher(primary, rows, background, train_frame, seed)
    enc = primary.schema_.encode(rows, warn_unseen=False)
    for name in inputs.names:
        result = _student(inputs.models[name], enc)
        out["students"][name] = result
        out["spearman"][name] = _rank_correlation(out["teacher"], result)
    return out
