"""treedistill.report._shap_section: SHAP importance of teacher and students."""

from __future__ import annotations

import numpy as np

from tests import _report_cases as cases
from treedistill.report import (
    evaluate,
    render_html,
)


def test_shap_importance_per_original_column(report_binary):
    sh = report_binary["report"]["shap"]
    assert sh["columns"] == list(report_binary["X_te"].columns)
    assert sh["n_rows"] == 40 and sh["n_background"] == 50
    assert sh["teacher"]["status"] == "ok"
    teacher = np.asarray(sh["teacher"]["importance"])
    assert teacher.shape == (9,) and (teacher >= 0).all()
    top = [sh["columns"][j] for j in np.argsort(-teacher)[:3]]
    assert "glucose" in top
    tree = report_binary["models"]["tree"]
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


def test_shap_failure_is_recorded_not_raised(report_binary, monkeypatch):
    from treedistill.report import _shap_section

    def broken(*args, **kwargs):
        raise RuntimeError("the teacher refuses to be explained\nsecond line")

    monkeypatch.setattr(_shap_section, "teacher_importance", broken)
    b = report_binary
    report = evaluate(
        {"tree": b["models"]["tree"]},
        *cases.rows(b),
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


def test_the_report_states_the_shap_sample_sizes(report_binary):
    from treedistill.report import render_markdown

    report = report_binary["report"]
    n_test = report["data"]["n_test"]
    assert report["shap"]["n_rows"] == 40 < n_test
    said = (
        f"(a seeded sample of the {n_test} held-out rows); the teacher's permutation "
        "SHAP against 50 background training rows."
    )
    assert said in render_markdown(report)
    assert said in " ".join(render_html(report).split())
    every_row = {**report, "shap": {**report["shap"], "n_rows": n_test}}
    md = render_markdown(every_row)
    assert f"Over {n_test} held-out rows" in md
    assert f"(a seeded sample of the {n_test} held-out rows)" not in md
