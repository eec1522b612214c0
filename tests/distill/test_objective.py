"""The tree's objective (agreement / ranking / auto) and the pruning search."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from treedistill import DistilledTreeClassifier, load_student, save_student
from treedistill.distill._choices import RARE_PREVALENCE
from treedistill.distill._students import SoftTree
from treedistill.distill._tao import SearchedSoftTree
from treedistill.exceptions import ParameterError


def _data(n=600, positive_share=0.4, seed=0, k=2):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["a", "b", "c", "d"])
    score = X["a"] + 0.8 * X["b"] * X["c"] + 0.3 * rng.normal(size=n)
    if k == 2:
        cut = np.quantile(score, 1 - positive_share)
        y = (score > cut).astype(int).to_numpy()
    else:
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    return X, y


def _fit(X, y, **kw):
    params = dict(max_leaf_nodes=6, augment_factor=3, random_state=0)
    params.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DistilledTreeClassifier(LogisticRegression(), **params).fit(X, y)


def _errors(tree, X, hard) -> int:
    return int(np.sum(tree.predict_proba(X).argmax(1) != hard.argmax(1)))


# ------------------------------------------------------------ auto objective
def test_auto_builds_a_common_binary_outcome_for_agreement():
    X, y = _data(positive_share=0.4)
    model = _fit(X, y)
    assert model.objective_ == "agreement"
    assert model.search_ == "prune"
    assert "40.0% of the training rows, not under 20%" in model.objective_reason_
    assert model.objective_reason_.startswith("auto: the rarer class (1)")


def test_auto_builds_a_rare_binary_outcome_for_ranking():
    X, y = _data(positive_share=0.1)
    model = _fit(X, y)
    assert model.objective_ == "ranking"
    assert model.search_ == "greedy"
    assert "10.0% of the training rows, under 20%" in model.objective_reason_
    assert model.objective_reason_.endswith("under 20%: a rare outcome")


def test_the_rare_line_is_the_reports_rule():
    X, y = _data(n=1000, positive_share=0.19)
    assert RARE_PREVALENCE == 0.2
    assert _fit(X, y).objective_ == "ranking"
    X, y = _data(n=1000, positive_share=0.21)
    assert _fit(X, y).objective_ == "agreement"


def test_auto_reads_the_shares_with_sample_weights():
    X, y = _data(n=600, positive_share=0.3)
    w = np.where(y == 1, 0.3, 1.0)  # weighted share of class 1: about 11%
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = DistilledTreeClassifier(
            LogisticRegression(), max_leaf_nodes=4, augment_factor=1, random_state=0
        ).fit(X, y, sample_weight=w)
    assert model.objective_ == "ranking"


def test_auto_builds_more_classes_for_agreement():
    X, y = _data(k=3)
    model = _fit(X, y)
    assert model.objective_ == "agreement"
    assert model.objective_reason_.startswith("auto: 3 classes")


def test_split_class_weight_means_ranking():
    X, y = _data(positive_share=0.4)
    model = _fit(X, y, split_class_weight="balanced")
    assert model.objective_ == "ranking"
    assert "split_class_weight is set" in model.objective_reason_
    with pytest.raises(ParameterError, match="objective='agreement' splits on"):
        _fit(X, y, objective="agreement", split_class_weight="balanced")


def test_a_set_objective_is_kept_and_said():
    X, y = _data(positive_share=0.1)
    model = _fit(X, y, objective="agreement")
    assert model.objective_ == "agreement"
    assert model.objective_reason_ == "objective='agreement' was set"


def test_unknown_objective_is_refused():
    X, y = _data()
    with pytest.raises(ValueError, match="objective"):
        _fit(X, y, objective="accuracy")


# ------------------------------------------------------- what the tree holds
def test_agreement_leaves_report_the_teachers_own_distribution():
    X, y = _data()
    model = _fit(X, y, objective="agreement", exact_rules=False)
    # Splits were chosen on one-hot labels; the leaves hold the teacher's
    # probabilities, so they are not 0/1.
    leaves = model.student_.value_[model.student_.tree_.children_left == -1]
    assert ((leaves > 0.01) & (leaves < 0.99)).any()
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    teacher = model.teacher_proba(X)
    leaf = model.apply(X)
    # Every leaf's value is the mean teacher distribution of the transfer rows
    # reaching it; on the real rows alone it is close to it.
    for node in np.unique(leaf)[:3]:
        rows = leaf == node
        assert np.abs(teacher[rows].mean(0) - proba[rows][0]).max() < 0.25


def test_agreement_objective_predicts_the_teacher_at_least_as_often():
    X, y = _data(n=800, positive_share=0.4, seed=3)
    ranking = _fit(X, y, objective="ranking", augment_factor=10)
    agreement = _fit(X, y, objective="agreement", augment_factor=10)
    t = ranking.teacher_.predict(X)
    assert (agreement.predict(X) == t).mean() >= (ranking.predict(X) == t).mean()


# --------------------------------------------------------------- the search
def test_search_auto_resolves_per_objective_and_settings():
    X, y = _data()
    assert _fit(X, y, objective="ranking").search_ == "greedy"
    assert _fit(X, y, objective="agreement").search_ == "prune"
    assert _fit(X, y, objective="agreement", search="greedy").search_ == "greedy"
    assert _fit(X, y, objective="ranking", search="prune").search_ == "prune"
    mono = _fit(X, y, objective="agreement", monotone_constraints={"a": 1})
    assert mono.search_ == "greedy"
    with pytest.raises(ParameterError, match="needs search='greedy'"):
        _fit(X, y, monotone_constraints={"a": 1}, search="prune")


def test_prune_is_never_worse_than_greedy_on_the_transfer_rows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 5))
    labels = ((X[:, 0] > 0) ^ (X[:, 1] * X[:, 2] > 0.3)).astype(int)
    labels[rng.random(3000) < 0.1] ^= 1
    hard = np.eye(2)[labels]
    for budget, sweeps in itertools.product((3, 5, 8), (0, 10)):
        greedy = SoftTree(criterion="entropy", max_leaf_nodes=budget).fit(X, hard)
        pruned = SearchedSoftTree(
            criterion="entropy",
            max_leaf_nodes=budget,
            loss="error",
            grow_leaves=32,
            max_sweeps=sweeps,
        ).fit(X, hard)
        assert pruned.get_n_leaves() <= budget
        assert pruned.search_ == ("prune" if sweeps == 0 else "tao")
        assert _errors(pruned, X, hard) <= _errors(greedy, X, hard)
        info = pruned.search_info_
        assert info["loss"] <= info["loss_pruned"] + 1e-9


def _subtrees(left, right, node, budget):
    """Every pruning of the subtree at ``node`` with at most ``budget`` leaves,
    as the list of its leaves."""
    yield [node]
    if left[node] == -1 or budget < 2:
        return
    for a in range(1, budget):
        for lt in _subtrees(left, right, left[node], a):
            for rt in _subtrees(left, right, right[node], budget - a):
                if len(lt) + len(rt) <= budget:
                    yield lt + rt


def test_pruning_finds_the_least_disagreeing_subtree_exactly():
    """The dynamic programme against every pruning of a small grown tree."""
    from treedistill.distill._hist_tree import bin_features
    from treedistill.distill._tao import _prune, _Search, _tree_parts

    rng = np.random.default_rng(7)
    X = rng.normal(size=(400, 3))
    labels = (np.sin(2 * X[:, 0]) + X[:, 1] > 0.2).astype(int)
    labels[rng.random(400) < 0.15] ^= 1
    hard = np.eye(2)[labels]
    grown = DecisionTreeClassifier(max_leaf_nodes=10, random_state=0).fit(X, labels)
    t = grown.tree_
    left, right = t.children_left, t.children_right
    node_leaf = grown.apply(X)

    def error(leaves):
        total = 0
        for leaf in leaves:
            # rows under this node: those whose path passes through it
            under = grown.decision_path(X)[:, leaf].toarray().ravel() > 0
            counts = np.bincount(labels[under], minlength=2)
            total += counts.sum() - counts.max()
        return total

    for budget in (2, 3, 4, 6):
        best = min(error(s) for s in _subtrees(left, right, 0, budget))
        binned, cuts, n_bins = bin_features(X, 255)
        flat = binned.astype(np.intp) + (np.arange(3) * n_bins)[:, None]
        search = _Search(X, hard, np.ones(400), flat, cuts, n_bins, "error", 1)
        search.load(*_tree_parts(t))
        search.leaf = node_leaf.astype(np.intp)
        _prune(search, budget)
        search.refit()
        assert int(np.sum(search.left == -1)) <= budget
        assert search.loss() == pytest.approx(best)
    assert list(itertools.islice(_subtrees(left, right, 0, 1), 2)) == [[0]]


# ------------------------------------------------------ saved and described
def test_the_saved_student_and_its_summary_say_the_objective(tmp_path):
    X, y = _data()
    model = _fit(X, y)
    bundle = load_student(save_student(model, tmp_path / "s.json"))
    assert bundle.objective_ == "agreement"
    assert bundle.objective_reason_ == model.objective_reason_
    assert bundle.search_ == "prune"
    assert np.array_equal(bundle.predict_proba(X), model.predict_proba(X))
    text = repr(model)
    assert "objective: agreement (splits on the teacher's class)" in text
    assert "search prune" in text
    assert "objective: agreement" in repr(bundle)
    ranking = _fit(X, y, objective="ranking")
    assert "objective: ranking, soft labels at temperature 1" in repr(ranking)
