"""The benchmark scripts run in their quick mode and write their reports.

Nothing here is about speed: the tests check that the scripts finish, write the
Markdown and JSON files and that the tables hold the expected rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"

pytestmark = pytest.mark.slow


def _run(script: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--out", str(out), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_fidelity_quick_writes_tables(tmp_path):
    proc = _run("fidelity.py", tmp_path, "--jobs", "1", "--teachers", "xgb")
    md = (tmp_path / "fidelity.md").read_text()
    data = json.loads((tmp_path / "fidelity.json").read_text())

    assert data["seeds"] == [0, 1]
    assert data["settings"]["datasets"] == ["breast_cancer", "wine"]
    assert "fidelity.py --quick" in data["command"]
    assert {"numpy", "scikit-learn", "xgboost", "treedistill"} <= set(data["versions"])
    # every (data set, teacher, leaf budget) row of the tree table, in the Markdown
    for name in ("breast_cancer", "wine"):
        for leaves in (4, 8, 16, 32):
            assert f"| {name} | xgb | {leaves} |" in md
        for trees in (10, 50):
            assert f"| {name} | xgb | {trees} |" in md
    # records: 2 data sets x 2 seeds x (5 tree methods x 4 budgets + 2 x 2 boosted)
    # x 3 evaluation sets (validation, synthetic, test)
    assert len(data["records"]) == 2 * 2 * (20 + 4) * 3
    methods = {r["method"] for r in data["records"]}
    assert methods == {
        "truth",
        "hard",
        "treedistill",
        "td_prev",
        "ceiling",
        "hard_xgb",
        "treedistill_boost",
    }
    for r in data["records"]:
        assert 0.0 <= r["agreement"] <= 1.0
        lo, hi = r["agreement_ci"]
        assert lo <= r["agreement"] <= hi
        assert r["kl"] >= 0.0
        assert ("accuracy" in r) == (r["split"] != "synthetic")
    assert len(data["targets"]) == 2 * 2  # 2 data sets x leaves 8, 16
    assert "Targets at 8 and 16 leaves" in proc.stdout
    assert "## Targets (8 and 16 leaves)" in md


def test_fidelity_rare_quick_writes_targets_and_every_measure(tmp_path):
    proc = _run("fidelity.py", tmp_path, "--rare", "--jobs", "1", "--teachers", "xgb")
    md = (tmp_path / "fidelity_rare.md").read_text()
    data = json.loads((tmp_path / "fidelity_rare.json").read_text())
    assert data["seeds"] == [0, 1]
    assert data["settings"]["datasets"] == ["rare_cohort"]
    assert data["settings"]["leaves"] == [8]
    # 1 data set x 2 seeds x 1 teacher x 1 budget x (b, c, td_prev, td) x 2 splits
    assert len(data["records"]) == 2 * 4 * 2
    assert {r["method"] for r in data["records"]} == {"b", "c", "td_prev", "td"}
    assert {r["split"] for r in data["records"]} == {"test", "synthetic"}
    for r in data["records"]:
        for key in ("agreement", "flagged", "overlap", "flag_auc"):
            assert 0.0 <= r[key] <= 1.0, (key, r)
        assert -1.0 <= r["spearman"] <= 1.0 and r["kl"] >= 0.0
        assert ("roc_auc" in r) == (r["split"] == "test")
    # the positive class is the minority ("high", 5%) and the flag rate its share
    for cell in data["cells"]:
        assert cell["positive"] == "high"
        assert 0.03 < min(cell["prevalence"]) < 0.07
    targets = data["targets"]
    assert len(targets) == 2 * 5  # five targets on test and on synthetic rows
    assert {t["best_baseline"] for t in targets} <= {"b", "c"}
    assert all(isinstance(t["met"], bool) for t in targets)
    assert "## Targets on the held-out test rows" in md
    assert "flag AUC ≥ best baseline + 0.03" in md and "KL ≤ half of (b)'s" in md
    assert "| rare_cohort | xgb | 8 | c |" in md
    assert "Targets (test rows)" in proc.stdout


def test_fidelity_says_when_clinical_data_are_missing(tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCH))
    try:
        import _common
        import fidelity
    finally:
        sys.path.remove(str(BENCH))
    monkeypatch.setattr(fidelity, "shared_datasets_present", lambda: False)
    monkeypatch.setattr(_common, "shared_datasets_present", lambda: False)
    monkeypatch.setattr(fidelity, "run_cell", _no_cell)
    code = fidelity.main(
        ["--quick", "--datasets", "pima", "--out", str(tmp_path), "--jobs", "1"]
    )
    assert code == 0
    md = (tmp_path / "fidelity.md").read_text()
    data = json.loads((tmp_path / "fidelity.json").read_text())
    assert data["skipped"] == ["pima"]
    assert "SKIPPED pima" in md


def _no_cell(*args, **kwargs):  # pragma: no cover - never called: no data set left
    raise AssertionError("no cell should run when every data set is skipped")


def test_speed_quick_writes_tables(tmp_path):
    proc = _run("speed.py", tmp_path)
    md = (tmp_path / "speed.md").read_text()
    data = json.loads((tmp_path / "speed.json").read_text())

    rows = data["end_to_end"]
    assert {(r["classes"], r["rows"], r["student"]) for r in rows} == {
        (k, n, s)
        for k in (2, 10)
        for n in (10_000, 50_000)
        for s in ("tree", "boosting")
    }
    for r in rows:
        assert r["fit_s"] > 0 and r["bare_sum_s"] > 0
        assert r["fit_mem"] >= 0
    methods = [r["method"] for r in data["tree_at_scale"]]
    assert "hist, soft entropy" in methods and "hist, soft gini" in methods
    assert any(m.startswith("sklearn") for m in methods)
    assert all(r["leaves"] > 1 for r in data["tree_at_scale"])
    assert len(data["targets"]) == 5
    assert "## Part A: end to end" in md and "## Targets" in md
    assert "Part B" in proc.stdout


def test_report_cost_quick_writes_the_stage_table(tmp_path):
    _run("report_cost.py", tmp_path, "--label", "quick")
    data = json.loads((tmp_path / "report_cost.json").read_text())
    runs = data["quick"]["runs"]
    assert runs[-1]["data"] == "cohort 5,000" and runs[-1]["rows"] == 5000
    for run in runs:
        assert "error" not in run, run
        parts = sum(run[s] for s in ("read data", "teacher", "students", "evaluate"))
        assert 0 < parts <= run["total"] + 1e-9
        assert run["evaluate_share"] == pytest.approx(run["evaluate"] / run["total"])
    assert data["quick"]["startup"]["help_ratio"] > 0
    text = (tmp_path / "report_cost.md").read_text()
    assert "| data | rows | read data |" in text and "evaluate share" in text


def test_objective_quick_writes_every_method_and_the_targets(tmp_path):
    _run("objective.py", tmp_path)
    md = (tmp_path / "objective_quick.md").read_text()
    data = json.loads((tmp_path / "objective_quick.json").read_text())
    records = data["records"]
    methods = {r["method"] for r in records}
    assert methods == {
        "b",
        "c",
        "ranking",
        "agreement-greedy",
        "agreement",
        "agreement-tao",
        "auto",
    }
    assert {r["split"] for r in records} == {"held-out", "synthetic"}
    for r in records:
        assert 0 <= r["agreement"] <= 1 and r["kl"] >= 0
    # The cohort's rarer class is under 20%: auto is the ranking tree there.
    auto = [r for r in records if r["method"] == "auto"]
    ranking = {
        (r["seed"], r["size"], r["split"]): r["agreement"]
        for r in records
        if r["method"] == "ranking"
    }
    assert all(r["rare"] for r in auto)
    assert all(
        r["agreement"] == ranking[(r["seed"], r["size"], r["split"])] for r in auto
    )
    assert set(data["fit_times"]) == {"ranking", "agreement"}
    assert "## Targets" in md and "fit time within 3x" in md
    assert "| agreement |" in md and "Both objectives on each binary set" in md
