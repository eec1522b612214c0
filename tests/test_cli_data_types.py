"""The command line refuses data it would misread: exit 2, one line, nothing written.

Library-level tests of the same cases are in test_tables.py and test_prepare.py.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from tests.conftest import cohort_frame, invoke, refused, sha


def _cohort_text(n: int = 60) -> str:
    return cohort_frame(n, missing_rate=0.0).to_csv(index=False)


def _case_files():
    text = _cohort_text()
    lines = text.splitlines(keepends=True)
    return {
        "utf16.csv": (
            text.encode("utf-16-le"),
            ["is UTF-16 text without a byte-order mark"],
        ),
        "packed.csv": (gzip.compress(text.encode()), ["is gzip-compressed"]),
        "quote.csv": (
            "".join(lines[:3] + ['"' + lines[3]] + lines[4:]).encode(),
            ["line 4 opens a quote", "not closed"],
        ),
        "nul.csv": (
            "".join(
                lines[:5] + [lines[5].replace(",", ",\x00", 1)] + lines[6:]
            ).encode(),
            ["line 6 holds a NUL byte"],
        ),
    }


@pytest.mark.parametrize("name", sorted(_case_files()))
def test_misread_files_are_refused_naming_what_they_are(tmp_path, name):
    content, needles = _case_files()[name]
    data = tmp_path / name
    data.write_bytes(content)
    before = sha(data)
    out = tmp_path / "run"
    result = invoke("distill", data, "--target", "risk", "--out", out)
    refused(result, name, *needles)
    assert not out.exists() and sha(data) == before


def _refused_frame(tmp_path, frame: pd.DataFrame, *args: str) -> str:
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    before = sha(data)
    out = tmp_path / "run"
    result = invoke("distill", data, "--out", out, *args)
    assert not out.exists() and sha(data) == before
    return refused(result)


def test_date_columns_are_refused_with_a_hint(tmp_path):
    frame = cohort_frame(60, missing_rate=0.0)
    frame["visit"] = [f"{1 + i % 28:02d}/03/2021" for i in range(60)]
    line = _refused_frame(tmp_path, frame, "--target", "risk")
    assert "column 'visit' holds dates (e.g. '01/03/2021')" in line
    assert "derive a number from it" in line


def test_numbers_whose_commas_may_mark_thousands_are_refused(tmp_path):
    frame = cohort_frame(60, missing_rate=0.0)
    frame["income"] = [f"{1 + i % 9},{100 + i:03d}" for i in range(60)]
    line = _refused_frame(tmp_path, frame, "--target", "risk")
    assert "column 'income' holds numbers such as '1,100'" in line


def test_a_regression_target_is_refused_naming_the_class_count(tmp_path):
    frame = pd.DataFrame(
        {"x": np.arange(400) % 7, "z": np.arange(400) % 3, "y": np.arange(400) % 100}
    )
    line = _refused_frame(tmp_path, frame, "--target", "y")
    assert "target column 'y' has 100 classes for 400 rows (4.0 per class)" in line


def test_very_many_text_levels_are_refused_with_the_count(tmp_path):
    frame = cohort_frame(300, missing_rate=0.0)
    frame["code"] = [f"c{i}" for i in range(300)]
    line = _refused_frame(tmp_path, frame, "--target", "risk")
    assert "column 'code' is text with 300 distinct values (more than 200)" in line


def test_extreme_magnitudes_are_refused_naming_the_column(tmp_path):
    frame = cohort_frame(60, missing_rate=0.0)
    frame["bmi"] = frame["bmi"].astype(float)
    frame.loc[7, "bmi"] = 1e308
    line = _refused_frame(tmp_path, frame, "--target", "risk")
    assert "column 'bmi' has values too large to learn from (row 8 holds 1e+308" in line


def test_a_float_target_value_is_printed_plainly(tmp_path):
    frame = cohort_frame(60, missing_rate=0.0)
    frame["risk"] = np.linspace(1.5, 51.257, 60)
    line = _refused_frame(tmp_path, frame, "--target", "risk")
    assert "holds non-integer numbers (e.g. 1.5)" in line
    assert "np.float64" not in line


def test_a_test_size_leaving_too_few_training_rows_is_refused(tmp_path):
    frame = cohort_frame(200, missing_rate=0.0)
    line = _refused_frame(tmp_path, frame, "--target", "risk", "--test-size", "0.99")
    assert "--test-size 0.99 leaves 2 of 200 rows for training" in line
