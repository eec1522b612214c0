"""Tables of the rare-outcome measures as the renderers print them.

Built from ``report.json`` alone: the operating-point settings in a line, one row
per model (flagged-row agreement at each operating point, ranking, probability),
and the per-class table of the primary model.
"""

from __future__ import annotations

from treedistill.report._format import num, pct

__all__ = [
    "OBJECTIVE_SHORT",
    "measure_table",
    "operating_line",
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
    if not est or est.get("value") is None:
        return "—"
    f = pct if percent else (lambda x: num(x, 2))
    text = f(est["value"])
    if est.get("low") is not None and est.get("high") is not None:
        text += f" [{f(est['low'])}, {f(est['high'])}]"
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
        f"Positive class: {ops['positive_class']} ({pct(ops['prevalence'][i])} of the "
        f"training rows: {rare}, below {pct(ops['rare_below'], 0)} counts as rare). "
        f"Operating points: threshold {ops['threshold']:g} on its probability, and a "
        f"flag rate of {pct(ops['flag_rate'])} ({source}): each model flags its own "
        "top share of rows by risk."
    )


def _point_cells(point: dict) -> list[str]:
    flagged = f"{point['teacher_flagged']} / {point['student_flagged']}"
    if point["degenerate"]:
        flagged += " (degenerate)"
    return [flagged, _ci_text(point["flagged_agreement"]), _ci_text(point["overlap"])]


def measure_table(report: dict, table: str) -> dict:
    """Header and rows of the rare-outcome measures of every model in ``table``
    (``"held_out"`` or ``"synthetic"``)."""
    binary = report["operating_points"]["positive_class"] is not None
    header = ["Model"]
    if binary:
        for what in ("threshold", "flag rate"):
            header += [
                f"At the {what}: flagged by teacher / model",
                "Flagged-row agreement",
                "Overlap",
            ]
    else:
        header += ["Lowest per-class recall"]
    header += ["Spearman ρ of risk", "Flag AUC", "Mean |risk difference|"]
    rows = []
    for row in report["fidelity"][table]:
        m = row.get("measures")
        if not m:
            continue
        cells = [row["label"]]
        if binary:
            for point in m["operating_points"]:
                cells += _point_cells(point)
        else:
            seen = [c["recall"] for c in m["per_class"] if c["teacher_n"]]
            cells.append(
                _ci_text(min(seen, key=lambda e: (e["value"], e["low"])))
                if seen
                else "—"
            )
        rank, prob = m["ranking"], m["probability"]
        cells += [
            _ci_text(rank["spearman"], percent=False),
            _ci_text(rank["flag_auc"], percent=False),
            _ci_text(prob["mean_abs_diff"], percent=False),
        ]
        rows.append({"kind": row["kind"], "cells": cells})
    return {"header": header, "rows": rows}


def per_class_table(report: dict) -> dict | None:
    """Per-class recall and precision of the primary model on held-out rows."""
    name = report["summary"]["model"]
    row = next((r for r in report["fidelity"]["held_out"] if r["key"] == name), None)
    if row is None or not row.get("measures"):
        return None
    classes = report["data"]["classes"]
    rows = [
        [
            str(classes[c["class_index"]]),
            str(c["teacher_n"]),
            str(c["student_n"]),
            _ci_text(c["recall"]),
            _ci_text(c["precision"]),
        ]
        for c in row["measures"]["per_class"]
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
