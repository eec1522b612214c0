"""Rule numbering: one id per rule, shared by models, saved bundles and trees."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from treedistill import DistilledTreeClassifier, extract_rules, rule_numbers
from treedistill._bundle import load_student, save_student
from treedistill.datasets import make_clinical_cohort


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
