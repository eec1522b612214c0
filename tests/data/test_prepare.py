"""Tests for treedistill.data._prepare: from a table to X, y and a summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests._files import write
from tests.conftest import SHARED_DATASETS as DATASETS
from treedistill import prepare_data, read_table
from treedistill.exceptions import DataError, ParameterError


# --------------------------------------------------------------------------- #
# prepare_data
# --------------------------------------------------------------------------- #
def cohort_csv(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "bmi": np.round(rng.normal(28, 4, n), 1),
            "smoker": rng.choice(["never", "current"], n).astype(object),
            "Outcome": np.tile([0, 1], n // 2),
        }
    )


REFUSED_DATA = [
    (
        lambda df: df,
        {"target": "Outcom"},
        "target column 'Outcom' is not in data (did you mean 'Outcome'?)",
    ),
    (
        lambda df: df,
        {"target": "zzz"},
        "target column 'zzz' is not in data (its columns: 'age', 'bmi'",
    ),
    (
        lambda df: df.assign(Outcome=1),
        {},
        "target column 'Outcome' has only one class (1); at least 2 are needed",
    ),
    (
        lambda df: df.assign(Outcome=[2] + [0] * 19 + [1] * 20),
        {},
        "class 2 of target 'Outcome' has only 1 row; at least 2 are needed",
    ),
    (
        lambda df: df.assign(Outcome=["x"] + ["a"] * 20 + ["b"] * 19),
        {},
        "class 'x' of target 'Outcome' has only 1 row; at least 2 are needed",
    ),
    (
        lambda df: df,
        {"drop": ["age", "bmi", "smoker"]},
        "no feature column left in data",
    ),
    (
        lambda df: df.assign(bmi=[np.inf] + [20.0] * 39),
        {},
        "column 'bmi' has infinite values (first at row 1)",
    ),
    (
        lambda df: df.assign(bp=[str(v) for v in range(16)] + ["high"] + ["90"] * 23),
        {},
        "column 'bp' is numeric but row 17 holds 'high'",
    ),
    (
        lambda df: df.assign(Outcome=np.linspace(0, 1, 40)),
        {},
        "target column 'Outcome' holds non-integer numbers",
    ),
    (
        lambda df: df.assign(Outcome=np.nan),
        {},
        "target column 'Outcome' in data has no values",
    ),
    (
        lambda df: df.assign(when=pd.date_range("2020-01-01", periods=40)),
        {},
        "column 'when' holds dates or times",
    ),
]


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (["agee"], "drop column 'agee' is not in data (did you mean 'age'"),
        (["Outcome"], "drop names the target column 'Outcome'"),
    ],
)
def test_prepare_data_refuses_a_bad_drop(drop, message):
    with pytest.raises(ParameterError) as info:
        prepare_data(cohort_csv(), "Outcome", drop=drop)
    assert message in str(info.value)
    assert info.value.parameter == "drop"


@pytest.mark.parametrize(("edit", "kwargs", "message"), REFUSED_DATA)
def test_prepare_data_refuses(edit, kwargs, message):
    df = edit(cohort_csv())
    kwargs = {"target": "Outcome", **kwargs}
    with pytest.raises(DataError) as info:
        prepare_data(df, **kwargs)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_prepare_data_names_the_source():
    with pytest.raises(DataError, match="is not in 'train.csv'"):
        prepare_data(cohort_csv(), "y", source="train.csv")


def test_prepare_data_mostly_numeric_threshold():
    df = cohort_csv()
    # 36 of 40 numbers (90%): refused; 35 of 40 (87.5%): a text column, kept
    refused = df.assign(bp=["90"] * 36 + ["high", "low", "high", "n/d"])
    with pytest.raises(DataError, match=r"row 37 holds 'high' \(4 of 40 values"):
        prepare_data(refused, "Outcome")
    kept = df.assign(bp=["90"] * 35 + ["high", "low", "high", "n/d", "x"])
    X, _, summary = prepare_data(kept, "Outcome")
    assert X["bp"].dtype == object
    assert summary["columns"]["bp"]["kind"] == "categorical"


def test_prepare_data_accepts_and_summarises(tmp_path):
    n = 60
    rng = np.random.default_rng(1)
    lines = ["id,age,sbp,ward,const,empty,code,y"]
    for i in range(n):
        y = "" if i in (3, 7) else ("yes" if i % 2 else "no")
        sbp = "?" if i % 10 == 0 else str(int(rng.integers(90, 180)))
        lines.append(f"{i},{40 + i % 30},{sbp},w{i % 3},7,,c{i},{y}")
    path = write(tmp_path, "cohort.csv", "\n".join(lines) + "\n")
    X, y, s = prepare_data(
        read_table(path), "y", source="cohort.csv", drop_identifiers=False
    )
    json.dumps(s, allow_nan=False)  # serialisable, strict JSON
    assert s["rows_in"] == 60 and s["rows_used"] == 58 and s["rows_dropped"] == 2
    assert s["rows_dropped_reasons"] == {"missing target": 2}
    assert s["classes"] == [{"label": "no", "count": 30}, {"label": "yes", "count": 28}]
    assert list(X.columns) == ["id", "age", "sbp", "ward", "const", "code"]
    assert len(X) == len(y) == 58
    assert X.index.equals(pd.RangeIndex(58))
    assert y.dtype == object and set(y) == {"yes", "no"}
    cols = s["columns"]
    assert cols["empty"]["action"] == "dropped: all values missing"
    assert cols["id"]["action"] == "kept: looks like an identifier"
    assert cols["const"]["action"] == "kept: constant"
    assert cols["sbp"] == {
        "kind": "numeric",
        "n_missing": 6,
        "missing_share": round(6 / 58, 6),
        "action": "kept (missing values routed by the tree)",
    }
    assert cols["ward"]["kind"] == "categorical" and cols["ward"]["n_levels"] == 3
    assert cols["ward"]["action"] == "kept"
    assert cols["code"]["action"] == "kept: looks like an identifier"
    assert cols["y"]["action"] == "target"
    assert s["dropped_columns"] == {"empty": "all values missing"}
    assert s["cleaning"]["missing_tokens"] == {"?": 6}
    w = "\n".join(s["warnings"])
    assert "2 of 60 rows dropped: target 'y' is missing" in w
    assert "column 'empty' dropped: all values are missing" in w
    assert "column 'const' has a single value (7)" in w
    assert "column 'id' looks like a row identifier" in w and "drop it" in w
    assert (
        "1 feature column(s) have missing values (kept; the tree routes them): sbp" in w
    )
    assert all("\n" not in line for line in s["warnings"])


def test_prepare_data_drop_and_high_cardinality():
    df = cohort_csv(120)
    df["postcode"] = [f"P{i % 60}" for i in range(120)]
    df["record"] = np.arange(120)
    X, y, s = prepare_data(df, "Outcome", drop=["record"])
    assert "record" not in X.columns
    assert s["columns"]["record"]["action"] == "dropped: named in drop"
    assert s["columns"]["postcode"]["action"] == "kept: high cardinality (60 levels)"
    assert any("'postcode' is text with 60 distinct values" in w for w in s["warnings"])
    assert y.dtype == np.int64 and sorted(set(y.tolist())) == [0, 1]


def test_prepare_data_keeps_int_labels_after_dropping_missing_targets(tmp_path):
    path = write(tmp_path, "d.csv", "x,y\n1,0\n2,1\n3,\n4,0\n5,1\n")
    X, y, s = prepare_data(read_table(path), "y")
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 0, 1]
    assert X["x"].tolist() == [1, 2, 4, 5]
    assert s["classes"] == [{"label": 0, "count": 2}, {"label": 1, "count": 2}]


def test_prepare_data_cleans_a_raw_frame():
    df = pd.DataFrame(
        {
            "bp": [" 80", "?", "90", "85"],
            "flag": [True, False, True, False],
            "y": ["a\t", "a", "b", " b"],
        }
    )
    X, y, s = prepare_data(df, "y")
    assert X["bp"].dtype == np.float64 and np.isnan(X["bp"][1])
    assert X["flag"].dtype == object and X["flag"].tolist()[0] == "True"
    assert y.tolist() == ["a", "a", "b", "b"]
    assert s["cleaning"]["text_to_numeric"] == ["bp"]


def test_chronic_kidney_disease_loads_with_the_right_kinds():
    path = DATASETS / "chronic_kidney_disease.csv"
    if not path.exists():
        pytest.skip(f"shared data sets not found at {DATASETS} (fresh clone)")
    df = read_table(path)
    for name in ("pcv", "wc", "rc"):
        assert df[name].dtype == np.float64, name
    for name in ("rbc", "pc", "htn", "dm", "cad", "appet", "classification"):
        assert df[name].dtype == object, name
    assert sorted(df["dm"].dropna().unique()) == ["no", "yes"]
    assert sorted(df["cad"].dropna().unique()) == ["no", "yes"]
    X, y, s = prepare_data(df, "classification", source=path.name)
    assert sorted(set(y)) == ["ckd", "notckd"]
    assert s["classes"] == [
        {"label": "ckd", "count": 250},
        {"label": "notckd", "count": 150},
    ]
    assert s["rows_used"] == 400 and X.shape == (400, 24)  # id left out
    assert s["cleaning"]["missing_tokens"] == {"?": 3}
    assert sorted(s["cleaning"]["text_to_numeric"]) == ["pcv", "rc", "wc"]
    assert s["columns"]["pcv"]["kind"] == "numeric"
    assert s["columns"]["pcv"]["n_missing"] == 71
    assert s["columns"]["rc"]["n_missing"] == 131
    assert s["columns"]["id"]["action"] == "dropped: looks like an identifier"
    X2, _, s2 = prepare_data(df, "classification", drop=["id"])
    assert "id" not in X2.columns and s2["n_features"] == 24


# --------------------------------------------------------------------------- #
# Types understood before training
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("values", "example"),
    [
        (lambda n: [f"2021-03-{1 + i % 28:02d}" for i in range(n)], "2021-03-01"),
        (lambda n: [f"{1 + i % 28:02d}/03/2021" for i in range(n)], "01/03/2021"),
        (lambda n: [f"2021-03-04T10:{i % 60:02d}:00" for i in range(n)], "2021-03"),
    ],
)
def test_prepare_data_refuses_date_text_columns(values, example):
    df = cohort_csv().assign(visit=values(40))
    with pytest.raises(DataError) as info:
        prepare_data(df, "Outcome")
    message = str(info.value)
    assert message.startswith(f"column 'visit' holds dates (e.g. '{example}")
    assert "drop it, or derive a number from it" in message
    assert info.value.column == "visit"


def test_prepare_data_keeps_text_that_only_looks_a_little_like_dates():
    codes = ["2021-03-04"] * 3 + ["A1", "B2"] * 18 + ["C"]
    X, _, _ = prepare_data(cohort_csv().assign(code=codes), "Outcome")
    assert X["code"].dtype == object


def test_prepare_data_refuses_many_classes_unless_asked():
    n = 400
    df = pd.DataFrame(
        {"x": np.arange(n) % 7, "z": np.arange(n) % 3, "y": np.arange(n) % 100}
    )
    with pytest.raises(ParameterError) as info:
        prepare_data(df, "y")
    assert str(info.value) == (
        "target column 'y' has 100 classes for 400 rows (4.0 per class): it looks "
        "like a number to predict, not class labels; set many_classes to distil "
        "100 classes anyway"
    )
    assert info.value.parameter == "many_classes"
    _, y, summary = prepare_data(df, "y", many_classes=True)
    assert len(summary["classes"]) == 100 and len(np.unique(y)) == 100
    # 3 classes with 5 rows each are enough
    small = pd.DataFrame({"x": np.arange(15), "y": np.arange(15) % 3})
    assert prepare_data(small, "y")[2]["rows_used"] == 15


def test_prepare_data_refuses_very_many_text_levels():
    df = cohort_csv(400).assign(Outcome=np.arange(400) % 2)
    df["code"] = [f"c{i}" for i in range(400)]
    with pytest.raises(DataError) as info:  # kept as a feature: refused
        prepare_data(df, "Outcome", drop_identifiers=False)
    assert str(info.value) == (
        "column 'code' is text with 400 distinct values (more than 200): each would "
        "become its own 0/1 feature; drop it, or group its values into fewer "
        "categories"
    )
    X, _, _ = prepare_data(df, "Outcome", drop=["code"])
    assert "code" not in X.columns


@pytest.mark.parametrize("big", [1e308, -1e150, 1e100])
def test_prepare_data_refuses_extreme_magnitudes(big):
    df = cohort_csv()
    df.loc[2, "bmi"] = big
    with pytest.raises(DataError) as info:
        prepare_data(df, "Outcome")
    assert str(info.value).startswith(
        f"column 'bmi' has values too large to learn from (row 3 holds {big!r}; "
        "at most 1e+100 in size)"
    )
    assert info.value.column == "bmi"
    df.loc[2, "bmi"] = 1e99
    assert prepare_data(df, "Outcome")[0]["bmi"].max() == 1e99


def test_prepare_data_names_a_float_target_value_plainly():
    df = cohort_csv().assign(Outcome=np.linspace(0.5, 51.257, 40))
    with pytest.raises(DataError) as info:
        prepare_data(df, "Outcome")
    assert "(e.g. 0.5)" in str(info.value) and "np.float64" not in str(info.value)


def test_prepare_data_strips_the_target_and_drop_names():
    df = cohort_csv().rename(columns={"Outcome": "Dataset"})
    X, y, summary = prepare_data(df, "Dataset ", drop=[" age"])
    assert summary["target"] == "Dataset" and "age" not in X.columns
    assert len(y) == 40


def test_prepare_data_warns_about_decimal_commas(tmp_path):
    rows = "".join(f'"{i},5",{i % 2}\n' for i in range(12))
    frame = read_table(write(tmp_path, "d.csv", "dose,y\n" + rows))
    X, _, summary = prepare_data(frame, "y")
    assert X["dose"].tolist()[:2] == [0.5, 1.5]
    assert (
        "column 'dose': numbers written with a decimal comma read as numbers"
        in summary["warnings"]
    )


def test_prepare_data_issues_warnings_of_their_class_on_request():
    from treedistill.exceptions import (
        DataWarning,
        IdentifierColumnWarning,
        IgnoredColumnWarning,
    )

    df = cohort_csv().assign(patient_id=np.arange(40), empty=np.nan)
    _, _, quiet = prepare_data(df, "Outcome")
    with pytest.warns(DataWarning) as record:
        _, _, summary = prepare_data(df, "Outcome", warn=True)
    assert [str(w.message) for w in record] == summary["warnings"] == quiet["warnings"]
    kinds = {type(w.message) for w in record}
    assert {IdentifierColumnWarning, IgnoredColumnWarning} <= kinds


# --------------------------------------------------------------------------- #
# Numbers with thousands separators, categories differing by case or spaces
# --------------------------------------------------------------------------- #
def _thirty(cells_of) -> pd.DataFrame:
    frame = cohort_csv(60)
    frame["income"] = [cells_of(i) for i in range(60)]
    return frame


def test_thousands_separators_read_as_numbers_with_a_warning(tmp_path):
    frame = _thirty(lambda i: f"{1 + i % 30},{100 + i % 30 * 7}.5")
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)  # "1,100.5" is quoted in the file
    X, _, summary = prepare_data(read_table(path), "Outcome")
    assert X["income"].dtype == np.float64
    assert X["income"].iloc[0] == 1100.5
    assert summary["columns"]["income"]["kind"] == "numeric"
    assert any(
        "'income'" in w and "thousands separators" in w for w in summary["warnings"]
    )


def test_numbers_written_with_both_separator_styles_are_refused(tmp_path):
    frame = _thirty(lambda i: "1,234.5" if i % 2 else "1.234,5")
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'income' holds numbers written"):
        prepare_data(read_table(path), "Outcome")


def test_thousands_numbers_with_a_text_cell_are_refused_naming_the_row(tmp_path):
    frame = _thirty(lambda i: "unknown" if i == 41 else f"{1 + i},{i:03d}.5")
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="column 'income' is numeric but row 42"):
        prepare_data(read_table(path), "Outcome")


def test_categories_differing_by_case_are_warned_and_by_spaces_merged(tmp_path):
    frame = cohort_csv(40)
    frame["sex"] = ["male", "Male", "MALE", " male", "female"] * 8
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    X, _, summary = prepare_data(read_table(path), "Outcome")
    assert sorted(X["sex"].unique()) == ["MALE", "Male", "female", "male"]
    case = [w for w in summary["warnings"] if "letter case" in w]
    assert case == [
        "column 'sex' has categories that differ only by letter case ('MALE' / "
        "'Male' / 'male'); they are kept as separate levels: write each one way "
        "to merge them"
    ]
    assert any(
        "'sex'" in w and "surrounding spaces" in w and "' male'" in w
        for w in summary["warnings"]
    )


def test_a_nullable_boolean_column_with_missing_values_is_prepared():
    frame = cohort_csv(40)
    frame["flag"] = pd.array([True, False, None, True] * 10, dtype="boolean")
    X, _, summary = prepare_data(frame, "Outcome")
    assert X["flag"].tolist()[:2] == ["True", "False"]
    assert pd.isna(X["flag"].iloc[2])
    assert summary["columns"]["flag"]["n_missing"] == 10
