"""Tests for treedistill._io: tables, prepared data, teachers, atomic writes."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from treedistill._io import (
    DataError,
    atomic_write_bytes,
    atomic_write_text,
    load_teacher,
    prepare_data,
    read_table,
    save_teacher,
    sha256_file,
)

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def frame_from(tmp_path: Path, text: str, name: str = "d.csv") -> pd.DataFrame:
    return read_table(write(tmp_path, name, text))


# --------------------------------------------------------------------------- #
# read_table: refused files
# --------------------------------------------------------------------------- #
REFUSED_FILES = [
    ("x.xlsx", b"a,b\n1,2\n", "x.xlsx' is not CSV or Parquet (accepted: .csv"),
    ("empty.csv", b"", "is empty (0 bytes)"),
    ("blank.csv", b"\n  \n", "is empty (only whitespace)"),
    ("header.csv", b"a,b,c\n", "has a header but no data rows"),
    ("header2.csv", b"a,b,c\n\n\n", "has a header but no data rows"),
    (
        "latin1.csv",
        "name,city\nx,Montr\u00e9al\n".encode("latin-1"),
        "is not UTF-8 text (byte 0xe9 at position 17, line 2)",
    ),
    (
        "bom-latin1.csv",
        b"\xef\xbb\xbfa,b\n1,\xe9\n",
        "is not UTF-8 text (byte 0xe9 at position 9, line 2)",
    ),
    ("utf16.csv", "a,b\n1,2\n".encode("utf-16"), "is UTF-16 text, not UTF-8"),
    ("dup.csv", b"a,b,a\n1,2,3\n", "has two columns named 'a' (columns 1 and 3"),
    ("dupspace.csv", b"age, age\n1,2\n", "has two columns named 'age'"),
    ("blankname.csv", b"a,,b\n1,2,3\n", "has a column with no name (column 2"),
    ("trailing.csv", b"a,b,\n1,2,\n", "has a column with no name (column 3"),
    (
        "long.csv",
        b"a,b,c\n1,2,3\n4,5,6,7\n",
        "line 3 has 4 fields but the header has 3",
    ),
    ("short.csv", b"a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields but the header has 3"),
    ("bad.parquet", b"this is not parquet", "is not a readable Parquet file"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED_FILES)
def test_read_table_refuses(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        read_table(path)
    text = str(info.value)
    assert message in text
    assert name in text
    assert "\n" not in text


def test_read_table_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"data file '.*nope\.csv' does not exist"):
        read_table(tmp_path / "nope.csv")


def test_data_error_is_value_error_on_one_line():
    err = DataError("first\nsecond")
    assert isinstance(err, ValueError)
    assert str(err) == "first second"


# --------------------------------------------------------------------------- #
# read_table: accepted files and cleaning
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("comma.csv", "age,sex,y\n50,f,1\n60,m,0\n"),
        ("semi.csv", "age;sex;y\n50;f;1\n60;m;0\n"),
        ("tab.tsv", "age\tsex\ty\n50\tf\t1\n60\tm\t0\n"),
        ("tab.txt", "age\tsex\ty\n50\tf\t1\n60\tm\t0\n"),
        ("bom.csv", "\ufeffage,sex,y\r\n50,f,1\r\n60,m,0\r\n"),
        ("quoted.csv", 'age,sex,y\n50,"f",1\n"60","m",0\n'),
    ],
)
def test_read_table_separators_and_encodings(tmp_path, name, text):
    df = frame_from(tmp_path, text, name)
    assert list(df.columns) == ["age", "sex", "y"]
    assert df["age"].tolist() == [50, 60]
    assert df["age"].dtype == np.int64
    assert df["sex"].dtype == object
    assert df["sex"].tolist() == ["f", "m"]


def test_read_table_quoted_separator_inside_field(tmp_path):
    df = frame_from(tmp_path, 'note,y\n"a, b",1\n"c",0\n')
    assert df["note"].tolist() == ["a, b", "c"]


def test_read_table_cleans_whitespace_tokens_and_numbers(tmp_path):
    text = (
        " id ,bp,label,grade\n"
        "1,\t80,ckd\t,a\n"
        "2,?,ckd, a\n"
        "3,NA,notckd,b \n"
        "4, 90 ,\tnotckd,N/A\n"
        "5,,ckd,None\n"
    )
    df = frame_from(tmp_path, text)
    assert list(df.columns) == ["id", "bp", "label", "grade"]
    assert df["bp"].dtype == np.float64
    np.testing.assert_array_equal(df["bp"].to_numpy(), [80, np.nan, np.nan, 90, np.nan])
    assert df["label"].tolist() == ["ckd", "ckd", "notckd", "notckd", "ckd"]
    assert df["grade"].dtype == object
    assert df["grade"].tolist()[:3] == ["a", "a", "b"]
    assert df["grade"].isna().tolist() == [False, False, False, True, True]
    notes = df.attrs["treedistill.cleaning"]
    assert notes["column_names_stripped"] == ["id"]
    assert notes["missing_tokens"] == {"?": 1, "NA": 1, "N/A": 1, "None": 1}
    assert notes["text_to_numeric"] == ["bp"]
    assert notes["categories_merged"]["label"] == {
        "ckd": ["ckd", "ckd\t"],
        "notckd": ["\tnotckd", "notckd"],
    }
    # "b " is only stripped: one spelling, nothing merged
    assert notes["categories_merged"]["grade"] == {"a": [" a", "a"]}
    assert notes["whitespace_stripped"] == 6
    json.dumps(notes)


def test_read_table_keeps_lowercase_none_as_a_category(tmp_path):
    df = frame_from(tmp_path, "symptoms,y\nnone,0\ncough,1\nnone,0\n")
    assert df["symptoms"].tolist() == ["none", "cough", "none"]


def test_read_table_decimal_comma_in_semicolon_file(tmp_path):
    df = frame_from(tmp_path, "bmi;sex\n27,5;f\n31;m\n")
    assert df["bmi"].dtype == np.float64
    assert df["bmi"].tolist() == [27.5, 31.0]
    assert df.attrs["treedistill.cleaning"]["decimal_comma"] == ["bmi"]


def test_read_table_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    src = pd.DataFrame(
        {
            "age": pd.array([50, None, 70], dtype="Int64"),
            "flag": [True, False, True],
            "ward": pd.Categorical(["a", "b", None]),
            "note": [" x", "y\t", "?"],
            "y": [0, 1, 1],
        }
    )
    path = tmp_path / "d.parquet"
    src.to_parquet(path)
    df = read_table(path)
    assert df["age"].dtype == np.float64
    assert np.isnan(df["age"][1])
    assert df["flag"].tolist() == ["True", "False", "True"]
    assert df["ward"].tolist()[:2] == ["a", "b"] and pd.isna(df["ward"][2])
    assert df["note"].tolist()[:2] == ["x", "y"] and pd.isna(df["note"][2])
    assert df["y"].dtype == np.int64


def test_read_table_parquet_without_rows(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "e.parquet"
    pd.DataFrame({"a": pd.Series([], dtype=float)}).to_parquet(path)
    with pytest.raises(DataError, match="has columns but no data rows"):
        read_table(path)


def test_read_table_never_modifies_the_file(tmp_path):
    text = " a ,b\n\t1,ckd\t\n?,x\n"
    path = write(tmp_path, "d.csv", text)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_table(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


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
    (lambda df: df, {"drop": ["agee"]}, "--drop column 'agee' is not in data"),
    (lambda df: df, {"drop": ["Outcome"]}, "--drop names the target column 'Outcome'"),
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
    X, y, s = prepare_data(read_table(path), "y", source="cohort.csv")
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
    assert "column 'id' looks like a row identifier" in w and "--drop id" in w
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
    assert s["columns"]["record"]["action"] == "dropped: by --drop"
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
    assert s["rows_used"] == 400 and X.shape == (400, 25)
    assert s["cleaning"]["missing_tokens"] == {"?": 3}
    assert sorted(s["cleaning"]["text_to_numeric"]) == ["pcv", "rc", "wc"]
    assert s["columns"]["pcv"]["kind"] == "numeric"
    assert s["columns"]["pcv"]["n_missing"] == 71
    assert s["columns"]["rc"]["n_missing"] == 131
    assert s["columns"]["id"]["action"] == "kept: looks like an identifier"
    X2, _, s2 = prepare_data(df, "classification", drop=["id"])
    assert "id" not in X2.columns and s2["n_features"] == 24


# --------------------------------------------------------------------------- #
# Atomic writes and hashes
# --------------------------------------------------------------------------- #
def test_atomic_write_text_and_bytes(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    assert atomic_write_text(target, "héllo\n") == target
    assert target.read_bytes() == "héllo\n".encode()
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_atomic_write_failure_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_failure_while_writing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_into_a_folder_is_refused(tmp_path):
    with pytest.raises(DataError, match="it is a folder"):
        atomic_write_text(tmp_path, "x")


def test_sha256_file(tmp_path):
    path = write(tmp_path, "a.bin", b"abc" * 1000)
    assert sha256_file(path) == hashlib.sha256(b"abc" * 1000).hexdigest()
    with pytest.raises(DataError, match="does not exist"):
        sha256_file(tmp_path / "none")


# --------------------------------------------------------------------------- #
# Teachers
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def mixed_data():
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(200, missing_rate=0.1, random_state=0)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def mlp_pair(mixed_data):
    from treedistill._mlp import MLPTeacher

    X, y = mixed_data
    return [
        MLPTeacher(hidden_layer_sizes=(8,), max_epochs=3, random_state=s).fit(X, y)
        for s in (0, 1)
    ]


def test_mlp_teacher_round_trip(tmp_path, mixed_data, mlp_pair):
    X, _ = mixed_data
    for suffix in (".pt", ".td-teacher"):
        path = save_teacher(mlp_pair[0], tmp_path / f"t{suffix}")
        loaded = load_teacher([path])
        np.testing.assert_array_equal(
            loaded.predict_proba(X), mlp_pair[0].predict_proba(X)
        )
        assert loaded.classes_.tolist() == ["high", "low"]


def test_mlp_ensemble_round_trip_and_several_paths(tmp_path, mixed_data, mlp_pair):
    import torch

    from treedistill._teachers import EnsembleTeacher

    X, _ = mixed_data
    ens = EnsembleTeacher.from_fitted(mlp_pair, method="geometric", weights=[1, 3])
    path = save_teacher(ens, tmp_path / "ens.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "treedistill.EnsembleTeacher"
    assert len(payload["members"]) == 2
    loaded = load_teacher(str(path))
    assert isinstance(loaded, EnsembleTeacher)
    assert loaded.method == "geometric" and loaded.weights == [1.0, 3.0]
    np.testing.assert_allclose(loaded.predict_proba(X), ens.predict_proba(X))

    paths = [save_teacher(t, tmp_path / f"m{i}.pt") for i, t in enumerate(mlp_pair)]
    both = load_teacher(paths, ensemble="arithmetic")
    assert isinstance(both, EnsembleTeacher) and len(both.teachers_) == 2
    expected = EnsembleTeacher.from_fitted(mlp_pair).predict_proba(X)
    np.testing.assert_allclose(both.predict_proba(X), expected)


def test_save_teacher_refuses_other_models(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from treedistill._mlp import MLPTeacher

    lr = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(DataError, match="cannot save a LogisticRegression teacher"):
        save_teacher(lr, tmp_path / "lr.pt")
    with pytest.raises(DataError, match="not fitted"):
        save_teacher(MLPTeacher(), tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []


class _Marker:
    """Unpickling this creates a file: proof that code from a pickle ran."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (self.path,))


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_pickle_is_refused_without_trust(tmp_path, suffix):
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"m{suffix}", pickle.dumps(_Marker(marker)))
    with pytest.raises(DataError) as info:
        load_teacher([path])
    assert str(info.value) == (
        f"refusing to unpickle {str(path)!r}: pickle files can run code; pass "
        "--trust-pickle if you trust this file, or save the model with skops"
    )
    assert not marker.exists()
    # the payload is live: trusting the file runs it (and it is no classifier)
    with pytest.raises(DataError, match="holds a NoneType, not a classifier"):
        load_teacher([path], trust_pickle=True)
    assert marker.exists()


def test_torch_file_with_objects_runs_no_code(tmp_path):
    import torch

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "treedistill.MLPTeacher", "x": _Marker(marker)}, path)
    with pytest.raises(DataError, match="holds Python objects beyond tensors"):
        load_teacher([path])
    assert not marker.exists()


def test_pickle_loads_when_trusted(tmp_path):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["a", "a", "b", "b"])
    path = write(tmp_path, "m.pkl", pickle.dumps(lr))
    loaded = load_teacher([path], trust_pickle=True)
    assert loaded.classes_.tolist() == ["a", "b"]


def test_skops_allowed_and_refused(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.repeat([0, 1], 10)
    rf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    good = tmp_path / "rf.skops"
    skops_io.dump(rf, good)
    loaded = load_teacher([good])
    np.testing.assert_array_equal(loaded.predict_proba(X), rf.predict_proba(X))

    bad = tmp_path / "evil.skops"
    skops_io.dump(make_pipeline(FunctionTransformer(eval), rf), bad)
    with pytest.raises(DataError, match="needs type 'builtins.eval'.*refusing to load"):
        load_teacher([bad])

    scaler = tmp_path / "scaler.skops"
    skops_io.dump(StandardScaler().fit(X), scaler)
    with pytest.raises(DataError, match="holds a StandardScaler, not a classifier"):
        load_teacher([scaler])


def test_unfitted_model_is_refused(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression

    path = tmp_path / "lr.skops"
    skops_io.dump(LogisticRegression(), path)
    with pytest.raises(DataError, match="not a fitted classifier with classes_"):
        load_teacher([path])


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_teacher(tmp_path, suffix):
    import xgboost

    from treedistill._teachers import teacher_logits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
    path = tmp_path / f"m{suffix}"
    clf.save_model(path)
    loaded = load_teacher([path])
    assert loaded.classes_.tolist() == [0, 1]
    np.testing.assert_allclose(teacher_logits(loaded, X), teacher_logits(clf, X))

    relabelled = load_teacher([path], classes="no,yes")
    assert relabelled.classes_.tolist() == ["no", "yes"]
    np.testing.assert_allclose(teacher_logits(relabelled, X), teacher_logits(clf, X))
    assert (
        relabelled.predict(X[:2]).tolist()
        == np.array(["no", "yes"])[clf.predict(X[:2])].tolist()
    )
    with pytest.raises(DataError, match="has 2 classes but --classes gives 3"):
        load_teacher([path], classes=["a", "b", "c"])


def test_xgboost_regressor_and_foreign_json_are_refused(tmp_path):
    import xgboost

    X = np.arange(20, dtype=float).reshape(10, 2)
    reg = xgboost.XGBRegressor(n_estimators=2).fit(X, np.arange(10.0))
    path = tmp_path / "reg.json"
    reg.get_booster().save_model(path)
    with pytest.raises(
        DataError, match="objective 'reg:squarederror', not a classifier"
    ):
        load_teacher([path])
    other = write(tmp_path, "config.json", '{"hello": 1}')
    with pytest.raises(DataError, match="is not an xgboost classifier model"):
        load_teacher([other])


def test_torch_export_teacher(tmp_path, mixed_data):
    import torch

    from treedistill._teachers import TorchExportTeacher

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        net, (torch.zeros(4, 3),), dynamic_shapes={"input": {0: batch}}
    )
    path = tmp_path / "net.pt2"
    torch.export.save(program, str(path))
    with pytest.raises(DataError, match="a .pt2 teacher needs --classes"):
        load_teacher([path])
    teacher = load_teacher([path], classes="0,1", feature_names=["c", "a", "b"])
    assert isinstance(teacher, TorchExportTeacher)
    assert teacher.classes_.tolist() == [0, 1]
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.0], "c": [3.0, -1.0]})
    with torch.no_grad():
        expected = net(torch.tensor(frame[["c", "a", "b"]].to_numpy(np.float32)))
    np.testing.assert_allclose(
        teacher.predict_logits(frame), expected.numpy(), rtol=1e-6
    )
    junk = write(tmp_path, "junk.pt2", b"not a program")
    with pytest.raises(DataError, match="is not a torch.export program"):
        load_teacher([junk], classes=["a", "b"])


def test_classes_must_match_the_model(tmp_path, mlp_pair):
    path = save_teacher(mlp_pair[0], tmp_path / "t.pt")
    assert load_teacher([path], classes=["high", "low"]).classes_.tolist() == [
        "high",
        "low",
    ]
    with pytest.raises(DataError, match=r"has classes \['high', 'low'\] but --classes"):
        load_teacher([path], classes="low,high")


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("m.h5", b"x", {}, "has an unknown format '.h5'; accepted: .pt/.td-teacher"),
        ("noext", b"x", {}, "has an unknown format '(none)'"),
        (
            "garbage.pt",
            b"not torch",
            {},
            "is not a torch.save file",
        ),
        ("m.skops", b"not a zip", {}, "is not a readable skops file"),
        ("m.json", b"{}", {"ensemble": "median"}, "--ensemble must be 'arithmetic'"),
        ("m.json", b"{}", {"classes": "a"}, "--classes needs at least 2 classes"),
        ("m.json", b"{}", {"classes": "a,a"}, "--classes repeats a class"),
    ],
)
def test_load_teacher_refuses(tmp_path, name, content, kwargs, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        load_teacher([path], **kwargs)
    assert message in str(info.value)


def test_load_teacher_missing_and_empty(tmp_path):
    import torch

    with pytest.raises(DataError, match="teacher file '.*gone.pt' does not exist"):
        load_teacher([tmp_path / "gone.pt"])
    with pytest.raises(DataError, match="no teacher file given"):
        load_teacher([])
    path = tmp_path / "dict.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(DataError, match="is not a treedistill teacher"):
        load_teacher([path])


def test_messages_name_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("x.xlsx").write_bytes(b"a,b\n1,2\n")
    with pytest.raises(DataError) as info:
        read_table("x.xlsx")
    assert str(info.value) == (
        "data file 'x.xlsx' is not CSV or Parquet "
        "(accepted: .csv, .tsv, .txt, .parquet, .pq)"
    )
