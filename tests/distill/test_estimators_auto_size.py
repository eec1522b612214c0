"""``max_leaf_nodes="auto"``: the size chosen from a size curve on held-out rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from treedistill import DistilledTreeClassifier
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._estimators import AUTO_BUDGETS, AUTO_STREAM, AUTO_TOLERANCE
from treedistill.exceptions import ParameterError

X, Y = make_clinical_cohort(500, missing_rate=0.05, random_state=0)
NUMERIC = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]
X = X[NUMERIC]
TEACHER = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X, Y)
KW = dict(augment_factor=2, random_state=0)


@pytest.fixture(scope="module")
def auto():
    return DistilledTreeClassifier(TEACHER, max_leaf_nodes="auto", **KW).fit(X, Y)


def test_the_rule_picks_the_smallest_budget_near_the_best(auto):
    curve = auto.size_curve_
    points = curve["points"]
    assert [p["max_leaf_nodes"] for p in points] == list(AUTO_BUDGETS)
    assert curve["n_held_out"] == 100 and "within 1 point of the best" in curve["rule"]
    best = max(p["agreement"] for p in points)
    assert curve["best"] == best
    near = [
        p["max_leaf_nodes"] for p in points if p["agreement"] >= best - AUTO_TOLERANCE
    ]
    assert auto.max_leaf_nodes_ == curve["chosen"] == min(near)
    for p in points:
        assert 0 <= p["agreement"] <= 1 and p["n_leaves"] <= p["max_leaf_nodes"]


def test_the_tree_is_the_one_of_the_chosen_budget(auto):
    fixed = DistilledTreeClassifier(
        TEACHER, max_leaf_nodes=auto.max_leaf_nodes_, **KW
    ).fit(X, Y)
    np.testing.assert_array_equal(auto.predict_proba(X), fixed.predict_proba(X))
    assert auto.student_.get_n_leaves() == fixed.student_.get_n_leaves()


def test_the_curve_is_judged_on_rows_not_used_to_grow_it():
    """Without augmentation the curve's trees are those grown on the other rows
    with each budget: their held-out agreement, recomputed by hand."""
    kw = dict(augmentation="none", random_state=0)
    auto = DistilledTreeClassifier(TEACHER, max_leaf_nodes="auto", **kw).fit(X, Y)
    rng = np.random.default_rng([0, AUTO_STREAM])
    hold = np.sort(rng.permutation(len(X))[:100])
    grow = np.setdiff1d(np.arange(len(X)), hold)
    teacher = TEACHER.predict(X.iloc[hold])
    for point in auto.size_curve_["points"]:
        sub = DistilledTreeClassifier(
            TEACHER, max_leaf_nodes=point["max_leaf_nodes"], **kw
        ).fit(X.iloc[grow], Y.iloc[grow])
        assert sub.student_.get_n_leaves() == point["n_leaves"]
        agreement = np.mean(sub.predict(X.iloc[hold]) == teacher)
        assert agreement == pytest.approx(point["agreement"])


def test_weights_weigh_the_curve():
    w = np.where(Y == "high", 5.0, 1.0)
    model = DistilledTreeClassifier(TEACHER, max_leaf_nodes="auto", **KW)
    model.fit(X, Y, sample_weight=w)
    assert model.size_curve_["weighted"]
    assert model.max_leaf_nodes_ in AUTO_BUDGETS


def test_refused_where_it_cannot_work():
    with pytest.raises(ParameterError, match="chunk_size"):
        DistilledTreeClassifier(TEACHER, max_leaf_nodes="auto", chunk_size=100).fit(
            X, Y
        )
    with pytest.raises(ParameterError, match="too few"):
        DistilledTreeClassifier(TEACHER, max_leaf_nodes="auto").fit(X[:2], Y[:2])
    with pytest.raises(ValueError, match="max_leaf_nodes"):
        DistilledTreeClassifier(TEACHER, max_leaf_nodes="big").fit(X, Y)
