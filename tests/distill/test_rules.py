"""Rule numbering: one id per rule, shared by models, saved bundles and trees."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from treedistill import (
    DistilledTreeClassifier,
    export_rules,
    extract_rules,
    rule_numbers,
)
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._bundle import load_student, save_student
from treedistill.exceptions import ParameterError


@pytest.fixture(scope="module")
def fitted():
    X, y = make_clinical_cohort(400, missing_rate=0.1, random_state=1)
    X = X.select_dtypes("number")
    model = DistilledTreeClassifier(
        LogisticRegression(max_iter=2000),
        max_leaf_nodes=7,
        augment_factor=1.0,
        random_state=0,
    )
    return model.fit(X.fillna(X.median()), y), X.fillna(X.median())


def test_rule_numbers_follow_left_to_right_leaf_order():
    #        0
    #      /   \
    #     1     2
    #    / \   / \
    #   3   4 5   6      node ids of a best-first tree need not be in this order
    tree = SimpleNamespace(
        children_left=np.array([2, -1, 3, -1, -1]),
        children_right=np.array([1, -1, 4, -1, -1]),
    )
    # root's left child is node 2 (with leaves 3, 4), right child is leaf 1
    assert rule_numbers(tree) == {3: 1, 4: 2, 1: 3}
    stump = SimpleNamespace(children_left=np.array([-1]), children_right=np.array([-1]))
    assert rule_numbers(stump) == {0: 1}


def test_rule_numbers_match_extract_rules_and_saved_bundle(fitted, tmp_path):
    model, X = fitted
    numbers = rule_numbers(model)
    rules = extract_rules(model)
    assert [r.number for r in rules] == list(range(1, len(rules) + 1))
    assert {r.leaf: r.number for r in rules} == numbers
    assert sorted(numbers.values()) == list(range(1, model.student_.get_n_leaves() + 1))
    assert rule_numbers(model.student_) == rule_numbers(model.student_.tree_) == numbers
    path = tmp_path / "student.json"
    save_student(model, path)
    bundle = load_student(path)
    assert rule_numbers(bundle) == numbers
    assert rule_numbers(bundle.student_.tree_) == numbers
    # every row's leaf has a number
    assert set(model.apply(X)) <= set(numbers)
    assert rules[0].to_dict()["number"] == 1


def test_rule_numbers_refuse_what_is_not_a_tree():
    with pytest.raises(TypeError, match="rule numbers need a fitted tree student"):
        rule_numbers(LogisticRegression())


# ------------------------------------------------- class names, declared columns
def test_class_names_give_display_names_and_order():
    from treedistill.distill._rules import leaf_summary, resolve_class_names

    names, order = resolve_class_names({1: "stroke", 0: "no stroke"}, [0, 1])
    assert names == ["no stroke", "stroke"] and order.tolist() == [1, 0]
    names, order = resolve_class_names({"0": "no stroke", "1": "stroke"}, [0, 1])
    assert names == ["no stroke", "stroke"] and order.tolist() == [0, 1]
    assert leaf_summary([0.98, 0.02], names, order, risk=True) == "stroke risk 2%"
    names, order = resolve_class_names(["high", "medium"], ["high", "low", "medium"])
    assert order.tolist() == [0, 2, 1] and names == ["high", "low", "medium"]
    summary = leaf_summary([0.6, 0.1, 0.3], names, order, risk=False)
    assert summary == "high 60% · medium 30% · low 10%"
    assert leaf_summary([0.001, 0.999], names[:2], [0, 1], risk=True) == "low risk >99%"
    with pytest.raises(ParameterError, match="class_names: 'mid' is not a class"):
        resolve_class_names(["mid"], ["high", "low"])
    with pytest.raises(ParameterError, match="given twice"):
        resolve_class_names([0, "0"], [0, 1])
    # one name for two classes would make the predictions' columns ambiguous
    with pytest.raises(ParameterError, match="the name 'a' is given to two classes"):
        resolve_class_names({1: "a", 2: "a"}, [1, 2])
    with pytest.raises(ParameterError, match="the name '2' is given to two classes"):
        resolve_class_names({1: "2"}, [1, 2])
    assert resolve_class_names({1: "2", 2: "1"}, [1, 2])[0] == ["2", "1"]


def test_categorical_features_by_name_index_or_mask():
    from treedistill.data._booleans import resolve_categorical

    cols = ["age", "thal", "cp"]
    assert resolve_categorical(None, cols) == []
    assert resolve_categorical("thal, cp", cols) == ["thal", "cp"]
    assert resolve_categorical([1, -1], cols) == ["thal", "cp"]
    assert resolve_categorical(np.array([False, True, True]), cols) == ["thal", "cp"]
    with pytest.raises(ParameterError, match="column 'chol' is not in the data"):
        resolve_categorical(["chol"], cols)
    with pytest.raises(ParameterError, match="index 5 is out of range"):
        resolve_categorical([5], cols)
    with pytest.raises(ParameterError, match="mask of 2 values"):
        resolve_categorical([True, False], cols)


def test_declared_categories_and_class_names_in_fitted_rules(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"thal": rng.choice([3, 6, 7], n), "age": rng.integers(30, 80, n)})
    y = np.where((X["thal"] == 6) | (X["age"] > 70), 1, 0)
    model = DistilledTreeClassifier(
        # A teacher that can learn "thal is 6" (a linear model on the code cannot).
        DecisionTreeClassifier(max_depth=3, random_state=0),
        max_leaf_nodes=4,
        augment_factor=1.0,
        random_state=0,
        exact_rules=True,
        categorical_features=["thal"],
        class_names={0: "no stroke", 1: "stroke"},
    ).fit(X, y)
    assert model.schema_.column("thal").levels == [3, 6, 7]
    text = export_rules(model)
    assert "thal is" in text and "thal <=" not in text and "thal >" not in text
    assert "stroke risk" in text
    assert all(r.label in ("stroke", "no stroke") for r in extract_rules(model))
    bundle = load_student(save_student(model, tmp_path / "s.json"))
    assert bundle.class_names_ == ["no stroke", "stroke"]
    assert export_rules(bundle) == text


# ------------------------------------------------------------- run parameters
def test_run_parameters_pass_declared_columns_and_class_names():
    import click

    from treedistill.cli.distill import parse_class_names
    from treedistill.distill._options import DistillParams

    base = {"data": "d.csv", "target": "y", "out": "o"}
    params = DistillParams(
        **base,
        categorical_features=["thal", "cp"],
        class_names={"0": "no stroke", "1": "stroke"},
        class_order=["1", "0"],
    ).student_params("tree")
    assert params["categorical_features"] == ["thal", "cp"]
    assert params["class_names"] == {"1": "stroke", "0": "no stroke"}
    assert list(params["class_names"]) == ["1", "0"]
    ordinal = DistillParams(**base, class_order=["high", "medium", "low"])
    assert ordinal.student_params("boosted")["class_names"] == ["high", "medium", "low"]
    plain = DistillParams(**base).student_params("tree")
    assert "class_names" not in plain and "categorical_features" not in plain
    assert parse_class_names("0=no stroke, 1=stroke") == {
        "0": "no stroke",
        "1": "stroke",
    }
    assert parse_class_names({0: "no", 1: "yes"}) == {"0": "no", "1": "yes"}
    assert parse_class_names(None) is None
    with pytest.raises(click.UsageError, match="LABEL=NAME, got '0'"):
        parse_class_names("0,1=stroke")


def _coded_frame(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "sex": rng.integers(0, 2, n),
            "hypertension": rng.integers(0, 2, n),
            "cp": rng.choice([1.0, 2.0, 3.0, 4.0], n),
            "age": rng.integers(20, 90, n),
        }
    )
    y = np.where(
        (X["sex"] == 1) & (X["age"] > 50)
        | (X["hypertension"] == 1) & (X["cp"] == 4.0)
        | (X["age"] > 75),
        "high",
        "low",
    )
    return X, y


def test_coded_columns_read_in_clinical_words():
    X, y = _coded_frame()
    model = DistilledTreeClassifier(
        DecisionTreeClassifier(max_depth=5, random_state=0),
        max_leaf_nodes=12,
        augment_factor=1.0,
        random_state=0,
        exact_rules=True,
        categorical_features=["cp"],
    ).fit(X, y)
    text = export_rules(model)
    # 0/1 "sex" names what a patient is, not a property: its value, never "has sex"
    assert "has sex" not in text and "no sex" not in text
    assert "sex = 1" in text or "sex = 0" in text
    assert "has hypertension" in text or "no hypertension" in text
    # a coded category reads as the data has it: "cp is 4", never "cp is 4.0"
    assert "cp is 4" in text or "cp is not 4" in text
    assert "4.0" not in text


def test_every_condition_says_where_missing_values_go():
    """No column had a missing value in training; the tree still sends missing
    values one way, and each rule says which (the rule a blank row follows)."""
    X, y = _coded_frame()
    model = DistilledTreeClassifier(
        DecisionTreeClassifier(max_depth=5, random_state=0),
        max_leaf_nodes=8,
        augment_factor=1.0,
        random_state=0,
        exact_rules=True,
    ).fit(X, y)
    assert not any(c.has_missing for c in model.schema_.columns)
    rules = extract_rules(model)
    blank = X.iloc[:1].astype(object)
    blank.iloc[0] = np.nan
    leaf = int(model.apply(blank)[0])
    own = next(r for r in rules if r.leaf == leaf)
    assert own.conditions
    assert all(c.endswith(" is missing)") for c in own.conditions), own.text
    for r in rules:
        if r is not own:
            assert not all(c.endswith(" is missing)") for c in r.conditions)
