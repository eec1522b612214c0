"""The pyarrow read path gives the strict reader's frame, notes and errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import treedistill.data._tables as tables
from treedistill import read_table
from treedistill.data._arrow_csv import read_csv_arrow
from treedistill.data._cleaning import CLEANING_ATTR
from treedistill.exceptions import DataError

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "datasets"


def _strict(path, monkeypatch) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(tables, "read_csv_arrow", lambda p, suffix: None)
        return read_table(path)


def _assert_same(path, monkeypatch, *, fast_expected: bool = True) -> pd.DataFrame:
    used = read_csv_arrow(Path(path), Path(path).suffix.lower()) is not None
    assert used == fast_expected
    fast = read_table(path)
    strict = _strict(path, monkeypatch)
    pd.testing.assert_frame_equal(fast, strict, check_exact=True)
    assert list(fast.dtypes) == list(strict.dtypes)
    assert json.dumps(fast.attrs[CLEANING_ATTR], sort_keys=True) == json.dumps(
        strict.attrs[CLEANING_ATTR], sort_keys=True
    )
    return fast


TRICKY = {
    "quoted.csv": (
        'id,name,note\n1,"Smith, J","said ""hi"""\n2,"multi\nline",x\n'
        '3,plain,"  padded  "\n'
    ),
    "missing.csv": (
        "a,b,c,d\n1,?,NA,x\n2,3.5,,N/A\n,4,null,y\n4,nan,None,  \n5,1e3,NaN,z\n"
    ),
    "bom.csv": "\ufeffage,sex\n61,F\n70,M\n",
    "semicolon.csv": "x;y;z\n1,5;a;3\n2,25;b;4\n-0,5;c;5\n",
    "tab.tsv": "x\ty\n1\tp\n2\tq\n",
    "crlf.csv": "a,b\r\n1,2\r\n\r\n3,4\r\n",
    "signs.csv": "p,q,r,s,t\n+5,0x5, 7,inf,-0\n6,6,8 ,-inf,3\n",
    "spellings.csv": (
        "a,b,c,d,e,f,g\n+5,1e3, 12 ,-0,inf,-Infinity,1e400\n6,2, 8,0,3,4,5\n"
    ),
    "thousands.csv": ('a,b,c\n"1,234.5","1.234,5","1,234,567"\n"12,000","7,25","3"\n'),
    "ints.csv": "big,neg,lead,withgap\n9223372036854775807,-3,007,1\n1,-4,010,\n",
    "huge.csv": "u,v\n18446744073709551615,1\n1,2\n",
    "floats.csv": "f,g\n0.1,1.\n2.2250738585072011e-308,.5\n1E5,4.9e-324\n",
    "text.csv": "flag,when,city\ntrue,2020-01-01,Montr\u00e9al\nfalse,2021-02-03, Oslo\n",
    "empty_col.csv": "a,b\n1,\n2,\n",
    "names.csv": " age ,sex\n1,F\n2,M\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_files_read_the_same(tmp_path, monkeypatch, name):
    path = tmp_path / name
    path.write_text(TRICKY[name], encoding="utf-8", newline="")
    _assert_same(path, monkeypatch)


def test_numbers_typed_as_the_strict_reader_types_them(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text(TRICKY["ints.csv"] + "", encoding="utf-8")
    frame = _assert_same(path, monkeypatch)
    assert frame["big"].dtype == np.int64
    assert frame["big"].iloc[0] == 2**63 - 1
    assert frame["lead"].tolist() == [7, 10]
    assert frame["withgap"].dtype == np.float64
    assert np.isnan(frame["withgap"].iloc[1])


def test_random_numbers_round_trip_bit_for_bit(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3000) * 10.0 ** rng.integers(-300, 300, 3000)
    ints = rng.integers(-(10**15), 10**15, 3000)
    gaps = np.where(rng.random(3000) < 0.1, "", x.round(3).astype(str))
    lines = ["x,i,g"] + [
        f"{float(a)!r},{b},{c}" for a, b, c in zip(x, ints, gaps, strict=True)
    ]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = _assert_same(path, monkeypatch)
    np.testing.assert_array_equal(frame["x"].to_numpy(), x)
    np.testing.assert_array_equal(frame["i"].to_numpy(), ints)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,b,c\n1,2,3\n4,5,6,7\n", "line 3 has 4 fields but the header has 3"),
        (b"a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields but the header has 3"),
        (b"a,b\n1,2\n3,\xe9\n", "is not UTF-8 text (byte 0xe9 at position 10, line 3)"),
        (b"a,b,c\n", "has a header but no data rows"),
        (b"a,b,a\n1,2,3\n", "has two columns named 'a'"),
    ],
)
def test_failures_explained_by_the_strict_reader(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert read_csv_arrow(path, ".csv") is None
    with pytest.raises(DataError) as info:
        read_table(path)
    assert message in str(info.value)


def test_lines_of_blanks_fall_back_and_still_read(tmp_path, monkeypatch):
    path = tmp_path / "blanks.csv"
    path.write_text("a,b\n1,2\n   \n3,4\n", encoding="utf-8")
    frame = _assert_same(path, monkeypatch, fast_expected=False)
    assert frame["a"].tolist() == [1, 3]


@pytest.mark.parametrize(
    "name", ["breast_cancer.csv", "clinical_cohort.csv", "clinical_cohort_3class.csv"]
)
def test_bundled_files_read_the_same(monkeypatch, name):
    _assert_same(REPO / "data" / name, monkeypatch)


def test_shared_datasets_read_the_same(monkeypatch):
    if not SHARED.is_dir():
        pytest.skip(f"clinical data sets not present at {SHARED}")
    files = sorted(SHARED.glob("*.csv"))
    assert files
    for path in files:
        _assert_same(path, monkeypatch)
