"""Softening, blending, the transfer set, the soft-label students and the metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

from treedistill import (
    SoftBoosting,
    SoftTree,
    TabularSchema,
    agreement_interval,
    augment,
    blend,
    fidelity,
    kl_divergence,
    soft_softmax_objective,
    soften,
    total_variation,
)
from treedistill._soften import softmax
from treedistill.datasets import (
    CLINICAL_COHORT_DEPTH,
    clinical_cohort_rule,
    make_clinical_cohort,
)

RNG = np.random.default_rng(0)
Z = RNG.normal(size=(50, 4)) * 3


# ---------------------------------------------------------------- softening
def test_soften_temperature_one_is_softmax():
    q = soften(Z, 1.0)
    np.testing.assert_allclose(q, np.exp(Z) / np.exp(Z).sum(1, keepdims=True))
    np.testing.assert_allclose(q.sum(axis=1), 1.0)


def test_large_temperature_gives_uniform():
    q = soften(Z, 1e6)
    np.testing.assert_allclose(q, 0.25, atol=1e-5)


def test_small_temperature_gives_one_hot():
    q = soften(Z, 1e-3)
    np.testing.assert_allclose(q.max(axis=1), 1.0, atol=1e-9)
    assert np.array_equal(q.argmax(axis=1), Z.argmax(axis=1))


def test_temperature_keeps_argmax_and_raises_entropy():
    def entropy(q):
        return -(q * np.log(q)).sum(axis=1)

    q1, q4 = soften(Z, 1.0), soften(Z, 4.0)
    assert np.array_equal(q1.argmax(1), q4.argmax(1))
    assert np.all(entropy(q4) >= entropy(q1) - 1e-12)


def test_soften_is_stable_for_huge_logits():
    q = soften(np.array([[1000.0, 0.0], [-1000.0, 1000.0]]), 1.0)
    assert np.all(np.isfinite(q))
    np.testing.assert_allclose(q, [[1, 0], [0, 1]])


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "2", True])
def test_soften_rejects_bad_temperature(bad):
    with pytest.raises(ValueError, match="temperature"):
        soften(Z, bad)


def test_blend_mixes_true_labels_only_where_known():
    q = np.full((3, 2), 0.5)
    out = blend(q, np.array([0, 1, -1]), 0.3)
    np.testing.assert_allclose(out, [[0.65, 0.35], [0.35, 0.65], [0.5, 0.5]])
    np.testing.assert_allclose(blend(q, np.array([0, 1, -1]), 0.0), q)
    np.testing.assert_allclose(blend(q, np.array([1, 1, 1]), 1.0), [[0, 1]] * 3)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_blend_rejects_alpha_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        blend(np.full((2, 2), 0.5), np.array([0, 1]), bad)


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


# --------------------------------------------------------------- transfer set
def _mixed_frame(n=200, seed=0):
    X, _ = make_clinical_cohort(n, missing_rate=0.2, random_state=seed)
    X["flag"] = np.random.default_rng(seed).random(n) < 0.3
    X["grade"] = pd.Categorical(
        np.random.default_rng(seed).choice(["I", "II", "III"], n),
        categories=["I", "II", "III"],
        ordered=True,
    )
    return X


@pytest.mark.parametrize("method", ["munge", "jitter", "box"])
def test_augmented_rows_respect_types_bounds_and_categories(method):
    X = _mixed_frame()
    schema = TabularSchema.infer(X)
    out = augment(X, schema, method, 1000, np.random.default_rng(0))
    assert len(out) == 1000
    assert list(out.columns) == list(X.columns)
    for col in schema.columns:
        s = out[col.name]
        if col.is_categorical:
            assert set(s.dropna().unique()) <= set(col.levels), col.name
        else:
            v = s.to_numpy(dtype=float)
            v = v[~np.isnan(v)]
            assert v.min() >= col.low and v.max() <= col.high, col.name
            if col.kind == "integer":
                np.testing.assert_array_equal(v, np.round(v))
    # integer dtype preserved where the column had no missing values
    assert pd.api.types.is_integer_dtype(out["age"].dtype)
    assert isinstance(out["grade"].dtype, pd.CategoricalDtype)
    assert out["grade"].cat.categories.tolist() == ["I", "II", "III"]
    # missing values stay where the data has them (about the same rate)
    rate = out["creatinine"].isna().mean()
    assert abs(rate - X["creatinine"].isna().mean()) < 0.08
    assert out["age"].notna().all()


def test_munge_moves_values_toward_neighbours():
    X = pd.DataFrame({"a": np.linspace(0, 100, 137), "b": np.linspace(0, 1, 137)})
    schema = TabularSchema.infer(X)
    out = augment(X, schema, "munge", 500, np.random.default_rng(0))
    # not copies of the real rows, yet close to the data's manifold (b ≈ a / 100)
    assert len(np.setdiff1d(out["a"].to_numpy(), X["a"].to_numpy())) > 100
    assert np.abs(out["b"] - out["a"] / 100).max() < 0.1


def test_augment_none_and_unknown_method():
    X = _mixed_frame(50)
    schema = TabularSchema.infer(X)
    assert len(augment(X, schema, "none", 100, np.random.default_rng(0))) == 0
    with pytest.raises(ValueError, match="augmentation must be one of"):
        augment(X, schema, "smote", 10, np.random.default_rng(0))


def test_augmentation_is_reproducible():
    X = _mixed_frame(80)
    schema = TabularSchema.infer(X)
    a = augment(X, schema, "munge", 300, np.random.default_rng(7))
    b = augment(X, schema, "munge", 300, np.random.default_rng(7))
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------- schema
def test_schema_encodes_in_original_units_with_one_hot_categories():
    X = pd.DataFrame(
        {
            "age": [30, 40, 50],
            "smoker": pd.Series(["yes", None, "no"], dtype=object),
            "bmi": [20.5, np.nan, 31.0],
        }
    )
    schema = TabularSchema.infer(X)
    assert [c.kind for c in schema.columns] == ["integer", "categorical", "float"]
    assert schema.feature_names_out == ["age", "smoker=no", "smoker=yes", "bmi"]
    enc = schema.encode(X)
    np.testing.assert_array_equal(enc[:, 0], [30, 40, 50])
    np.testing.assert_array_equal(enc[[0, 2], 1:3], [[0, 1], [1, 0]])
    assert np.isnan(enc[1, 1:3]).all() and np.isnan(enc[1, 3])
    with pytest.warns(UserWarning, match="'smoker' has 1 value"):
        schema.encode(X.assign(smoker=["maybe", "no", "yes"]))
    with pytest.raises(ValueError, match="column 'bmi' is missing"):
        schema.encode(X.drop(columns="bmi"))
    with pytest.raises(ValueError, match="column 'age' contains infinite"):
        schema.encode(X.assign(age=[1.0, np.inf, 2.0]))


# -------------------------------------------------------------------- metrics
def test_fidelity_numbers():
    t = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    s = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.3, 0.7]])
    out = fidelity(t, s, np.array([0, 1, 0, 0]))
    assert out["n"] == 4
    assert out["agreement"] == 0.75
    assert out["tv"] == pytest.approx((0.1 + 0.1 + 0.2 + 0) / 4)
    assert out["kl"] > 0
    assert out["student_accuracy"] == 0.5 and out["teacher_accuracy"] == 0.75
    assert kl_divergence(t, t) == pytest.approx(0.0)
    assert total_variation(t, t) == 0.0


def test_kl_floors_zero_student_probabilities():
    t = np.array([[0.5, 0.5]])
    s = np.array([[1.0, 0.0]])
    assert np.isfinite(kl_divergence(t, s))
    expected = 0.5 * np.log(0.5) + 0.5 * np.log(0.5 / 1e-6)
    assert kl_divergence(t, s) == pytest.approx(expected, rel=1e-4)


def test_agreement_interval_matches_normal_approximation_and_is_seeded():
    agree = np.r_[np.ones(900, bool), np.zeros(100, bool)]
    lo, hi = agreement_interval(agree)
    se = np.sqrt(0.9 * 0.1 / 1000)
    assert lo == pytest.approx(0.9 - 1.96 * se, abs=0.006)
    assert hi == pytest.approx(0.9 + 1.96 * se, abs=0.006)
    assert agreement_interval(agree) == (lo, hi)
    assert agreement_interval(0.9, 1000) == (lo, hi)


# ------------------------------------------------------------- the cohort data
def test_clinical_cohort_follows_its_rule():
    X, y = make_clinical_cohort(3000, label_noise=0.0, random_state=0)
    np.testing.assert_array_equal(y.to_numpy(), clinical_cohort_rule(X))
    assert set(y) == {"low", "high"}
    assert 0.15 < (y == "high").mean() < 0.5
    X3, y3 = make_clinical_cohort(3000, n_classes=3, label_noise=0.1, random_state=0)
    assert set(y3) == {"low", "medium", "high"}
    assert 0.85 < np.mean(y3.to_numpy() == clinical_cohort_rule(X3, 3)) < 0.95
    tree = DecisionTreeClassifier(max_depth=CLINICAL_COHORT_DEPTH).fit(
        pd.get_dummies(X), y
    )
    assert tree.score(pd.get_dummies(X), y) == 1.0


def test_clinical_cohort_missing_values_only_in_unused_columns():
    X, _ = make_clinical_cohort(2000, missing_rate=0.1, random_state=1)
    assert (
        X[["creatinine", "cholesterol", "ward"]].isna().mean().between(0.07, 0.13).all()
    )
    assert X.drop(columns=["creatinine", "cholesterol", "ward"]).notna().all().all()
