"""Tests for treedistill.data._cleaning: frames given to the estimators, cleaned as files are."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from treedistill import DistilledTreeClassifier
from treedistill.data._cleaning import clean_input_frame
from treedistill.exceptions import DataError, DataWarning


def _bilirubin(n: int = 60) -> pd.DataFrame:
    values = [str(round(0.3 + 0.1 * i, 1)) for i in range(n)]
    for i in (3, 17, 40):
        values[i] = "?"
    values[8] = " NA "
    return pd.DataFrame(
        {
            "bilirubin": values,
            "sex": ["M ", "F"] * (n // 2),
            "age": np.arange(n) + 20,
        }
    )


def test_clean_input_frame_reads_numbers_and_missing_markers_like_read_table():
    frame = _bilirubin()
    with pytest.warns(DataWarning) as record:
        cleaned = clean_input_frame(frame, warn=True)
    assert cleaned["bilirubin"].dtype == np.float64
    assert cleaned["bilirubin"].isna().sum() == 4
    assert cleaned["sex"].tolist()[:2] == ["M", "F"]  # stripped, still text
    assert cleaned["age"] is frame["age"] or cleaned["age"].equals(frame["age"])
    assert [str(w.message) for w in record] == [
        "column 'bilirubin' is text whose values are numbers apart from '?' (3x), "
        "'NA' (1x): read as a numeric column with those cells missing"
    ]
    assert frame["bilirubin"][3] == "?"  # the caller's frame is unchanged


def test_clean_input_frame_names_the_tokens_of_a_mostly_numeric_column():
    frame = _bilirubin().assign(
        albumin=[str(3 + i % 5) for i in range(57)] + ["n.d.", "n.d.", "low"]
    )
    with pytest.warns(DataWarning) as record:
        cleaned = clean_input_frame(frame, warn=True)
    assert cleaned["albumin"].dtype == object
    assert (
        "column 'albumin' is text, but 57 of its 60 values are numbers; the values "
        "'n.d.' (2x), 'low' (1x) make it categorical: fix or blank them to use it as "
        "numbers"
    ) in [str(w.message) for w in record]


def test_clean_input_frame_keeps_text_columns_text_at_predict_time():
    new = pd.DataFrame({"grade": ["1", "2", "?"], "dose": ["1.5", "?", "2"]})
    cleaned = clean_input_frame(new, numeric={"dose"})
    assert cleaned["grade"].tolist()[:2] == ["1", "2"]
    assert cleaned["grade"].isna().tolist() == [False, False, True]
    assert cleaned["dose"].tolist()[0] == 1.5 and np.isnan(cleaned["dose"][1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clean_input_frame(new, numeric={"dose"})  # warns only when asked


def test_estimator_fit_treats_question_marks_as_missing():
    frame = _bilirubin(80)
    y = np.where(np.arange(80) % 3 == 0, "yes", "no")
    teacher = make_pipeline(
        make_column_transformer(
            (SimpleImputer(), ["bilirubin", "age"]),
            (OneHotEncoder(handle_unknown="ignore"), ["sex"]),
        ),
        LogisticRegression(),
    )
    model = DistilledTreeClassifier(
        teacher=teacher, augment_factor=1.0, max_leaf_nodes=4, random_state=0
    )
    with pytest.warns(DataWarning, match="column 'bilirubin' is text whose values"):
        model.fit(frame, y)
    assert model.schema_.column("bilirubin").kind == "float"
    assert model.schema_.feature_names_out == ["bilirubin", "sex=F", "sex=M", "age"]
    proba = model.predict_proba(frame.head(5))  # '?' again: missing, no warning
    assert proba.shape == (5, 2) and np.isfinite(proba).all()


def test_clean_input_frame_leaves_digit_text_without_markers_as_text():
    frame = pd.DataFrame({"code": ["1", "2", " 3"], "grade": ["1", "?", "2"]})
    cleaned = clean_input_frame(frame)
    assert cleaned["code"].tolist() == ["1", "2", "3"]  # typed as text: stays text
    assert cleaned["grade"].dtype == np.float64  # '?' marks it as numbers


# --------------------------------------------------------------------------- #
# How numbers may be written in a file (the README's table)
# --------------------------------------------------------------------------- #
def _one_column(tmp_path, cells, *, sep=",") -> pd.DataFrame:
    import csv

    from treedistill import read_table

    path = tmp_path / "cells.csv"
    frame = pd.DataFrame({"x": cells, "y": ["a", "b"] * (len(cells) // 2)})
    frame.to_csv(path, index=False, sep=sep, quoting=csv.QUOTE_ALL)
    return read_table(path)


@pytest.mark.parametrize(
    "cell, value",
    [("+5", 5), ("1e3", 1000.0), (" 12 ", 12), ("-0", 0), (".5", 0.5), ("5.", 5.0)],
)
def test_signed_exponent_padded_and_negative_zero_numbers_are_numbers(
    tmp_path, cell, value
):
    frame = _one_column(tmp_path, [cell, "3"])
    assert pd.api.types.is_numeric_dtype(frame["x"].dtype)
    assert frame["x"].iloc[0] == value


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "1e400"])
def test_infinities_and_numbers_beyond_float_range_read_as_infinite(tmp_path, cell):
    # read as numbers here; prepare_data refuses them naming the column and row
    frame = _one_column(tmp_path, [cell, "3"])
    assert np.isinf(frame["x"].iloc[0])


@pytest.mark.parametrize(
    "cells, values, sep",
    [
        (["1,234.5", "12,000", "7"], [1234.5, 12000.0, 7.0], ","),
        (["1,234,567", "2,000,000", "3"], [1234567, 2000000, 3], ","),
        (["1.234,5", "12.000", "7,25"], [1234.5, 12000.0, 7.25], ","),
        (["1.234,5", "12.000", "7,25"], [1234.5, 12000.0, 7.25], ";"),
        (["1.234.567", "2.000.000", "3"], [1234567, 2000000, 3], ";"),
    ],
)
def test_numbers_with_thousands_separators_are_read_as_numbers_and_noted(
    tmp_path, cells, values, sep
):
    from treedistill.data._cleaning import CLEANING_ATTR

    frame = _one_column(tmp_path, [*cells, cells[0]], sep=sep)
    assert frame["x"].tolist() == [*values, values[0]]
    notes = frame.attrs[CLEANING_ATTR]["thousands_separators"]
    assert set(notes) == {"x"} and notes["x"] in cells


def test_commas_that_may_mark_thousands_or_decimals_are_still_refused(tmp_path):
    from treedistill.exceptions import DataError

    with pytest.raises(DataError, match="column 'x' .* '1,234'"):
        _one_column(tmp_path, ["1,234", "5,678"])


# ------------------------------------------- cleaning by distinct values
def _clean_cell_by_cell(values):
    """What cleaning a text column means, one cell at a time: the reference."""
    from treedistill.data._cleaning import MISSING_TOKENS

    out, stripped, tokens, variants = [], 0, {}, {}
    for v in values:
        if pd.isna(v):
            out.append(np.nan)
            continue
        text = v if isinstance(v, str) else str(v)
        cell = text.strip()
        stripped += cell != text
        if cell in MISSING_TOKENS:
            if cell:
                tokens[cell] = tokens.get(cell, 0) + 1
            out.append(np.nan)
            continue
        variants.setdefault(cell, set()).add(text)
        out.append(cell)
    merged = {k: sorted(v) for k, v in sorted(variants.items()) if len(v) > 1}
    return out, stripped, dict(sorted(tokens.items())), merged


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_text_columns_are_cleaned_by_distinct_values_as_cell_by_cell(dtype):
    from treedistill.data._cleaning import _clean_text

    cells = ["a", " a", "a ", "b", "?", " ?", "NA", "", "  ", None, "b\t", "é"]
    if dtype is object:
        cells += [np.nan, 5, True, 1.0, "5", "True"]  # non-text cells: as text
    rng = np.random.default_rng(0)
    values = [cells[i] for i in rng.integers(0, len(cells), 300)]
    series = pd.Series(values, dtype=dtype)
    cleaned, info = _clean_text(
        series, "c", from_csv=False, decimal_comma=False, numbers=False
    )
    out, stripped, tokens, merged = _clean_cell_by_cell(series.astype(object))
    assert cleaned.dtype == object and cleaned.index.equals(series.index)
    assert [None if pd.isna(v) else v for v in cleaned] == [
        None if pd.isna(v) else v for v in out
    ]
    assert all(type(a) is type(b) for a, b in zip(cleaned, out, strict=True))
    assert info.get("whitespace_stripped", 0) == stripped
    assert info.get("missing_tokens", {}) == tokens
    assert list(info.get("missing_tokens", {})) == list(tokens)
    assert info.get("categories_merged", {}) == merged


def test_numbers_in_text_are_read_from_distinct_values_in_row_order():
    from treedistill.data._cleaning import _clean_text

    series = pd.Series(["7", " 8", "?", "7", None, "8 ", "9"], dtype=object)
    cleaned, info = _clean_text(series, "n", from_csv=False, decimal_comma=False)
    np.testing.assert_array_equal(cleaned, [7, 8, np.nan, 7, np.nan, 8, 9])
    assert cleaned.dtype == np.float64
    assert info["missing_tokens"] == {"?": 1} and info["whitespace_stripped"] == 2
    whole = pd.Series(["3", "1", "3"], dtype=object)
    cleaned, _ = _clean_text(whole, "w", from_csv=False, decimal_comma=False)
    assert cleaned.dtype == np.int64 and cleaned.tolist() == [3, 1, 3]
    # the example named is the first cell in row order that shows the problem
    commas = pd.Series(["12", "5,678", "1,234", "5,678"], dtype=object)
    with pytest.raises(DataError, match="such as '5,678' whose"):
        _clean_text(commas, "c", from_csv=True, decimal_comma="unambiguous")


def test_clean_input_frame_gives_text_columns_as_codes_and_leaves_the_input():
    frame = pd.DataFrame(
        {
            "s": pd.Series([" x", "y", "?", None, "x"], dtype=object),
            "n": [1, 2, 3, 4, 5],
        }
    )
    before = frame.copy()
    codes: dict = {}
    out = clean_input_frame(frame, numeric={"n"}, codes=codes)
    where, kept = codes["s"]
    assert list(kept) == ["x", "y"] and where.tolist() == [0, 1, -1, -1, 0]
    assert out["s"].tolist()[:2] == ["x", "y"] and out["s"].isna().tolist()[2:4] == [
        True,
        True,
    ]
    out.loc[0, "n"] = 99  # the caller's frame is never changed
    pd.testing.assert_frame_equal(frame, before)
