"""``treedistill report RUN --out NEWDIR`` with other class names, threshold or
flag rate: the run re-derived into a new run folder; its refusals."""

from __future__ import annotations

import json

import pytest

from tests.conftest import (
    cohort_frame,
    invoke,
    refused,
    sha,
    trained_teacher,
    tree_sha,
    write_csv,
)

FAST = ("--augment-factor", "1", "--skip", "shap,size-curve,stability")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("rederive")
    data = write_csv(cohort_frame(240, missing_rate=0.05), work / "cohort.csv")
    teacher = trained_teacher(data, work / "teacher.pt", max_epochs=20)
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher,
        "--max-leaf-nodes", "5", "--positive-class", "high", "--out", work / "run",
        "--quiet", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return work


def _model(path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("metadata")  # the report's numbers, which move with the decisions
    return doc


def test_report_with_a_threshold_writes_a_new_run(work):
    run, new = work / "run", work / "t25"
    before = tree_sha(run)
    result = invoke("report", run, "--out", new, "--threshold", "0.25")
    assert result.exit_code == 0, result.output
    assert tree_sha(run) == before
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"Re-derived from the run {run.absolute()} (report.json")
    assert "threshold 0.25 (was 0.5)" in first
    assert _model(new / "student.json") == _model(run / "student.json")
    report = json.loads((new / "report.json").read_text(encoding="utf-8"))
    assert report["operating_points"]["threshold"] == 0.25
    assert report["run"]["rederived_from"]["report_sha256"] == sha(run / "report.json")
    assert (new / "report.md").read_text(encoding="utf-8").splitlines()[2] == (
        report["run"]["rederived_from"]["text"]
    )
    # Without the options, report re-renders the run's own files as before.
    assert invoke("report", run, "--quiet").exit_code == 0
    assert tree_sha(run) == before


def test_report_class_names_need_out_and_never_replace_the_run(work):
    run = work / "run"
    before, listing = tree_sha(run), sorted(p.name for p in work.iterdir())
    refused(
        invoke("report", run, "--class-names", "high=High,low=Low"),
        "--class-names",
        "--out",
    )
    refused(
        invoke("report", run, "--out", run, "--threshold", "0.3", "--force"),
        "--threshold",
        "--out",
    )
    refused(
        invoke("report", run, "--out", work / "x", "--flag-rate", "2"), "--flag-rate"
    )
    assert tree_sha(run) == before
    assert sorted(p.name for p in work.iterdir()) == listing


def test_report_refuses_an_existing_run_without_force(work, tmp_path):
    other = work / "run"
    new = tmp_path / "new"
    assert invoke("report", other, "--out", new, "--threshold", "0.3").exit_code == 0
    before = tree_sha(new)
    refused(
        invoke("report", other, "--out", new, "--threshold", "0.4"),
        str(new.name),
        "--force",
    )
    assert tree_sha(new) == before
    result = invoke("report", other, "--out", new, "--threshold", "0.4", "--force")
    assert result.exit_code == 0, result.output
    report = json.loads((new / "report.json").read_text(encoding="utf-8"))
    assert report["operating_points"]["threshold"] == 0.4


def test_report_refuses_a_changed_data_file(work, tmp_path):
    data = work / "cohort.csv"
    original = data.read_bytes()
    try:
        data.write_bytes(original.replace(b"\n", b"\r\n", 3))
        line = refused(
            invoke(
                "report", work / "run", "--out", tmp_path / "n", "--threshold", "0.3"
            ),
            "cohort.csv",
            "changed",
        )
        assert "sha256" in line
        data.unlink()
        refused(
            invoke(
                "report", work / "run", "--out", tmp_path / "n", "--threshold", "0.3"
            ),
            "cohort.csv",
            "missing",
        )
    finally:
        data.write_bytes(original)
    assert not (tmp_path / "n").exists()
