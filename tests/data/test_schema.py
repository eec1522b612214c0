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
