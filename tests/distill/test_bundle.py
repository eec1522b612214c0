"""Tests for treedistill.distill._bundle: the saved student."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    export_rules,
    extract_rules,
)
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._bundle import StudentBundle, load_student, save_student
from treedistill.exceptions import ParameterError, SavedRunError


class RuleTeacher:
    """A fitted, deterministic teacher: soft scores from the cohort's own variables."""

    def __init__(self, classes):
        self.classes_ = np.asarray(classes, dtype=object)

    def predict_logits(self, X: pd.DataFrame) -> np.ndarray:
        glucose = X["glucose"].to_numpy(dtype=float)
        bmi = X["bmi"].to_numpy(dtype=float)
        age = X["age"].to_numpy(dtype=float)
        current = (X["smoker"].astype(object) == "current").to_numpy(dtype=float)
        score = (glucose - 140) / 15 + (bmi - 30) / 5 + (age - 60) / 20 + current
        k = len(self.classes_)
        z = np.zeros((len(X), k))
        for j in range(1, k):
            z[:, j] = j * np.nan_to_num(score) - j * (j - 1)
        return z


def cohort(n: int, n_classes: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_clinical_cohort(
        n, n_classes=n_classes, missing_rate=0.15, random_state=seed
    )
    rng = np.random.default_rng(seed)
    # missing values in columns the splits use, numeric and categorical
    X.loc[rng.random(n) < 0.1, "smoker"] = np.nan
    X.loc[rng.random(n) < 0.1, "bmi"] = np.nan
    return X, y.to_numpy()


def classes_for(k: int) -> list[str]:
    return ["high", "low"] if k == 2 else ["high", "low", "medium"]


def fit(kind: str, k: int, seed: int = 0):
    X, y = cohort(240, k, seed)
    teacher = RuleTeacher(classes_for(k))
    common = dict(augment_factor=1.0, temperature=2.0, random_state=seed)
    if kind.startswith("tree"):
        builder = "hist" if kind == "tree-hist" else "exact"
        model = DistilledTreeClassifier(
            teacher, max_leaf_nodes=10, builder=builder, **common
        )
    else:
        model = DistilledBoostingClassifier(teacher, n_estimators=6, **common)
    return model.fit(X, y)


CASES = [(kind, k) for kind in ("tree", "tree-hist", "boosted") for k in (2, 3)]


@pytest.fixture(scope="module", params=CASES, ids=[f"{a}-{b}" for a, b in CASES])
def fitted(request):
    kind, k = request.param
    return kind, k, fit(kind, k)


def test_loaded_bundle_predicts_exactly_like_the_live_model(tmp_path, fitted):
    kind, k, model = fitted
    path = save_student(model, tmp_path / "student.json")
    bundle = load_student(path)
    assert isinstance(bundle, StudentBundle)
    assert bundle.kind == kind.split("-")[0]
    assert bundle.classes_.tolist() == model.classes_.tolist()
    assert bundle.classes_.dtype == model.classes_.dtype
    X_new, _ = cohort(400, k, seed=7)
    assert X_new["smoker"].isna().any() and X_new["bmi"].isna().any()
    np.testing.assert_array_equal(bundle.encode(X_new), model.encode(X_new))
    np.testing.assert_array_equal(
        bundle.predict_proba(X_new), model.predict_proba(X_new)
    )
    np.testing.assert_array_equal(bundle.predict(X_new), model.predict(X_new))
    np.testing.assert_array_equal(
        bundle.decision_function(X_new), model.decision_function(X_new)
    )
    # columns in another order, and extra columns, are fine
    shuffled = X_new[list(reversed(X_new.columns))].assign(extra=1)
    np.testing.assert_array_equal(
        bundle.predict_proba(shuffled), model.predict_proba(X_new)
    )
    if kind.startswith("tree"):
        # exact rules (the default) compare in float64, as the histogram tree does
        exact = model.exact_rules or kind == "tree-hist"
        precision = "float64" if exact else "float32"
        assert bundle.student_.split_precision == precision
        np.testing.assert_array_equal(bundle.apply(X_new), model.apply(X_new))
        assert bundle.student_.get_depth() == model.student_.get_depth()
        assert bundle.student_.get_n_leaves() == model.student_.get_n_leaves()
        np.testing.assert_array_equal(
            bundle.student_.features_used(), model.student_.features_used()
        )
    else:
        assert bundle.student_.n_trees() == model.student_.n_trees()
        with pytest.raises(ValueError, match="apply needs a tree student"):
            bundle.apply(X_new)


def test_rules_of_a_loaded_tree_are_the_live_rules(tmp_path):
    model = fit("tree", 3)
    bundle = load_student(save_student(model, tmp_path / "s.json"))
    assert [r.to_dict() for r in extract_rules(bundle)] == [
        r.to_dict() for r in extract_rules(model)
    ]
    assert export_rules(bundle) == export_rules(model)
    assert any("missing" in r.text for r in extract_rules(bundle))


@pytest.mark.parametrize("builder", ["exact", "hist"])
def test_split_on_missingness_has_an_infinite_threshold(tmp_path, builder):
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {"x": np.where(rng.random(n) < 0.4, np.nan, 1.5), "z": rng.normal(size=n)}
    )
    y = np.where(X["x"].isna(), "a", "b").astype(object)

    class Teacher:
        classes_ = np.array(["a", "b"], dtype=object)

        def predict_logits(self, A):
            m = np.where(A["x"].isna(), -3.0, 3.0) + 0.1 * A["z"].to_numpy()
            return np.column_stack([np.zeros(len(A)), m])

    model = DistilledTreeClassifier(
        Teacher(), max_depth=2, augmentation="none", builder=builder, random_state=0
    ).fit(X, y)
    assert np.isinf(model.student_.tree_.threshold).any()
    path = save_student(model, tmp_path / "s.json")
    assert json.loads(path.read_text())["tree"]["threshold"][0] == "inf"
    bundle = load_student(path)
    np.testing.assert_array_equal(bundle.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(bundle.apply(X), model.apply(X))
    assert export_rules(bundle) == export_rules(model)


def test_rules_need_a_tree_bundle(tmp_path):
    bundle = load_student(save_student(fit("boosted", 2), tmp_path / "b.json"))
    with pytest.raises(ValueError, match="rules need a fitted DistilledTreeClassifier"):
        extract_rules(bundle)


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_saved_bytes_are_deterministic_and_plain_json(tmp_path, kind):
    a = save_student(fit(kind, 2, seed=3), tmp_path / "a.json").read_bytes()
    b = save_student(fit(kind, 2, seed=3), tmp_path / "b.json").read_bytes()
    assert a == b

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    doc = json.loads(a, parse_constant=no_constants)
    assert doc["format"] == "treedistill.student" and doc["version"] == 1
    assert doc["kind"] == kind
    assert doc["classes"] == {"values": ["high", "low"], "dtype": "|O", "type": "str"}
    assert doc["temperature"] == 2.0
    assert doc["feature_names_in"][:3] == ["age", "sex", "smoker"]
    smoker = next(c for c in doc["schema"]["columns"] if c["name"] == "smoker")
    assert smoker["kind"] == "categorical" and smoker["has_missing"] is True
    assert smoker["levels"] == ["current", "former", "never"]
    assert "smoker=current" in [f["name"] for f in doc["schema"]["features"]]
    assert list(doc) == sorted(doc)
    if kind == "tree":
        tree = doc["tree"]
        n = tree["n_nodes"]
        for key in (
            "children_left",
            "children_right",
            "feature",
            "threshold",
            "missing_go_to_left",
            "weighted_n_node_samples",
            "value",
        ):
            assert len(tree[key]) == n, key
    else:
        assert json.loads(doc["boosted"]["xgboost_model"])["learner"]
        assert doc["boosted"]["n_classes"] == 2
        assert len(doc["boosted"]["base_margin"]) == 1


def test_integer_classes_numeric_array_input_and_metadata(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    X[rng.random(150) < 0.1, 1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) > 0).astype(int)
    from sklearn.linear_model import LogisticRegression

    teacher = LogisticRegression().fit(np.nan_to_num(X), y)

    class NanSafe:
        classes_ = teacher.classes_

        def predict_proba(self, A):
            return teacher.predict_proba(np.nan_to_num(np.asarray(A, dtype=float)))

    model = DistilledTreeClassifier(
        NanSafe(), max_depth=3, augment_factor=1.0, random_state=0
    ).fit(X, y)
    meta = {"source": "x.csv", "fidelity": {"agreement": 0.93}}
    bundle = load_student(save_student(model, tmp_path / "s.json", metadata=meta))
    assert bundle.classes_.dtype == np.int64 and bundle.classes_.tolist() == [0, 1]
    assert bundle.feature_names_in_ is None and bundle.n_features_in_ == 3
    assert bundle.metadata == meta
    np.testing.assert_array_equal(bundle.predict(X), model.predict(X))
    np.testing.assert_array_equal(bundle.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError, match="expects 3 columns"):
        bundle.predict(X[:, :2])
    # a bundle can be saved again, byte for byte
    again = save_student(bundle, tmp_path / "again.json", metadata=meta)
    assert again.read_bytes() == (tmp_path / "s.json").read_bytes()


def test_text_levels_that_arrive_as_numbers(tmp_path):
    rng = np.random.default_rng(1)
    n = 200
    grade = rng.choice(["1", "2", "x"], n).astype(object)
    age = rng.integers(20, 80, n)
    y = np.where((grade == "2") | (age > 60), "yes", "no").astype(object)
    X = pd.DataFrame({"grade": grade, "age": age})

    class Teacher:
        classes_ = np.array(["no", "yes"], dtype=object)

        def predict_logits(self, A):
            hit = (A["grade"].astype(object) == "2") | (A["age"] > 60)
            return np.column_stack([np.zeros(len(A)), np.where(hit, 3.0, -3.0)])

    model = DistilledTreeClassifier(
        Teacher(), max_depth=2, augment_factor=0.0, random_state=0
    ).fit(X, y)
    bundle = load_student(save_student(model, tmp_path / "s.json"))
    new = pd.DataFrame({"grade": ["2", "1", "2"], "age": [30, 30, 70]})
    as_numbers = new.assign(grade=[2, 1, 2])
    np.testing.assert_array_equal(
        bundle.predict_proba(as_numbers), model.predict_proba(new)
    )
    assert bundle.predict(as_numbers).tolist() == ["yes", "no", "yes"]


def test_save_student_refuses(tmp_path):
    with pytest.raises(ParameterError, match="needs a fitted DistilledTreeClassifier"):
        save_student(object(), tmp_path / "s.json")
    with pytest.raises(ParameterError, match="is not fitted"):
        save_student(DistilledTreeClassifier(), tmp_path / "s.json")
    with pytest.raises(ParameterError, match="metadata is not plain JSON"):
        save_student(fit("tree", 2), tmp_path / "s.json", metadata={"x": object()})
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- #
# Malformed files
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def tree_doc(tmp_path_factory) -> dict:
    path = save_student(fit("tree", 2), tmp_path_factory.mktemp("doc") / "s.json")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def boosted_doc(tmp_path_factory) -> dict:
    path = save_student(fit("boosted", 3), tmp_path_factory.mktemp("doc") / "b.json")
    return json.loads(path.read_text())


def _set(doc, keys, value):
    for key in keys[:-1]:
        doc = doc[key]
    if value is KeyError:
        del doc[keys[-1]]
    else:
        doc[keys[-1]] = value


def _first_inner(doc):
    return next(i for i, c in enumerate(doc["tree"]["children_left"]) if c != -1)


TREE_BREAKS = [
    (lambda d: _set(d, ["format"], "other"), "is not a treedistill student"),
    (lambda d: _set(d, ["version"], 99), "unsupported format version 99"),
    (lambda d: _set(d, ["kind"], "forest"), "unknown kind 'forest'"),
    (lambda d: _set(d, ["classes", "values"], ["a"]), "fewer than 2 classes"),
    (lambda d: _set(d, ["classes", "dtype"], "<M8[ns]"), "unsupported dtype"),
    (lambda d: _set(d, ["temperature"], -1), "temperature is not positive"),
    (lambda d: _set(d, ["tree", "threshold"], [0.0]), "tree 'threshold' has 1 entries"),
    (lambda d: _set(d, ["tree", "value"], KeyError), "no tree 'value'"),
    (
        lambda d: _set(d, ["tree", "split_precision"], "float16"),
        "tree 'split_precision' is 'float16'",
    ),
    (
        lambda d: _set(d, ["tree", "threshold", 0], "big"),
        "tree 'threshold' holds a value that is not a number",
    ),
    (
        lambda d: _set(d, ["schema", "columns", 0, "kind"], "date"),
        "unknown kind 'date'",
    ),
    (lambda d: _set(d, ["schema", "features"], []), "feature list does not match"),
    (lambda d: _set(d, ["n_features_in"], 2), "n_features_in does not match"),
    (
        lambda d: _set(d, ["tree", "feature", _first_inner(d)], 999),
        "a split uses a feature outside the schema",
    ),
    (
        lambda d: _set(d, ["tree", "children_left", _first_inner(d)], 0),
        "a child node comes before its parent",
    ),
    (
        lambda d: _set(d, ["tree", "children_right", _first_inner(d)], -1),
        "a node has only one child",
    ),
    (lambda d: _hand_edited(d), "is not a probability distribution"),
    (lambda d: _scale_leaf(d, 7.56e15), "is not a probability distribution"),
    (lambda d: _scale_leaf(d, 0.5), "summing to 1"),
    (lambda d: _scale_leaf(d, -1.0), "each in [0, 1]"),
    (lambda d: _set(d, ["tree", "value", 0, 0], "nan"), "of node 0 is not finite"),
    (lambda d: _set(d, ["tree", "value", 0], [1e400, 0.0]), "of node 0 is not finite"),
    (lambda d: _share_a_child(d), "a node is the child of two nodes"),
    (
        lambda d: _set(d, ["tree", "missing_go_to_left", 0], 7),
        "'missing_go_to_left' holds a value other than 0 or 1",
    ),
    (
        lambda d: _set(d, ["tree", "weighted_n_node_samples", 0], -3.0),
        "negative or non-finite",
    ),
    (lambda d: _set(d, ["temperature"], 1e400), "temperature is not positive and"),
    (
        lambda d: _set(d, ["classes", "dtype"], "<U1"),
        "do not match their dtype '<U1'",
    ),
    (lambda d: _set(d, ["classes", "type"], "int"), "classes 'type' is 'int'"),
]


def _leaves(doc):
    return [i for i, c in enumerate(doc["tree"]["children_left"]) if c == -1]


def _scale_leaf(doc, factor):
    leaf = _leaves(doc)[0]
    doc["tree"]["value"][leaf] = [v * factor for v in doc["tree"]["value"][leaf]]


def _hand_edited(doc):
    """Class labels reversed and every value multiplied, as found in the wild."""
    doc["classes"]["values"].reverse()
    doc["tree"]["value"] = [[v * 7.56e15 for v in r] for r in doc["tree"]["value"]]


def _share_a_child(doc):
    """An inner node given, as its left child, the root's right child (which comes
    after it): that node then has two parents."""
    tree = doc["tree"]
    right_of_root = tree["children_right"][0]
    node = next(
        i
        for i, c in enumerate(tree["children_left"])
        if c != -1 and 0 < i < right_of_root
    )
    tree["children_left"][node] = right_of_root


@pytest.mark.parametrize(("breaker", "message"), TREE_BREAKS)
def test_malformed_tree_files_are_refused(tmp_path, tree_doc, breaker, message):
    doc = json.loads(json.dumps(tree_doc))
    breaker(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SavedRunError) as info:
        load_student(path)
    assert message in str(info.value)
    assert f"student file {str(path)!r}" in str(info.value)
    assert info.value.path == str(path)


def test_a_student_changed_in_a_run_folder_is_refused(tmp_path, tree_doc):
    from treedistill.common._files import RUN_RECORD, sha256_file

    path = tmp_path / "student.json"
    path.write_text(json.dumps(tree_doc))
    record = {"files": {"student.json": sha256_file(path)}}
    (tmp_path / RUN_RECORD).write_text(json.dumps(record))
    assert load_student(path).kind == "tree"  # as recorded
    doc = json.loads(json.dumps(tree_doc))
    doc["classes"]["values"].reverse()  # well formed, but not what the run wrote
    path.write_text(json.dumps(doc))
    with pytest.raises(SavedRunError, match="was changed after treedistill") as info:
        load_student(path)
    assert f"student file {str(path)!r}" in str(info.value)
    (tmp_path / RUN_RECORD).unlink()  # standalone: its own checks alone
    assert load_student(path).classes_.tolist() == doc["classes"]["values"]


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (
            lambda d: _set(d, ["boosted", "xgboost_model"], "{not json"),
            "the xgboost model does not load",
        ),
        (lambda d: _set(d, ["boosted", "n_classes"], 2), "boosted n_classes is 2"),
        (lambda d: _set(d, ["boosted", "base_margin"], [0.0]), "base_margin has 1"),
        (
            lambda d: _set(d, ["boosted", "base_margin"], [0.0, 1e400, 0.0]),
            "base_margin is not finite",
        ),
    ],
)
def test_malformed_boosted_files_are_refused(tmp_path, boosted_doc, breaker, message):
    doc = json.loads(json.dumps(boosted_doc))
    breaker(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(SavedRunError, match="student file .*broken.json") as info:
        load_student(path)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not valid JSON"),
        (b"{ truncated", "is not valid JSON"),
        (b"[1, 2]", "is not a treedistill student"),
        (b"\xff\xfe{}", "is not UTF-8 JSON"),
    ],
)
def test_non_student_files_are_refused(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(SavedRunError, match="student file") as info:
        load_student(path)
    assert message in str(info.value)


def test_missing_student_file(tmp_path):
    with pytest.raises(
        SavedRunError, match="student file '.*none.json' does not exist"
    ):
        load_student(Path(tmp_path) / "none.json")
