"""The rows of a file as it gives them (what predict writes back)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from treedistill.data._raw import input_rows


def test_csv_cells_are_the_files_text(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        '\ufeffid, age ,note\n1,24,N/A\n\n2,," hi, there "\n3,30.50,=1+1\n',
        encoding="utf-8",
    )
    rows = input_rows(path, 3)
    assert list(rows.columns) == ["id", " age ", "note"]
    assert rows.to_dict("records") == [
        {"id": "1", " age ": "24", "note": "N/A"},
        {"id": "2", " age ": "", "note": " hi, there "},
        {"id": "3", " age ": "30.50", "note": "=1+1"},
    ]
    assert input_rows(path, 4) is None  # not the rows read_table read


def test_semicolon_file(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a;b\n1,5;x\n2,0;y\n", encoding="utf-8")
    assert input_rows(path, 2).to_dict("records") == [
        {"a": "1,5", "b": "x"},
        {"a": "2,0", "b": "y"},
    ]


def test_parquet_keeps_a_named_index_as_the_first_column(tmp_path):
    frame = pd.DataFrame(
        {"age": [24, 61], "ward": ["a", "b"]},
        index=pd.Index([101, 102], name="patient_id"),
    )
    frame.to_parquet(tmp_path / "named.parquet")
    rows = input_rows(tmp_path / "named.parquet", 2)
    assert list(rows.columns) == ["patient_id", "age", "ward"]
    assert rows["patient_id"].tolist() == [101, 102]
    assert rows["age"].dtype == np.int64
    frame.reset_index(drop=True).to_parquet(tmp_path / "plain.parquet")
    assert list(input_rows(tmp_path / "plain.parquet", 2).columns) == ["age", "ward"]
