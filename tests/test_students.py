"""Thresholds at the data's precision and float64 comparisons of the tree student."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from treedistill._schema import TabularSchema
from treedistill._students import SoftTree, apply_float64
from treedistill._thresholds import format_threshold, shortest_decimal


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
