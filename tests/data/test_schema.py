"""The feature schema: column kinds, the students' encoding, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treedistill import (
    TabularSchema,
)
from treedistill.exceptions import UnseenCategoryWarning


# --------------------------------------------------------------------- schema
def test_schema_encodes_in_original_units_with_one_hot_categories():
    X = pd.DataFrame(
        {
            "age": [30, 40, 50],
            "smoker": pd.Series(["yes", None, "no"], dtype=object),
            "bmi": [20.5, np.nan, 31.0],
        }
    )
    schema = TabularSchema.infer(X)
    assert [c.kind for c in schema.columns] == ["integer", "categorical", "float"]
    assert schema.feature_names_out == ["age", "smoker=no", "smoker=yes", "bmi"]
    enc = schema.encode(X)
    np.testing.assert_array_equal(enc[:, 0], [30, 40, 50])
    np.testing.assert_array_equal(enc[[0, 2], 1:3], [[0, 1], [1, 0]])
    assert np.isnan(enc[1, 1:3]).all() and np.isnan(enc[1, 3])
    with pytest.warns(UnseenCategoryWarning, match="'smoker' has 1 value"):
        schema.encode(X.assign(smoker=["maybe", "no", "yes"]))
    with pytest.raises(ValueError, match="column 'bmi' is missing"):
        schema.encode(X.drop(columns="bmi"))
    with pytest.raises(ValueError, match="column 'age' contains infinite"):
        schema.encode(X.assign(age=[1.0, np.inf, 2.0]))


# ------------------------------------------------ encoding by distinct values
def _encode_row_by_row(schema, X):
    """The encoding, one cell at a time: the reference the fast paths must match."""
    rows = []
    for _, row in X[schema.names].iterrows():
        cells = []
        for col in schema.columns:
            v = row[col.name]
            if not col.is_categorical:
                x = np.nan if pd.isna(v) else float(v)
                if col.is_boolean:  # 0/1: the true level 1, the other 0, else NaN
                    false = [lv for lv in col.levels if lv != col.true_level][0]
                    x = 1.0 if x == col.true_level else 0.0 if x == false else np.nan
                cells.append(x)
                continue
            hits = [0.0] * len(col.levels)
            if not pd.isna(v):
                for i, level in enumerate(col.levels):
                    text_number = isinstance(v, str) and not isinstance(
                        level, (str, bool)
                    )
                    try:
                        same = float(v.strip()) == level if text_number else v == level
                    except ValueError:
                        same = False
                    hits[i] = float(bool(same))
            if pd.isna(v) or (col.is_boolean and not any(hits)):
                hits = [np.nan] * len(col.levels)
            cells.extend(hits)
        rows.append(cells)
    return np.array(rows, dtype=np.float64)


def test_encoding_by_distinct_values_matches_row_by_row():
    rng = np.random.default_rng(0)
    n = 400
    train = pd.DataFrame(
        {
            "smoker": rng.choice(["never", "former", "current"], n).astype(object),
            "thal": rng.choice([3, 6, 7], n),
            "flag": rng.random(n) < 0.5,
            "grade": pd.Categorical(rng.choice(["a", "b"], n)),
            "diabetic": rng.choice(["no", "yes"], n).astype(object),
            "bmi": rng.normal(27, 4, n),
            "htn": rng.integers(0, 2, n).astype(float),
        }
    )
    schema = TabularSchema.infer(train, categorical_features=["thal"], booleans=True)
    new = train.copy()
    new["smoker"] = new["smoker"].astype(object)
    new.loc[:9, "smoker"] = ["vaper", None, np.nan, "vaper", "ex", "never"] + [
        pd.NA
    ] * 4
    new["thal"] = new["thal"].astype(object)
    new.loc[:4, "thal"] = ["7", " 6", 9, None, "x"]  # coded levels given as text
    new.loc[:2, "diabetic"] = ["x", None, "no"]  # two-valued: unseen is missing
    new.loc[:1, "bmi"] = np.nan
    new.loc[:2, "htn"] = [2.0, np.nan, 0.0]
    expected = _encode_row_by_row(schema, new)
    with pytest.warns(UnseenCategoryWarning) as record:
        got = schema.encode(new)
    np.testing.assert_array_equal(got, expected)
    assert [str(w.message) for w in record] == [
        "column 'smoker' has 3 value(s) not seen in training (e.g. ex, vaper); "
        "they match no category",
        "column 'thal' has 2 value(s) not seen in training (e.g. 9, x); they "
        "match no category",
        "column 'diabetic' has 1 value(s) not seen in training (e.g. x); they match "
        "no value: scored as missing",
        "column 'htn' holds 1 value(s) that are neither 0 nor 1 (e.g. 2.0); they "
        "are scored as missing",
    ]
    # laid out column by column: the same values
    with pytest.warns(UnseenCategoryWarning):
        by_column = schema.encode(new, order="F")
    assert by_column.flags.f_contiguous
    assert by_column.tobytes(order="C") == got.tobytes(order="C")


def test_encoding_takes_text_columns_as_cleaned_codes():
    from treedistill.data._cleaning import clean_input_frame

    train = pd.DataFrame({"s": ["a", "b", "a"], "n": [1.0, 2.0, 3.0]}).astype(
        {"s": object}
    )
    schema = TabularSchema.infer(train)
    new = pd.DataFrame({"s": [" b", "?", "c", "a"], "n": [1.0, 2.0, 3.0, 4.0]})
    new["s"] = new["s"].astype(object)
    codes: dict = {}
    cleaned = clean_input_frame(new, numeric={"n"}, codes=codes)
    with pytest.warns(UnseenCategoryWarning, match="'s' has 1 value.*e.g. c"):
        got = schema.encode(cleaned, codes=codes)
    with pytest.warns(UnseenCategoryWarning):
        plain = schema.encode(cleaned)
    np.testing.assert_array_equal(got, plain)
    np.testing.assert_array_equal(
        got[:, :2], [[0, 1], [np.nan, np.nan], [0, 0], [1, 0]]
    )
