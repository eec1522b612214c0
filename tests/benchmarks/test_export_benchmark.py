"""benchmarks/export.py --quick: the tables it writes (nothing about speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytest.importorskip("duckdb", reason="duckdb is a test dependency (dev extra)")
pytest.importorskip("onnxruntime", reason="onnxruntime is a test dependency")


@pytest.mark.slow
def test_quick_export_benchmark_writes_its_tables(tmp_path):
    result = subprocess.run(
        [sys.executable, "benchmarks/export.py", "--quick", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "export-quick.json").read_text(encoding="utf-8"))
    engines = {(r["student"], r["engine"]) for r in doc["results"]}
    assert engines == {
        ("tree", "predict_proba"),
        ("tree", "DuckDB SQL"),
        ("tree", "SQLite SQL"),
        ("tree", "ONNX Runtime"),
        ("tree", "Python function"),
        ("boosted", "predict_proba"),
        ("boosted", "ONNX Runtime"),
    }
    for r in doc["results"]:
        assert r["rows"] == 20000
        # the exports score as the student does
        assert r["max_diff"] <= (1e-6 if r["engine"] == "ONNX Runtime" else 1e-12)
    table = (tmp_path / "export-quick.md").read_text(encoding="utf-8")
    assert "| tree | DuckDB SQL | 20,000 |" in table
