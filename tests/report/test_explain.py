"""treedistill.report._explain: permutation SHAP and the tree student's TreeSHAP."""

from __future__ import annotations

import numpy as np

from treedistill.report import permutation_shap
from treedistill.report._explain import tree_shap


def test_permutation_shap_is_exact_for_an_additive_model():
    rng = np.random.default_rng(0)
    w = np.array([1.5, -2.0, 0.5, 0.0])

    def f(A):
        return np.column_stack([A @ w, np.sin(A[:, 0]) + A[:, 1] * A[:, 2]])

    X = rng.normal(size=(7, 4))
    bg = rng.normal(size=(11, 4))
    phi = permutation_shap(f, X, bg, np.random.default_rng(1), max_batch=30)
    assert phi.shape == (7, 4, 2)
    expected = (X - bg.mean(axis=0)) * w
    np.testing.assert_allclose(phi[:, :, 0], expected, atol=1e-12)
    # Local accuracy holds for any model.
    np.testing.assert_allclose(phi.sum(axis=1), f(X) - f(bg).mean(axis=0), atol=1e-12)


def test_permutation_shap_asks_for_each_distinct_row_once():
    """Repeated coalition rows are scored once; the values are those of scoring
    every row (a row's output does not depend on the batch here)."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 2, size=(9, 5)).astype(float)
    X[0, 2] = np.nan
    bg = rng.integers(0, 2, size=(12, 5)).astype(float)
    seen = []

    def f(A):
        seen.append(len(A))
        a = np.nan_to_num(A, nan=0.5)
        return np.column_stack([a[:, 0] * a[:, 1] + a[:, 2], np.tanh(a.sum(axis=1))])

    phi = permutation_shap(f, X, bg, np.random.default_rng(1))
    rows_asked = sum(seen[2:])  # after the background and the explained rows
    assert rows_asked < 9 * 2 * 4 * 12  # fewer than every coalition row
    assert rows_asked <= 3 * 2**4  # at most the distinct 0/1 (and NaN) rows

    def f_every_row(A):
        return np.vstack([f(A[i : i + 1]) for i in range(len(A))])

    plain = permutation_shap(f_every_row, X, bg, np.random.default_rng(1))
    np.testing.assert_array_equal(phi, plain)


def _tree_model(seed: int, leaves: int, with_missing: bool, three_classes: bool):
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 5))
    if with_missing:
        X[rng.random(X.shape) < 0.15] = np.nan
    x0, x1 = np.nan_to_num(X[:, 0]), np.nan_to_num(X[:, 1])
    y = (x0 + x1 * np.clip(x0, 0, None) + rng.normal(size=300) > 0).astype(int)
    if three_classes:
        y = y + (np.nan_to_num(X[:, 2]) > 1)
    clf = DecisionTreeClassifier(max_leaf_nodes=leaves, random_state=seed).fit(X, y)
    t = clf.tree_
    value = t.value.reshape(t.node_count, -1)
    left, right = t.children_left, t.children_right
    model = {
        "children_left": left,
        "children_right": right,
        "children_default": np.where(t.missing_go_to_left.astype(bool), left, right),
        "features": t.feature,
        "thresholds": t.threshold.astype(np.float64),
        "values": value / value.sum(axis=1, keepdims=True),
        "node_sample_weight": t.weighted_n_node_samples.astype(np.float64),
    }
    return model, X[:120]


def test_tree_shap_equals_shap_tree_explainer():
    # the same path-dependent algorithm: equal to rounding, with missing values
    # (default children), columns split on twice along a path, 2 and 3 classes
    import shap

    for seed, leaves in [(0, 4), (1, 16), (2, 64), (3, 30)]:
        for missing, three in [(False, False), (True, True), (True, False)]:
            model, X = _tree_model(seed, leaves, missing, three)
            ref = np.asarray(
                shap.TreeExplainer({"trees": [model]}).shap_values(
                    X, check_additivity=False
                )
            )
            ref = ref.reshape(len(X), X.shape[1], -1)
            np.testing.assert_allclose(tree_shap(model, X), ref, rtol=0, atol=1e-12)


def test_tree_shap_is_locally_accurate():
    model, X = _tree_model(5, 32, True, True)
    phi = tree_shap(model, X)
    # each row's values sum to its leaf's value minus the cover-weighted mean leaf
    is_leaf = model["children_left"] < 0
    cover = model["node_sample_weight"]
    base = (model["values"][is_leaf] * cover[is_leaf, None]).sum(0) / cover[0]
    node = np.zeros(len(X), dtype=int)
    for _ in range(64):
        inner = model["children_left"][node] >= 0
        f = np.where(inner, model["features"][node], 0)
        x = X[np.arange(len(X)), f]
        go_left = np.where(
            np.isnan(x),
            model["children_default"][node] == model["children_left"][node],
            x <= model["thresholds"][node],
        )
        nxt = np.where(
            go_left, model["children_left"][node], model["children_right"][node]
        )
        node = np.where(inner, nxt, node)
    np.testing.assert_allclose(
        phi.sum(axis=1), model["values"][node] - base, atol=1e-12
    )
    # a one-leaf tree explains nothing
    stump = {k: v[:1] for k, v in model.items()}
    stump.update(children_left=np.array([-1]), children_right=np.array([-1]))
    assert not tree_shap(stump, X).any()
