"""Visible direction controls and spreadsheet-safe CSV cells."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from treedistill.common._text import csv_safe, csv_safe_frame, show_controls


@pytest.mark.parametrize(
    "text, shown",
    [
        ("age \u202e<= 5", "age <U+202E><= 5"),
        ("\u2066ward\u2069", "<U+2066>ward<U+2069>"),
        ("a\u200fb\u061cc\u202ad", "a<U+200F>b<U+061C>c<U+202A>d"),
        ("plain ünïcode", "plain ünïcode"),
    ],
)
def test_direction_controls_are_shown(text, shown):
    assert show_controls(text) == shown


@pytest.mark.parametrize(
    "cell, safe",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("ward a", "ward a"),
        (-4, -4),
        (None, None),
    ],
)
def test_csv_safe(cell, safe):
    assert csv_safe(cell) == safe


def test_csv_safe_frame_keeps_numbers_and_neutralises_text():
    frame = pd.DataFrame(
        {
            "x": [-1.0, 2.0],
            "label": pd.Categorical(["=1+1", "b"]),
            "note": ["@x", np.nan],
            "=col": [1, 2],
        }
    )
    out = csv_safe_frame(frame)
    text = out.to_csv(index=False)
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == ["x", "label", "note", "'=col"]
    assert back["x"].tolist() == [-1.0, 2.0]
    assert back["label"].tolist() == ["'=1+1", "b"]
    assert back["note"].iloc[0] == "'@x" and pd.isna(back["note"].iloc[1])
    assert frame["label"].iloc[0] == "=1+1"  # the input is not changed


def test_name_list_shows_the_first_names_and_a_count():
    from treedistill.common._text import name_list

    assert name_list(["a", "b"]) == "a, b"
    assert (
        name_list([f"c{i}" for i in range(2000)]) == "c0, c1, c2, c3, c4 and 1995 more"
    )
    assert name_list(range(7), shown=2) == "0, 1 and 5 more"
