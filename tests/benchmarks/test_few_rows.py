"""benchmarks/few_rows.py --quick: the tables and records it writes (a few seconds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_few_rows_benchmark_writes_its_tables(tmp_path):
    proc = subprocess.run(
        [sys.executable, "benchmarks/few_rows.py", "--quick", "--out", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = (tmp_path / "few_rows.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "few_rows.json").read_text(encoding="utf-8"))

    assert data["datasets"] == ["rare_cohort"]
    assert data["sizes"] == [50, 100] and data["draws"] == 1
    assert "few_rows.py --quick" in data["command"]
    records = data["records"]
    # the all-rows tree, then per n: each setting and its hard-label baseline
    assert [r["method"] for r in records if r["n"] not in (50, 100)] == ["all rows"]
    for n in (50, 100):
        methods = [r["method"] for r in records if r["n"] == n]
        assert methods == [
            "default",
            "hard (default)",
            "none",
            "hard (none)",
            "munge x20",
            "hard (munge x20)",
        ]
    for r in records:
        assert 0.0 <= r["agreement"] <= 1.0
        assert 0.0 <= r["flagged"] <= 1.0
        assert -1.0 <= r["spearman"] <= 1.0
        assert r["kl"] >= 0.0
    none = [r for r in records if r["method"] == "none"]
    assert all(r["factor"] == 0.0 for r in none)
    x20 = [r for r in records if r["method"] == "munge x20"]
    assert all(r["factor"] == 20.0 for r in x20)
    # the table of gaps, where the curve flattens, the per-set table
    assert "## Mean gap to the all-rows tree, over data sets" in md
    assert "Where the curve flattens" in md
    assert "| rare_cohort | 50 | none |" in md
    assert "| rare_cohort | 100 | munge x20 |" in md

    # the tables re-rendered from the JSON file are the same
    again = tmp_path / "again"
    proc = subprocess.run(
        [
            sys.executable,
            "benchmarks/few_rows.py",
            "--from-json",
            str(tmp_path / "few_rows.json"),
            "--out",
            str(again),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (again / "few_rows.md").read_text(encoding="utf-8") == md
