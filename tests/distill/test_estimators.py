"""The estimators: scikit-learn compatibility, rules, recovery of a known rule.

Teachers (logits, ensembles, prefit or cloned teachers) are tested in test_teachers.py.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    export_rules,
    extract_rules,
)
from treedistill.datasets import CLINICAL_COHORT_DEPTH, make_clinical_cohort

ESTIMATORS = {
    "tree": DistilledTreeClassifier,
    "boosted": DistilledBoostingClassifier,
}


def _cohort_teacher():
    """A prefit-able teacher for the mixed-type cohort (one-hot + boosting)."""
    cat = ["sex", "smoker", "ward"]
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), cat)], remainder="passthrough"
    )
    return make_pipeline(pre, HistGradientBoostingClassifier(random_state=0))


COHORT_X, COHORT_Y = make_clinical_cohort(1200, missing_rate=0.1, random_state=0)


# ------------------------------------------------------ scikit-learn's checks
def _expected_failed(estimator) -> dict:
    # Augmented rows are drawn around the rows present and the teacher is refit,
    # so weights equal repeated rows only with augmentation off and a fixed
    # teacher (tested in test_estimators_weights.py).
    why = "augmented rows are drawn around distinct rows; the teacher is refit"
    return {"check_sample_weight_equivalence_on_dense_data": why}


@parametrize_with_checks(
    [
        DistilledTreeClassifier(random_state=0, augment_factor=1.0),
        DistilledBoostingClassifier(random_state=0, augment_factor=1.0),
        DistilledTreeClassifier(
            LogisticRegression(), criterion="gini", max_depth=4, random_state=0
        ),
    ],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ----------------------------------------------------------------- estimators
def test_recovers_the_cohort_rule_at_the_true_depth():
    """The default MLP teacher learns the depth-3 rule; the distilled tree recovers it."""
    X, y = make_clinical_cohort(4000, label_noise=0.02, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    model = DistilledTreeClassifier(
        max_depth=CLINICAL_COHORT_DEPTH, max_leaf_nodes=None, random_state=0
    ).fit(Xtr, ytr)
    teacher_pred = model.teacher_.predict(Xte)
    fidelity = np.mean(model.predict(Xte) == teacher_pred)
    assert fidelity >= 0.98
    used = {model.schema_.features[f].column for f in model.student_.features_used()}
    assert used <= {"glucose", "bmi", "age", "smoker", "sbp"}
    assert {"glucose", "bmi"} <= used


@pytest.mark.parametrize("name", ESTIMATORS)
def test_dataframe_with_categories_and_missing_values(name):
    model = ESTIMATORS[name](_cohort_teacher(), random_state=0, augment_factor=2)
    model.fit(COHORT_X, COHORT_Y)
    assert list(model.feature_names_in_) == list(COHORT_X.columns)
    assert model.n_features_in_ == 9
    assert list(model.classes_) == ["high", "low"]
    assert model.n_transfer_ == 1200 + model.n_augmented_ == 1200 * 3
    proba = model.predict_proba(COHORT_X)
    assert proba.shape == (1200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert np.mean(model.predict(COHORT_X) == model.teacher_.predict(COHORT_X)) > 0.95


def test_rules_read_in_original_units_and_category_names():
    model = DistilledTreeClassifier(
        _cohort_teacher(), max_depth=3, max_leaf_nodes=None, random_state=0
    ).fit(COHORT_X, COHORT_Y)
    text = export_rules(model)
    rules = extract_rules(model)
    assert len(rules) == model.student_.get_n_leaves() == len(text.splitlines())
    assert sum(r.coverage for r in rules) == pytest.approx(1.0)
    assert "glucose" in text and ("smoker is current" in text or "bmi" in text)
    # integer columns read as whole numbers; no encoded "col=level" names leak out
    assert "=" not in text.replace("<=", "").replace(">=", "")
    for rule in rules:
        assert rule.prediction in ("high", "low")
        assert rule.distribution[list(model.classes_).index(rule.prediction)] >= 0.5
    leaves = model.apply(COHORT_X)
    assert set(np.unique(leaves)) <= {r.leaf for r in rules}


def test_rules_mention_missing_values_where_they_are_routed():
    X = COHORT_X.copy()
    rng = np.random.default_rng(0)
    X.loc[rng.random(len(X)) < 0.2, "glucose"] = np.nan
    teacher = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [
                        (
                            "cat",
                            OneHotEncoder(handle_unknown="ignore"),
                            ["sex", "smoker", "ward"],
                        )
                    ],
                    remainder="passthrough",
                ),
            ),
            ("gb", HistGradientBoostingClassifier(random_state=0)),
        ]
    )
    model = DistilledTreeClassifier(teacher, max_leaf_nodes=8, random_state=0)
    model.fit(X, COHORT_Y)
    assert "glucose is missing" in export_rules(model)


def test_pipeline_with_column_transformer_and_grid_search():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    teacher = FrozenEstimator(
        make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    )
    pipe = Pipeline(
        [
            (
                "select",
                ColumnTransformer([("keep", "passthrough", list(X.columns[:10]))]),
            ),
            ("distil", DistilledTreeClassifier(teacher, random_state=0)),
        ]
    )
    # The teacher sees the selected columns only when it is fit inside the pipeline;
    # here it is prefit on all columns, so give it an unfitted one instead.
    pipe.set_params(
        distil__teacher=make_pipeline(StandardScaler(), LogisticRegression())
    )
    grid = GridSearchCV(
        pipe,
        {"distil__temperature": [1.0, 3.0], "distil__max_depth": [2, 4]},
        cv=3,
    ).fit(X, y)
    assert grid.best_score_ > 0.88
    assert set(grid.cv_results_["param_distil__temperature"]) == {1.0, 3.0}
    assert grid.best_estimator_.predict(X).shape == (len(X),)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_clone_pickle_and_reproducibility(name):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    base = ESTIMATORS[name](
        make_pipeline(StandardScaler(), LogisticRegression()), random_state=3
    )
    a = clone(base).fit(X, y)
    b = clone(base).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))
    assert clone(a).get_params()["random_state"] == 3


def test_string_labels_and_many_classes():
    X, y = load_digits(return_X_y=True)
    labels = np.array([f"digit {d}" for d in y])
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model = DistilledTreeClassifier(teacher, max_leaf_nodes=32, random_state=0)
    model.fit(X[:800], labels[:800])
    assert model.classes_.tolist() == [f"digit {d}" for d in range(10)]
    pred = model.predict(X[800:])
    assert set(pred) <= set(model.classes_)
    assert np.mean(pred == model.teacher_.predict(X[800:])) > 0.6
    X12, y12 = make_classification(
        1200, n_features=20, n_informative=12, n_classes=12, random_state=0
    )
    boosted = DistilledBoostingClassifier(
        LogisticRegression(max_iter=500), random_state=0
    )
    boosted.fit(X12, y12)
    assert boosted.predict_proba(X12).shape == (1200, 12)
    assert boosted.decision_function(X12).shape == (1200, 12)


def test_soft_labels_beat_hard_labels_in_probability():
    """KL(teacher‖student) is lower for the soft-label tree than for a hard-label tree."""
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, random_state=0, stratify=y)
    teacher = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(Xtr, ytr)
    soft = DistilledTreeClassifier(teacher, max_leaf_nodes=8, random_state=0).fit(
        Xtr, ytr
    )
    from sklearn.tree import DecisionTreeClassifier

    from treedistill import kl_divergence

    hard = DecisionTreeClassifier(max_leaf_nodes=8, random_state=0).fit(
        Xtr, teacher.predict(Xtr)
    )
    t = teacher.predict_proba(Xte)
    assert kl_divergence(t, soft.predict_proba(Xte)) < kl_divergence(
        t, hard.predict_proba(Xte)
    )


def test_temperature_changes_structure_not_what_leaves_report():
    X, y = load_breast_cancer(return_X_y=True)
    teacher = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    model = DistilledTreeClassifier(
        teacher, temperature=4.0, max_leaf_nodes=6, augmentation="none", random_state=0
    ).fit(X, y)
    leaves = model.apply(X)
    p = teacher.predict_proba(X)
    for leaf in np.unique(leaves):
        np.testing.assert_allclose(
            model.student_.value_[leaf], p[leaves == leaf].mean(axis=0), atol=1e-9
        )
    boosted = DistilledBoostingClassifier(
        teacher, temperature=4.0, n_estimators=50, augmentation="none", random_state=0
    ).fit(X, y)
    # margins are scaled back by T: probabilities are as sharp as the teacher's
    assert np.mean(boosted.predict_proba(X).max(axis=1)) > 0.9


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"temperature": 0}, "temperature"),
        ({"temperature": -1.0}, "temperature"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"augmentation": "smote"}, "augmentation"),
        ({"augment_factor": -1}, "augment_factor"),
        ({"augment_factor": 5000}, "augment_factor"),
        ({"max_depth": 0}, "max_depth"),
        ({"max_leaf_nodes": 1}, "max_leaf_nodes"),
        ({"criterion": "log_loss"}, "criterion"),
        ({"max_depth": None, "max_leaf_nodes": None}, "max_depth or max_leaf_nodes"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(params, message):
    X, y = make_classification(60, random_state=0)
    model = DistilledTreeClassifier(LogisticRegression(), **params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


def test_bad_labels():
    X, y = make_classification(60, random_state=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        DistilledTreeClassifier(LogisticRegression()).fit(X, np.zeros(60))
    teacher = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="label 2, which the teacher does not know"):
        DistilledTreeClassifier(teacher).fit(X, np.where(y == 1, 2, y))


def test_rules_read_a_split_of_missing_from_present_values():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {"age": rng.integers(20, 80, n).astype(float), "x": rng.normal(size=n)}
    )
    X.loc[: n // 2, "age"] = np.nan
    # the teacher's decision depends only on whether age is known
    y = np.where(X["age"].isna(), "missing", "known")
    teacher = HistGradientBoostingClassifier(max_iter=20).fit(X, y)
    model = DistilledTreeClassifier(teacher, max_depth=1, random_state=0).fit(X, y)
    assert not np.isfinite(model.student_.tree_.threshold[0])
    text = export_rules(model)
    assert "IF age is known THEN known" in text
    assert "IF age is missing THEN missing" in text


def test_fit_takes_a_nullable_boolean_column_with_missing_values():
    """No preparation needed for pandas' ``boolean`` dtype with ``pd.NA``."""
    rng = np.random.default_rng(0)
    flag = pd.array(rng.choice([True, False, None], 200), dtype="boolean")
    X = pd.DataFrame({"a": rng.normal(size=200), "flag": flag})
    y = np.where(X["flag"].fillna(False).to_numpy(dtype=bool), "yes", "no")
    model = DistilledTreeClassifier(
        max_leaf_nodes=4, augment_factor=2, random_state=0
    ).fit(X, y)
    assert model.score(X, y) == 1.0
    assert np.isfinite(model.predict_proba(X)).all()
