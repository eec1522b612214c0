"""Row weights in ``fit``: the teacher, the transfer rows, the student's criterion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill.distill._transfer import augment, augment_weights
from treedistill.exceptions import ParameterError


def _data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n).astype(float),
            "egfr": np.round(rng.normal(80, 20, n), 1),
            "bmi": np.round(rng.normal(27, 4, n), 1),
        }
    )
    y = ((X.age / 30 - X.egfr / 40 + rng.normal(0, 1, n)) > 0).astype(int).to_numpy()
    return X, y


X, Y = _data()
TEACHER = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, Y)


def _tree_arrays(model):
    t = model.student_.tree_
    return (
        np.asarray(t.children_left),
        np.asarray(t.feature),
        np.asarray(t.threshold),
        np.asarray(model.student_.value_),
        np.asarray(t.weighted_n_node_samples),
    )


def _same_tree(a, b):
    for x, y in zip(_tree_arrays(a), _tree_arrays(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


TREE_KW = dict(augmentation="none", max_leaf_nodes=8, random_state=0)


@pytest.mark.parametrize(
    "kw", [{}, {"criterion": "gini"}, {"builder": "hist"}, {"exact_rules": False}]
)
def test_integer_weights_give_the_tree_of_repeated_rows(kw):
    w = np.random.default_rng(1).integers(1, 4, len(X))
    weighted = DistilledTreeClassifier(TEACHER, **TREE_KW, **kw).fit(
        X, Y, sample_weight=w
    )
    rows = np.repeat(np.arange(len(X)), w)
    repeated = DistilledTreeClassifier(TEACHER, **TREE_KW, **kw).fit(
        X.iloc[rows].reset_index(drop=True), Y[rows]
    )
    assert weighted.student_.get_n_leaves() == 8
    _same_tree(weighted, repeated)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X))


def test_zero_weights_give_the_tree_without_those_rows():
    w = np.ones(len(X))
    w[::3] = 0.0
    weighted = DistilledTreeClassifier(TEACHER, **TREE_KW).fit(X, Y, sample_weight=w)
    kept = w > 0
    dropped = DistilledTreeClassifier(TEACHER, **TREE_KW).fit(
        X[kept].reset_index(drop=True), Y[kept]
    )
    _same_tree(weighted, dropped)
    assert weighted.n_transfer_ == kept.sum()


def test_unit_weights_change_nothing():
    kw = dict(max_leaf_nodes=8, augment_factor=2, random_state=0)
    plain = DistilledTreeClassifier(TEACHER, **kw).fit(X, Y)
    ones = DistilledTreeClassifier(TEACHER, **kw).fit(
        X, Y, sample_weight=np.ones(len(X))
    )
    _same_tree(plain, ones)
    kw = dict(augment_factor=2, random_state=0)
    b_plain = DistilledBoostingClassifier(TEACHER, **kw).fit(X, Y)
    b_ones = DistilledBoostingClassifier(TEACHER, **kw).fit(
        X, Y, sample_weight=np.ones(len(X))
    )
    np.testing.assert_allclose(b_plain.predict_proba(X), b_ones.predict_proba(X))


def test_weights_move_the_leaves_toward_the_heavy_rows():
    """A leaf reports the weighted mean of the teacher's distribution."""
    w = np.where(Y == 1, 10.0, 1.0)
    model = DistilledTreeClassifier(
        TEACHER, max_depth=1, max_leaf_nodes=None, augmentation="none", random_state=0
    )
    model.fit(X, Y, sample_weight=w)
    p = TEACHER.predict_proba(X)
    leaves = model.apply(X)
    for leaf in np.unique(leaves):
        at = leaves == leaf
        expected = np.average(p[at], axis=0, weights=w[at])
        np.testing.assert_allclose(model.student_.value_[leaf], expected, rtol=1e-9)
        np.testing.assert_allclose(
            model.student_.tree_.weighted_n_node_samples[leaf], w[at].sum()
        )


@pytest.mark.parametrize("method", ["munge", "jitter", "box"])
def test_augmented_rows_carry_their_source_row_weight(method):
    from treedistill.data._schema import TabularSchema

    schema = TabularSchema.infer(X)
    w = np.arange(1, len(X) + 1, dtype=float)
    plain = augment(X, schema, method, 50, np.random.default_rng(3))
    rows, weights = augment_weights(X, schema, method, 50, np.random.default_rng(3), w)
    pd.testing.assert_frame_equal(plain, rows)  # the same draws as without weights
    if method == "box":
        np.testing.assert_allclose(weights, w.mean())
    else:
        rng = np.random.default_rng(3)
        if method == "munge":
            from treedistill.distill._transfer import munge

            _, source = munge(X, schema, 50, rng, return_source=True)
        else:
            from treedistill.distill._transfer import jitter

            _, source = jitter(X, schema, 50, rng, return_source=True)
        np.testing.assert_array_equal(weights, w[source])


def test_the_teacher_it_fits_gets_the_weights():
    w = np.where(Y == 1, 20.0, 1.0)
    model = DistilledTreeClassifier(
        LogisticRegression(max_iter=2000), augment_factor=1, random_state=0
    ).fit(X, Y, sample_weight=w)
    direct = LogisticRegression(max_iter=2000).fit(X, Y, sample_weight=w)
    np.testing.assert_allclose(model.teacher_.coef_, direct.coef_, rtol=1e-6)


def test_grid_search_passes_weights_to_fit():
    w = np.random.default_rng(2).integers(1, 3, len(X)).astype(float)
    search = GridSearchCV(
        DistilledTreeClassifier(TEACHER, augment_factor=1, random_state=0),
        {"max_leaf_nodes": [4, 8]},
        cv=3,
    ).fit(X, Y, sample_weight=w)
    assert search.best_params_["max_leaf_nodes"] in (4, 8)
    assert search.best_estimator_.student_.get_n_leaves() <= 8


def test_metadata_routing_routes_the_weights_to_fit():
    import sklearn

    w = np.random.default_rng(2).integers(1, 3, len(X)).astype(float)
    seen = []

    class Spy(DistilledTreeClassifier):
        def fit(self, X, y, sample_weight=None):
            seen.append(None if sample_weight is None else float(np.sum(sample_weight)))
            return super().fit(X, y, sample_weight=sample_weight)

    with sklearn.config_context(enable_metadata_routing=True):
        est = Spy(TEACHER, augment_factor=1, random_state=0)
        est.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        GridSearchCV(est, {"max_leaf_nodes": [4, 8]}, cv=3).fit(X, Y, sample_weight=w)
    # 2 candidates x 3 folds, then the refit on all rows: each got its rows' weights
    assert len(seen) == 7 and all(s is not None for s in seen)
    assert seen[-1] == pytest.approx(w.sum())


@pytest.mark.parametrize(
    "weights, message",
    [
        (-np.ones(len(X)), "Negative values"),
        (np.zeros(len(X)), "at least one non-zero"),
        (np.ones(5), "sample_weight"),
        (np.full(len(X), np.nan), "sample_weight"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ParameterError, match=message) as info:
        DistilledTreeClassifier(TEACHER, augment_factor=1).fit(
            X, Y, sample_weight=weights
        )
    assert info.value.parameter == "sample_weight"


def test_chunked_fit_refuses_weights():
    with pytest.raises(ParameterError, match="not available with chunk_size"):
        DistilledTreeClassifier(TEACHER, chunk_size=100).fit(
            X, Y, sample_weight=np.ones(len(X))
        )


def test_a_teacher_without_weights_is_refused_when_it_must_be_fit():
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(ParameterError, match="takes no sample_weight"):
        DistilledTreeClassifier(KNeighborsClassifier()).fit(
            X, Y, sample_weight=np.ones(len(X))
        )


def test_an_unweighted_fit_grows_the_tree_it_grew_before_weights():
    """Pinned: the tree this fit gave before row weights and monotone
    constraints existed (their code paths leave an unweighted fit alone)."""
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(300, missing_rate=0.05, random_state=0)
    X = X[["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]]
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    model = DistilledTreeClassifier(
        teacher, max_leaf_nodes=6, augment_factor=2, random_state=0
    ).fit(X, y)
    tree, names = model.student_.tree_, model.feature_names_out_
    splits = [
        (names[f], float(t)) if f >= 0 else None
        for f, t in zip(tree.feature, tree.threshold, strict=True)
    ]
    assert splits == [
        ("glucose", 141.2), ("sbp", 151.0), ("age", 62.0), ("bmi", 29.9),
        None, None, None, ("sbp", 134.0), None, None, None,
    ]  # fmt: skip
    np.testing.assert_allclose(
        model.student_.value_[:, 1],
        [0.832726, 0.922166, 0.552919, 0.696215, 0.138385, 0.901161, 0.297503,
         0.942954, 0.664955, 0.95861, 0.910887],
        atol=5e-7,
    )  # fmt: skip
