"""Tests for treedistill.teachers._teachers: teachers that are programs or several models."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

from treedistill import (
    DistilledTreeClassifier,
    EnsembleTeacher,
    MLPTeacher,
    TorchExportTeacher,
    teacher_logits,
)
from treedistill.exceptions import TeacherError
from treedistill.teachers._soften import softmax
from treedistill.teachers._teachers import is_fitted


@pytest.fixture
def program_of_three_inputs(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        net, (torch.zeros(4, 3),), dynamic_shapes={"input": {0: batch}}
    )
    path = tmp_path / "net.pt2"
    torch.export.save(program, str(path))
    return path


def test_a_program_is_checked_against_the_width_of_the_data(program_of_three_inputs):
    path = program_of_three_inputs
    frame = pd.DataFrame(np.ones((4, 9)), columns=[f"x{i}" for i in range(9)])
    teacher = TorchExportTeacher(path, ["a", "b"])
    with pytest.raises(TeacherError) as info:
        teacher.predict_logits(frame)
    assert str(info.value) == (
        f"teacher file {str(path)!r} is a program of 3 input columns, but the data "
        "gives it 9; keep only the columns it was exported for, in its order"
    )
    assert info.value.path == str(path)
    three = TorchExportTeacher(path, ["a", "b"], feature_names=["x4", "x0", "x2"])
    assert three.predict_logits(frame).shape == (4, 2)


# --------------------------------------------------------------------- teachers
def test_teacher_logits_from_decision_function_binary_is_exact():
    X, y = load_breast_cancer(return_X_y=True)
    lr = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    z = teacher_logits(lr, X)
    assert z.shape == (len(X), 2)
    np.testing.assert_allclose(softmax(z), lr.predict_proba(X), atol=1e-10)


def test_teacher_logits_from_proba_only_model():
    X, y = make_classification(200, random_state=0, n_classes=3, n_informative=4)
    rf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    z = teacher_logits(rf, X)
    np.testing.assert_allclose(softmax(z), rf.predict_proba(X), atol=1e-6)
    assert np.all(np.isfinite(z))


@pytest.mark.parametrize("k", [2, 3])
def test_teacher_logits_from_xgboost_margins(k):
    X, y = make_classification(300, random_state=0, n_classes=k, n_informative=4)
    xgb = XGBClassifier(n_estimators=20, max_depth=2).fit(X, y)
    np.testing.assert_allclose(
        softmax(teacher_logits(xgb, X)), xgb.predict_proba(X), atol=1e-5
    )


def test_teacher_logits_are_batched():
    X, y = make_classification(1000, random_state=0)
    lr = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(
        teacher_logits(lr, X, batch_size=7), teacher_logits(lr, X)
    )


def test_ensemble_means_of_distributions():
    X, y = make_classification(300, random_state=0, n_classes=3, n_informative=4)
    a = LogisticRegression().fit(X, y)
    b = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    pa, pb = a.predict_proba(X), np.clip(b.predict_proba(X), 1e-12, None)
    arith = EnsembleTeacher.from_fitted([a, b])
    np.testing.assert_allclose(arith.predict_proba(X), (pa + pb) / 2, atol=1e-8)
    geo = EnsembleTeacher.from_fitted([a, b], method="geometric")
    g = np.sqrt(pa * pb / pb.sum(1, keepdims=True))
    np.testing.assert_allclose(
        geo.predict_proba(X), g / g.sum(1, keepdims=True), atol=1e-6
    )
    with pytest.raises(ValueError, match="method must be"):
        EnsembleTeacher([a], method="median").fit(X, y)


def test_ensemble_fits_unfitted_members_and_checks_classes():
    X, y = make_classification(200, random_state=0)
    ens = EnsembleTeacher([LogisticRegression(), LogisticRegression(C=0.1)]).fit(X, y)
    assert len(ens.teachers_) == 2 and list(ens.classes_) == [0, 1]
    other = LogisticRegression().fit(X, y + 1)
    with pytest.raises(ValueError, match="disagree on the classes"):
        EnsembleTeacher.from_fitted([ens.teachers_[0], other])


def test_prefit_teacher_is_never_refit_and_unfitted_is_cloned():
    X, y = make_classification(300, random_state=0)
    prefit = LogisticRegression().fit(X[:100], y[:100])
    coef = prefit.coef_.copy()
    model = DistilledTreeClassifier(prefit, max_depth=2, random_state=0).fit(X, y)
    assert model.teacher_ is prefit
    np.testing.assert_array_equal(prefit.coef_, coef)

    frozen = FrozenEstimator(prefit)
    grid = GridSearchCV(
        DistilledTreeClassifier(frozen, random_state=0),
        {"max_depth": [1, 2]},
        cv=2,
    ).fit(X, y)
    np.testing.assert_array_equal(grid.best_estimator_.teacher_.estimator.coef_, coef)

    unfitted = LogisticRegression()
    model = DistilledTreeClassifier(unfitted, max_depth=2).fit(X, y)
    assert not is_fitted(unfitted)
    assert model.teacher_ is not unfitted and is_fitted(model.teacher_)


def test_default_teacher_is_the_mlp():
    X, y = load_breast_cancer(return_X_y=True)
    model = DistilledTreeClassifier(max_leaf_nodes=4, augment_factor=1, random_state=0)
    model.fit(X, y)
    assert isinstance(model.teacher_, MLPTeacher)
    assert model.teacher_.score(X, y) > 0.93


def test_torch_export_teacher(tmp_path):
    torch = pytest.importorskip("torch")
    X, y = make_classification(400, n_features=5, random_state=0)
    lr = LogisticRegression().fit(X, y)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(5, 2)
            with torch.no_grad():
                w = torch.tensor(lr.coef_[0], dtype=torch.float32)
                self.lin.weight.copy_(torch.stack([torch.zeros(5), w]))
                self.lin.bias.copy_(torch.tensor([0.0, float(lr.intercept_[0])]))

        def forward(self, x):
            return self.lin(x)

    batch = torch.export.Dim("batch")
    program = torch.export.export(
        Net(), (torch.zeros(4, 5),), dynamic_shapes=({0: batch},)
    )
    path = tmp_path / "teacher.pt2"
    torch.export.save(program, str(path))
    teacher = TorchExportTeacher(path, classes=[0, 1])
    np.testing.assert_allclose(teacher.predict_proba(X), lr.predict_proba(X), atol=1e-5)
    model = DistilledTreeClassifier(teacher, max_depth=3, random_state=0).fit(X, y)
    assert np.mean(model.predict(X) == lr.predict(X)) > 0.9
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="does not exist"):
        TorchExportTeacher(tmp_path / "nope.pt2", classes=[0, 1]).predict_proba(X)
