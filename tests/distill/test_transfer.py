"""The transfer set: augmented rows (MUNGE, jitter, box sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treedistill import (
    TabularSchema,
    augment,
)
from treedistill.datasets import (
    make_clinical_cohort,
)


# --------------------------------------------------------------- transfer set
def _mixed_frame(n=200, seed=0):
    X, _ = make_clinical_cohort(n, missing_rate=0.2, random_state=seed)
    X["flag"] = np.random.default_rng(seed).random(n) < 0.3
    X["grade"] = pd.Categorical(
        np.random.default_rng(seed).choice(["I", "II", "III"], n),
        categories=["I", "II", "III"],
        ordered=True,
    )
    return X


@pytest.mark.parametrize("method", ["munge", "jitter", "box"])
def test_augmented_rows_respect_types_bounds_and_categories(method):
    X = _mixed_frame()
    schema = TabularSchema.infer(X)
    out = augment(X, schema, method, 1000, np.random.default_rng(0))
    assert len(out) == 1000
    assert list(out.columns) == list(X.columns)
    for col in schema.columns:
        s = out[col.name]
        if col.is_categorical:
            assert set(s.dropna().unique()) <= set(col.levels), col.name
        else:
            v = s.to_numpy(dtype=float)
            v = v[~np.isnan(v)]
            assert v.min() >= col.low and v.max() <= col.high, col.name
            if col.kind == "integer":
                np.testing.assert_array_equal(v, np.round(v))
    # integer dtype preserved where the column had no missing values
    assert pd.api.types.is_integer_dtype(out["age"].dtype)
    assert isinstance(out["grade"].dtype, pd.CategoricalDtype)
    assert out["grade"].cat.categories.tolist() == ["I", "II", "III"]
    # missing values stay where the data has them (about the same rate)
    rate = out["creatinine"].isna().mean()
    assert abs(rate - X["creatinine"].isna().mean()) < 0.08
    assert out["age"].notna().all()


def test_munge_moves_values_toward_neighbours():
    X = pd.DataFrame({"a": np.linspace(0, 100, 137), "b": np.linspace(0, 1, 137)})
    schema = TabularSchema.infer(X)
    out = augment(X, schema, "munge", 500, np.random.default_rng(0))
    # not copies of the real rows, yet close to the data's manifold (b ≈ a / 100)
    assert len(np.setdiff1d(out["a"].to_numpy(), X["a"].to_numpy())) > 100
    assert np.abs(out["b"] - out["a"] / 100).max() < 0.1


def test_augment_none_and_unknown_method():
    X = _mixed_frame(50)
    schema = TabularSchema.infer(X)
    assert len(augment(X, schema, "none", 100, np.random.default_rng(0))) == 0
    with pytest.raises(ValueError, match="augmentation must be one of"):
        augment(X, schema, "smote", 10, np.random.default_rng(0))


def test_augmentation_is_reproducible():
    X = _mixed_frame(80)
    schema = TabularSchema.infer(X)
    a = augment(X, schema, "munge", 300, np.random.default_rng(7))
    b = augment(X, schema, "munge", 300, np.random.default_rng(7))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("method", ["munge", "jitter", "box"])
def test_nullable_boolean_column_with_missing_values_is_augmented(method):
    X, _ = make_clinical_cohort(120, missing_rate=0.0, random_state=0)
    X["flag"] = pd.array([True, False, None] * 40, dtype="boolean")
    schema = TabularSchema.infer(X)
    out = augment(X, schema, method, 300, np.random.default_rng(0))
    values = set(out["flag"].dropna().astype(bool).tolist())
    assert len(out) == 300 and values <= {True, False}
