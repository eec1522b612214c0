"""split_class_weight of DistilledTreeClassifier: weights the split search, not the leaves."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from treedistill import DistilledTreeClassifier, fidelity
from treedistill.exceptions import ParameterError


@pytest.fixture(scope="module")
def rare():
    X, y = make_classification(
        1500, n_features=6, n_informative=4, weights=[0.95], random_state=0
    )
    labels = np.where(y == 1, "event", "none")
    teacher = LogisticRegression(max_iter=1000).fit(X, labels)
    return X, labels, teacher


def _fit(rare, **kw):
    X, y, teacher = rare
    params = dict(max_leaf_nodes=8, augment_factor=2.0, random_state=0)
    return DistilledTreeClassifier(teacher, **{**params, **kw}).fit(X, y)


def test_unit_weights_give_the_unweighted_tree(rare):
    X = rare[0]
    plain = _fit(rare)
    unit = _fit(rare, split_class_weight={"event": 1.0, "none": 1.0})
    np.testing.assert_array_equal(
        plain.student_.tree_.threshold, unit.student_.tree_.threshold
    )
    np.testing.assert_allclose(plain.predict_proba(X), unit.predict_proba(X))


@pytest.mark.parametrize("temperature", [0.25, 1.0])
def test_balanced_weights_move_splits_but_leaves_stay_unweighted(rare, temperature):
    X, y, teacher = rare
    plain = _fit(rare, temperature=temperature)
    balanced = _fit(rare, temperature=temperature, split_class_weight="balanced")
    assert not np.array_equal(
        plain.student_.tree_.threshold, balanced.student_.tree_.threshold
    )
    # Leaves report the teacher's own distribution: the mean predicted risk stays
    # near the teacher's (about 5%), not near the balanced 50%.
    event = list(balanced.classes_).index("event")
    mean_teacher = teacher.predict_proba(X)[:, event].mean()
    mean_student = balanced.predict_proba(X)[:, event].mean()
    assert mean_student == pytest.approx(mean_teacher, abs=0.02)


def test_balanced_weights_help_ranking_of_the_rare_class(rare):
    # With sharpened gini labels (where the rare-outcome tuning saw it help).
    X = rare[0]
    scores = {}
    for cw in (None, "balanced"):
        model = _fit(rare, split_class_weight=cw, criterion="gini", temperature=0.25)
        f = fidelity(model.teacher_proba(X), model.predict_proba(X), n_boot=0)
        scores[cw] = f["ranking"]["flag_auc"]["value"]
    assert scores["balanced"] > scores[None]


def test_split_class_weight_is_checked(rare):
    with pytest.raises(ParameterError, match="split_class_weight names class 'sick'"):
        _fit(rare, split_class_weight={"sick": 2.0})
    with pytest.raises(
        ParameterError, match="split_class_weight values must be positive"
    ):
        _fit(rare, split_class_weight={"event": 0.0})
    with pytest.raises(ValueError, match="split_class_weight"):
        _fit(rare, split_class_weight="even")


def test_split_class_weight_works_in_a_pipeline(rare):
    X, y, teacher = rare
    pipe = make_pipeline(
        StandardScaler(),
        DistilledTreeClassifier(
            LogisticRegression(max_iter=1000),
            split_class_weight="balanced",
            max_leaf_nodes=4,
            augment_factor=1.0,
            random_state=0,
        ),
    ).fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 2)
    assert set(pipe.predict(X)) <= {"event", "none"}
