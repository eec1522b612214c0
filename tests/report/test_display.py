"""treedistill.report._display and ._format: the measures as the report prints them."""

from __future__ import annotations

from treedistill.report._display import (
    measure_table,
    operating_line,
    per_class_table,
    size_objective,
)
from treedistill.report._format import ci, estimate_text, num, pct, rows


def test_formats():
    assert pct(0.9731) == "97.3%" and pct(None) == "—"
    assert ci([0.95, 0.99]) == "[95.0%, 99.0%]" and ci(None) == "—"
    assert num(0.12345) == "0.123" and num(3) == "3" and num(True) == "yes"
    assert rows(1) == "1 row" and rows(5) == "5 rows"
    est = {"value": 0.857, "low": 0.771, "high": 0.915, "n": 91}
    assert estimate_text(est) == "85.7% (95% CI 77.1%–91.5%, n = 91)"
    assert estimate_text({"value": None, "low": None, "high": None, "n": 0}) == "—"


def test_tables_of_the_binary_report(report_binary):
    report = report_binary["report"]
    line = operating_line(report)
    assert line.startswith("Positive class: high (")
    assert "a rare outcome" in line and "threshold 0.5" in line
    table = measure_table(report, "held_out")
    flags, ranks = table["tables"]
    assert flags["header"][1] == "Threshold: flagged, teacher / model"
    assert [r["cells"][0] for r in flags["rows"]] == [
        r["label"] for r in report["fidelity"]["held_out"][1:]
    ]
    tree = next(r for r in report["fidelity"]["held_out"] if r["key"] == "tree")
    point = tree["measures"]["operating_points"][0]
    cells = next(r["cells"] for r in flags["rows"] if r["cells"][0] == tree["label"])
    assert cells[1].startswith(
        f"{point['teacher_flagged']} / {point['student_flagged']}"
    )
    assert cells[2].startswith(pct(point["flagged_agreement"]["value"]))
    assert ranks["header"][1:] == [
        "Spearman ρ of risk",
        "Flag AUC",
        "Mean |risk difference|",
    ]
    per_class = per_class_table(report)
    assert per_class["model"] == "tree"
    assert [r[0] for r in per_class["rows"]] == ["high", "low"]
    assert sum(int(r[1]) for r in per_class["rows"]) == 150
    text = size_objective(report)
    goal = report["size_curve"]["objective"]
    assert text.startswith(f"Judged by {goal['label']} on held-out rows")
    assert f"is {goal['budget']} (" in text
    assert "The tree in this report has 8 leaves (its max_leaf_nodes is 8" in text
