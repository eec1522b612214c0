"""Tests for the histogram soft-label tree builder (treedistill.distill._hist_tree)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from treedistill import DistilledTreeClassifier, extract_rules
from treedistill.datasets import clinical_cohort_rule, make_clinical_cohort
from treedistill.distill import _students
from treedistill.distill._hist_tree import HistTree, bin_features
from treedistill.distill._students import SoftTree


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _few_values_data(n=2500, seed=0, missing=0.1):
    """Integer features (< 255 distinct values, so bins are exact) and soft labels."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 60, size=(n, 5)).astype(float)
    X[rng.random(X.shape) < missing] = np.nan
    Z = np.nan_to_num(X, nan=30.0)
    z = np.column_stack(
        [0.12 * Z[:, 0] - 0.06 * Z[:, 1], 0.05 * Z[:, 2], 0.02 * Z[:, 3]]
    )
    return X, _softmax(z + 0.3 * rng.normal(size=z.shape))


def _brute_force_root(X, Q, criterion):
    """Best (feature, threshold) of the root by trying every cut (no NaN)."""

    def imp(S):
        W = S.sum()
        p = S / W
        if criterion == "entropy":
            p = p[p > 0]
            return -W * np.sum(p * np.log(p))
        return W * (1 - np.sum(p**2))

    best = (np.inf, None, None)
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for a, b in zip(values[:-1], values[1:], strict=True):
            t = a / 2 + b / 2
            left = X[:, j] <= t
            score = imp(Q[left].sum(0)) + imp(Q[~left].sum(0))
            if score < best[0] - 1e-12:
                best = (score, j, t)
    return best[1], best[2]


# --------------------------------------------------------------------------- binning
def test_bin_features_exact_when_few_values():
    X = np.array([[1.0, 5.0], [2.0, np.nan], [2.0, 7.0], [4.0, 5.0]])
    binned, cuts, n_bins = bin_features(X, 255)
    np.testing.assert_allclose(cuts[0], [1.5, 3.0])
    np.testing.assert_allclose(cuts[1], [6.0])
    assert n_bins == 4  # at most 3 value bins + the missing bin
    assert binned.shape == (2, 4) and binned.dtype == np.uint8
    assert binned[0].tolist() == [0, 1, 1, 2]
    assert binned[1].tolist() == [0, n_bins - 1, 1, 0]


def test_bin_features_caps_bins_and_keeps_heavy_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    x[:5_000] = 0.0  # one value holding a quarter of the rows
    binned, cuts, n_bins = bin_features(x[:, None], 32)
    assert len(cuts[0]) + 1 <= 32
    assert np.all(np.diff(cuts[0]) > 0)
    zero_bin = binned[0, 0]
    assert np.all(binned[0, :5_000] == zero_bin)
    # the zero is alone in its bin
    assert np.sum(binned[0] == zero_bin) == 5_000


def test_bin_features_rejects_bad_max_bins():
    with pytest.raises(ValueError, match="max_bins must be between 2 and 255"):
        bin_features(np.zeros((3, 1)), 300)


# ------------------------------------------------------------ same tree as exact
@pytest.mark.parametrize("criterion", ["entropy", "gini"])
@pytest.mark.parametrize(
    "params",
    [
        {"max_leaf_nodes": 12},
        {"max_leaf_nodes": 10, "min_samples_leaf": 20},
        {"max_leaf_nodes": 16, "max_depth": 3},
    ],
)
def test_same_tree_as_exact_builder_when_bins_are_exact(criterion, params):
    X, Q = _few_values_data()
    hist = SoftTree(criterion=criterion, builder="hist", **params).fit(X, Q)
    exact = SoftTree(criterion=criterion, builder="exact", **params).fit(X, Q)
    a, b = hist.tree_, exact.tree_
    assert a.node_count == b.node_count
    np.testing.assert_array_equal(a.children_left, b.children_left)
    np.testing.assert_array_equal(a.children_right, b.children_right)
    inner = a.children_left != -1
    np.testing.assert_array_equal(a.feature[inner], b.feature[inner])
    np.testing.assert_allclose(a.threshold[inner], b.threshold[inner])
    np.testing.assert_array_equal(
        a.missing_go_to_left[inner], b.missing_go_to_left[inner]
    )
    np.testing.assert_allclose(hist.value_, exact.value_, atol=1e-12)
    np.testing.assert_array_equal(hist.apply(X), exact.apply(X))


@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_depth_limited_tree_partitions_like_exact(criterion):
    # Depth-first and best-first number nodes differently: compare the partition.
    X, Q = _few_values_data(seed=3)
    hist = SoftTree(criterion=criterion, builder="hist", max_depth=3).fit(X, Q)
    exact = SoftTree(criterion=criterion, builder="exact", max_depth=3).fit(X, Q)
    assert hist.get_n_leaves() == exact.get_n_leaves() == 8
    assert hist.get_depth() == exact.get_depth() == 3
    np.testing.assert_allclose(
        hist.predict_proba(X), exact.predict_proba(X), atol=1e-12
    )
    pairs = set(zip(hist.apply(X), exact.apply(X), strict=True))
    assert len(pairs) == 8  # one-to-one leaves


# ------------------------------------------------------------- criterion itself
@pytest.mark.parametrize("criterion", ["entropy", "gini"])
def test_root_split_minimises_the_soft_criterion(criterion):
    rng = np.random.default_rng(7)
    X = rng.integers(0, 15, size=(300, 3)).astype(float)
    Q = rng.dirichlet([0.5, 0.5, 0.5], size=300)
    Q[X[:, 1] > 9] = Q[X[:, 1] > 9] * 0.3 + 0.7 * np.array([1.0, 0.0, 0.0])
    tree = HistTree(criterion=criterion, max_leaf_nodes=2).fit(X, Q)
    feature, threshold = _brute_force_root(X, Q, criterion)
    assert tree.tree_.feature[0] == feature
    assert tree.tree_.threshold[0] == pytest.approx(threshold)
    # node values are the mean soft label of the rows reaching them
    left = X[:, feature] <= threshold
    np.testing.assert_allclose(tree.value_[0], Q.mean(0))
    np.testing.assert_allclose(tree.value_[1], Q[left].mean(0))
    np.testing.assert_allclose(tree.value_[2], Q[~left].mean(0))
    p = Q.mean(0)
    expected = -np.sum(p * np.log(p)) if criterion == "entropy" else 1 - np.sum(p**2)
    assert tree.tree_.impurity[0] == pytest.approx(expected)


def test_soft_labels_change_the_split_not_only_hard_labels():
    # Same argmax everywhere, but the teacher's confidence changes at x1 = 5:
    # a hard-label tree cannot split, the soft criterion splits on x1.
    x = np.repeat(np.arange(10.0), 20)
    X = np.column_stack([np.random.default_rng(0).permutation(x), x])
    Q = np.where((X[:, 1] < 5)[:, None], [0.95, 0.05], [0.6, 0.4])
    tree = HistTree(criterion="entropy", max_leaf_nodes=2).fit(X, Q)
    assert tree.tree_.feature[0] == 1
    assert tree.tree_.threshold[0] == 4.5


def test_sample_weight_equals_duplicating_rows():
    X, Q = _few_values_data(n=600, seed=5, missing=0.0)
    w = np.random.default_rng(1).integers(1, 4, size=len(X))
    weighted = HistTree(max_leaf_nodes=8).fit(X, Q, sample_weight=w)
    rows = np.repeat(np.arange(len(X)), w)
    duplicated = HistTree(max_leaf_nodes=8).fit(X[rows], Q[rows])
    np.testing.assert_array_equal(weighted.tree_.feature, duplicated.tree_.feature)
    np.testing.assert_allclose(weighted.tree_.threshold, duplicated.tree_.threshold)
    np.testing.assert_allclose(weighted.value_, duplicated.value_)
    np.testing.assert_allclose(
        weighted.tree_.weighted_n_node_samples, duplicated.tree_.n_node_samples
    )


# ------------------------------------------------------------------- missing values
def test_missing_values_go_where_their_labels_belong():
    rng = np.random.default_rng(2)
    n = 1000
    x = rng.uniform(0, 10, size=n)
    Q = np.where((x > 5)[:, None], [0.1, 0.9], [0.9, 0.1])
    x[:200] = np.nan  # missing rows labelled like the right side
    Q[:200] = [0.1, 0.9]
    tree = HistTree(max_leaf_nodes=2).fit(x[:, None], Q)
    t = tree.tree_
    assert t.threshold[0] == pytest.approx(5.0, abs=0.05)
    assert t.missing_go_to_left[0] == 0
    assert tree.apply(np.array([[np.nan]]))[0] == t.children_right[0]
    # mirrored: the missing rows look like the left side
    Q[:200] = [0.9, 0.1]
    tree = HistTree(max_leaf_nodes=2).fit(x[:, None], Q)
    assert tree.tree_.missing_go_to_left[0] == 1
    assert tree.apply(np.array([[np.nan]]))[0] == tree.tree_.children_left[0]


def test_split_on_missingness_alone_has_infinite_threshold():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, size=400)
    Q = np.tile([0.8, 0.2], (400, 1))
    x[:100] = np.nan
    Q[:100] = [0.1, 0.9]
    tree = HistTree(max_leaf_nodes=2).fit(x[:, None], Q)
    assert np.isinf(tree.tree_.threshold[0])
    assert tree.tree_.missing_go_to_left[0] == 0
    leaves = tree.apply(np.array([[np.nan], [0.3]]))
    np.testing.assert_allclose(tree.value_[leaves[0]], [0.1, 0.9])
    np.testing.assert_allclose(tree.value_[leaves[1]], [0.8, 0.2])


def test_unseen_missing_values_follow_the_larger_child():
    x = np.arange(100.0)
    Q = np.where((x < 70)[:, None], [1.0, 0.0], [0.0, 1.0])
    tree = HistTree(max_leaf_nodes=2).fit(x[:, None], Q)
    t = tree.tree_
    assert t.threshold[0] == 69.5
    assert t.missing_go_to_left[0] == 1  # 70 rows went left, 30 right
    assert tree.apply(np.array([[np.nan]]))[0] == t.children_left[0]


# ------------------------------------------------------------------ size limits
@pytest.mark.parametrize("criterion", ["entropy", "gini"])
@pytest.mark.parametrize("leaves", [2, 5, 16])
def test_max_leaf_nodes_is_honoured(criterion, leaves):
    X, Q = _few_values_data(n=1500, seed=leaves)
    tree = HistTree(criterion=criterion, max_leaf_nodes=leaves).fit(X, Q)
    assert tree.tree_.n_leaves == leaves
    assert tree.tree_.node_count == 2 * leaves - 1


def test_max_depth_and_min_samples_leaf_are_honoured():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 6))
    Q = _softmax(X[:, :3] * 2)
    tree = HistTree(max_depth=4, min_samples_leaf=150).fit(X, Q)
    t = tree.tree_
    leaves = t.children_left == -1
    assert t.max_depth <= 4
    assert t.n_node_samples[leaves].min() >= 150
    assert t.n_node_samples[0] == 5000
    counts = np.bincount(tree.apply(X), minlength=t.node_count)
    np.testing.assert_array_equal(counts[leaves], t.n_node_samples[leaves])


def test_pure_or_tiny_nodes_are_not_split():
    X = np.arange(10.0)[:, None]
    Q = np.tile([1.0, 0.0], (10, 1))
    tree = HistTree(max_leaf_nodes=8).fit(X, Q)
    assert tree.tree_.node_count == 1
    np.testing.assert_allclose(tree.predict_proba(X), Q)


# ----------------------------------------------------------- thresholds in units
def test_thresholds_are_midpoints_of_data_values_on_binned_features():
    rng = np.random.default_rng(11)
    X = np.round(rng.normal(50, 10, size=(30_000, 3)), 3)  # > 255 distinct values
    Q = _softmax(np.column_stack([X[:, 0] / 5, X[:, 1] / 7]))
    tree = HistTree(max_leaf_nodes=8, max_bins=64).fit(X, Q)
    t = tree.tree_
    assert tree.n_bins_ <= 65
    for node in np.flatnonzero(t.children_left != -1):
        rows = np.flatnonzero(tree.tree_.decision_path(X)[:, node].toarray().ravel())
        x = X[rows, t.feature[node]]
        a, b = x[x <= t.threshold[node]].max(), x[x > t.threshold[node]].min()
        assert t.threshold[node] == a / 2 + b / 2


def test_same_seed_same_tree_on_subsampled_bins():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(250_000, 2))
    Q = _softmax(X * 3)
    a = HistTree(max_leaf_nodes=6, random_state=3).fit(X, Q)
    b = HistTree(max_leaf_nodes=6, random_state=3).fit(X, Q)
    np.testing.assert_array_equal(a.tree_.threshold, b.tree_.threshold)
    np.testing.assert_array_equal(a.value_, b.value_)


# ------------------------------------------------------------------ helpers
def test_decision_path_and_prefix_agree_with_apply():
    X, Q = _few_values_data(n=2000, seed=8)
    tree = HistTree(max_leaf_nodes=16).fit(X, Q)
    path = tree.decision_path(X)
    leaves = tree.apply(X)
    assert path.shape == (len(X), tree.tree_.node_count)
    assert np.all(path[np.arange(len(X)), leaves] == 1)
    assert np.all(path[:, 0].toarray() == 1)
    depth = tree.tree_.node_depth[leaves]
    np.testing.assert_array_equal(np.asarray(path.sum(axis=1)).ravel(), depth + 1)
    for k in (2, 4, 9):
        small = HistTree(max_leaf_nodes=k).fit(X, Q)
        np.testing.assert_allclose(
            small.predict_proba(X), tree.value_[tree.apply_prefix(X, k)]
        )


def test_input_errors():
    with pytest.raises(ValueError, match="criterion must be one of"):
        HistTree(criterion="mse").fit(np.zeros((3, 1)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="same number of rows"):
        HistTree().fit(np.zeros((3, 1)), np.ones((4, 2)))
    tree = HistTree(max_leaf_nodes=2).fit(
        np.arange(6.0)[:, None], np.eye(2)[[0, 0, 0, 1, 1, 1]]
    )
    with pytest.raises(ValueError, match="the tree was fit on 1"):
        tree.apply(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="builder must be one of"):
        SoftTree(builder="fast").fit(np.zeros((3, 1)), np.ones((3, 1)))


# ------------------------------------------------------------- inside the estimator
def test_auto_builder_switches_on_rows(monkeypatch):
    X, Q = _few_values_data(n=800)
    assert SoftTree(builder="auto", max_leaf_nodes=4).fit(X, Q).builder_ == "exact"
    monkeypatch.setattr(_students, "AUTO_HIST_ROWS", 500)
    tree = SoftTree(builder="auto", max_leaf_nodes=4).fit(X, Q)
    assert tree.builder_ == "hist"
    assert isinstance(tree.estimator_, HistTree)


class _RuleTeacher(ClassifierMixin, BaseEstimator):
    """A cheap fitted teacher: the cohort's true rule, softened by age."""

    def fit(self, X, y):
        self.classes_ = np.array(["high", "low"], dtype=object)
        return self

    def predict_proba(self, X):
        high = clinical_cohort_rule(X) == "high"
        age = X["age"].to_numpy(dtype=float)
        p_high = np.where(high, 0.75, 0.1) + 0.2 * (age - age.min()) / np.ptp(age)
        return np.column_stack([p_high, 1.0 - p_high])


@pytest.fixture(scope="module")
def cohort_teacher():
    X, y = make_clinical_cohort(800, missing_rate=0.05, random_state=0)
    return X, y, _RuleTeacher().fit(X, y)


@pytest.mark.parametrize("temperature", [1.0, 3.0])
def test_distilled_tree_with_hist_builder(temperature, cohort_teacher):
    X, y, teacher = cohort_teacher
    kw = dict(max_leaf_nodes=8, temperature=temperature, random_state=0)
    hist = DistilledTreeClassifier(teacher, builder="hist", **kw).fit(X, y)
    exact = DistilledTreeClassifier(teacher, builder="exact", **kw).fit(X, y)
    assert hist.student_.builder_ == "hist"
    assert hist.student_.get_n_leaves() == 8
    proba = hist.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    leaves = hist.apply(X)
    assert set(leaves) <= set(np.flatnonzero(hist.student_.tree_.children_left == -1))
    rules = extract_rules(hist)
    assert len(rules) == 8
    assert sum(r.n_samples for r in rules) == hist.n_transfer_
    assert all(r.conditions for r in rules)
    # the cohort's columns have few distinct values per column: same predictions
    agree = np.mean(hist.predict(X) == exact.predict(X))
    assert agree > 0.97
