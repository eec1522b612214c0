"""treedistill.report._describe: how the report names the teacher and the models."""

from __future__ import annotations

from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from treedistill import EnsembleTeacher
from treedistill.report._describe import describe_teacher, model_info, model_label


def test_teacher_is_named_through_wrappers_pipelines_and_ensembles():
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    assert describe_teacher(pipe) == "StandardScaler → LogisticRegression"
    assert describe_teacher(FrozenEstimator(pipe)) == (
        "StandardScaler → LogisticRegression"
    )
    ensemble = EnsembleTeacher([LogisticRegression(), DecisionTreeClassifier()])
    ensemble.teachers_ = list(ensemble.teachers)
    assert describe_teacher(ensemble) == (
        "EnsembleTeacher(LogisticRegression, DecisionTreeClassifier)"
    )


def test_model_info_and_label(report_binary):
    tree, boosted = (report_binary["models"][n] for n in ("tree", "boosted"))
    info = model_info("tree", tree)
    assert info["student"] == "tree" and info["type"] == "DistilledTreeClassifier"
    assert info["n_leaves"] == tree.student_.get_n_leaves() <= 8
    assert info["depth"] == tree.student_.get_depth()
    assert "teacher" not in info["params"] and info["params"]["max_leaf_nodes"] == 8
    assert info["n_transfer"] == 450 * 6 and info["n_augmented"] == 450 * 5
    b = model_info("boosted", boosted)
    assert b["student"] == "boosted" and b["n_trees"] == 5
    assert b["n_leaves"] >= 5 * 2
    assert model_label("tree", tree) == f"treedistill tree ({info['n_leaves']} leaves)"
    assert model_label("boosted", boosted) == "treedistill boosted (5 trees)"
