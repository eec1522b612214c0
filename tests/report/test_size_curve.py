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


def _curve(monkeypatch, models, data, refit: bool) -> dict:
    import treedistill.report._evaluate as ev
    from treedistill.report import evaluate
    from treedistill.report._size_curve import size_curve

    monkeypatch.setattr(
        ev, "size_curve", lambda *a, **kw: size_curve(*a, **kw, refit=refit)
    )
    X_tr, X_te, y_tr, y_te = data
    skip = ("shap", "stability")
    report = evaluate(
        models,
        X_te,
        y_te,
        X_tr,
        y_tr,
        size_grid=(2, 3, 5, 8, 16),
        n_synthetic=600,
        shap_rows=0,
        skip=skip,
    )
    return report["size_curve"]


@pytest.mark.parametrize(
    "n_classes, options",
    [
        (2, {}),
        (2, {"exact_rules": True, "criterion": "gini"}),
        (3, {"temperature": 2.0, "objective": "ranking"}),
        (2, {"builder": "hist"}),
        (3, {"objective": "agreement", "search": "greedy"}),
    ],
)
def test_one_growth_curve_equals_refitting_at_every_budget(
    monkeypatch, n_classes, options
):
    """Cutting the largest best-first tree back gives the tree of each budget."""
    from tests._report_cases import cohort, tree

    X_tr, X_te, y_tr, y_te, fitted = cohort(n_classes=n_classes)
    models = {"tree": tree(fitted, **options).fit(X_tr, y_tr)}
    data = (X_tr, X_te, y_tr, y_te)
    nested = _curve(monkeypatch, models, data, refit=False)
    refitted = _curve(monkeypatch, models, data, refit=True)
    assert nested["method"] == "one growth" and refitted["method"] == "refit"
    assert len(nested["points"]) == 5
    for a, b in zip(nested["points"], refitted["points"], strict=True):
        assert a["student_leaves"] == b["student_leaves"]
        assert a["surrogate_leaves"] == b["surrogate_leaves"]
        for key in (
            "student_held_out",
            "student_synthetic",
            "surrogate_held_out",
            "surrogate_synthetic",
        ):
            assert a[key] == b[key], (a["budget"], key)
        # Node values are sums over the same rows, added in another order.
        assert a["student_held_out_kl"] == pytest.approx(b["student_held_out_kl"])
        assert a["measures"]["student"]["held_out"] == pytest.approx(
            b["measures"]["student"]["held_out"]
        )
    assert nested["objective"] == refitted["objective"]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_pruned_curve_from_one_growth_equals_refitting_at_every_budget(
    monkeypatch, n_classes
):
    """The pruning search's tree of each budget, read off one growth to four
    times the largest budget, is the tree the search builds at that budget."""
    from tests._report_cases import cohort, tree

    X_tr, X_te, y_tr, y_te, fitted = cohort(n_classes=n_classes)
    model = tree(fitted, objective="agreement").fit(X_tr, y_tr)
    assert model.search_ == "prune"
    data = (X_tr, X_te, y_tr, y_te)
    pruned = _curve(monkeypatch, {"tree": model}, data, refit=False)
    refitted = _curve(monkeypatch, {"tree": model}, data, refit=True)
    assert pruned["method"] == "one growth, pruned"
    assert refitted["method"] == "refit"
    for a, b in zip(pruned["points"], refitted["points"], strict=True):
        assert a["student_leaves"] == b["student_leaves"], a["budget"]
        assert a["student_leaves"] <= a["budget"]
        for key in ("student_held_out", "student_synthetic", "surrogate_held_out"):
            assert a[key] == b[key], (a["budget"], key)
        assert a["student_held_out_kl"] == pytest.approx(b["student_held_out_kl"])
    if n_classes == 2:
        return  # on the binary cohort the pruned trees are the greedy ones
    # Pruning pays somewhere: a budget's tree is not the first splits of the
    # growth (that tree is what a greedy search would build).
    greedy = tree(fitted, objective="agreement", search="greedy").fit(X_tr, y_tr)
    curve_greedy = _curve(monkeypatch, {"tree": greedy}, data, refit=False)
    assert curve_greedy["method"] == "one growth"
    assert any(
        a["student_synthetic"] != g["student_synthetic"]
        for a, g in zip(pruned["points"], curve_greedy["points"], strict=True)
    )


def test_a_refined_search_refits_at_every_budget(monkeypatch):
    from tests._report_cases import cohort, tree

    X_tr, X_te, y_tr, y_te, fitted = cohort()
    models = {"tree": tree(fitted, search="tao").fit(X_tr, y_tr)}
    curve = _curve(monkeypatch, models, (X_tr, X_te, y_tr, y_te), refit=False)
    assert curve["method"] == "refit"


def test_nested_leaves_cut_a_tree_back_to_its_first_splits():
    from sklearn.tree import DecisionTreeClassifier

    from treedistill.report._size_curve import expansion_order, nested_leaves

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    big = DecisionTreeClassifier(max_leaf_nodes=9, random_state=0).fit(X, y)
    order = expansion_order(big.tree_)
    assert order[0] == 0 and len(order) == big.get_n_leaves() - 1
    for budget in (2, 4, 6, 9):
        small = DecisionTreeClassifier(max_leaf_nodes=budget, random_state=0).fit(X, y)
        leaf, n_leaves = nested_leaves(big.tree_, budget)
        assert n_leaves == small.get_n_leaves()
        np.testing.assert_array_equal(
            big.tree_.value[leaf[big.apply(X)], 0, :],
            small.tree_.value[small.apply(X), 0, :],
        )
