"""treedistill.report._sentences: what a report says first.

A teacher that flags nobody at 0.5 on a rare outcome is said first and the
headline moves to the flag rate; a balanced problem keeps agreement first; a
problem with more classes names its weakest class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests import _report_cases as cases
from treedistill import DistilledTreeClassifier, DistillResult
from treedistill.report import evaluate, render_html, render_markdown

SMALL = {"size_grid": (4, 8), "n_synthetic": 600, "shap_rows": 10}


@pytest.fixture(scope="module")
def rare():
    """5% prevalence; a heavily regularised teacher never reaches P = 0.5."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1600, 4))
    logit = -3.5 + 1.2 * X[:, 0] + 0.6 * X[:, 1]
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y
    )
    teacher = LogisticRegression(C=0.05).fit(X_tr, y_tr)
    risk = teacher.predict_proba(np.vstack([X_tr, X_te]))[:, 1]
    assert 0.03 < y.mean() < 0.08 and risk.max() < 0.5
    tree = DistilledTreeClassifier(teacher, max_leaf_nodes=8, random_state=0)
    tree.fit(X_tr, y_tr)
    return evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **SMALL), y_tr


def test_a_teacher_that_flags_nobody_is_said_first(rare):
    report, y_tr = rare
    s = report["summary"]
    first = s["sentences"][0]
    assert first.startswith("The teacher predicts 0 for every row")
    assert "the teacher flags no row at threshold 0.5 (largest P(1) 0.25)" in first
    assert s["sentences"][1].startswith("Agreement at threshold 0.5 is therefore not")
    assert s["sentences"][2].startswith("At a flag rate of ")
    assert "the training prevalence of 1" in s["sentences"][2]
    assert s["sentences"][3].startswith("Its risk ranking follows the teacher's")
    # where the flags differ most, before overall agreement
    assert s["sentences"][4].startswith("Its flags differ most from the teacher's in")
    assert s["sentences"][5].startswith("The 8-leaf tree agrees with the teacher")
    assert s["lead"] == "flagged"
    point = s["operating_point"]
    assert point["kind"] == "flag_rate"
    assert point["value"] == pytest.approx(y_tr.mean(), abs=1e-6)
    assert point["teacher_flagged"] == round(y_tr.mean() * report["data"]["n_test"])
    assert 0 <= point["flagged_agreement"]["value"] <= 1
    assert point["flagged_agreement"]["low"] < point["flagged_agreement"]["high"]
    ops = report["operating_points"]
    assert ops["positive_class"] == 1 and ops["rare"]
    assert report["data"]["positive_class"] == 1
    # The threshold point is there, marked degenerate, with an honest interval.
    row = next(r for r in report["fidelity"]["held_out"] if r["key"] == "tree")
    at_half = row["measures"]["operating_points"][0]
    assert at_half["kind"] == "threshold" and at_half["degenerate"]
    assert at_half["teacher_flagged"] == 0
    # The size curve is judged on the same rows.
    assert report["size_curve"]["objective"]["measure"] == "flagged_flag_rate"
    # HTML and Markdown open with the same sentence.
    html = render_html(report)
    lead = html.index('<p class="lead alert">')
    assert html.index("The teacher predicts 0 for every row", lead) < html.index(
        "Agreement at threshold 0.5", lead
    )
    md = render_markdown(report)
    assert md.split("> ", 1)[1].startswith("The teacher predicts 0 for every row")


def test_every_model_has_the_rare_outcome_measures(rare):
    report, _ = rare
    for table, n in (("held_out", 640), ("synthetic", 600)):
        for row in report["fidelity"][table]:
            if row["kind"] == "teacher":
                continue
            m = row["measures"]
            assert m["positive"] == 1
            assert m["overall_agreement"]["n"] == n
            assert [c["class_index"] for c in m["per_class"]] == [0, 1]
            assert [p["kind"] for p in m["operating_points"]] == [
                "threshold",
                "flag_rate",
            ]
            assert set(m["ranking"]) == {"spearman", "flag_auc"}
            assert set(m["probability"]) == {"mean_abs_diff", "kl"}
            assert ("truth" in m) == (table == "held_out")


def test_a_balanced_problem_keeps_agreement_first():
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    # Built for ranking: its soft-label root flips between refits.
    tree = cases.tree(teacher.fit(X_tr, y_tr), objective="ranking").fit(X_tr, y_tr)
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **SMALL)
    s = report["summary"]
    assert report["operating_points"]["positive_class"] == 0  # 37% of the rows
    assert not report["operating_points"]["rare"] and s["degenerate"] == []
    assert s["lead"] == "agreement"
    # Its root split changes between bootstrap refits, and it follows the
    # predictions, not the reasons (one column carries half of its SHAP
    # attribution): those two warnings alone come before agreement.
    assert not report["stability"]["root"]["stable"]
    assert s["n_alert"] == 2 and report["shap"]["reasons"]["warn"]
    assert s["sentences"][0].startswith("Another run could give a different")
    assert s["sentences"][1].startswith("The student matches the teacher's predictions")
    assert s["sentences"][2].startswith("The 8-leaf tree agrees with the teacher on")
    assert s["sentences"][3].startswith("Weakest class: of the ")
    assert s["sentences"][4].startswith("At threshold 0.5 on P(0), the 8-leaf tree")
    assert report["size_curve"]["objective"]["measure"] == "agreement"


def test_more_classes_name_the_weakest_class():
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort(n_classes=3)
    # The ranking tree misses one class often enough to be named.
    tree = cases.tree(teacher, objective="ranking").fit(X_tr, y_tr)
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **SMALL)
    s = report["summary"]
    row = next(r for r in report["fidelity"]["held_out"] if r["key"] == "tree")
    per_class = [c for c in row["measures"]["per_class"] if c["teacher_n"]]
    worst = min(per_class, key=lambda c: (c["recall"]["value"], c["recall"]["low"]))
    assert s["worst_class"]["class_index"] == worst["class_index"]
    assert s["operating_point"] is None and s["lead"] == "agreement"
    name = report["data"]["classes"][worst["class_index"]]
    sentence = next(t for t in s["sentences"] if t.startswith("Weakest class"))
    assert f"of the {worst['teacher_n']} held-out rows the teacher puts in {name}" in (
        sentence
    )
    assert f"n = {worst['teacher_n']})" in sentence  # few rows carry n and interval
    assert report["size_curve"]["objective"]["measure"] == "worst_class_recall"
    points = report["size_curve"]["points"]
    assert all(
        "worst_class_recall" in p["measures"]["student"]["held_out"] for p in points
    )


def test_the_command_line_summary_opens_the_same_way(rare):
    report, _ = rare
    result = DistillResult(
        out_dir=Path("run"),
        files=["report.html"],
        models={},
        fidelity={},
        sweep={},
        report=report,
        timings={},
    )
    lines = result.describe().splitlines()
    # Two warnings, then the student's flagged-row agreement and ranking at the
    # flag rate (the report's numbers), overall agreement only after them.
    assert lines[:2] == report["summary"]["sentences"][:2]
    assert lines[0].startswith("The teacher predicts 0 for every row")
    point = report["summary"]["operating_point"]
    flagged = point["flagged_agreement"]["value"]
    assert (
        lines[2].startswith(f"tree: flags {100 * flagged:.1f}% (")
        and f"of the {point['teacher_flagged']} held-out rows the teacher flags"
        in (lines[2])
    )
    assert "Spearman" in lines[2] and "flag AUC" in lines[2]
    assert "not a measure of fidelity here" in lines[3]
    assert lines[-1] == f"report: {Path('run') / 'report.html'}"
