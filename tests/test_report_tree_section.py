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
