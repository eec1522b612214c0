"""The distillation run as a library function: stages, files, summary."""

from __future__ import annotations

import json

import pytest
from sklearn.linear_model import LogisticRegression

from tests.conftest import NUMERIC
from treedistill import DistillParams, load_student, run_distill
from treedistill.exceptions import DataError, OutputError, TeacherError
from treedistill.runs._outdir import MARKER
from treedistill.runs._pipeline import align_to_teacher


def test_student_sees_only_the_columns_the_teacher_reads(cohort, numeric_teacher):
    X, _ = cohort
    notes: list[str] = []
    aligned = align_to_teacher(numeric_teacher, X[::-1], notes)
    assert list(aligned.columns) == NUMERIC
    assert len(notes) == 1 and "sex, smoker, ward" in notes[0]
    with pytest.raises(DataError, match="'glucose'.*teacher needs"):
        align_to_teacher(numeric_teacher, X.drop(columns="glucose"), [])
    plain = LogisticRegression().fit(X[NUMERIC].fillna(0).to_numpy(), cohort[1])
    with pytest.raises(TeacherError, match="expects 6 feature columns"):
        align_to_teacher(plain, X, [])


@pytest.fixture(scope="module")
def finished(tmp_path_factory, cohort, numeric_teacher):
    import skops.io as sio

    work = tmp_path_factory.mktemp("run")
    X, y = cohort
    data = work / "cohort.csv"
    X.assign(risk=y).to_csv(data, index=False)
    teacher = work / "hgb.skops"
    sio.dump(numeric_teacher, teacher)
    seen = []
    opts = DistillParams(
        data=data,
        target="risk",
        out=work / "out",
        teacher=[teacher],
        student="both",
        augment_factor=1.0,
        max_leaf_nodes=6,
        copy_data=True,
    )
    result = run_distill(opts, progress=lambda *a: seen.append(a))
    return result, seen, work


def test_run_distill_result_and_files(finished):
    result, seen, work = finished
    out = work / "out"
    assert result.out_dir == out
    assert result.files == sorted(
        [
            "config.json", "held_out_rows.csv", "inputs/cohort.csv",
            "report.html", "report.json",
            "report.md", "rules.txt", "student-boosted.json", "student-tree.json",
            "timings.json",
        ]
    )  # fmt: skip
    for name in result.files:
        assert (out / name).is_file(), name
    marker = json.loads((out / MARKER).read_text())
    assert sorted(marker["files"]) == result.files
    stages = [s[0] for s in seen]
    assert stages == [
        "read data", "split", "teacher", "tree student", "boosted student",
        "evaluate", "write",
    ]  # fmt: skip
    assert [s[1] for s in seen] == list(range(7)) and {s[2] for s in seen} == {7}
    assert set(result.timings) == set(stages)


def test_run_distill_uses_only_the_teachers_columns(finished):
    result, _, work = finished
    assert any("sex, smoker, ward" in note for note in result.warnings)
    bundle = load_student(work / "out" / "student-tree.json")
    assert bundle.schema_.names == NUMERIC
    report = json.loads((work / "out" / "report.json").read_text())
    assert report["run"]["notes"] == result.warnings
    assert report["run"]["teacher"]["files"][0]["name"] == "hgb.skops"


def test_run_distill_summary_matches_the_models(finished):
    result, _, work = finished
    summary = result.summary()
    assert json.loads(json.dumps(summary)) == summary
    tree = result.models["tree"]
    assert summary["students"]["tree"]["leaves"] == tree.student_.get_n_leaves() <= 6
    assert summary["students"]["boosted"]["trees"] == 10
    report = json.loads((work / "out" / "report.json").read_text())
    rows = {r["key"]: r for r in report["fidelity"]["held_out"]}
    for kind in ("tree", "boosted"):
        assert summary["students"][kind]["agreement"] == pytest.approx(
            rows[kind]["agreement"], abs=1e-6
        )
    text = result.describe()
    assert "tree student (" in text and "boosted student (10 trees)" in text
    assert str(work / "out" / "report.html") in text
    bundle = load_student(work / "out" / "student-tree.json")
    assert bundle.metadata["held_out_fidelity"]["n"] == 100
    assert bundle.metadata["target"] == "risk"


def test_run_distill_refuses_a_full_directory_before_any_work(finished):
    result, _, work = finished
    before = sorted(p.name for p in (work / "out").iterdir())
    opts = DistillParams(data=work / "missing.csv", target="risk", out=work / "out")
    with pytest.raises(OutputError, match="already exists and is not empty"):
        run_distill(opts)
    assert sorted(p.name for p in (work / "out").iterdir()) == before


def test_default_teacher_runs_repeat_byte_for_byte(tmp_path, cohort):
    """The MLP trained inside the run: same inputs and seed, same bytes."""
    X, y = cohort
    data = tmp_path / "cohort.csv"
    X.assign(risk=y).to_csv(data, index=False)
    outs = []
    for name in ("a", "b"):
        opts = DistillParams(
            data=data,
            target="risk",
            out=tmp_path / name,
            teacher_hidden=(16,),
            teacher_max_epochs=15,
            augment_factor=1.0,
            seed=7,
        )
        result = run_distill(opts)
        assert result.files == sorted(
            ["config.json", "held_out_rows.csv", "report.html", "report.json",
             "report.md", "rules.txt", "student.json", "teacher.pt", "timings.json"]
        )  # fmt: skip
        outs.append(tmp_path / name)
    for name in ("report.json", "student.json", "report.md", "rules.txt",
                 "held_out_rows.csv", "teacher.pt"):  # fmt: skip
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    config = json.loads((outs[0] / "config.json").read_text())
    assert config["teacher"]["params"]["hidden_layer_sizes"] == [16]
    assert config["teacher"]["params"]["random_state"] == 7
    assert config["teachers"] == []
