"""The held-out measures of a Dask run that add up over partitions.

Each partition gives counts and sums (:func:`counts`) of a student's
probabilities against the teacher's and the labels; :func:`add_counts` adds
them up and :func:`measures` turns the totals into rates: agreement (with its
bootstrap interval, exact for any number of rows), confusion counts, per-class
recall and precision of the student against the teacher, accuracy against the
truth, mean KL, total variation and risk difference, and flag counts at the
threshold.
"""

from __future__ import annotations

import numpy as np

from treedistill.common._json import plain
from treedistill.measures._metrics import PROBA_FLOOR, agreement_interval

__all__ = ["add_counts", "counts", "measures"]


def counts(t, s, y, op: dict, k: int) -> dict:
    """Confusion counts and sums of one student's probabilities ``s`` against the
    teacher's ``t`` and the labels ``y`` (class indices); zeros for no rows."""
    out = {
        "n": 0 if t is None else len(t),
        "confusion": np.zeros((k, k), np.int64),
        "truth_teacher": np.zeros((k, k), np.int64),
        "truth_student": np.zeros((k, k), np.int64),
        "kl": 0.0,
        "tv": 0.0,
        "mad": 0.0,
        "flags": np.zeros(3, np.int64),
        "teacher_mass": np.zeros(k),
        "student_mass": np.zeros(k),
    }
    if t is None:
        return out
    ta, sa = np.argmax(t, axis=1), np.argmax(s, axis=1)
    np.add.at(out["confusion"], (ta, sa), 1)
    np.add.at(out["truth_teacher"], (y, ta), 1)
    np.add.at(out["truth_student"], (y, sa), 1)
    floor = np.clip(s, PROBA_FLOOR, None)
    floor /= floor.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(
            t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - np.log(floor)), 0
        )
    out["kl"] = float(terms.sum())
    out["tv"] = float(0.5 * np.abs(t - s).sum())
    out["teacher_mass"], out["student_mass"] = t.sum(axis=0), s.sum(axis=0)
    if op["positive"] is not None:
        pos, cut = op["positive"], op["threshold"]
        out["mad"] = float(np.abs(t[:, pos] - s[:, pos]).sum())
        tf, sf = t[:, pos] >= cut, s[:, pos] >= cut
        out["flags"] = np.array([tf.sum(), sf.sum(), (tf & sf).sum()], np.int64)
    return out


def add_counts(parts: list[dict]) -> dict:
    total = dict(parts[0])
    for part in parts[1:]:
        for key, value in part.items():
            total[key] = total[key] + value
    return total


def measures(total: dict, classes, op: dict, seed: int) -> dict:
    """The held-out measures over every held-out row, from the added counts."""
    n = int(total["n"])
    conf = total["confusion"]
    agree = int(np.trace(conf))
    rate = agree / n if n else None
    lo, hi = agreement_interval(rate, n, random_state=seed) if n else (None, None)
    classes = plain(np.asarray(classes))
    per_class = [
        {
            "class": label,
            "teacher_rows": int(conf[i].sum()),
            "student_rows": int(conf[:, i].sum()),
            "both": int(conf[i, i]),
            "recall": conf[i, i] / conf[i].sum() if conf[i].sum() else None,
            "precision": conf[i, i] / conf[:, i].sum() if conf[:, i].sum() else None,
        }
        for i, label in enumerate(classes)
    ]
    out = {
        "n": n,
        "agreement": rate,
        "agreement_ci": [lo, hi],
        "agreeing_rows": agree,
        "kl": total["kl"] / n if n else None,
        "total_variation": total["tv"] / n if n else None,
        "teacher_accuracy": np.trace(total["truth_teacher"]) / n if n else None,
        "student_accuracy": np.trace(total["truth_student"]) / n if n else None,
        "classes": classes,
        "confusion_teacher_by_student": conf.tolist(),
        "confusion_truth_by_teacher": total["truth_teacher"].tolist(),
        "confusion_truth_by_student": total["truth_student"].tolist(),
        "per_class": per_class,
        "teacher_mean_proba": (total["teacher_mass"] / max(n, 1)).tolist(),
        "student_mean_proba": (total["student_mass"] / max(n, 1)).tolist(),
    }
    if op["positive"] is not None:
        t_flag, s_flag, both = (int(v) for v in total["flags"])
        out["positive"] = {
            "class": classes[op["positive"]],
            "threshold": op["threshold"],
            "teacher_flagged": t_flag,
            "student_flagged": s_flag,
            "both_flagged": both,
            "mean_abs_risk_difference": total["mad"] / n if n else None,
        }
    return plain(out, digits=None)
