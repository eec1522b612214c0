"""Tests for treedistill.report: evaluate() and the HTML / Markdown / rules output."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    extract_rules,
)
from treedistill.datasets import make_clinical_cohort
from treedistill.report import (
    evaluate,
    permutation_shap,
    render_html,
    render_markdown,
    render_rules,
    report_json,
    write_report,
)

HOSTILE = "<script>alert(1)</script>"
GRID = (2, 4, 8, 16)
FAST = {"size_grid": GRID, "n_synthetic": 800, "shap_rows": 40}
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
}


def _teacher():
    codes = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=-1,
                    encoded_missing_value=-1,
                ),
                make_column_selector(dtype_include=[object, "string", "category"]),
            )
        ],
        remainder="passthrough",
    )
    return make_pipeline(
        codes, HistGradientBoostingClassifier(max_iter=25, random_state=0)
    )


def _cohort(n_classes=2, rename=None):
    X, y = make_clinical_cohort(
        600, n_classes=n_classes, random_state=0, missing_rate=0.1
    )
    if rename:
        X = X.rename(columns=rename)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    teacher = _teacher().fit(X_tr, y_tr)
    return X_tr, X_te, y_tr, y_te, teacher


def _tree(teacher, **kw):
    params = {"max_leaf_nodes": 8, "augment_factor": 5.0, "random_state": 0, **kw}
    return DistilledTreeClassifier(teacher, **params)


def _boosted(teacher):
    return DistilledBoostingClassifier(
        teacher, n_estimators=5, n_jobs=1, random_state=0
    )


@pytest.fixture(scope="module")
def binary():
    X_tr, X_te, y_tr, y_te, teacher = _cohort()
    models = {
        "tree": _tree(teacher).fit(X_tr, y_tr),
        "boosted": _boosted(teacher).fit(X_tr, y_tr),
    }
    run_info = {
        "data": {"file": "cohort.csv", "rows_dropped": 0},
        "sweep": [
            {"temperature": 0.25, "agreement": 0.97, "chosen": True},
            {"temperature": 1.0, "agreement": 0.95, "chosen": False},
        ],
    }
    report = evaluate(models, X_te, y_te, X_tr, y_tr, run_info=run_info, **FAST)
    return {
        "X_tr": X_tr,
        "X_te": X_te,
        "y_tr": y_tr,
        "y_te": y_te,
        "models": models,
        "report": report,
        "run_info": run_info,
    }


# --------------------------------------------------------------------------- #
# evaluate(): structure and numbers
# --------------------------------------------------------------------------- #
def test_top_level_keys_and_version(binary):
    report = binary["report"]
    assert set(report) == TOP_KEYS
    assert report["schema_version"] == "1"
    assert report["model_order"] == ["tree", "boosted"]
    assert report["primary_model"] == "tree"
    assert report["run"] == binary["run_info"]
    data = report["data"]
    assert data["n_test"] == len(binary["X_te"]) == 150
    assert data["n_train"] == 450
    assert data["n_synthetic"] == 800
    assert data["classes"] == ["high", "low"]
    assert data["positive_class"] == "low"
    assert sum(data["test_class_counts"]) == 150
    assert [c["name"] for c in data["columns"]] == list(binary["X_te"].columns)


def test_json_round_trip_has_no_nan(binary):
    report = binary["report"]
    text = json.dumps(report, sort_keys=True, allow_nan=False)
    assert json.loads(text) == report
    assert (
        report_json(report)
        == json.dumps(report, sort_keys=True, indent=2, allow_nan=False) + "\n"
    )


def test_fidelity_table_rows_and_recomputed_agreement(binary):
    report, models = binary["report"], binary["models"]
    X_te, y_te = binary["X_te"], binary["y_te"]
    rows = report["fidelity"]["held_out"]
    assert [r["key"] for r in rows] == [
        "teacher",
        "truth_tree",
        "hard_surrogate",
        "tree",
        "boosted",
    ]
    tree = models["tree"]
    t = np.argmax(tree.teacher_proba(X_te), axis=1)
    for name in ("tree", "boosted"):
        s = np.argmax(models[name].predict_proba(X_te), axis=1)
        row = next(r for r in rows if r["key"] == name)
        assert row["agreement"] == pytest.approx(np.mean(s == t), abs=1e-6)
        assert row["n"] == 150
        lo, hi = row["agreement_ci"]
        assert 0 <= lo <= row["agreement"] <= hi <= 1
        assert row["kl"] >= 0 and 0 <= row["tv"] <= 1
        acc = np.mean(models[name].predict(X_te) == y_te.to_numpy())
        assert row["accuracy"] == pytest.approx(acc, abs=1e-6)
        assert 0.5 <= row["roc_auc"] <= 1
    teacher = rows[0]
    assert teacher["agreement"] is None and teacher["kl"] is None
    assert teacher["accuracy"] == pytest.approx(
        np.mean(tree.classes_[t] == y_te.to_numpy()), abs=1e-6
    )
    n_leaves = tree.student_.get_n_leaves()
    for key in ("truth_tree", "hard_surrogate"):
        row = next(r for r in rows if r["key"] == key)
        assert 2 <= row["n_leaves"] <= n_leaves
    syn = report["fidelity"]["synthetic"]
    assert [r["key"] for r in syn] == [
        "truth_tree",
        "hard_surrogate",
        "tree",
        "boosted",
    ]
    for row in syn:
        assert row["n"] == 800
        assert "accuracy" not in row
        assert 0 <= row["agreement"] <= 1 and row["kl"] >= 0


def test_size_curve_marks_the_chosen_tree(binary):
    report = binary["report"]
    curve = report["size_curve"]
    assert [p["budget"] for p in curve["points"]] == list(GRID)
    for p in curve["points"]:
        assert 2 <= p["student_leaves"] <= p["budget"]
        assert 2 <= p["surrogate_leaves"] <= p["budget"]
        for key in (
            "student_held_out",
            "student_synthetic",
            "surrogate_held_out",
            "surrogate_synthetic",
        ):
            assert 0 <= p[key] <= 1
    chosen = curve["chosen"]
    assert chosen["leaves"] == binary["models"]["tree"].student_.get_n_leaves()
    assert chosen["held_out"] == report["summary"]["agreement"]
    # The refit at the chosen budget is the chosen tree (same options and seed).
    at_8 = next(p for p in curve["points"] if p["budget"] == 8)
    assert at_8["student_held_out"] == pytest.approx(chosen["held_out"])


def test_confusion_and_calibration_are_consistent(binary):
    report = binary["report"]
    agreement = {r["key"]: r["agreement"] for r in report["fidelity"]["held_out"]}
    for name in ("tree", "boosted"):
        m = np.asarray(report["confusion"]["matrices"][name])
        assert m.shape == (2, 2) and m.sum() == 150
        assert np.trace(m) / m.sum() == pytest.approx(agreement[name], abs=1e-6)
    cal = report["calibration"]
    assert cal["kind"] == "positive" and cal["positive_class"] == "low"
    assert set(cal["curves"]) == {"teacher", "tree", "boosted"}
    for curve in cal["curves"].values():
        assert sum(b["n"] for b in curve["bins"]) == 150
        assert 0 <= curve["ece"] <= 1
        for b in curve["bins"]:
            assert b["low"] <= b["mean_predicted"] <= b["high"]
            assert 0 <= b["observed"] <= 1


def test_per_rule_audit(binary):
    report, tree = binary["report"], binary["models"]["tree"]
    rules, leaves = report["rules"], report["leaves"]
    expected = extract_rules(tree)
    assert [r["text"] for r in rules] == [r.text for r in expected]
    assert [r["rule"] for r in rules] == list(range(1, len(expected) + 1))
    assert sum(r["n_test"] for r in rules) == 150
    assert sum(r["coverage_test"] for r in rules) == pytest.approx(1.0, abs=1e-5)
    assert sum(r["n_synthetic"] for r in rules) == 800
    rates = [r["agreement"] for r in leaves if r["agreement"] is not None]
    assert rates == sorted(rates)
    assert {r["rule"] for r in leaves} == {r["rule"] for r in rules}
    # Per-rule agreement recomputed from the leaves rows fall in.
    X_te = binary["X_te"]
    leaf_of_row = tree.apply(X_te)
    agree = np.argmax(tree.predict_proba(X_te), 1) == np.argmax(
        tree.teacher_proba(X_te), 1
    )
    for r in rules:
        mask = leaf_of_row == r["leaf"]
        assert r["n_test"] == int(mask.sum())
        if mask.any():
            assert r["agreement"] == pytest.approx(agree[mask].mean(), abs=1e-6)


def test_subgroups_cover_every_row(binary):
    report = binary["report"]
    sub = report["subgroups"]
    assert sub["columns"] == ["sex", "smoker", "ward"]
    for column in sub["columns"]:
        rows = [r for r in sub["rows"] if r["column"] == column]
        assert sum(r["n"] for r in rows) == 150
        for r in rows:
            for name in ("tree", "boosted"):
                m = r["models"][name]
                assert 0 <= m["agreement"] <= 1
                assert m["agreement_ci"][0] <= m["agreement"] <= m["agreement_ci"][1]
    wards = {r["level"] for r in sub["rows"] if r["column"] == "ward"}
    assert wards == {"cardiology", "general", "renal", "(missing)"}
    missing = binary["X_te"]["ward"].isna().sum()
    assert next(r["n"] for r in sub["rows"] if r["level"] == "(missing)") == int(
        missing
    )


def test_numeric_subgroup_in_quartiles_and_unknown_column(binary):
    b = binary
    report = evaluate(
        {"tree": b["models"]["tree"]},
        b["X_te"],
        b["y_te"],
        b["X_tr"],
        b["y_tr"],
        subgroups=["glucose"],
        size_grid=(),
        n_synthetic=0,
        shap_rows=0,
    )
    rows = report["subgroups"]["rows"]
    assert [r["column"] for r in rows] == ["glucose"] * 4
    assert rows[0]["level"].startswith("<= ") and rows[-1]["level"].startswith("> ")
    assert sum(r["n"] for r in rows) == 150
    assert report["size_curve"]["points"] == []
    assert report["fidelity"]["synthetic"] == []
    with pytest.raises(ValueError, match="subgroup column 'weight'"):
        evaluate(
            {"tree": b["models"]["tree"]},
            b["X_te"],
            b["y_te"],
            b["X_tr"],
            b["y_tr"],
            subgroups=["weight"],
        )


def test_disagreements_are_row_indices_without_values(binary):
    report = binary["report"]
    d = report["disagreements"]
    assert d["model"] == "tree"
    index = set(binary["X_te"].index.tolist())
    assert 0 < len(d["rows"]) <= 20
    tvs = [r["tv"] for r in d["rows"]]
    assert tvs == sorted(tvs, reverse=True)
    for r in d["rows"]:
        assert r["row"] in index
        assert "values" not in r
        assert r["teacher_class"] in ("high", "low")
        assert sum(r["teacher_proba"]) == pytest.approx(1, abs=1e-5)
    assert d["n_differ"] == round(150 * (1 - report["summary"]["agreement"]))


def test_include_values_shows_the_rows_values(binary):
    b = binary
    report = evaluate(
        {"tree": b["models"]["tree"]},
        b["X_te"],
        b["y_te"],
        b["X_tr"],
        b["y_tr"],
        include_values=True,
        size_grid=(),
        n_synthetic=0,
        shap_rows=0,
    )
    first = report["disagreements"]["rows"][0]
    row = b["X_te"].loc[first["row"]]
    assert set(first["values"]) == set(b["X_te"].columns)
    assert first["values"]["age"] == int(row["age"])
    assert first["values"]["smoker"] == row["smoker"]
    html = render_html(report)
    assert f"smoker={row['smoker']}" in html


def test_tree_section_describes_the_student(binary):
    report, tree = binary["report"], binary["models"]["tree"]
    t = report["tree"]
    assert t["n_leaves"] == tree.student_.get_n_leaves()
    assert t["depth"] == tree.student_.get_depth()
    assert 1 <= t["avg_path_length"] <= t["depth"]
    nodes = t["nodes"]
    assert len(nodes) == tree.student_.tree_.node_count
    assert nodes[0]["n_test"] == 150
    assert sum(n["leaf"] for n in nodes) == t["n_leaves"]
    for n in nodes:
        if n["leaf"]:
            assert n["rule"] is not None and n["prediction"] in ("high", "low")
            assert sum(n["distribution"]) == pytest.approx(1, abs=1e-5)
        else:
            assert n["question"] and n["column"] in t["columns_used"]
            left, right = nodes[n["left"]], nodes[n["right"]]
            assert left["n_test"] + right["n_test"] == n["n_test"]
    assert "glucose" in t["columns_used"]


def test_shap_importance_per_original_column(binary):
    sh = binary["report"]["shap"]
    assert sh["columns"] == list(binary["X_te"].columns)
    assert sh["n_rows"] == 40 and sh["n_background"] == 50
    assert sh["teacher"]["status"] == "ok"
    teacher = np.asarray(sh["teacher"]["importance"])
    assert teacher.shape == (9,) and (teacher >= 0).all()
    top = [sh["columns"][j] for j in np.argsort(-teacher)[:3]]
    assert "glucose" in top
    tree = binary["models"]["tree"]
    used = {tree.schema_.features[j].column for j in tree.student_.features_used()}
    for name in ("tree", "boosted"):
        st = sh["students"][name]
        assert st["status"] == "ok"
        assert len(st["importance"]) == 9
        assert -1 <= sh["spearman"][name] <= 1
    for col, v in zip(sh["columns"], sh["students"]["tree"]["importance"], strict=True):
        if col not in used:
            assert v == 0
    assert sh["spearman"]["tree"] > 0.5


def test_permutation_shap_is_exact_for_an_additive_model():
    rng = np.random.default_rng(0)
    w = np.array([1.5, -2.0, 0.5, 0.0])

    def f(A):
        return np.column_stack([A @ w, np.sin(A[:, 0]) + A[:, 1] * A[:, 2]])

    X = rng.normal(size=(7, 4))
    bg = rng.normal(size=(11, 4))
    phi = permutation_shap(f, X, bg, np.random.default_rng(1), max_batch=30)
    assert phi.shape == (7, 4, 2)
    expected = (X - bg.mean(axis=0)) * w
    np.testing.assert_allclose(phi[:, :, 0], expected, atol=1e-12)
    # Local accuracy holds for any model.
    np.testing.assert_allclose(phi.sum(axis=1), f(X) - f(bg).mean(axis=0), atol=1e-12)


def test_evaluate_is_deterministic(binary):
    b = binary
    args = ({"tree": b["models"]["tree"]}, b["X_te"], b["y_te"], b["X_tr"], b["y_tr"])
    kw = {"size_grid": (4,), "n_synthetic": 300, "shap_rows": 20}
    one = json.dumps(evaluate(*args, **kw), sort_keys=True)
    two = json.dumps(evaluate(*args, **kw), sort_keys=True)
    assert one == two
    other = json.dumps(evaluate(*args, **kw, random_state=1), sort_keys=True)
    assert other != one


def test_bad_inputs_are_one_line_value_errors(binary):
    b = binary
    tree = b["models"]["tree"]
    args = (b["X_te"], b["y_te"], b["X_tr"], b["y_tr"])
    with pytest.raises(ValueError, match="non-empty dict"):
        evaluate({}, *args)
    with pytest.raises(ValueError, match="model 'raw' is not a fitted"):
        evaluate({"raw": DistilledTreeClassifier()}, *args)
    with pytest.raises(ValueError, match="y_test holds label 'unknown'"):
        evaluate(
            {"tree": tree},
            b["X_te"],
            ["unknown"] * len(b["X_te"]),
            b["X_tr"],
            b["y_tr"],
        )
    with pytest.raises(ValueError, match="y_test has 3 labels"):
        evaluate({"tree": tree}, b["X_te"], ["low"] * 3, b["X_tr"], b["y_tr"])
    with pytest.raises(ValueError, match="X_test has no column 'glucose'"):
        evaluate({"tree": tree}, b["X_te"].drop(columns="glucose"), *args[1:])
    with pytest.raises(ValueError, match="size_grid must hold integers >= 2"):
        evaluate({"tree": tree}, *args, size_grid=(1, 4))
    with pytest.raises(ValueError, match="n_synthetic must be an integer >= 0"):
        evaluate({"tree": tree}, *args, n_synthetic=-1)
    with pytest.raises(ValueError, match="schema_version"):
        render_html({"schema_version": "0"})


def test_shap_failure_is_recorded_not_raised(binary, monkeypatch):
    from treedistill.report import _evaluate

    def broken(*args, **kwargs):
        raise RuntimeError("the teacher refuses to be explained\nsecond line")

    monkeypatch.setattr(_evaluate, "teacher_importance", broken)
    b = binary
    report = evaluate(
        {"tree": b["models"]["tree"]},
        b["X_te"],
        b["y_te"],
        b["X_tr"],
        b["y_tr"],
        size_grid=(),
        n_synthetic=0,
        shap_rows=10,
    )
    teacher = report["shap"]["teacher"]
    assert teacher == {
        "status": "failed",
        "reason": "RuntimeError: the teacher refuses to be explained",
    }
    assert report["shap"]["students"]["tree"]["status"] == "ok"
    assert report["shap"]["spearman"]["tree"] is None
    html = render_html(report)
    assert "SHAP could not explain the teacher: RuntimeError" in html


# --------------------------------------------------------------------------- #
# Other shapes of input
# --------------------------------------------------------------------------- #
def test_three_classes_tree_only():
    X_tr, X_te, y_tr, y_te, teacher = _cohort(n_classes=3)
    # The histogram builder's tree arrays go through the same report.
    tree = _tree(teacher, builder="hist").fit(X_tr, y_tr)
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


def test_boosted_only_with_string_labels(binary):
    b = binary
    report = evaluate(
        {"boosted": b["models"]["boosted"]},
        b["X_te"],
        b["y_te"],
        b["X_tr"],
        b["y_tr"],
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


def test_numeric_arrays_and_integer_labels():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        X_tr, y_tr
    )
    tree = _tree(teacher).fit(X_tr, y_tr)
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **FAST)
    assert report["data"]["classes"] == [0, 1]
    assert report["subgroups"]["columns"] == []
    assert report["shap"]["teacher"]["status"] == "ok"
    assert len(report["shap"]["columns"]) == 30
    rows = [r["row"] for r in report["disagreements"]["rows"]]
    assert all(isinstance(r, int) and 0 <= r < len(X_te) for r in rows)
    assert report["summary"]["agreement"] > 0.85


def test_default_mlp_teacher(binary):
    from treedistill import MLPTeacher

    b = binary
    teacher = MLPTeacher(hidden_layer_sizes=(16,), max_epochs=15, random_state=0)
    tree = _tree(teacher.fit(b["X_tr"], b["y_tr"])).fit(b["X_tr"], b["y_tr"])
    report = evaluate(
        {"tree": tree}, b["X_te"], b["y_te"], b["X_tr"], b["y_tr"], **FAST
    )
    assert report["teacher"]["description"] == "MLPTeacher"
    assert report["shap"]["teacher"]["status"] == "ok"
    assert sum(report["shap"]["teacher"]["importance"]) > 0
    assert 0 <= report["summary"]["agreement"] <= 1


# --------------------------------------------------------------------------- #
# Rendering and files
# --------------------------------------------------------------------------- #
_IMG = re.compile(r"<img\s[^>]*src=\"([^\"]*)\"")


def test_write_report_writes_four_self_contained_files(binary, tmp_path):
    from PIL import Image

    out = tmp_path / "new" / "run"
    paths = write_report(binary["report"], out)
    assert [p.name for p in paths] == [
        "report.html",
        "report.json",
        "report.md",
        "rules.txt",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    html = (out / "report.html").read_text(encoding="utf-8")
    for ref in ("http://", "https://", 'src="//', 'href="//', "url("):
        assert ref not in html
    srcs = _IMG.findall(html)
    assert len(srcs) >= 6
    for src in srcs:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(src[len(prefix) :]))) as im:
            im.load()
            assert im.format == "PNG" and im.width > 100 and im.height > 100
    assert json.loads((out / "report.json").read_text()) == binary["report"]
    rules = (out / "rules.txt").read_text().splitlines()
    assert len(rules) == len(binary["report"]["rules"])
    assert rules[0].startswith("Rule 1: IF ")
    assert all(" THEN " in line for line in rules)
    assert not list(out.glob(".*.tmp"))


def test_html_shows_the_summary_and_run_info(binary):
    report = binary["report"]
    html = render_html(report)
    s = report["summary"]
    assert f"The {s['n_leaves']}-leaf tree agrees with the teacher on" in html
    assert f"{100 * s['agreement']:.1f}%" in html
    assert "cohort.csv" in html
    assert 'class="chosen"' in html  # the chosen sweep row is highlighted
    for title in (
        "1. Fidelity to the teacher",
        "2. Fidelity against tree size",
        "4. Where the explanation fails",
        "5. The explanation",
        "6. Run",
    ):
        assert title in html
    assert html.count("How to read this") >= 8


def test_rendering_needs_only_the_json(binary, tmp_path):
    report = binary["report"]
    again = json.loads(report_json(report))
    assert render_html(again) == render_html(report)
    assert render_markdown(again) == render_markdown(report)
    assert render_rules(again) == render_rules(report)


def test_markdown_has_the_same_numbers(binary):
    report = binary["report"]
    md = render_markdown(report)
    for row in report["fidelity"]["held_out"][1:]:
        assert f"| {row['label']} | {row['n_leaves']} | " in md
        assert f"{100 * row['agreement']:.1f}%" in md
    assert "data:image" not in md
    assert "**sweep**" in md


def test_hostile_column_name_is_escaped(tmp_path):
    X_tr, X_te, y_tr, y_te, teacher = _cohort(rename={"ward": HOSTILE})
    tree = _tree(teacher).fit(X_tr, y_tr)
    report = evaluate(
        {"tree": tree},
        X_te,
        y_te,
        X_tr,
        y_tr,
        size_grid=(4,),
        n_synthetic=200,
        shap_rows=10,
    )
    assert HOSTILE in report["subgroups"]["columns"]
    write_report(report, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert HOSTILE not in md
    assert "\\<script\\>" in md


def test_real_heart_failure_records(shared_datasets):
    data = pd.read_csv(shared_datasets / "heart_failure_clinical_records.csv")
    y = data.pop("DEATH_EVENT")
    X_tr, X_te, y_tr, y_te = train_test_split(
        data, y, test_size=0.3, random_state=0, stratify=y
    )
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    tree = _tree(teacher.fit(X_tr, y_tr)).fit(X_tr, y_tr)
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **FAST)
    assert report["data"]["n_test"] == len(X_te)
    assert report["data"]["classes"] == [0, 1]
    assert report["shap"]["teacher"]["status"] == "ok"
    assert 0.6 <= report["summary"]["agreement"] <= 1
    assert {r["row"] for r in report["disagreements"]["rows"]} <= set(X_te.index)
    assert "Rule 1: IF " in render_rules(report)
