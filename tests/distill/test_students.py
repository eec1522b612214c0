"""Thresholds at the data's precision and float64 comparisons of the tree student."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

from treedistill import SoftBoosting, kl_divergence, soft_softmax_objective
from treedistill.data._schema import TabularSchema
from treedistill.distill._students import SoftTree, apply_float64
from treedistill.distill._thresholds import format_threshold, shortest_decimal
from treedistill.teachers._soften import softmax


def _digits(x: float) -> int:
    """Significant digits of a float's shortest repr."""
    mantissa = repr(float(x)).split("e")[0].replace("-", "").replace(".", "")
    return len(mantissa.strip("0")) or 1


@pytest.mark.parametrize(
    ("lo", "hi", "integer", "expected"),
    [
        (75.8493, 75.86, False, 75.85),
        (70.99994, 71.0, False, 70.99994),
        (63.0, 71.0, True, 70.0),
        (70.0, 71.0, True, 70.0),
        (-0.25, 3.0, False, 0.0),
        (0.1, 0.1000001, False, 0.1),
        (1e-9, 2e-9, False, 1e-9),
        (5.2, 5.7, True, 5.2),  # no whole number fits: the shortest decimal
        (5.0, math.inf, True, 5.0),
        (-7.31, -7.2, False, -7.3),
    ],
)
def test_shortest_decimal(lo, hi, integer, expected):
    d = shortest_decimal(lo, hi, integer=integer)
    assert d == expected
    assert lo <= d < hi
    assert float(repr(d)) == d


def test_shortest_decimal_is_never_longer_than_the_data():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        decimals = int(rng.integers(0, 6))
        a, b = np.sort(np.round(rng.normal(0, 10 ** rng.integers(0, 5), 2), decimals))
        if a == b:
            continue
        d = shortest_decimal(float(a), float(b))
        assert a <= d < b
        assert _digits(d) <= _digits(a)
    with pytest.raises(ValueError, match="need lo < hi"):
        shortest_decimal(2.0, 2.0)


def test_format_threshold_prints_the_stored_number():
    assert format_threshold(70.0) == "70"
    assert format_threshold(75.85) == "75.85"
    assert format_threshold(-0.0) == "0"
    assert float(format_threshold(0.1 + 0.2)) == 0.1 + 0.2


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "glucose": np.round(rng.normal(120, 25, n), 2),
            "age": rng.integers(20, 90, n).astype(float),
            "bmi": np.where(
                rng.random(n) < 0.1, np.nan, np.round(rng.normal(28, 4, n), 1)
            ),
        }
    )
    p = 1 / (1 + np.exp(-(X["glucose"] - 125) / 8 - (X["age"] - 60) / 10))
    Q = np.column_stack([1 - p, p])
    return X, Q


@pytest.mark.parametrize("builder", ["exact", "hist"])
def test_snapping_keeps_every_training_row_on_its_side(builder):
    X, Q = _data()
    schema = TabularSchema.infer(X)
    E = schema.encode(X)
    tree = SoftTree(criterion="gini", max_leaf_nodes=12, builder=builder).fit(E, Q)
    before = tree.apply(E)
    old = tree.tree_.threshold.copy()
    tree.snap_thresholds(E, schema)
    assert tree.split_precision_ == "float64"
    np.testing.assert_array_equal(tree.apply(E), before)
    inner = tree.tree_.children_left != -1
    changed = inner & np.isfinite(old) & (old != tree.tree_.threshold)
    assert changed.any()
    for node in np.flatnonzero(inner):
        t = tree.tree_.threshold[node]
        name = schema.features[tree.tree_.feature[node]].name
        if not np.isfinite(t):
            continue
        if name == "age":
            assert t == int(t)
        else:  # at most the data's decimals
            assert len(format_threshold(t).partition(".")[2]) <= 2


def _walk_printed(t, row) -> int:
    """The leaf of ``row``, comparing each value with the printed threshold."""
    node = 0
    while t.children_left[node] != -1:
        x = row[t.feature[node]]
        if np.isnan(x):
            left = bool(t.missing_go_to_left[node])
        else:
            left = float(x) <= float(format_threshold(t.threshold[node]))
        node = t.children_left[node] if left else t.children_right[node]
    return int(node)


def test_prediction_agrees_with_the_printed_threshold_for_adversarial_values():
    """scikit-learn compares float32(x); after snapping, x itself is compared."""
    X, Q = _data()
    schema = TabularSchema.infer(X)
    E = schema.encode(X)
    tree = SoftTree(criterion="gini", max_leaf_nodes=12, builder="exact").fit(E, Q)
    tree.snap_thresholds(E, schema)
    t = tree.tree_
    rows = []
    for node in np.flatnonzero(t.children_left != -1):
        d = float(t.threshold[node])
        if not np.isfinite(d):
            continue
        f32 = np.float32(d)
        for v in (
            d,
            math.nextafter(d, -math.inf),
            math.nextafter(d, math.inf),
            float(f32),
            float(np.nextafter(f32, np.float32(np.inf))),
            float(np.nextafter(f32, np.float32(-np.inf))),
        ):
            for base in E[:20]:
                row = base.copy()
                row[t.feature[node]] = v
                rows.append(row)
    rows = np.asarray(rows)
    expected = [_walk_printed(t, row) for row in rows]
    np.testing.assert_array_equal(tree.apply(rows), expected)
    np.testing.assert_array_equal(apply_float64(t, rows), expected)
    # scikit-learn's own float32 comparison sends some of these rows elsewhere
    float32_leaves = tree.estimator_.apply(rows.astype(np.float32))
    assert np.any(float32_leaves != np.asarray(expected))


def test_refit_leaves_recounts_the_rows_of_every_node():
    X, Q = _data()
    schema = TabularSchema.infer(X)
    E = schema.encode(X)
    tree = SoftTree(criterion="entropy", max_leaf_nodes=8, builder="exact").fit(E, Q)
    tree.snap_thresholds(E[:300], schema, X_transfer=E)
    tree.refit_leaves(E, Q, recount=True)
    leaves = tree.apply(E)
    for leaf in np.unique(leaves):
        hit = leaves == leaf
        assert tree.tree_.weighted_n_node_samples[leaf] == hit.sum()
        np.testing.assert_allclose(tree.value_[leaf], Q[hit].mean(axis=0))
    assert tree.tree_.weighted_n_node_samples[0] == len(E)


# ------------------------------------------------------------ soft criteria
def _continuous(n=300, k=3, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=k,
        random_state=seed,
    )
    return X, y


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_soft_criterion_equals_hard_criterion_on_one_hot(criterion):
    X, y = _continuous()
    Q = np.eye(3)[y]
    soft = SoftTree(criterion=criterion, max_leaf_nodes=12, random_state=0).fit(X, Q)
    hard = DecisionTreeClassifier(
        criterion=criterion, max_leaf_nodes=12, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(soft.tree_.feature, hard.tree_.feature)
    np.testing.assert_allclose(soft.tree_.threshold, hard.tree_.threshold)
    np.testing.assert_allclose(soft.predict_proba(X), hard.predict_proba(X))


def _soft_cross_entropy(Q):
    m = Q.mean(axis=0)
    return -len(Q) * np.sum(m * np.log(np.clip(m, 1e-300, None)))


def test_entropy_tree_root_split_minimises_soft_cross_entropy():
    """Brute force every split of every feature: the root split is the best one."""
    X, _ = _continuous(n=120, k=3, seed=1)
    Q = softmax(np.random.default_rng(1).normal(size=(120, 3)) * 2 + X[:, :3])
    tree = SoftTree(criterion="entropy", max_depth=1, random_state=0).fit(X, Q)
    best = np.inf
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for t in (values[:-1] + values[1:]) / 2:
            left = X[:, j] <= t
            best = min(
                best, _soft_cross_entropy(Q[left]) + _soft_cross_entropy(Q[~left])
            )
    f, t = tree.tree_.feature[0], tree.tree_.threshold[0]
    left = X[:, f] <= t
    chosen = _soft_cross_entropy(Q[left]) + _soft_cross_entropy(Q[~left])
    assert chosen == pytest.approx(best, rel=1e-9)


def test_gini_tree_root_split_minimises_soft_gini():
    X, _ = _continuous(n=120, k=3, seed=2)
    Q = softmax(np.random.default_rng(2).normal(size=(120, 3)) + X[:, :3])

    def gini(Qs):
        m = Qs.mean(axis=0)
        return len(Qs) * (1 - np.sum(m**2))

    tree = SoftTree(criterion="gini", max_depth=1).fit(X, Q)
    best = min(
        gini(Q[X[:, j] <= t]) + gini(Q[X[:, j] > t])
        for j in range(X.shape[1])
        for t in (np.unique(X[:, j])[:-1] + np.unique(X[:, j])[1:]) / 2
    )
    f, t = tree.tree_.feature[0], tree.tree_.threshold[0]
    assert gini(Q[X[:, f] <= t]) + gini(Q[X[:, f] > t]) == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_soft_tree_leaves_hold_mean_soft_label(criterion):
    X, _ = _continuous()
    Q = softmax(np.random.default_rng(3).normal(size=(len(X), 3)))
    tree = SoftTree(criterion=criterion, max_leaf_nodes=6).fit(X, Q)
    leaves = tree.apply(X)
    for leaf in np.unique(leaves):
        np.testing.assert_allclose(tree.value_[leaf], Q[leaves == leaf].mean(axis=0))
    assert tree.get_n_leaves() == 6
    assert tree.tree_.weighted_n_node_samples[0] == pytest.approx(len(X))


def test_min_samples_leaf_counts_real_rows_for_entropy():
    X, _ = _continuous()
    Q = softmax(np.random.default_rng(4).normal(size=(len(X), 3)))
    tree = SoftTree(criterion="entropy", max_leaf_nodes=40, min_samples_leaf=25).fit(
        X, Q
    )
    leaves = tree.apply(X)
    assert np.bincount(leaves)[np.unique(leaves)].min() >= 25


def test_refit_leaves_replaces_values_but_keeps_structure():
    X, _ = _continuous()
    Q1 = softmax(np.random.default_rng(5).normal(size=(len(X), 3)))
    Q2 = np.roll(Q1, 1, axis=1)
    tree = SoftTree(max_leaf_nodes=5).fit(X, Q1)
    features = tree.tree_.feature.copy()
    tree.refit_leaves(X, Q2)
    leaves = tree.apply(X)
    np.testing.assert_array_equal(tree.tree_.feature, features)
    for leaf in np.unique(leaves):
        np.testing.assert_allclose(tree.value_[leaf], Q2[leaves == leaf].mean(axis=0))
    np.testing.assert_allclose(tree.value_[0], Q2.mean(axis=0))


def test_soft_tree_rejects_unknown_criterion():
    with pytest.raises(ValueError, match="criterion"):
        SoftTree(criterion="log_loss", max_depth=2).fit(
            np.zeros((4, 1)), np.eye(2)[[0, 1, 0, 1]]
        )


# ---------------------------------------------------------- boosted student
RNG = np.random.default_rng(0)


def test_soft_objective_gradient_is_p_minus_q():
    margin = RNG.normal(size=(5, 3))
    q = softmax(RNG.normal(size=(5, 3)))
    grad, hess = soft_softmax_objective(q, margin)
    p = softmax(margin)
    np.testing.assert_allclose(grad, p - q)
    assert np.all(hess > 0)
    g2, _ = soft_softmax_objective(q, margin, sample_weight=np.full(5, 2.0))
    np.testing.assert_allclose(g2, 2 * (p - q))


@pytest.mark.parametrize("k", [2, 4])
def test_boosting_student_fits_soft_targets(k):
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=5, n_classes=k, random_state=0
    )
    Q = softmax(np.eye(k)[y] * 3 + RNG.normal(size=(600, k)) * 0.3)
    student = SoftBoosting(n_estimators=60, max_depth=3, random_state=0).fit(X, Q)
    p = student.predict_proba(X)
    assert p.shape == (600, k)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.mean(p.argmax(1) == Q.argmax(1)) > 0.9
    assert kl_divergence(Q, p) < kl_divergence(Q, np.full_like(Q, 1 / k)) / 3
    assert student.n_trees() == 60 * (1 if k == 2 else k)
