"""treedistill.report._display and ._format: the measures as the report prints them."""

from __future__ import annotations

import copy
import re

from treedistill.report import render_markdown
from treedistill.report._display import (
    measure_table,
    operating_line,
    ordered_confusion,
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


def test_class_order_orders_the_confusion_and_per_class_tables(report_binary):
    report = copy.deepcopy(report_binary["report"])
    assert report["data"]["classes"] == ["high", "low"]
    report["data"]["class_names"] = ["high risk", "low risk"]
    report["data"]["class_order"] = [1, 0]  # low first
    m = report["confusion"]["matrices"]["tree"]
    ordered = ordered_confusion(report)
    assert ordered["labels"] == ["low risk", "high risk"]
    assert ordered["matrices"]["tree"] == [[m[1][1], m[1][0]], [m[0][1], m[0][0]]]
    assert [row[0] for row in per_class_table(report)["rows"]] == [
        "low risk",
        "high risk",
    ]
    md = render_markdown(report)
    assert "classes: low risk, high risk" in md
    assert "| teacher \\\\ student | low risk | high risk | " in md
    assert f"| low risk | {m[1][1]} | {m[1][0]} | " in md
    assert f"| high risk | {m[0][1]} | {m[0][0]} | " in md
    per_class = md[md.index("Per class, tree") :]
    assert per_class.index("| low risk |") < per_class.index("| high risk |")
    # the rules' class distributions too
    assert re.search(r"\| low risk \d+% · high risk \d+% \|", md)
    assert not re.search(r"high risk \d+% · low risk", md)
