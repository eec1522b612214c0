"""evaluate() end to end: the report's structure, determinism and the shapes of input it takes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests import _report_cases as cases
from tests._report_cases import FAST, GRID
from treedistill.report import (
    evaluate,
    render_html,
    render_markdown,
    render_rules,
    report_json,
)

TOP_KEYS = {
    "schema_version",
    "run",
    "data",
    "teacher",
    "models",
    "model_order",
    "primary_model",
    "tree_model",
    "fidelity",
    "size_curve",
    "confusion",
    "calibration",
    "rules",
    "leaves",
    "tree",
    "subgroups",
    "disagreements",
    "shap",
    "summary",
    "operating_points",
    "stability",
    "skipped",
}


def test_top_level_keys_and_version(report_binary):
    report = report_binary["report"]
    assert set(report) == TOP_KEYS
    assert report["schema_version"] == "2"
    assert report["model_order"] == ["tree", "boosted"]
    assert report["primary_model"] == "tree"
    assert report["run"] == report_binary["run_info"]
    data = report["data"]
    assert data["n_test"] == len(report_binary["X_te"]) == 150
    assert data["n_train"] == 450
    assert data["n_synthetic"] == 800
    assert data["classes"] == ["high", "low"]
    assert data["positive_class"] == "high"  # the minority class of y_train
    assert sum(data["test_class_counts"]) == 150
    assert [c["name"] for c in data["columns"]] == list(report_binary["X_te"].columns)


def test_json_round_trip_has_no_nan(report_binary):
    report = report_binary["report"]
    text = json.dumps(report, sort_keys=True, allow_nan=False)
    assert json.loads(text) == report
    assert (
        report_json(report)
        == json.dumps(report, sort_keys=True, indent=2, allow_nan=False) + "\n"
    )


def test_evaluate_is_deterministic(report_binary):
    b = report_binary
    args = ({"tree": b["models"]["tree"]}, b["X_te"], b["y_te"], b["X_tr"], b["y_tr"])
    kw = {"size_grid": (4,), "n_synthetic": 300, "shap_rows": 20}
    one = json.dumps(evaluate(*args, **kw), sort_keys=True)
    two = json.dumps(evaluate(*args, **kw), sort_keys=True)
    assert one == two
    other = json.dumps(evaluate(*args, **kw, random_state=1), sort_keys=True)
    assert other != one


def test_three_classes_tree_only():
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort(n_classes=3)
    # The histogram builder's tree arrays go through the same report.
    tree = cases.tree(teacher, builder="hist").fit(X_tr, y_tr)
    assert tree.student_.builder_ == "hist"
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **FAST)
    assert report["data"]["classes"] == ["high", "low", "medium"]
    assert report["data"]["positive_class"] is None
    assert report["calibration"]["kind"] == "top_class"
    m = np.asarray(report["confusion"]["matrices"]["tree"])
    assert m.shape == (3, 3) and m.sum() == 150
    assert [r["key"] for r in report["fidelity"]["held_out"]] == [
        "teacher",
        "truth_tree",
        "hard_surrogate",
        "tree",
    ]
    sh = report["shap"]
    assert sh["positive_class"] is None and sh["teacher"]["status"] == "ok"
    for r in report["rules"]:
        assert len(r["distribution"]) == 3
    for row in report["disagreements"]["rows"]:
        assert len(row["student_proba"]) == 3
    md = render_markdown(report)
    assert "| teacher \\\\ student | high | low | medium |" in md


def test_boosted_only_with_string_labels(report_binary):
    b = report_binary
    report = evaluate(
        {"boosted": b["models"]["boosted"]},
        *cases.rows(b),
        **FAST,
    )
    assert report["tree_model"] is None and report["primary_model"] == "boosted"
    assert report["rules"] is None and report["leaves"] is None
    assert report["tree"] is None
    assert report["size_curve"]["chosen"] is None
    assert len(report["size_curve"]["points"]) == len(GRID)
    boosted_leaves = report["models"]["boosted"]["n_leaves"]
    truth = report["fidelity"]["held_out"][1]
    assert truth["key"] == "truth_tree" and truth["n_leaves"] <= boosted_leaves
    assert report["summary"]["student"] == "boosted"
    assert report["shap"]["students"]["boosted"]["unit"] == "margin (log-odds)"
    assert render_rules(report).startswith("No tree student")
    html = render_html(report)
    assert "The boosted student (5 trees) agrees with the teacher" in html


def test_default_mlp_teacher(report_binary):
    from treedistill import MLPTeacher

    b = report_binary
    teacher = MLPTeacher(hidden_layer_sizes=(16,), max_epochs=15, random_state=0)
    tree = cases.tree(teacher.fit(b["X_tr"], b["y_tr"])).fit(b["X_tr"], b["y_tr"])
    report = evaluate(
        {"tree": tree}, b["X_te"], b["y_te"], b["X_tr"], b["y_tr"], **FAST
    )
    assert report["teacher"]["description"] == "MLPTeacher"
    assert report["shap"]["teacher"]["status"] == "ok"
    assert sum(report["shap"]["teacher"]["importance"]) > 0
    assert 0 <= report["summary"]["agreement"] <= 1


def test_real_heart_failure_records(shared_datasets):
    data = pd.read_csv(shared_datasets / "heart_failure_clinical_records.csv")
    y = data.pop("DEATH_EVENT")
    X_tr, X_te, y_tr, y_te = train_test_split(
        data, y, test_size=0.3, random_state=0, stratify=y
    )
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    tree = cases.tree(teacher.fit(X_tr, y_tr)).fit(X_tr, y_tr)
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **FAST)
    assert report["data"]["n_test"] == len(X_te)
    assert report["data"]["classes"] == [0, 1]
    assert report["shap"]["teacher"]["status"] == "ok"
    assert 0.6 <= report["summary"]["agreement"] <= 1
    assert {r["row"] for r in report["disagreements"]["rows"]} <= set(X_te.index)
    assert "Rule 1: IF " in render_rules(report)
