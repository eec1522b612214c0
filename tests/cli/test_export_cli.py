"""``treedistill export``: files written, and one-line errors with exit code 2."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from tests._export_cases import fitted, scoring_rows, student_outputs
from tests.conftest import invoke as invoke_cli
from treedistill.distill._bundle import save_student
from treedistill.export._sql import quote_identifier


def invoke(*args):
    return invoke_cli("export", *args)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A run with both students, one with only a boosted student."""
    root = tmp_path_factory.mktemp("runs")
    both, boosted = root / "run-both", root / "run-boosted"
    both.mkdir()
    boosted.mkdir()
    save_student(fitted("tree", 3), both / "student-tree.json")
    save_student(fitted("boosted", 3), both / "student-boosted.json")
    save_student(fitted("boosted", 2), boosted / "student.json")
    return both, boosted


def assert_refused(result, out, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0]
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.stem}*"))  # no partial file left


def test_sql_export_runs_in_sqlite(runs, tmp_path):
    both, _ = runs
    out = tmp_path / "score.sql"
    result = invoke(both, "--format", "sql", "--table", "t", "--out", out)
    assert result.exit_code == 0, result.output
    assert "wrote the sql export" in result.stdout
    sql = out.read_text(encoding="utf-8")
    assert sql.endswith(";\n") and sql.startswith("SELECT")
    model = fitted("tree", 3)
    frame = scoring_rows(model).iloc[:300]
    proba, _, _ = student_outputs(model, frame)
    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE t (" + ", ".join(map(quote_identifier, frame.columns)) + ")"
    )
    rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False)
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * frame.shape[1])})", rows)
    got = np.array([r[1:4] for r in con.execute(sql.rstrip(";\n")).fetchall()])
    np.testing.assert_array_equal(got, proba)


@pytest.mark.parametrize(("student", "fmt"), [(None, "python"), ("boosted", "onnx")])
def test_python_and_onnx_exports_are_written(runs, tmp_path, student, fmt):
    both, _ = runs
    out = tmp_path / f"student.{fmt}"
    args = [both, "--format", fmt, "--out", out, "--quiet"]
    if student:
        args += ["--student", student]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    if fmt == "python":
        namespace: dict = {}
        exec(out.read_text(encoding="utf-8"), namespace)  # noqa: S102
        assert callable(namespace["predict_proba"])
    else:
        onnx = pytest.importorskip("onnx")
        proto = onnx.load(str(out))
        assert "TreeEnsembleRegressor" in {n.op_type for n in proto.graph.node}


def test_boosted_only_run_exports_to_onnx(runs, tmp_path):
    _, boosted = runs
    out = tmp_path / "b.onnx"
    assert invoke(boosted, "--format", "onnx", "--out", out).exit_code == 0
    assert out.stat().st_size > 100


def test_run_without_a_tree_student_says_what_exports(runs, tmp_path):
    _, boosted = runs
    out = tmp_path / "x.sql"
    result = invoke(boosted, "--format", "sql", "--out", out)
    assert_refused(result, out, "boosted", "onnx")
    result = invoke(boosted / "student.json", "--format", "python", "--out", out)
    assert_refused(result, out, "boosted students to onnx")


def test_unknown_format_is_refused(runs, tmp_path):
    out = tmp_path / "x.out"
    assert_refused(invoke(runs[0], "--format", "pmml", "--out", out), out, "pmml")


def test_unknown_dialect_is_refused(runs, tmp_path):
    out = tmp_path / "x.sql"
    result = invoke(runs[0], "--format", "sql", "--dialect", "mysql", "--out", out)
    assert_refused(result, out, "mysql", "ansi")


def test_sql_options_with_another_format_are_refused(runs, tmp_path):
    out = tmp_path / "x.onnx"
    result = invoke(runs[0], "--format", "onnx", "--dialect", "duckdb", "--out", out)
    assert_refused(result, out, "--dialect", "sql")


def test_missing_run_is_refused(tmp_path):
    out = tmp_path / "x.sql"
    result = invoke(tmp_path / "nowhere", "--format", "sql", "--out", out)
    assert_refused(result, out, "nowhere")


def test_existing_file_needs_force(runs, tmp_path):
    out = tmp_path / "score.py"
    out.write_text("keep me", encoding="utf-8")
    result = invoke(runs[0], "--format", "python", "--out", out)
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    result = invoke(runs[0], "--format", "python", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("def predict_proba(row: dict)")
