"""Tests for treedistill.teachers._mlp.MLPTeacher."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.special import softmax
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from treedistill.datasets import clinical_cohort_rule, make_clinical_cohort
from treedistill.teachers._mlp import MLPTeacher
from treedistill.teachers._mlp_columns import fit_column, transform_column

FAST = {"hidden_layer_sizes": (32,), "max_epochs": 30, "random_state": 0}


# --------------------------------------------------------------------------- #
# Fixtures / helpers
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)


def make_mixed(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Mixed-type frame whose label depends on numeric and categorical columns."""
    rng = np.random.default_rng(seed)
    num = rng.normal(size=n)
    count = rng.integers(0, 10, size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    shape = rng.choice(["circle", "square"], size=n)
    flag = rng.random(n) < 0.5
    score = num + (color == "red") * 2.0 - (color == "blue") * 1.0 + 0.3 * flag
    y = np.where(score > 0.3, "yes", "no")

    num_missing = num.copy()
    num_missing[rng.random(n) < 0.1] = np.nan
    color_obj = color.astype(object)
    color_obj[rng.random(n) < 0.05] = None
    shape_obj = shape.astype(object)
    shape_obj[rng.random(n) < 0.05] = np.nan
    X = pd.DataFrame(
        {
            "num": num_missing,
            "count": count.astype(np.int64),
            "color": pd.Series(color_obj, dtype="str"),  # pandas-3 str dtype
            "shape": pd.Series(shape_obj, dtype="category"),
            "flag": flag,
            "obj": pd.Series(np.where(flag, "a", "b"), dtype=object),
        }
    )
    return X, y


@pytest.fixture(scope="module")
def mixed_fitted():
    X, y = make_mixed()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    model = MLPTeacher(hidden_layer_sizes=(64, 32), random_state=0).fit(X_tr, y_tr)
    return model, X_tr, X_te, y_tr, y_te


# --------------------------------------------------------------------------- #
# Accuracy
# --------------------------------------------------------------------------- #
def test_breast_cancer_accuracy_and_early_stopping(breast_cancer):
    X_tr, X_te, y_tr, y_te = breast_cancer
    model = MLPTeacher(random_state=0).fit(X_tr, y_tr)
    assert model.score(X_te, y_te) >= 0.93
    # Early stopping kicks in well before max_epochs and keeps the best epoch.
    assert model.n_iter_ < model.max_epochs
    assert 1 <= model.best_epoch_ <= model.n_iter_
    assert len(model.loss_curve_) == model.n_iter_
    assert len(model.validation_loss_curve_) == model.n_iter_
    best = int(np.argmin(model.validation_loss_curve_)) + 1
    assert model.best_epoch_ == best
    assert model.n_features_in_ == 30
    assert not hasattr(model, "feature_names_in_")


def test_multiclass_wine_accuracy():
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    model = MLPTeacher(random_state=0).fit(X_tr, y_tr)
    assert model.score(X_te, y_te) >= 0.9
    proba = model.predict_proba(X_te)
    assert proba.shape == (len(X_te), 3)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_nan_in_numpy_input():
    X, y = load_wine(return_X_y=True)
    X = X.copy()
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.1] = np.nan
    model = MLPTeacher(**FAST).fit(X, y)
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    assert model.score(X, y) > 0.8


# --------------------------------------------------------------------------- #
# Mixed-type DataFrames
# --------------------------------------------------------------------------- #
def test_mixed_dataframe_fit_predict(mixed_fitted):
    model, X_tr, X_te, y_tr, y_te = mixed_fitted
    assert list(model.feature_names_in_) == list(X_tr.columns)
    assert model.feature_names_in_.dtype == object
    assert model.n_features_in_ == X_tr.shape[1]
    assert set(model.classes_) == {"no", "yes"}
    assert model.score(X_te, y_te) >= 0.85
    pred = model.predict(X_te)
    assert set(pred) <= {"no", "yes"}


def test_mixed_dataframe_unseen_category_and_missing(mixed_fitted):
    model, X_tr, X_te, *_ = mixed_fitted
    X_new = X_te.head(5).copy()
    X_new["color"] = pd.Series(
        ["purple", None, "red", "ultraviolet", "green"], index=X_new.index, dtype="str"
    )
    X_new["obj"] = pd.Series(["zzz", None, "a", "b", 3], index=X_new.index)
    X_new.loc[X_new.index[0], "num"] = np.nan
    proba = model.predict_proba(X_new)
    assert proba.shape == (5, 2)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_mixed_dataframe_column_order_and_missing_column(mixed_fitted):
    model, _, X_te, *_ = mixed_fitted
    expected = model.predict_proba(X_te)
    shuffled = X_te[list(reversed(X_te.columns))]
    np.testing.assert_array_equal(model.predict_proba(shuffled), expected)
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(X_te))

    with pytest.raises(ValueError, match="color"):
        model.predict(X_te.drop(columns=["color"]))
    with pytest.raises(ValueError, match="extra"):
        model.predict(X_te.assign(extra=1.0))


def test_numpy_input_for_dataframe_model_warns_and_matches(mixed_fitted):
    model, _, X_te, *_ = mixed_fitted
    with pytest.warns(UserWarning, match="feature names"):
        proba = model.predict_proba(X_te.to_numpy(dtype=object))
    np.testing.assert_allclose(proba, model.predict_proba(X_te))


def test_all_numeric_dataframe_matches_numpy():
    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    a = MLPTeacher(**FAST).fit(frame, y).predict_proba(frame)
    b = MLPTeacher(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_infinite_values_rejected_with_column_name():
    X, y = make_mixed(100)
    X_bad = X.copy()
    X_bad.loc[3, "num"] = np.inf
    with pytest.raises(ValueError, match="infinity.*'num'"):
        MLPTeacher(**FAST).fit(X_bad, y)
    model = MLPTeacher(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="'num'"):
        model.predict(X_bad)
    X_np, y_np = load_wine(return_X_y=True)
    X_np = X_np.copy()
    X_np[0, 4] = -np.inf
    with pytest.raises(ValueError, match="infinity in column 4"):
        MLPTeacher(**FAST).fit(X_np, y_np)


def test_wrong_number_of_columns_numpy():
    X, y = load_wine(return_X_y=True)
    model = MLPTeacher(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="13 features"):
        model.predict(X[:, :5])


# --------------------------------------------------------------------------- #
# Labels and decision function
# --------------------------------------------------------------------------- #
def test_string_labels_and_binary_decision_function(breast_cancer):
    X_tr, X_te, y_tr, _ = breast_cancer
    names = np.array(["malignant", "benign"])
    model = MLPTeacher(**FAST).fit(X_tr, names[y_tr])
    np.testing.assert_array_equal(model.classes_, ["benign", "malignant"])
    pred = model.predict(X_te)
    assert pred.shape == (len(X_te),)
    assert set(pred) <= set(names)

    logits = model.predict_logits(X_te)
    decision = model.decision_function(X_te)
    proba = model.predict_proba(X_te)
    assert logits.shape == (len(X_te), 2)
    assert decision.shape == (len(X_te),)
    assert decision.dtype == np.float64
    np.testing.assert_allclose(decision, logits[:, 1] - logits[:, 0])
    np.testing.assert_allclose(softmax(logits, axis=1), proba, rtol=1e-12)
    np.testing.assert_array_equal(model.classes_[(decision > 0).astype(int)], pred)
    np.testing.assert_allclose(np.log(proba), model.predict_log_proba(X_te))


def test_multiclass_decision_function_consistency():
    X, y = load_wine(return_X_y=True)
    model = MLPTeacher(**FAST).fit(X, y)
    logits = model.predict_logits(X)
    decision = model.decision_function(X)
    assert decision.shape == (len(X), 3)
    np.testing.assert_array_equal(decision, logits)
    np.testing.assert_allclose(softmax(logits, axis=1), model.predict_proba(X))
    np.testing.assert_array_equal(
        model.classes_[np.argmax(decision, axis=1)], model.predict(X)
    )


def test_single_class_rejected():
    X, _ = load_wine(return_X_y=True)
    with pytest.raises(ValueError, match="1 class"):
        MLPTeacher(**FAST).fit(X, np.zeros(len(X)))


def test_sample_weight_ones_equals_none_and_weights_matter():
    X, y = load_wine(return_X_y=True)
    a = MLPTeacher(**FAST).fit(X, y).predict_proba(X)
    b = MLPTeacher(**FAST).fit(X, y, sample_weight=np.ones(len(y))).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    # Up-weighting one class raises its predicted probability on average.
    w = np.where(y == 2, 20.0, 1.0)
    c = MLPTeacher(**FAST).fit(X, y, sample_weight=w).predict_proba(X)
    assert c[:, 2].mean() > a[:, 2].mean()


def test_tiny_dataset_trains_without_validation():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [11.0], [12.0], [13.0]])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    model = MLPTeacher(max_epochs=60, learning_rate=1e-2, random_state=0).fit(X, y)
    assert model.n_iter_ == 60
    assert model.validation_loss_curve_ is None
    np.testing.assert_array_equal(model.predict(X), y)


@pytest.mark.parametrize(
    "params",
    [
        {"batch_size": 1, "max_epochs": 2},  # size-1 batches
        {"batch_size": 50, "max_epochs": 5},  # trailing batch of size 1 (151 rows)
        {"hidden_layer_sizes": (2,), "max_epochs": 5},  # too narrow for LayerNorm
        {"hidden_layer_sizes": (), "max_epochs": 5},  # logistic regression
        {"validation_fraction": 0.0, "max_epochs": 5},
        {"dropout": 0.0, "max_epochs": 5},
    ],
)
def test_unusual_configurations_fit(params):
    X, y = load_wine(return_X_y=True)
    model = MLPTeacher(random_state=0, **params).fit(X, y)
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_missing_labels_rejected():
    X, _ = load_wine(return_X_y=True)
    y = np.array(["a", "b"] * 89, dtype=object)
    y[3] = None
    with pytest.raises(ValueError, match="missing"):
        MLPTeacher(**FAST).fit(X, y)


# --------------------------------------------------------------------------- #
# Reproducibility
# --------------------------------------------------------------------------- #
def test_reproducible_and_does_not_touch_global_rng(breast_cancer):
    X_tr, X_te, y_tr, _ = breast_cancer
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    p1 = MLPTeacher(**FAST).fit(X_tr, y_tr).predict_proba(X_te)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    p2 = MLPTeacher(**FAST).fit(X_tr, y_tr).predict_proba(X_te)
    np.testing.assert_array_equal(p1, p2)
    p3 = MLPTeacher(**{**FAST, "random_state": 1}).fit(X_tr, y_tr).predict_proba(X_te)
    assert not np.array_equal(p1, p3)


def test_predictions_independent_of_batching(mixed_fitted):
    model, _, X_te, *_ = mixed_fitted
    full = model.predict_proba(X_te)
    parts = np.vstack(
        [model.predict_proba(X_te.iloc[i : i + 7]) for i in range(0, len(X_te), 7)]
    )
    # Inference runs in float64: batching only changes round-off.
    np.testing.assert_allclose(full, parts, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- #
# Numeric encoding
# --------------------------------------------------------------------------- #
def test_ple_edges_are_quantiles_and_encoding_is_piecewise_linear():
    x = np.arange(101, dtype=float)  # 0, 1, ..., 100
    state = fit_column(x, "numeric", "x", 4)
    assert state["edges"] == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert all(type(e) is float for e in state["edges"])
    values = np.array([-10.0, 0.0, 10.0, 25.0, 60.0, 100.0, 130.0])
    z = transform_column(values, state, "x")
    assert z.shape == (7, 5)  # standardised value + 4 bins
    np.testing.assert_allclose(z[:, 0], (values - 50.0) / x.std())
    np.testing.assert_allclose(
        z[:, 1:],
        [
            [0.0, 0.0, 0.0, 0.0],  # below the first edge: clipped at 0
            [0.0, 0.0, 0.0, 0.0],
            [0.4, 0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [1.0, 1.0, 0.4, 0.0],
            [1.0, 1.0, 1.0, 1.0],
            [1.0, 1.0, 1.0, 1.0],  # above the last edge: clipped at 1
        ],
    )


def test_ple_few_distinct_values_constant_and_missing_columns():
    # At most n_bins + 1 distinct values: the values themselves are the edges,
    # so each value gets an exact thermometer code.
    x = np.array([1.0, 2.0, 2.0, 4.0, 8.0, np.nan] * 5)
    state = fit_column(x, "numeric", "x", 8)
    assert state["edges"] == [1.0, 2.0, 4.0, 8.0]
    assert state["missing_indicator"]
    z = transform_column(np.array([1.0, 2.0, 4.0, 8.0, np.nan]), state, "x")
    assert z.shape == (5, 1 + 3 + 1)
    np.testing.assert_array_equal(
        z[:4, 1:4], [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]]
    )
    # Missing: encoded at the imputed median (2.0), flagged by the indicator.
    np.testing.assert_array_equal(z[4, 1:], [1.0, 0.0, 0.0, 1.0])
    # Two-valued, constant and all-missing columns get no encoding.
    for values in ([0.0, 1.0] * 10, [3.0] * 20, [np.nan] * 20):
        st = fit_column(np.array(values), "numeric", "c", 8)
        assert st["edges"] == []
        assert transform_column(np.array(values), st, "c").shape[1] == 1 + int(
            st["missing_indicator"]
        )
    # Heavy ties: duplicated quantiles are dropped, widths stay positive.
    tied = np.r_[np.zeros(900), np.arange(1.0, 101.0)]
    edges = fit_column(tied, "numeric", "t", 16)["edges"]
    assert edges[0] == 0.0 and edges[-1] == 100.0
    assert np.all(np.diff(edges) > 0)
    assert len(edges) < 17


def test_numeric_encoding_input_width(mixed_fitted):
    X, y = load_wine(return_X_y=True)
    std = MLPTeacher(numeric_encoding="standard", **FAST).fit(X, y)
    assert std.model_[0].in_features == X.shape[1]
    assert all(s["edges"] == [] for s in std._preprocessing)
    ple = MLPTeacher(n_bins=6, **FAST).fit(X, y)
    n_bins = [len(s["edges"]) - 1 for s in ple._preprocessing]
    assert all(1 <= b <= 6 for b in n_bins)
    assert ple.model_[0].in_features == X.shape[1] + sum(n_bins)
    # Mixed frame: numeric columns "num" (with NaN) and "count" (10 values).
    model = mixed_fitted[0]
    states = {s["name"]: s for s in model._preprocessing}
    assert states["count"]["edges"] == [float(v) for v in range(10)]
    assert len(states["num"]["edges"]) == model.n_bins + 1
    assert "edges" not in states["color"]


def test_ple_improves_threshold_rule_accuracy():
    # Accuracy against the noise-free rule of a cohort whose labels follow
    # axis-aligned thresholds (2% label noise).
    X, y = make_clinical_cohort(4000, label_noise=0.02, random_state=0)
    X_tr, X_te, y_tr, _ = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    truth = clinical_cohort_rule(X_te)
    acc = {}
    for encoding in ("standard", "ple"):
        model = MLPTeacher(numeric_encoding=encoding, random_state=0).fit(X_tr, y_tr)
        acc[encoding] = float(np.mean(model.predict(X_te) == truth))
    assert acc["ple"] >= 0.97
    assert acc["ple"] >= acc["standard"] + 0.02


# --------------------------------------------------------------------------- #
# Persistence
# --------------------------------------------------------------------------- #
def test_save_load_roundtrip_numeric(tmp_path, breast_cancer):
    X_tr, X_te, y_tr, _ = breast_cancer
    model = MLPTeacher(**FAST).fit(X_tr, y_tr)
    path = tmp_path / "teacher.pt"
    model.save(path)

    payload = torch.load(path, weights_only=True)
    assert isinstance(payload, dict)
    assert payload["format"] == "treedistill.MLPTeacher"

    loaded = MLPTeacher.load(path)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X_te), model.predict_proba(X_te))
    np.testing.assert_array_equal(loaded.predict(X_te), model.predict(X_te))
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.classes_.dtype.kind == "i"
    assert loaded.n_features_in_ == 30
    assert not hasattr(loaded, "feature_names_in_")
    assert loaded.n_iter_ == model.n_iter_


def test_save_load_roundtrip_mixed(tmp_path, mixed_fitted):
    model, _, X_te, *_ = mixed_fitted
    path = tmp_path / "mixed.pt"
    model.save(str(path))
    torch.load(path, weights_only=True)  # plain data only
    loaded = MLPTeacher.load(str(path))
    np.testing.assert_array_equal(loaded.predict_proba(X_te), model.predict_proba(X_te))
    np.testing.assert_array_equal(loaded.predict(X_te), model.predict(X_te))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert isinstance(loaded.classes_[0], str)
    np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    # A loaded model still reorders columns and accepts unseen categories.
    shuffled = X_te[list(reversed(X_te.columns))]
    np.testing.assert_array_equal(
        loaded.predict_proba(shuffled), model.predict_proba(X_te)
    )


def test_save_load_roundtrip_ple_edges(tmp_path):
    X, y = make_clinical_cohort(400, missing_rate=0.1, random_state=1)
    model = MLPTeacher(n_bins=12, **FAST).fit(X, y)
    path = tmp_path / "ple.pt"
    model.save(path)
    payload = torch.load(path, weights_only=True)
    assert payload["params"]["numeric_encoding"] == "ple"
    assert payload["params"]["n_bins"] == 12
    edges = {s["name"]: s.get("edges") for s in payload["preprocessing"]}
    assert isinstance(edges["glucose"], list) and len(edges["glucose"]) == 13
    assert all(type(e) is float for e in edges["glucose"])

    loaded = MLPTeacher.load(path)
    assert loaded.get_params() == model.get_params()
    assert loaded._preprocessing == model._preprocessing  # edges exactly equal
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    X_new = X.head(20).copy()
    X_new.loc[X_new.index[:5], "glucose"] = [10.0, 1e4, np.nan, 140.0, 140.05]
    np.testing.assert_array_equal(
        loaded.predict_proba(X_new), model.predict_proba(X_new)
    )


def test_load_version_1_file_as_standard_encoding(tmp_path):
    X, y = load_wine(return_X_y=True)
    model = MLPTeacher(numeric_encoding="standard", **FAST).fit(X, y)
    path = tmp_path / "v2.pt"
    model.save(path)
    payload = torch.load(path, weights_only=True)
    # A file written before the numeric_encoding / n_bins options existed.
    payload["version"] = 1
    del payload["params"]["numeric_encoding"], payload["params"]["n_bins"]
    for state in payload["preprocessing"]:
        del state["edges"]
    old = tmp_path / "v1.pt"
    torch.save(payload, old)
    loaded = MLPTeacher.load(old)
    assert loaded.numeric_encoding == "standard"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    payload["version"] = 99
    torch.save(payload, old)
    with pytest.raises(ValueError, match="version 99"):
        MLPTeacher.load(old)


def test_load_rejects_invalid_files(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a torch file at all")
    with pytest.raises(ValueError, match="garbage.pt"):
        MLPTeacher.load(garbage)

    other = tmp_path / "other.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, other)
    with pytest.raises(ValueError, match="other.pt"):
        MLPTeacher.load(other)


def test_save_unfitted_raises(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MLPTeacher().save(tmp_path / "x.pt")


def test_pickle_roundtrip(breast_cancer):
    X_tr, X_te, y_tr, _ = breast_cancer
    model = MLPTeacher(**FAST).fit(X_tr, y_tr)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(X_te), model.predict_proba(X_te))


# --------------------------------------------------------------------------- #
# Parameter validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hidden_layer_sizes", (0,)),
        ("hidden_layer_sizes", "64"),
        ("hidden_layer_sizes", (32.5,)),
        ("dropout", 1.5),
        ("dropout", -0.1),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("weight_decay", -1e-3),
        ("batch_size", 0),
        ("batch_size", 12.5),
        ("max_epochs", 0),
        ("patience", 0),
        ("patience", True),
        ("validation_fraction", 1.0),
        ("validation_fraction", -0.2),
        ("random_state", "seed"),
        ("numeric_encoding", "onehot"),
        ("numeric_encoding", None),
        ("n_bins", 1),
        ("n_bins", 4.5),
        ("n_bins", True),
    ],
)
def test_bad_parameters_raise(name, value):
    X, y = load_wine(return_X_y=True)
    model = MLPTeacher(**{name: value})  # no validation in __init__
    with pytest.raises(ValueError, match=name):
        model.fit(X, y)


def test_bad_parameter_message_is_one_line():
    X, y = load_wine(return_X_y=True)
    with pytest.raises(ValueError) as info:
        MLPTeacher(numeric_encoding="PLE").fit(X, y)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(
        "The 'numeric_encoding' parameter of MLPTeacher must be a str among {"
    )
    assert "'ple'" in message and "'standard'" in message
    assert message.endswith("Got 'PLE' instead.")


def test_tags():
    tags = MLPTeacher().__sklearn_tags__()
    assert tags.input_tags.allow_nan
    assert not tags.input_tags.sparse
    assert tags.estimator_type == "classifier"


# --------------------------------------------------------------------------- #
# scikit-learn API compliance
# --------------------------------------------------------------------------- #
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "stochastic mini-batch training with a validation split: repeating rows "
        "changes the batches and the split, so integer weights are equivalent to "
        "repetitions only in expectation, not exactly"
    ),
}


@parametrize_with_checks(
    [MLPTeacher(max_epochs=20, hidden_layer_sizes=(32,), random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_extreme_magnitudes_are_refused_naming_the_column():
    X = pd.DataFrame({"a": np.linspace(0, 1, 30), "b": np.linspace(0, 1, 30)})
    X.loc[4, "b"] = 1e308
    y = np.arange(30) % 2
    with pytest.raises(ValueError) as info:
        MLPTeacher(max_epochs=2, hidden_layer_sizes=(4,)).fit(X, y)
    assert str(info.value) == (
        "Column 'b' holds values as large as 1e+308: the network cannot learn from "
        "numbers of size 1e+100 or more; rescale the column (e.g. take its "
        "logarithm) or drop it."
    )
    X.loc[4, "b"] = 1e99  # large but learnable: standardised without overflow
    model = MLPTeacher(max_epochs=2, hidden_layer_sizes=(4,), random_state=0)
    assert np.isfinite(model.fit(X, y).predict_logits(X)).all()
