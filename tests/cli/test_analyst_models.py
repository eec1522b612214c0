"""The analyst's own models and decisions on the command line: a teacher trained on
other label codes, a teacher that saw the held-out rows, a column coded otherwise
than the teacher knew it, flagged rows in ``predict``, missing optional packages."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import cohort_frame, invoke, refused, tree_sha, write_csv

FAST = ["--augment-factor", "1", "--skip", "shap,stability", "--quiet"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """A cohort whose binary target is coded 1/2 (2 = high risk)."""
    folder = tmp_path_factory.mktemp("coded")
    frame = cohort_frame(300, missing_rate=0.0, seed=3)
    frame["risk"] = np.where(frame["risk"] == "high", 2, 1)
    return write_csv(frame, folder / "coded.csv")


@pytest.fixture(scope="module")
def xgb_teacher(coded):
    """An xgboost teacher trained on the 0/1 codes of the same target (skops)."""
    xgboost = pytest.importorskip("xgboost")
    sio = pytest.importorskip("skops.io")
    frame = pd.read_csv(coded)
    X = frame[["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]]
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=0)
    model.fit(X, frame["risk"] - 1)
    path = coded.parent / "xgb01.skops"
    sio.dump(model, path)
    return path


def test_teacher_trained_on_0_1_needs_teacher_classes_and_runs_with_them(
    coded, xgb_teacher, tmp_path
):
    args = ["distill", coded, "--target", "risk", "--teacher", xgb_teacher, *FAST]
    before = tree_sha(tmp_path)
    line = refused(invoke(*args, "--out", tmp_path / "no"), "--teacher-classes")
    assert "teacher labels: [0, 1], data labels: [1, 2]" in line
    assert tree_sha(tmp_path) == before  # nothing written

    run = tmp_path / "run"
    result = invoke(*args, "--teacher-classes", "1,2", "--out", run, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads((run / "report.json").read_text())
    assert report["run"]["teacher"]["classes"] == [1, 2]
    config = json.loads((run / "config.json").read_text())
    assert config["options"]["teacher_classes"] == ["1", "2"] or (
        config.get("teacher_classes") == ["1", "2"]
    )

    # predict and the exports speak the data's labels
    out = tmp_path / "p.csv"
    assert invoke("predict", run, coded, "--out", out).exit_code == 0
    predicted = pd.read_csv(out)
    assert set(predicted["prediction"]) <= {1, 2}
    assert {"proba_1", "proba_2"} <= set(predicted.columns)
    namespace: dict = {}
    exported = tmp_path / "score.py"
    assert invoke("export", run, "--format", "python", "--out", exported).exit_code == 0
    exec(exported.read_text(), namespace)
    row = predicted.iloc[0]
    proba = namespace["predict_proba"](row.to_dict())
    assert set(proba) == {1, 2}
    assert proba[2] == pytest.approx(row["proba_2"], abs=1e-12)


@pytest.mark.parametrize(
    "extra, name",
    [
        (["--teacher-classes", "1,2,3"], "3 labels"),
        (["--teacher-classes", "1,2", "--classes", "0,1"], "not both"),
    ],
)
def test_teacher_classes_that_do_not_fit_are_refused(
    coded, xgb_teacher, tmp_path, extra, name
):
    result = invoke(
        "distill", coded, "--target", "risk", "--teacher", xgb_teacher, *extra,
        *FAST, "--out", tmp_path / "run",
    )  # fmt: skip
    refused(result, "--teacher-classes", name)
    assert not (tmp_path / "run").exists()


def test_teacher_classes_without_a_teacher_file_is_refused(coded, tmp_path):
    result = invoke(
        "distill", coded, "--target", "risk", "--teacher-classes", "1,2", *FAST,
        "--out", tmp_path / "run",
    )  # fmt: skip
    refused(result, "--teacher-classes", "--teacher")


def _teacher(data, out, *extra):
    result = invoke(
        "train-teacher", data, "--target", "risk", "--out", out, "--hidden", "8",
        "--max-epochs", "5", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_a_teacher_trained_on_the_held_out_rows_is_counted_and_said(coded, tmp_path):
    teacher = _teacher(coded, tmp_path / "all.pt")
    run = tmp_path / "run"
    result = invoke(
        "distill", coded, "--target", "risk", "--teacher", teacher,
        "--augment-factor", "1", "--skip", "shap,stability",
        "--out", run, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    overlap = summary["teacher_held_out_overlap"]
    assert overlap["status"] == "overlap"
    assert overlap["n_overlap"] == overlap["n_test"] == 75
    # said before the students are trained
    stderr = result.stderr
    said = stderr.index("trained on 75 of the 75 held-out rows")
    assert said < stderr.index("tree student")
    report = json.loads((run / "report.json").read_text())
    assert report["summary"]["sentences"][0].startswith(
        "The teacher was trained on 75 of the 75 held-out rows"
    )
    assert "trained on 75 of the 75 held-out rows" in (run / "report.md").read_text()


def test_a_teacher_trained_on_other_rows_is_independent(coded, tmp_path):
    frame = pd.read_csv(coded)
    own = write_csv(frame.iloc[:150], tmp_path / "teacher-rows.csv")
    rest = write_csv(frame.iloc[150:], tmp_path / "distill-rows.csv")
    teacher = _teacher(own, tmp_path / "t.pt")
    result = invoke(
        "distill", rest, "--target", "risk", "--teacher", teacher,
        "--augment-factor", "1", "--skip", "shap,stability",
        "--out", tmp_path / "run", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    overlap = json.loads(result.stdout)["teacher_held_out_overlap"]
    assert overlap["status"] == "none" and overlap["n_overlap"] == 0


def test_a_teacher_file_without_a_record_is_overlap_unknown(
    coded, xgb_teacher, tmp_path
):
    run = tmp_path / "run"
    result = invoke(
        "distill", coded, "--target", "risk", "--teacher", xgb_teacher,
        "--teacher-classes", "1,2", "--augment-factor", "1",
        "--skip", "shap,stability", "--out", run, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    overlap = json.loads(result.stdout)["teacher_held_out_overlap"]
    assert overlap["status"] == "unknown" and overlap["n_overlap"] is None
    assert "overlap with the held-out rows unknown" in result.stderr.lower()
    report = json.loads((run / "report.json").read_text())
    assert any(
        "overlap with the held-out rows unknown" in s.lower()
        for s in report["summary"]["sentences"]
    )


def test_a_column_coded_otherwise_than_the_teacher_knew_is_refused(tmp_path):
    frame = cohort_frame(200, missing_rate=0.0, seed=4)
    data = write_csv(frame, tmp_path / "words.csv")
    teacher = _teacher(data, tmp_path / "t.pt")
    codes = {"never": 0, "former": 1, "current": 2}
    recoded = write_csv(
        frame.assign(smoker=frame["smoker"].map(codes)), tmp_path / "codes.csv"
    )
    result = invoke(
        "distill", recoded, "--target", "risk", "--teacher", teacher, *FAST,
        "--out", tmp_path / "run",
    )  # fmt: skip
    line = refused(result, "'smoker'", "100%")
    assert "categories the teacher was trained on" in line
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def rare_run(tmp_path_factory):
    """A run on a binary target and its held-out rows as a file."""
    folder = tmp_path_factory.mktemp("rare")
    frame = cohort_frame(600, missing_rate=0.05, seed=5)
    frame.insert(0, "patient", np.arange(1000, 1600))
    teacher = _teacher(
        write_csv(frame.iloc[:200], folder / "teacher.csv"), folder / "t.pt",
        "--drop", "patient",
    )  # fmt: skip
    frame = frame.iloc[200:]
    data = write_csv(frame, folder / "cohort.csv")
    run = folder / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--row-id", "patient",
        "--teacher", teacher, "--flag-rate", "0.1", *FAST, "--out", run,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    held = pd.read_csv(run / "held_out_rows.csv")["patient"]
    rows = write_csv(frame[frame["patient"].isin(held)], folder / "held_out.csv")
    return run, rows


def _student_point(run, kind):
    report = json.loads((run / "report.json").read_text())
    row = next(r for r in report["fidelity"]["held_out"] if r["key"] == "tree")
    return next(p for p in row["measures"]["operating_points"] if p["kind"] == kind)


@pytest.mark.parametrize(
    "option, kind",
    [("--flag-rate", "flag_rate"), ("--threshold", "threshold")],
)
def test_predict_reproduces_the_reports_flag_counts(rare_run, tmp_path, option, kind):
    run, rows = rare_run
    out = tmp_path / "p.csv"
    result = invoke("predict", run, rows, option, "--out", out)
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(out)
    point = _student_point(run, kind)
    assert predicted["flagged"].sum() == pytest.approx(point["student_flagged"])
    assert f"{point['student_flagged']:g} of 100 rows flagged" in result.output
    if kind == "flag_rate":
        cut = point["student_cut"]
        whole = predicted["flagged"].isin([0, 1])
        above = predicted["proba_high"] > cut * (1 + 1e-5)  # the cut has 6 digits
        below = predicted["proba_high"] < cut * (1 - 1e-5)
        assert (predicted.loc[above, "flagged"] == 1).all()
        assert (predicted.loc[below, "flagged"] == 0).all()
        tied = predicted.loc[~above & ~below, "flagged"]
        assert whole.all() or not tied.isin([0, 1]).all()
        assert f"P(high) >= {cut:.6g}" in result.output


def test_predict_flags_at_a_threshold_given(rare_run, tmp_path):
    run, rows = rare_run
    out = tmp_path / "p.csv"
    result = invoke("predict", run, rows, "--threshold", "0.2", "--out", out)
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(out)
    expected = (predicted["proba_high"] >= 0.2).astype(int)
    assert predicted["flagged"].tolist() == expected.tolist()


@pytest.mark.parametrize(
    "extra, names",
    [
        (["--threshold", "0.2", "--flag-rate", "0.1"], ["--threshold", "--flag-rate"]),
        (["--threshold", "1.5"], ["--threshold", "1.5"]),
        (["--flag-rate", "0"], ["--flag-rate"]),
        (["--threshold", "0.2", "--positive-class", "medium"], ["--positive-class"]),
    ],
)
def test_predict_refuses_bad_flag_options(rare_run, tmp_path, extra, names):
    run, rows = rare_run
    out = tmp_path / "p.csv"
    refused(invoke("predict", run, rows, *extra, "--out", out), *names)
    assert not out.exists()


def test_onnx_export_without_onnx_says_how_to_install_it(
    rare_run, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, "onnx", None)
    out = tmp_path / "m.onnx"
    result = invoke("export", rare_run[0], "--format", "onnx", "--out", out)
    refused(result, "onnx", "pip install 'treedistill[export]'")
    assert not out.exists()


def test_export_flags_at_the_runs_flag_rate_cut(rare_run, tmp_path):
    run, rows = rare_run
    script = tmp_path / "score.py"
    result = invoke("export", run, "--format", "python", "--flag-rate", "--out", script)
    assert result.exit_code == 0, result.output
    cut = _student_point(run, "flag_rate")["student_cut"]
    assert f"P(high) >= {cut:.6g}" in result.output
    namespace: dict = {}
    exec(script.read_text(), namespace)
    out = tmp_path / "p.csv"
    assert invoke("predict", run, rows, "--out", out).exit_code == 0
    predicted = pd.read_csv(out)
    frame = pd.read_csv(rows)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    flagged = [namespace["flagged"](r) for r in records]
    # every row at or above the cut (the tied rows included)
    at_cut = predicted["proba_high"] >= cut * (1 - 1e-5)
    assert flagged == at_cut.astype(int).tolist()
    assert sum(flagged) >= _student_point(run, "flag_rate")["student_flagged"]


def test_export_refuses_two_flag_options(rare_run, tmp_path):
    out = tmp_path / "s.sql"
    result = invoke(
        "export", rare_run[0], "--format", "sql", "--threshold", "0.2",
        "--flag-rate", "--out", out,
    )  # fmt: skip
    refused(result, "--threshold", "--flag-rate")
    assert not out.exists()


def test_predict_keeps_the_input_rows_as_given(rare_run, tmp_path):
    run, rows = rare_run
    frame = pd.read_csv(rows).head(5)
    text = rows.read_text().splitlines()
    given = tmp_path / "given.csv"
    # a whole number in a column with decimals, a missing marker, padded text
    lines = [text[0], *text[1:6]]
    cells = lines[2].split(",")
    age = frame.columns.get_loc("age")
    cells[age] = "N/A"
    lines[2] = ",".join(cells)
    given.write_text("\n".join(lines) + "\n")
    out = tmp_path / "p.csv"
    assert invoke("predict", run, given, "--out", out).exit_code == 0
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    source = pd.read_csv(given, dtype=str, keep_default_na=False)
    assert written[list(source.columns)].equals(source)
    assert written.loc[1, "age"] == "N/A"


def test_predict_keeps_a_parquet_index(rare_run, tmp_path):
    run, rows = rare_run
    frame = pd.read_csv(rows).set_index("patient")
    frame.to_parquet(tmp_path / "rows.parquet")
    out = tmp_path / "p.csv"
    assert (
        invoke("predict", run, tmp_path / "rows.parquet", "--out", out).exit_code == 0
    )
    written = pd.read_csv(out)
    assert written.columns[0] == "patient"
    assert written["patient"].tolist() == frame.index.tolist()
