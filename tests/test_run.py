"""The distillation run as a library function, the sweep, and run-directory helpers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill._bundle import load_student
from treedistill._run import (
    DistillOptions,
    _align_to_teacher,
    _Staging,
    check_out_dir,
    find_student,
    library_versions,
    predict_frame,
    run_distill,
    student_file_names,
)
from treedistill._sweep import split_validation, sweep_temperature_alpha
from treedistill.datasets import make_clinical_cohort

NUMERIC = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]


@pytest.fixture(scope="module")
def cohort():
    X, y = make_clinical_cohort(400, missing_rate=0.05, random_state=1)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def numeric_teacher(cohort):
    """A fast teacher that reads the numeric columns only (NaN handled natively)."""
    X, y = cohort
    return HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(
        X[NUMERIC], y
    )


# --------------------------------------------------------------------------- #
# Options
# --------------------------------------------------------------------------- #
def _opts(**kw) -> DistillOptions:
    return DistillOptions(data="d.csv", target="y", out="o", **kw)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"temperature": -1}, "--temperature must be > 0, got -1"),
        ({"temperature": float("nan")}, "--temperature must be a finite number"),
        ({"alpha": 2}, "--alpha must be in [0, 1], got 2"),
        ({"augment_factor": 1001}, "--augment-factor must be in [0, 1000], got 1001"),
        ({"test_size": 1.0}, "--test-size must be a share of the rows in (0, 1)"),
        ({"max_leaf_nodes": 1}, "--max-leaf-nodes must be >= 2, got 1"),
        ({"max_leaf_nodes": 2.5}, "--max-leaf-nodes must be a whole number"),
        ({"max_leaf_nodes": None}, "--max-leaf-nodes or --max-depth must be set"),
        ({"max_depth": 0}, "--max-depth must be >= 1, got 0"),
        ({"n_estimators": 0}, "--n-estimators must be >= 1, got 0"),
        ({"boost_depth": 0}, "--boost-depth must be >= 1, got 0"),
        ({"seed": -3}, "--seed must be >= 0, got -3"),
        ({"student": "forest"}, "--student must be one of tree, boosted, both"),
        ({"augmentation": "smote"}, "--augmentation must be one of"),
        ({"criterion": "mse"}, "--criterion must be one of entropy, gini"),
        ({"ensemble_method": "max"}, "--ensemble-method must be one of"),
        ({"classes": ["a"]}, "--classes must list at least 2 classes"),
        ({"temperature": "2"}, "--temperature must be a number"),
    ],
)
def test_options_validate_names_the_option(kw, message):
    with pytest.raises(ValueError) as info:
        _opts(**kw).validate()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_options_defaults_are_valid_and_serialisable():
    opts = _opts(teacher=[Path("a.pt")], drop=("id",))
    opts.validate()
    doc = opts.to_dict()
    assert doc["teacher"] == ["a.pt"] and doc["drop"] == ["id"]
    assert json.loads(json.dumps(doc)) == doc
    assert opts.student_kinds() == ["tree"]
    assert _opts(student="both").student_kinds() == ["tree", "boosted"]
    with pytest.raises(ValueError, match="only when no --teacher"):
        _opts(teacher=["a.pt"], teacher_max_epochs=5).validate()


def test_student_file_names_and_versions():
    assert student_file_names(["tree"]) == {"tree": "student.json"}
    assert student_file_names(["boosted"]) == {"boosted": "student.json"}
    assert student_file_names(["tree", "boosted"]) == {
        "tree": "student-tree.json",
        "boosted": "student-boosted.json",
    }
    versions = library_versions()
    for name in ("python", "treedistill", "scikit-learn", "xgboost", "torch",
                 "pandas", "shap"):  # fmt: skip
        assert isinstance(versions[name], str) and versions[name], name


# --------------------------------------------------------------------------- #
# The run directory: refusal, staging, publishing
# --------------------------------------------------------------------------- #
def test_check_out_dir(tmp_path):
    assert check_out_dir(tmp_path / "new", force=False) == tmp_path / "new"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_out_dir(empty, force=False) == empty
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    with pytest.raises(ValueError, match="already exists and is not empty") as info:
        check_out_dir(full, force=False)
    assert str(full) in str(info.value)
    with pytest.raises(ValueError, match="not a treedistill run directory"):
        check_out_dir(full, force=True)
    (full / "config.json").write_text("{}")
    assert check_out_dir(full, force=True) == full
    with pytest.raises(ValueError, match="holds the input file"):
        check_out_dir(full, force=True, keep=[full / "x"])
    with pytest.raises(ValueError, match="current folder"):
        check_out_dir(Path.cwd(), force=True)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="is not a directory"):
        check_out_dir(a_file, force=True)


def test_staging_publishes_whole_directories_only(tmp_path):
    out = tmp_path / "run"
    stage = _Staging(out)
    assert stage.path.parent == tmp_path and stage.path.name.startswith(".run.")
    (stage.path / "a.txt").write_text("new")
    assert not out.exists()
    stage.publish()
    assert (out / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]

    stage = _Staging(out)
    (stage.path / "b.txt").write_text("newer")
    assert (out / "a.txt").exists()  # old run intact while the new one is built
    stage.publish()
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]

    stage = _Staging(out)
    (stage.path / "c.txt").write_text("discarded")
    stage.discard()
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


# --------------------------------------------------------------------------- #
# Teacher columns
# --------------------------------------------------------------------------- #
def test_student_sees_only_the_columns_the_teacher_reads(cohort, numeric_teacher):
    X, _ = cohort
    notes: list[str] = []
    aligned = _align_to_teacher(numeric_teacher, X[::-1], notes)
    assert list(aligned.columns) == NUMERIC
    assert len(notes) == 1 and "sex, smoker, ward" in notes[0]
    with pytest.raises(ValueError, match="'glucose'.*teacher needs"):
        _align_to_teacher(numeric_teacher, X.drop(columns="glucose"), [])
    plain = LogisticRegression().fit(X[NUMERIC].fillna(0).to_numpy(), cohort[1])
    with pytest.raises(ValueError, match="expects 6 feature columns"):
        _align_to_teacher(plain, X, [])


# --------------------------------------------------------------------------- #
# Sweep
# --------------------------------------------------------------------------- #
def test_split_validation_is_stratified_and_seeded(cohort):
    X, y = cohort
    a = split_validation(X, y, validation_size=0.25, random_state=3)
    b = split_validation(X, y, validation_size=0.25, random_state=3)
    assert len(a[1]) == 100 and len(a[0]) == 300
    assert a[1].index.equals(b[1].index)
    share = np.mean(y == "high")
    assert abs(np.mean(a[3] == "high") - share) < 0.02
    with pytest.raises(ValueError, match="at least 10 validation rows"):
        split_validation(X.iloc[:20], y[:20])


@pytest.mark.parametrize("cls", [DistilledTreeClassifier, DistilledBoostingClassifier])
def test_sweep_picks_highest_agreement_then_lowest_kl(cohort, numeric_teacher, cls):
    X, y = cohort
    X = X[NUMERIC]
    estimator = cls(numeric_teacher, augment_factor=1.0, random_state=0)
    result = sweep_temperature_alpha(estimator, X, y, random_state=0)
    table = result.table
    assert [(r["temperature"], r["alpha"]) for r in table] == [
        (0.25, 0.0), (0.25, 0.3), (1.0, 0.0), (1.0, 0.3),
        (2.0, 0.0), (2.0, 0.3), (4.0, 0.0), (4.0, 0.3),
    ]  # fmt: skip
    assert result.n_fit + result.n_validation == len(X)
    counts = [round(r["agreement"] * result.n_validation) for r in table]
    best = [r for r, c in zip(table, counts, strict=True) if c == max(counts)]
    chosen = min(best, key=lambda r: r["kl"])
    assert (result.temperature, result.alpha) == (
        chosen["temperature"], chosen["alpha"],
    )  # fmt: skip
    assert [r["chosen"] for r in table].count(True) == 1
    assert f"T={chosen['temperature']:g}" in result.reason
    doc = result.to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["chosen"] == {"temperature": result.temperature, "alpha": result.alpha}
    # the teacher object is shared, not refit; the estimator itself is untouched
    assert estimator.temperature == cls().temperature
    assert not hasattr(estimator, "student_")
    again = sweep_temperature_alpha(estimator, X, y, random_state=0)
    assert again.to_dict() == doc


def test_sweep_refuses_bad_input(cohort, numeric_teacher):
    X, y = cohort
    with pytest.raises(ValueError, match="fitted teacher"):
        sweep_temperature_alpha(DistilledTreeClassifier(), X, y)
    est = DistilledTreeClassifier(numeric_teacher)
    with pytest.raises(ValueError, match="temperatures must be > 0"):
        sweep_temperature_alpha(est, X[NUMERIC], y, temperatures=[0])
    with pytest.raises(ValueError, match=r"alphas must be in \[0, 1\]"):
        sweep_temperature_alpha(est, X[NUMERIC], y, alphas=[1.5])


# --------------------------------------------------------------------------- #
# run_distill end to end (small, fast teacher from a skops file)
# --------------------------------------------------------------------------- #
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
    opts = DistillOptions(
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
            "config.json", "inputs/cohort.csv", "report.html", "report.json",
            "report.md", "rules.txt", "student-boosted.json", "student-tree.json",
            "timings.json",
        ]
    )  # fmt: skip
    for name in result.files:
        assert (out / name).is_file(), name
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
    opts = DistillOptions(data=work / "missing.csv", target="risk", out=work / "out")
    with pytest.raises(ValueError, match="already exists and is not empty"):
        run_distill(opts)
    assert sorted(p.name for p in (work / "out").iterdir()) == before


# --------------------------------------------------------------------------- #
# Saved students
# --------------------------------------------------------------------------- #
def test_find_student(finished, tmp_path):
    _, _, work = finished
    out = work / "out"
    assert find_student(out) == out / "student-tree.json"
    assert find_student(out, "boosted") == out / "student-boosted.json"
    assert find_student(out / "student-boosted.json") == out / "student-boosted.json"
    with pytest.raises(FileNotFoundError):
        find_student(tmp_path / "nothing")
    with pytest.raises(ValueError, match="holds no student file"):
        find_student(tmp_path)
    single = tmp_path / "single"
    single.mkdir()
    (single / "student.json").write_text('{"kind": "tree"}')
    assert find_student(single) == single / "student.json"
    with pytest.raises(ValueError, match="holds a tree student, not a boosted one"):
        find_student(single, "boosted")


def test_predict_frame(finished, cohort):
    _, _, work = finished
    X, _ = cohort
    bundle = load_student(work / "out" / "student-tree.json")
    out = predict_frame(bundle, X)
    assert list(out.columns) == [*X.columns, "prediction", "proba_high",
                                 "proba_low", "rule_id"]  # fmt: skip
    np.testing.assert_array_equal(out["rule_id"], bundle.apply(X))
    assert out["rule_id"].dtype == np.int64
    np.testing.assert_allclose(out[["proba_high", "proba_low"]].sum(axis=1), 1.0)
    assert list(X.columns) == list(cohort[0].columns)  # input not modified
    with pytest.raises(ValueError, match="already has a column 'prediction'"):
        predict_frame(bundle, X.assign(prediction=1))
    boosted = load_student(work / "out" / "student-boosted.json")
    assert "rule_id" not in predict_frame(boosted, X).columns
    assert isinstance(out, pd.DataFrame)


def test_default_teacher_runs_repeat_byte_for_byte(tmp_path, cohort):
    """The MLP trained inside the run: same inputs and seed, same bytes."""
    X, y = cohort
    data = tmp_path / "cohort.csv"
    X.assign(risk=y).to_csv(data, index=False)
    outs = []
    for name in ("a", "b"):
        opts = DistillOptions(
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
            ["config.json", "report.html", "report.json", "report.md", "rules.txt",
             "student.json", "timings.json"]
        )  # fmt: skip
        outs.append(tmp_path / name)
    for name in ("report.json", "student.json", "report.md", "rules.txt"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    config = json.loads((outs[0] / "config.json").read_text())
    assert config["teacher"]["params"]["hidden_layer_sizes"] == [16]
    assert config["teacher"]["params"]["random_state"] == 7
    assert config["teachers"] == []
