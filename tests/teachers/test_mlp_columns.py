"""The MLP teacher's column encoding (teachers/_mlp_columns.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treedistill.teachers._mlp_columns import (
    _category_codes,
    _category_keys,
    fit_column,
    transform_column,
)

CATEGORIES = ["1", "1.0", "True", "a", "b"]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["a", "b", None, "zz", "1", "a"] * 5),
        pd.Series([1, 1.0, True, "a", np.nan, None, "1.0"], dtype=object),
        pd.Series(pd.array(["a", pd.NA, "b", "c"], dtype="string")),
        pd.Series(pd.Categorical(["a", "b", None, "a"])),
        pd.Series([], dtype=object),
        np.array(["b", "a", "q"], dtype=object),
    ],
)
def test_category_codes_equal_a_lookup_per_row(values):
    """The codes computed per distinct value are those of one lookup per row."""
    missing, keys = _category_keys(values)
    lookup = {c: i for i, c in enumerate(CATEGORIES)}
    expected = np.array([lookup.get(k, -1) for k in keys], dtype=np.int64)
    got_missing, got = _category_codes(values, CATEGORIES)
    np.testing.assert_array_equal(got_missing, missing)
    np.testing.assert_array_equal(got, expected)


def test_categorical_column_one_hot_with_missing_and_unseen_levels():
    state = fit_column(pd.Series(["x", "y", "x", None]), "categorical", "c", 8)
    assert state["categories"] == ["x", "y"]
    out = transform_column(pd.Series(["y", None, "new", "x"]), state, "c")
    np.testing.assert_array_equal(out, [[0, 1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]])
