"""Training the default teacher: one MLP or an ensemble."""

from __future__ import annotations

import inspect

import pytest

from treedistill import EnsembleTeacher, train_teacher
from treedistill.datasets import make_clinical_cohort
from treedistill.exceptions import ParameterError
from treedistill.teachers._train import (
    DEFAULT_HIDDEN,
    DEFAULT_MAX_EPOCHS,
    check_training,
)


def test_defaults_are_the_mlp_teachers():
    from treedistill import MLPTeacher

    signature = inspect.signature(MLPTeacher)
    assert signature.parameters["hidden_layer_sizes"].default == DEFAULT_HIDDEN
    assert signature.parameters["max_epochs"].default == DEFAULT_MAX_EPOCHS


def test_ensemble_members_get_consecutive_seeds():
    X, y = make_clinical_cohort(200, random_state=0)
    seen = []
    teacher = train_teacher(
        X, y, n_members=2, hidden_layer_sizes=[8], max_epochs=3, random_state=4,
        progress=lambda *a: seen.append(a),
    )  # fmt: skip
    assert isinstance(teacher, EnsembleTeacher) and teacher.method == "arithmetic"
    assert [m.random_state for m in teacher.teachers_] == [4, 5]
    assert seen == [("teacher 1/2", 0, 2), ("teacher 2/2", 1, 2)]
    single = train_teacher(X, y, hidden_layer_sizes=[8], max_epochs=3)
    assert type(single).__name__ == "MLPTeacher" and single.random_state == 0


@pytest.mark.parametrize(
    "kw, parameter",
    [
        ({"n_members": 0}, "n_members"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"random_state": -1}, "random_state"),
        ({"hidden_layer_sizes": [16, 0]}, "hidden_layer_sizes"),
        ({"n_members": 1.5}, "n_members"),
    ],
)
def test_bad_training_parameters_are_named(kw, parameter):
    params = dict(n_members=1, hidden_layer_sizes=[8], max_epochs=3, random_state=0)
    params.update(kw)
    with pytest.raises(ParameterError) as info:
        check_training(**params)
    assert info.value.parameter == parameter and parameter in str(info.value)
