"""Run parameters: one validation, messages naming the Python parameter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    DistillParams,
)
from treedistill.distill._options import (
    AUGMENTATIONS,
    CRITERIA,
    STUDENT_KINDS,
    check_parameter,
    student_defaults,
)
from treedistill.exceptions import ParameterError


def _params(**kw) -> DistillParams:
    return DistillParams(**{"data": "d.csv", "target": "y", "out": "o", **kw})


@pytest.mark.parametrize(
    "kw, parameter, message",
    [
        ({"temperature": -1}, "temperature", "temperature must be > 0, got -1"),
        ({"temperature": float("nan")}, "temperature", "temperature must be a finite number"),
        ({"temperature": float("inf")}, "temperature", "temperature must be a finite number"),
        ({"alpha": 2}, "alpha", "alpha must be in [0, 1], got 2"),
        ({"augment_factor": 1001}, "augment_factor", "augment_factor must be in [0, 1000], got 1001"),
        ({"test_size": 1.0}, "test_size", "test_size must be a share of the rows in (0, 1)"),
        ({"max_leaf_nodes": 1}, "max_leaf_nodes", "max_leaf_nodes must be >= 2, got 1"),
        ({"max_leaf_nodes": 2.5}, "max_leaf_nodes", "max_leaf_nodes must be a whole number"),
        ({"max_leaf_nodes": None}, "max_leaf_nodes", "max_leaf_nodes must be set when max_depth is not"),
        ({"max_depth": 0}, "max_depth", "max_depth must be >= 1, got 0"),
        ({"student": "both", "n_estimators": 0}, "n_estimators", "n_estimators must be >= 1, got 0"),
        ({"student": "boosted", "boost_depth": 0}, "boost_depth", "boost_depth must be >= 1, got 0"),
        ({"seed": -3}, "seed", "seed must be >= 0, got -3"),
        ({"student": "forest"}, "student", "student must be one of tree, boosted, both"),
        ({"augmentation": "smote"}, "augmentation", "augmentation must be one of"),
        ({"criterion": "mse"}, "criterion", "criterion must be one of entropy, gini"),
        ({"ensemble_method": "max"}, "ensemble_method", "ensemble_method must be one of"),
        ({"classes": ["a"]}, "classes", "classes must list at least 2 classes"),
        ({"temperature": "2"}, "temperature", "temperature must be a number"),
        ({"target": " "}, "target", "target must name a column"),
        ({"teacher": ["a.pt"], "teacher_max_epochs": 5}, "teacher_max_epochs", "only when no teacher file"),
    ],
)  # fmt: skip
def test_validate_names_the_parameter(kw, parameter, message):
    with pytest.raises(ParameterError) as info:
        _params(**kw).validate()
    assert message in str(info.value)
    assert info.value.parameter == parameter
    assert "\n" not in str(info.value) and "--" not in str(info.value)


def test_every_student_parameter_is_checked_whatever_the_student():
    with pytest.raises(ParameterError, match="n_estimators"):
        _params(n_estimators=0).validate()
    with pytest.raises(ParameterError, match="max_leaf_nodes"):
        _params(max_leaf_nodes=1, student="boosted").validate()


def test_defaults_are_valid_serialisable_and_read_from_the_estimators():
    params = _params(teacher=[Path("a.pt")], drop=("id",))
    params.validate()
    doc = params.to_dict()
    assert doc["teacher"] == ["a.pt"] and doc["drop"] == ["id"]
    assert json.loads(json.dumps(doc)) == doc
    assert params.student_kinds() == ["tree"]
    assert _params(student="both").student_kinds() == ["tree", "boosted"]
    assert student_defaults("tree") == DistilledTreeClassifier().get_params()
    tree = params.student_params("tree")
    assert tree["temperature"] == DistilledTreeClassifier().temperature
    assert tree["augment_factor"] == DistilledTreeClassifier().augment_factor
    boosted = _params(boost_depth=3, temperature=2).student_params("boosted")
    assert boosted["max_depth"] == 3 and boosted["temperature"] == 2.0
    assert boosted["augment_factor"] == DistilledBoostingClassifier().augment_factor
    model = params.make_student("boosted", None)
    assert isinstance(model, DistilledBoostingClassifier) and model.random_state == 0


def test_choices_come_from_the_library():
    assert STUDENT_KINDS == ("tree", "boosted", "both")
    assert set(CRITERIA) == {"entropy", "gini"}
    assert AUGMENTATIONS[-1] == "none" and "munge" in AUGMENTATIONS


@pytest.mark.parametrize(
    "cls, name, value, message",
    [
        (DistilledTreeClassifier, "alpha", -0.5, "alpha must be in [0, 1], got -0.5"),
        (DistilledTreeClassifier, "max_leaf_nodes", True, "must be a whole number"),
        (
            DistilledBoostingClassifier,
            "learning_rate",
            0,
            "learning_rate must be > 0, got 0",
        ),
        (
            DistilledTreeClassifier,
            "augmentation",
            "x",
            "must be one of box, jitter, munge, none",
        ),
    ],
)
def test_check_parameter_writes_the_range_from_the_constraints(
    cls, name, value, message
):
    with pytest.raises(ParameterError, match=None) as info:
        check_parameter(cls, name, value)
    assert message in str(info.value)
    check_parameter(DistilledTreeClassifier, "max_depth", None)  # None allowed


@pytest.mark.parametrize(
    "kw, parameter",
    [
        ({"threshold": 1.0}, "threshold"),
        ({"threshold": 0}, "threshold"),
        ({"flag_rate": 1.5}, "flag_rate"),
        ({"flag_rate": True}, "flag_rate"),
    ],
)
def test_operating_points_are_checked_before_any_work(kw, parameter):
    with pytest.raises(ParameterError) as info:
        _params(**kw).validate()
    assert info.value.parameter == parameter


def test_positive_class_given_as_text_names_the_class():
    assert _params(positive_class="1").positive_label([0, 1]) == 1
    assert _params(positive_class="yes").positive_label(["no", "yes"]) == "yes"
    assert _params().positive_label([0, 1]) is None
    with pytest.raises(ParameterError, match="positive_class 'maybe' is not a class"):
        _params(positive_class="maybe").positive_label(["no", "yes"])
    doc = _params(positive_class="yes", threshold=0.2, flag_rate=0.05).to_dict()
    assert (doc["positive_class"], doc["threshold"], doc["flag_rate"]) == (
        "yes",
        0.2,
        0.05,
    )


@pytest.mark.parametrize("seed", [2**32, 99999999999999999999])
def test_a_seed_beyond_32_bits_is_refused_in_the_projects_words(seed):
    with pytest.raises(ParameterError, match="seed must be at most 4294967295") as e:
        _params(seed=seed).validate()
    assert e.value.parameter == "seed"
    _params(seed=2**32 - 1).validate()
