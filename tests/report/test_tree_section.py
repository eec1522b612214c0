"""treedistill.report._tree_section: the tree student as drawing data."""

from __future__ import annotations

import pytest


def test_tree_section_describes_the_student(report_binary):
    report, tree = report_binary["report"], report_binary["models"]["tree"]
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


def test_the_report_says_which_search_built_the_tree(report_binary):
    from tests._report_cases import QUICK, RUN_INFO, rows, tree
    from treedistill.report import evaluate, render_markdown

    assert report_binary["report"]["tree"]["search"] == "greedy"
    X_te, y_te, X_tr, y_tr = rows(report_binary)
    teacher = report_binary["models"]["tree"].teacher_
    refined = tree(teacher, search="tao", max_leaf_nodes=4).fit(X_tr, y_tr)
    report = evaluate(
        {"tree": refined},
        X_te,
        y_te,
        X_tr,
        y_tr,
        run_info=RUN_INFO,
        stability_refits=0,
        **QUICK,
    )
    assert report["tree"]["search"] == "tao"
    assert "refined by TAO" in report["tree"]["search_text"]
    assert "The tree was grown greedily, then refined by TAO" in render_markdown(report)
