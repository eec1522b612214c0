"""Monotone constraints: the student's risk never moves the wrong way along a
constrained column, whatever the teacher does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill.distill._students import bound_monotone
from treedistill.exceptions import ParameterError
from treedistill.measures._monotone import monotone_probe


def _data(n=600, seed=0):
    """Risk rises with age except a dip at 50-65 (the teacher learns the dip)
    and falls with egfr; a category and missing values along the way."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, n).astype(float)
    egfr = np.round(rng.normal(80, 20, n), 1)
    dip = ((age > 50) & (age < 65)) * 2.5
    logit = (age - 55) / 10 - dip - (egfr - 80) / 15
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    X = pd.DataFrame(
        {
            "age": age,
            "egfr": egfr,
            "ward": rng.choice(["a", "b", "c"], n),
            "bmi": np.round(rng.normal(27, 4, n), 1),
        }
    )
    X.loc[rng.random(n) < 0.05, "bmi"] = np.nan
    return X, y


X, Y = _data()
TEACHER = HistGradientBoostingClassifier(
    max_iter=60, random_state=0, categorical_features=["ward"]
).fit(X, Y)
CST = {"age": 1, "egfr": -1}


def _risk(model):
    return lambda frame: model.predict_proba(frame)[:, 1]


def _max_wrong_move(model, column, direction):
    probe = monotone_probe(
        _risk(model), X, column, direction, steps=40, low=0.0, high=1.0, tolerance=0
    )
    return probe["worst"]


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"criterion": "gini"},
        {"builder": "hist"},
        {"exact_rules": False},
        {"temperature": 3.0, "max_leaf_nodes": 24},
        {"split_class_weight": "balanced"},
    ],
)
def test_tree_risk_never_moves_the_wrong_way(kw):
    params = {**dict(max_leaf_nodes=16, augment_factor=2, random_state=0), **kw}
    model = DistilledTreeClassifier(TEACHER, monotone_constraints=CST, **params)
    model.fit(X, Y)
    for column, direction in CST.items():
        assert _max_wrong_move(model, column, direction) <= 1e-12
    free = DistilledTreeClassifier(TEACHER, **params).fit(X, Y)
    # the teacher's dip is real: the unconstrained tree follows it
    assert _max_wrong_move(free, "age", 1) > 0.05


def test_boosted_risk_never_moves_the_wrong_way():
    model = DistilledBoostingClassifier(
        TEACHER, monotone_constraints=CST, augment_factor=2, random_state=0
    ).fit(X, Y)
    for column, direction in CST.items():
        assert _max_wrong_move(model, column, direction) <= 1e-9


def test_the_constraint_follows_the_class_shown_as_the_risk():
    """With the classes displayed in reverse, the risk is class 0's."""
    model = DistilledTreeClassifier(
        TEACHER,
        monotone_constraints={"age": 1},
        class_names=[1, 0],
        augment_factor=1,
        random_state=0,
    ).fit(X, Y)
    assert model.monotone_class_ == 0
    probe = monotone_probe(
        lambda f: model.predict_proba(f)[:, 0], X, "age", 1, tolerance=0
    )
    assert probe["worst"] <= 1e-12
    boosted = DistilledBoostingClassifier(
        TEACHER, monotone_constraints={"age": 1}, class_names=[1, 0], random_state=0
    ).fit(X, Y)
    probe = monotone_probe(
        lambda f: boosted.predict_proba(f)[:, 0], X, "age", 1, tolerance=0
    )
    assert probe["worst"] <= 1e-9


def test_no_constraints_is_the_unconstrained_tree():
    kw = dict(max_leaf_nodes=8, augment_factor=1, random_state=0)
    a = DistilledTreeClassifier(TEACHER, **kw).fit(X, Y)
    b = DistilledTreeClassifier(TEACHER, monotone_constraints={}, **kw).fit(X, Y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_bound_propagation_orders_the_leaves():
    """A stump that falls along a +1 column is pooled to its weighted mean."""

    class Stump:
        children_left = np.array([1, -1, -1])
        children_right = np.array([2, -1, -1])
        feature = np.array([0, -2, -2])
        weighted_n_node_samples = np.array([4.0, 3.0, 1.0])

    value = np.array([[0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    out = bound_monotone(Stump, value, np.array([1]), 1)
    np.testing.assert_allclose(out[1:, 1], [0.7, 0.7])  # (3 * 0.8 + 0.4) / 4
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    ordered = bound_monotone(Stump, value, np.array([-1]), 1)
    np.testing.assert_allclose(ordered, value)  # already falling: untouched


@pytest.mark.parametrize(
    "cst, kw, message",
    [
        ({"height": 1}, {}, "names column 'height'"),
        ({"ward": 1}, {}, "categorical"),
        ({"age": 2}, {}, "must be 1"),
        ({"age": True}, {}, "must be 1"),
        ({"age": 1}, {"search": "tao"}, "search='greedy'"),
        ({"age": 1}, {"chunk_size": 200}, "chunk_size"),
    ],
)
def test_bad_constraints_are_refused(cst, kw, message):
    with pytest.raises(ParameterError, match=message) as info:
        DistilledTreeClassifier(
            TEACHER, monotone_constraints=cst, augment_factor=1, **kw
        ).fit(X, Y)
    assert info.value.parameter == "monotone_constraints"


def test_constraints_need_two_classes():
    y3 = np.asarray(Y) + (X["bmi"].fillna(0) > 30).to_numpy()
    with pytest.raises(ParameterError, match="binary outcome"):
        DistilledTreeClassifier(monotone_constraints={"age": 1}, augment_factor=1).fit(
            X[["age", "egfr"]], y3
        )
