"""treedistill.report._size_curve: fidelity against tree size."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from tests._report_cases import GRID
from treedistill import DistilledTreeClassifier
from treedistill.report._size_curve import LogitTable, TabledTeacher


class _CountingTeacher(LogisticRegression):
    """A logistic regression that counts the rows it is asked to score."""

    def decision_function(self, X):
        self.rows_scored_ = getattr(self, "rows_scored_", 0) + len(X)
        return super().decision_function(X)


def test_size_curve_marks_the_chosen_tree(report_binary):
    report = report_binary["report"]
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
    assert chosen["leaves"] == report_binary["models"]["tree"].student_.get_n_leaves()
    assert chosen["held_out"] == report["summary"]["agreement"]
    # The refit at the chosen budget is the chosen tree (same options and seed).
    at_8 = next(p for p in curve["points"] if p["budget"] == 8)
    assert at_8["student_held_out"] == pytest.approx(chosen["held_out"])


def test_tabled_teacher_asks_the_teacher_once_per_row():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    fitted = _CountingTeacher().fit(X, y)
    table = LogitTable()
    tabled = TabledTeacher(fitted, table)
    params = {"augment_factor": 3.0, "random_state": 0}
    first = DistilledTreeClassifier(tabled, max_leaf_nodes=4, **params).fit(X, y)
    asked = fitted.rows_scored_
    assert asked == 300 * 4  # the real rows and the augmented ones, once
    assert 0 < len(table) <= asked
    second = DistilledTreeClassifier(tabled, max_leaf_nodes=8, **params).fit(X, y)
    assert fitted.rows_scored_ == asked  # every row came from the table
    # The same trees as with the teacher itself.
    plain = DistilledTreeClassifier(fitted, max_leaf_nodes=8, **params).fit(X, y)
    np.testing.assert_array_equal(second.predict_proba(X), plain.predict_proba(X))
    assert first.student_.get_n_leaves() == 4
    np.testing.assert_allclose(
        tabled.predict_proba(X[:5]), fitted.predict_proba(X[:5]), atol=1e-12
    )
