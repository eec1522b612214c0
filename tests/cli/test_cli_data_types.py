"""The command line refuses data it would misread: exit 2, one line, nothing written.

Library-level tests of the same cases are in test_tables.py and test_prepare.py.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from tests.conftest import cohort_frame, invoke, refused, sha


def _cohort(n: int = 60) -> pd.DataFrame:
    return cohort_frame(n, missing_rate=0.0)


def _cohort_text(n: int = 60) -> str:
    return _cohort(n).to_csv(index=False)


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


def _dates() -> pd.DataFrame:
    return _cohort().assign(visit=[f"{1 + i % 28:02d}/03/2021" for i in range(60)])


def _thousands() -> pd.DataFrame:
    return _cohort().assign(income=[f"{1 + i % 9},{100 + i:03d}" for i in range(60)])


def _many_classes() -> pd.DataFrame:
    n = np.arange(400)
    return pd.DataFrame({"x": n % 7, "z": n % 3, "risk": n % 100})


def _many_levels() -> pd.DataFrame:
    # Not unique per row (an identifier would be left out, not refused).
    return _cohort(300).assign(code=[f"c{i % 250}" for i in range(300)])


def _huge() -> pd.DataFrame:
    frame = _cohort()
    frame["bmi"] = frame["bmi"].astype(float)
    frame.loc[7, "bmi"] = 1e308
    return frame


def _float_target() -> pd.DataFrame:
    return _cohort().assign(risk=np.linspace(1.5, 51.257, 60))


FRAME_CASES = {
    "dates": (
        _dates,
        [],
        ["column 'visit' holds dates (e.g. '01/03/2021')", "derive a number from it"],
    ),
    "thousands": (_thousands, [], ["column 'income' holds numbers such as '1,100'"]),
    "many classes": (
        _many_classes,
        [],
        ["target column 'risk' has 100 classes for 400 rows (4.0 per class)"],
    ),
    "many levels": (
        _many_levels,
        [],
        ["column 'code' is text with 250 distinct values (more than 200)"],
    ),
    "huge": (
        _huge,
        [],
        ["column 'bmi' has values too large to learn from (row 8 holds 1e+308"],
    ),
    "float target": (_float_target, [], ["holds non-integer numbers (e.g. 1.5)"]),
    "test size": (
        lambda: _cohort(200),
        ["--test-size", "0.99"],
        ["--test-size 0.99 leaves 2 of 200 rows for training"],
    ),
}


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
def test_data_the_run_would_misread_is_refused(tmp_path, case):
    build, args, needles = FRAME_CASES[case]
    data = tmp_path / "d.csv"
    build().to_csv(data, index=False)
    before = sha(data)
    out = tmp_path / "run"
    result = invoke("distill", data, "--target", "risk", "--out", out, *args)
    line = refused(result, *needles)
    assert "np.float64" not in line
    assert not out.exists() and sha(data) == before


def test_a_program_teacher_of_another_width_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(3, 2)
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        net, (torch.zeros(4, 3),), dynamic_shapes={"input": {0: batch}}
    )
    teacher = tmp_path / "net.pt2"
    torch.export.save(program, str(teacher))
    data = tmp_path / "d.csv"
    _cohort().select_dtypes("number").assign(risk=_cohort()["risk"]).to_csv(
        data, index=False
    )
    out = tmp_path / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--out", out,
        "--teacher", teacher, "--classes", "high,low",
    )  # fmt: skip
    refused(result, "net.pt2", "is a program of 3 input columns")
    assert not out.exists()
