"""Tables of the rare-outcome measures as the renderers print them.

Built from ``report.json`` alone: the operating-point settings in a line, one row
per model (flagged-row agreement at each operating point, ranking, probability),
and the per-class table of the primary model.
"""

from __future__ import annotations

from treedistill.report._format import num, pct

__all__ = [
    "OBJECTIVE_SHORT",
    "class_order",
    "measure_table",
    "operating_line",
    "ordered_confusion",
    "per_class_table",
    "size_objective",
]

#: Column titles of the size curve's objective.
OBJECTIVE_SHORT = {
    "agreement": "agreement",
    "flagged_flag_rate": "flagged-row agreement (flag rate)",
    "flagged_threshold": "flagged-row agreement (threshold)",
    "overlap_threshold": "flag overlap (threshold)",
    "worst_class_recall": "lowest class recall",
}


def _ci_text(est: dict | None, *, percent: bool = True) -> str:
    """``85.7% (77.1–91.5)``, or ``0.59 (0.50–0.66)`` without ``percent``."""
    if not est or est.get("value") is None:
        return "—"
    if percent:
        text = pct(est["value"])
        low, high = est.get("low"), est.get("high")
        if low is not None and high is not None:
            text += f" ({100 * low:.1f}–{100 * high:.1f})"
        return text
    text = num(est["value"], 2)
    if est.get("low") is not None and est.get("high") is not None:
        text += f" ({num(est['low'], 2)}–{num(est['high'], 2)})"
    return text


def operating_line(report: dict) -> str:
    """The positive class, threshold and flag rate in one sentence."""
    ops = report["operating_points"]
    if ops["positive_class"] is None:
        return (
            "Each class is compared one against the rest, flagging each model's top "
            "share of rows equal to the class's share of the training rows."
        )
    i = ops["positive_index"]
    rare = "a rare outcome" if ops["rare"] else "not rare"
    source = (
        "as asked" if ops["flag_rate_source"] == "given" else "the training prevalence"
    )
    return (
        f"Positive class: {_names(report)[i]} ({pct(ops['prevalence'][i])} of the "
        f"training rows: {rare}, below {pct(ops['rare_below'], 0)} counts as rare). "
        f"Operating points: threshold {ops['threshold']:g} on its probability, and a "
        f"flag rate of {pct(ops['flag_rate'])} ({source}): each model flags its own "
        "top share of rows by risk." + _flag_cut(report, _names(report)[i])
    )


def _flag_cut(report: dict, positive) -> str:
    """The probability cut the flag rate comes to on the held-out rows, for the
    headline's model and the teacher ('' when the report lacks it)."""
    name = (report.get("summary") or {}).get("model")
    rows = {r.get("key"): r for r in report["fidelity"]["held_out"]}
    points = ((rows.get(name) or {}).get("measures") or {}).get("operating_points")
    point = next((p for p in points or () if p["kind"] == "flag_rate"), None)
    if point is None or point.get("student_cut") is None:
        return ""
    label = rows[name].get("label", name)
    return (
        f" On the held-out rows that rate is the cut P({positive}) >= "
        f"{point['student_cut']:.4g} for {label} (teacher: >= "
        f"{point['teacher_cut']:.4g}), flagging {point['student_flagged']} rows; "
        "predicting the same rows at this flag rate flags the same."
    )


def _point_cells(point: dict) -> list[str]:
    flagged = f"{point['teacher_flagged']} / {point['student_flagged']}"
    if point["degenerate"]:
        flagged += " (degenerate)"
    return [flagged, _ci_text(point["flagged_agreement"]), _ci_text(point["overlap"])]


def _flag_cells(m: dict, binary: bool) -> list[str]:
    if binary:
        return [c for point in m["operating_points"] for c in _point_cells(point)]
    seen = [c["recall"] for c in m["per_class"] if c["teacher_n"]]
    worst = min(seen, key=lambda e: (e["value"], e["low"])) if seen else None
    return [_ci_text(worst)]


def measure_table(report: dict, table: str) -> dict:
    """Two tables of every model in ``table`` (``"held_out"`` or ``"synthetic"``):
    the flagged rows at each operating point, and ranking and probabilities."""
    binary = report["operating_points"]["positive_class"] is not None
    if binary:
        flags = ["Model"]
        for what in ("Threshold", "Flag rate"):
            flags += [f"{what}: flagged, teacher / model", "Agreement", "Overlap"]
    else:
        flags = ["Model", "Lowest per-class recall"]
    ranks = ["Model", "Spearman ρ of risk", "Flag AUC", "Mean |risk difference|"]
    flag_rows, rank_rows = [], []
    for row in report["fidelity"][table]:
        m = row.get("measures")
        if not m:
            continue
        flag_rows.append(
            {"kind": row["kind"], "cells": [row["label"], *_flag_cells(m, binary)]}
        )
        rank, prob = m["ranking"], m["probability"]
        cells = [
            row["label"],
            _ci_text(rank["spearman"], percent=False),
            _ci_text(rank["flag_auc"], percent=False),
            _ci_text(prob["mean_abs_diff"], percent=False),
        ]
        rank_rows.append({"kind": row["kind"], "cells": cells})
    return {
        "rows": flag_rows,
        "tables": [
            {"header": flags, "rows": flag_rows},
            {"header": ranks, "rows": rank_rows},
        ],
    }


def per_class_table(report: dict) -> dict | None:
    """Per-class recall and precision of the primary model on held-out rows."""
    name = report["summary"]["model"]
    row = next((r for r in report["fidelity"]["held_out"] if r["key"] == name), None)
    if row is None or not row.get("measures"):
        return None
    classes = _names(report)
    order = class_order(report)
    rows = [
        [
            str(classes[c["class_index"]]),
            str(c["teacher_n"]),
            str(c["student_n"]),
            _ci_text(c["recall"]),
            _ci_text(c["precision"]),
        ]
        for c in sorted(
            row["measures"]["per_class"],
            key=lambda c: order.index(c["class_index"]),
        )
    ]
    return {
        "model": name,
        "header": [
            "Class",
            "Rows the teacher puts there",
            "Rows the model puts there",
            "Recall: of the teacher's, the model's too",
            "Precision: of the model's, the teacher's too",
        ],
        "rows": rows,
    }


def size_objective(report: dict) -> str | None:
    """How the tree's size compares with the best size on the curve, in words."""
    curve = report["size_curve"]
    goal, chosen = curve.get("objective"), curve.get("chosen")
    if not goal or goal.get("budget") is None:
        return None
    text = (
        f"Judged by {goal['label']} on {goal['data']}, the smallest leaf budget "
        f"within {pct(goal['tolerance'], 0)} of the best ({pct(goal['best'])}) is "
        f"{goal['budget']} ({pct(goal['value'])})."
    )
    if chosen:
        value = (chosen.get("measures") or {}).get(goal["measure"])
        text += (
            f" The tree in this report has {chosen['leaves']} leaves (its "
            f"max_leaf_nodes is {chosen.get('max_leaf_nodes')}, a setting of the "
            f"run) and scores {pct(value)} on the same measure."
        )
    return text


def class_order(report: dict) -> list[int]:
    """The classes' display order (``data["class_order"]``: positions in
    ``data["classes"]``), else their own order."""
    data = report["data"]
    k = len(data["classes"])
    order = [int(i) for i in data.get("class_order") or range(k)]
    return order if sorted(order) == list(range(k)) else list(range(k))


def ordered_confusion(report: dict) -> dict:
    """``report["confusion"]`` with its rows and columns in the classes' display
    order and labelled by their display names."""
    order = class_order(report)
    names = _names(report)
    confusion = report["confusion"]
    return {
        **confusion,
        "labels": [names[i] for i in order],
        "matrices": {
            name: [[m[i][j] for j in order] for i in order]
            for name, m in confusion["matrices"].items()
        },
    }


def _names(report: dict) -> list:
    """The classes' display names (``data["class_names"]``), else their labels."""
    data = report["data"]
    return list(data.get("class_names") or data["classes"])
