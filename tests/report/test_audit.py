"""treedistill.report._audit: per-rule, per-subgroup and per-row audit."""

from __future__ import annotations

import numpy as np
import pytest

from tests import _report_cases as cases
from treedistill import extract_rules
from treedistill.report import (
    evaluate,
    render_html,
)


def test_per_rule_audit(report_binary):
    report, tree = report_binary["report"], report_binary["models"]["tree"]
    rules, leaves = report["rules"], report["leaves"]
    expected = extract_rules(tree)
    assert [r["text"] for r in rules] == [r.text for r in expected]
    assert [r["rule"] for r in rules] == list(range(1, len(expected) + 1))
    assert sum(r["n_test"] for r in rules) == 150
    assert sum(r["coverage_test"] for r in rules) == pytest.approx(1.0, abs=1e-5)
    assert sum(r["n_synthetic"] for r in rules) == 800
    # rules with enough held-out rows first, least faithful first; small ones last
    small = [r["small"] for r in leaves]
    assert small == sorted(small) and small == [r["n_test"] < 10 for r in leaves]
    for part in (False, True):
        rates = [
            r["agreement"]
            for r in leaves
            if r["agreement"] is not None and r["small"] == part
        ]
        assert rates == sorted(rates)
    assert {r["rule"] for r in leaves} == {r["rule"] for r in rules}
    # Per-rule agreement recomputed from the leaves rows fall in.
    X_te = report_binary["X_te"]
    leaf_of_row = tree.apply(X_te)
    agree = np.argmax(tree.predict_proba(X_te), 1) == np.argmax(
        tree.teacher_proba(X_te), 1
    )
    for r in rules:
        mask = leaf_of_row == r["leaf"]
        assert r["n_test"] == int(mask.sum())
        if mask.any():
            assert r["agreement"] == pytest.approx(agree[mask].mean(), abs=1e-6)


def test_subgroups_cover_every_row(report_binary):
    report = report_binary["report"]
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
    missing = report_binary["X_te"]["ward"].isna().sum()
    assert next(r["n"] for r in sub["rows"] if r["level"] == "(missing)") == int(
        missing
    )


def test_numeric_subgroup_in_quartiles_and_unknown_column(report_binary):
    b = report_binary
    report = evaluate(
        {"tree": b["models"]["tree"]},
        *cases.rows(b),
        subgroups=["glucose"],
        **cases.QUICK,
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
            *cases.rows(b),
            subgroups=["weight"],
        )


def test_disagreements_are_row_indices_without_values(report_binary):
    report = report_binary["report"]
    d = report["disagreements"]
    assert d["model"] == "tree"
    index = set(report_binary["X_te"].index.tolist())
    assert 0 < len(d["rows"]) <= 20
    tvs = [r["tv"] for r in d["rows"]]
    assert tvs == sorted(tvs, reverse=True)
    for r in d["rows"]:
        assert r["row"] in index
        assert "values" not in r
        assert r["teacher_class"] in ("high", "low")
        assert sum(r["teacher_proba"]) == pytest.approx(1, abs=1e-5)
    assert d["n_differ"] == round(150 * (1 - report["summary"]["agreement"]))


def test_include_values_shows_the_rows_values(report_binary):
    b = report_binary
    report = evaluate(
        {"tree": b["models"]["tree"]},
        *cases.rows(b),
        include_values=True,
        **cases.QUICK,
    )
    first = report["disagreements"]["rows"][0]
    row = b["X_te"].loc[first["row"]]
    assert set(first["values"]) == set(b["X_te"].columns)
    assert first["values"]["age"] == int(row["age"])
    assert first["values"]["smoker"] == row["smoker"]
    html = render_html(report)
    assert f"smoker={row['smoker']}" in html


def test_subgroups_are_worded_as_the_rules_word_conditions():
    import pandas as pd

    from treedistill.data._schema import TabularSchema
    from treedistill.report._audit import _subgroup_levels

    train = pd.DataFrame(
        {
            "cp": [1.0, 2.0, 4.0, 4.0, 3.0, 1.0],
            "sex": [0, 1, 1, 0, 1, 0],
            "hypertension": [0, 1, 0, 1, 0, 0],
            "age": [30, 41, 52, 63, 74, 85] * 1,
        }
    )
    schema = TabularSchema.infer(train, categorical_features=["cp"], booleans=True)
    test = train.astype(object)
    test.loc[0, "cp"] = np.nan
    labels = {}
    for name in train.columns:
        for level, label, _ in _subgroup_levels(
            schema.column(name), test[name], train[name]
        ):
            labels[(name, level)] = label
    assert labels[("cp", "4")] == "cp is 4"  # never "cp = 4.0"
    assert labels[("cp", "(missing)")] == "cp is missing"
    assert labels[("sex", "1")] == "sex = 1"  # never "has sex"
    assert labels[("hypertension", "1")] == "has hypertension"
    assert labels[("hypertension", "0")] == "no hypertension"
    assert labels[("age", "30")] == "age = 30"  # few values: each its own subgroup
