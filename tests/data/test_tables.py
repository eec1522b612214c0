"""Tests for treedistill.data._tables and ._cleaning: reading and cleaning tables."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._files import frame_from, write
from treedistill import read_table
from treedistill.exceptions import DataError

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


def test_messages_name_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("x.xlsx").write_bytes(b"a,b\n1,2\n")
    with pytest.raises(DataError) as info:
        read_table("x.xlsx")
    assert str(info.value) == (
        "data file 'x.xlsx' is not CSV or Parquet "
        "(accepted: .csv, .tsv, .txt, .parquet, .pq)"
    )


# --------------------------------------------------------------------------- #
# read_table: files that would be misread, named for what they are
# --------------------------------------------------------------------------- #
def _text_table(n: int = 300) -> str:
    rows = "".join(f"{20 + i},{'M' if i % 2 else 'F'},{i % 2}\n" for i in range(n))
    return "age,sex,y\n" + rows


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        (
            "utf16.csv",
            _text_table().encode("utf-16-le"),
            "is UTF-16 text without a byte-order mark, not UTF-8; save it as UTF-8",
            None,
        ),
        (
            "utf16be.csv",
            _text_table().encode("utf-16-be"),
            "is UTF-16 text without a byte-order mark",
            None,
        ),
        (
            "packed.csv",
            gzip.compress(_text_table().encode()),
            "is gzip-compressed, not text; decompress it first (gunzip)",
            None,
        ),
        (
            "image.csv",
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            "is a PNG image, not text",
            None,
        ),
        (
            "book.csv",
            b"PK\x03\x04" + b"\x00" * 40,
            "is a zip archive (an Excel workbook?), not text",
            None,
        ),
        (
            "nul.csv",
            b"a,b,c\n1,2,3\n4,x\x00y,6\n7,8,9\n",
            "line 3 holds a NUL byte (\\x00, at byte 15), which is not text",
            3,
        ),
        (
            "open-quote.csv",
            b'a,b,c\n1,"x,3\n4,5,6\n7,8,9\n',
            'line 2 opens a quote (") that is not closed before line 4',
            2,
        ),
        (
            "open-quote-last.csv",
            b'a,b,c\n1,2,3\n4,5,"x\n7,8,9\n',
            'line 3 opens a quote (") that is not closed before line 4',
            3,
        ),
    ],
)
def test_read_table_names_what_a_misread_file_is(
    tmp_path, name, content, message, line
):
    path = write(tmp_path, name, content)
    before = path.read_bytes()
    with pytest.raises(DataError) as info:
        read_table(path)
    assert f"data file {str(path)!r}" in str(info.value)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert info.value.path == str(path) and info.value.line == line
    assert path.read_bytes() == before


def test_read_table_keeps_a_closed_multi_line_field(tmp_path):
    frame = frame_from(tmp_path, 'a,b,c\n1,2,"two\nlines"\n4,5,6\n')
    assert frame["c"].tolist() == ["two\nlines", "6"]


def test_read_table_quoted_decimal_commas_in_a_comma_file(tmp_path):
    frame = frame_from(tmp_path, 'a,b,y\n"6,8",x,1\n"7,25",y,0\n3,z,1\n')
    assert frame["a"].tolist() == [6.8, 7.25, 3.0]
    assert frame.attrs["treedistill.cleaning"]["decimal_comma"] == ["a"]


def test_read_table_refuses_commas_that_may_mark_thousands(tmp_path):
    path = write(tmp_path, "t.csv", 'a,b,y\n"1,234",x,1\n"7,250",y,0\n3,z,1\n')
    with pytest.raises(DataError) as info:
        read_table(path)
    assert str(info.value) == (
        f"data file {str(path)!r}: column 'a' holds numbers such as '1,234' whose "
        "comma may mark thousands or decimals; write them without it (1234 or 1.234)"
    )
    assert info.value.column == "a" and info.value.path == str(path)


@pytest.mark.parametrize(
    "values, kind",
    [([[1, 2], [3]], "list"), ([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], "struct")],
)
def test_parquet_nested_columns_are_refused_naming_the_column(tmp_path, values, kind):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    table = pa.table({"age": [61, 70], "tags": pa.array(values), "y": ["a", "b"]})
    pq.write_table(table, path)
    with pytest.raises(DataError, match=f"column 'tags' holds nested values \\({kind}"):
        read_table(path)
