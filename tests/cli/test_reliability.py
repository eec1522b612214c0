"""Reliability of the command line on bad files, odd values, bad options and
untrusted models, end to end through ``treedistill.cli``.

A refusal is: exit code 2, one ``Error: ...`` line on stderr naming the file,
column or option at fault, no traceback, nothing written (no run directory, no
output file, no half-written sibling) and every input file byte-identical.
Cases the library accepts are run through to a finished report or prediction.

Cases already covered end to end in ``test_cli.py`` are not repeated here: a
missing data file and an absent target for ``distill``, the option values
(temperature <= 0, alpha outside [0, 1], --max-leaf-nodes 0, --max-depth 0,
--n-estimators 0, --augment-factor -1 / 5000, unknown --student and
--augmentation), and two seeded runs giving byte-identical report.json and
student JSON files.
"""

from __future__ import annotations

import io
import json
import pathlib
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from tests.conftest import (
    cohort_frame,
    invoke,
    refused,
    sha,
    trained_teacher,
    tree_sha,
    write_csv,
)
from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill.distill._bundle import load_student

N_ROWS = 300
FAST = ["--augment-factor", "1"]


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
def warnings_of(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.startswith("Warning: ")]


def leftovers(folder: Path) -> list[str]:
    """Hidden partial files or directories a failed write could leave."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


# --------------------------------------------------------------------------- #
# Module-scoped inputs: a small cohort, a fast teacher, one finished run
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reliability")


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return cohort_frame(N_ROWS, missing_rate=0.1)


@pytest.fixture(scope="module")
def cohort_csv(work, cohort) -> Path:
    return write_csv(cohort, work / "cohort.csv")


@pytest.fixture(scope="module")
def teacher_pt(work, cohort_csv) -> Path:
    return trained_teacher(cohort_csv, work / "teacher.pt", max_epochs=20)


@pytest.fixture(scope="module")
def run_dir(work, cohort_csv, teacher_pt) -> Path:
    out = work / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", out, "--quiet", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def distill(data, out, teacher=None, *extra):
    teacher_args = ["--teacher", teacher] if teacher is not None else []
    return invoke(
        "distill", data, "--target", "risk", *teacher_args, "--out", out,
        *FAST, *extra,
    )  # fmt: skip


def report_of(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- #
# Bad files and bad values: refused by distill, train-teacher and predict
# --------------------------------------------------------------------------- #
def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _xlsx(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()  # the zip container of a real workbook
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buf.getvalue()


def _png(frame: pd.DataFrame) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(64))


def _latin1(frame: pd.DataFrame) -> bytes:
    ward = frame["ward"].astype(object).replace("general", "g\u00e9n\u00e9ral")
    return frame.assign(ward=ward).to_csv(index=False).encode("latin-1")


def _header_only(frame: pd.DataFrame) -> bytes:
    return (",".join(frame.columns) + "\n").encode("utf-8")


def _duplicate_names(frame: pd.DataFrame) -> bytes:
    return _csv(frame.rename(columns={"sbp": "age"}))


def _one_class(frame: pd.DataFrame) -> bytes:
    return _csv(frame.assign(risk="low"))


def _single_row_class(frame: pd.DataFrame) -> bytes:
    return _csv(frame.assign(risk=["rare", *frame["risk"].iloc[1:]]))


def _text_in_numeric(frame: pd.DataFrame) -> bytes:
    glucose = frame["glucose"].astype(object)
    glucose.iloc[5] = "abc"
    return _csv(frame.assign(glucose=glucose))


def _infinity(frame: pd.DataFrame) -> bytes:
    bmi = frame["bmi"].copy()
    bmi.iloc[7] = np.inf
    text = _csv(frame.assign(bmi=bmi)).decode("utf-8")
    assert ",inf," in text  # a literal `inf` cell
    return text.encode("utf-8")


# (case, file name, content builder or None for "no file", {command: message})
BOTH = ("distill", "train-teacher")
ALL = ("distill", "train-teacher", "predict")
BAD_INPUTS = [
    ("missing", "absent.csv", None, dict.fromkeys(ALL, "does not exist")),
    ("empty", "empty.csv", lambda f: b"", dict.fromkeys(ALL, "is empty (0 bytes)")),
    ("xlsx", "book.xlsx", _xlsx, dict.fromkeys(ALL, "is not CSV or Parquet")),
    ("png-as-csv", "image.csv", _png, dict.fromkeys(ALL, "not text")),
    ("latin-1", "latin1.csv", _latin1, dict.fromkeys(ALL, "is not UTF-8 text")),
    (
        "header-only",
        "header.csv",
        _header_only,
        dict.fromkeys(ALL, "has a header but no data rows"),
    ),
    (
        "duplicate-columns",
        "dup.csv",
        _duplicate_names,
        dict.fromkeys(ALL, "has two columns named 'age'"),
    ),
    (
        "one-class",
        "oneclass.csv",
        _one_class,
        dict.fromkeys(BOTH, "target column 'risk' has only one class ('low')"),
    ),
    (
        "single-row-class",
        "single.csv",
        _single_row_class,
        dict.fromkeys(BOTH, "class 'rare' of target 'risk' has only 1 row"),
    ),
    (
        "text-in-numeric",
        "text.csv",
        _text_in_numeric,
        {
            **dict.fromkeys(BOTH, "column 'glucose' is numeric but row 6 holds 'abc'"),
            "predict": "column 'glucose' must be numeric",
        },
    ),
    (
        "infinity",
        "inf.csv",
        _infinity,
        {
            **dict.fromkeys(BOTH, "column 'bmi' has infinite values (first at row 8)"),
            "predict": "column 'bmi' contains infinite values",
        },
    ),
]
# faults of the file itself name the file; faults of a column name the column
FILE_LEVEL = {"missing", "empty", "xlsx", "png-as-csv", "latin-1", "header-only",
              "duplicate-columns"}  # fmt: skip
BAD_INPUT_PARAMS = [
    pytest.param(name, file, build, command, messages[command], id=f"{command}-{name}")
    for name, file, build, messages in BAD_INPUTS
    for command in ALL
    if command in messages
]


@pytest.mark.parametrize(
    ("case", "file", "build", "command", "message"), BAD_INPUT_PARAMS
)
def test_bad_data_file_is_refused_and_nothing_is_written(
    tmp_path, cohort, teacher_pt, run_dir, case, file, build, command, message
):
    data = tmp_path / file
    if build is not None:
        data.write_bytes(build(cohort))
    guarded = [teacher_pt, *sorted(p for p in run_dir.iterdir())]
    before = {p: sha(p) for p in [*guarded, *([data] if build else [])]}
    if command == "distill":
        out = tmp_path / "run"
        result = distill(data, out, teacher_pt)
    elif command == "train-teacher":
        out = tmp_path / "teacher.pt"
        result = invoke(
            "train-teacher", data, "--target", "risk", "--out", out,
            "--hidden", "8", "--max-epochs", "2",
        )  # fmt: skip
    else:
        out = tmp_path / "pred.csv"
        result = invoke("predict", run_dir, data, "--out", out)
    refused(result, message, *([file] if case in FILE_LEVEL else []))
    assert not out.exists()
    assert leftovers(tmp_path) == []
    assert {p.name for p in tmp_path.iterdir()} == ({file} if build else set())
    assert {p: sha(p) for p in before} == before


# --------------------------------------------------------------------------- #
# Values that are accepted, with a warning
# --------------------------------------------------------------------------- #
def test_all_missing_columns_are_dropped_with_a_warning_and_recorded(
    tmp_path, cohort, teacher_pt
):
    data = tmp_path / "allmissing.csv"
    # one column of blank cells, one of missing-value tokens
    cohort.assign(blank="", tokens="NA").to_csv(data, index=False)
    before = sha(data)
    out = tmp_path / "run"
    result = distill(data, out, teacher_pt)
    assert result.exit_code == 0, result.output
    shown = warnings_of(result)
    for name in ("blank", "tokens"):
        assert f"Warning: column {name!r} dropped: all values are missing" in shown
    data_summary = report_of(out)["run"]["data"]
    assert data_summary["dropped_columns"] == [
        {"column": "blank", "reason": "all values missing"},
        {"column": "tokens", "reason": "all values missing"},
    ]
    rows = {r["column"]: r for r in data_summary["columns"]}
    assert rows["blank"]["action"] == "dropped: all values missing"
    assert rows["tokens"]["n_missing"] == N_ROWS
    assert data_summary["n_features"] == 9
    assert "blank" not in load_student(out / "student.json").schema_.names
    assert sha(data) == before


def test_constant_columns_are_kept_with_a_warning(tmp_path, cohort):
    data = tmp_path / "constant.csv"
    cohort.assign(site="A", version=7).to_csv(data, index=False)
    out = tmp_path / "run"
    # default teacher (small): the constant columns reach the teacher too
    result = distill(data, out, None, "--max-leaf-nodes", "4")
    assert result.exit_code == 0, result.output
    shown = " | ".join(warnings_of(result))
    assert "column 'site' has a single value ('A'): it cannot split the data" in shown
    assert "column 'version' has a single value (7)" in shown
    rows = {r["column"]: r for r in report_of(out)["run"]["data"]["columns"]}
    assert rows["site"]["action"] == "kept: constant"
    assert rows["version"]["action"] == "kept: constant"
    schema = load_student(out / "student.json").schema_
    assert {"site", "version"} <= set(schema.names)


def test_unseen_categories_in_held_out_rows_are_noted_once(
    tmp_path, cohort, teacher_pt
):
    """Test rows with a ward training never saw: kept, scored, one note."""
    rows = np.arange(len(cohort))
    # the split distill makes (stratified, seeded, test_size 0.25)
    _, test_rows = train_test_split(
        rows, test_size=0.25, random_state=0, stratify=cohort["risk"].to_numpy()
    )
    ward = cohort["ward"].astype(object).copy()
    ward.iloc[np.sort(test_rows)[:3]] = "oncology"
    data = tmp_path / "unseen.csv"
    cohort.assign(ward=ward).to_csv(data, index=False)
    out = tmp_path / "run"
    result = distill(data, out, teacher_pt, "--student", "both", "--json")
    assert result.exit_code == 0, result.output
    about_ward = [w for w in warnings_of(result) if "not seen in training" in w]
    assert len(about_ward) == 1, result.stderr
    assert "column 'ward'" in about_ward[0] and "'oncology'" in about_ward[0]
    assert "3 held-out row(s)" in about_ward[0]
    report = report_of(out)
    assert any("'oncology'" in note for note in report["run"]["notes"])
    summary = json.loads(result.stdout)
    for kind in ("tree", "boosted"):
        assert summary["students"][kind]["n_test"] == 75  # no row lost
    assert {"report.html", "report.md", "rules.txt"} <= {p.name for p in out.iterdir()}


# --------------------------------------------------------------------------- #
# Columns: missing, extra, reordered
# --------------------------------------------------------------------------- #
def test_distill_refuses_data_lacking_a_teacher_column(tmp_path, cohort, teacher_pt):
    data = tmp_path / "lacking.csv"
    cohort.drop(columns=["bmi"]).to_csv(data, index=False)
    before = sha(data), sha(teacher_pt)
    out = tmp_path / "run"
    refused(distill(data, out, teacher_pt), "column 'bmi'", "teacher needs")
    assert not out.exists() and leftovers(tmp_path) == []
    assert (sha(data), sha(teacher_pt)) == before


def test_distill_ignores_extra_columns_with_a_note(tmp_path, cohort, teacher_pt):
    data = tmp_path / "extra.csv"
    cohort.assign(extra1=np.arange(N_ROWS) % 7, remark="x").to_csv(data, index=False)
    out = tmp_path / "run"
    result = distill(data, out, teacher_pt)
    assert result.exit_code == 0, result.output
    note = "2 column(s) the teacher does not read are left out of the student too"
    assert any(note in w and "extra1, remark" in w for w in warnings_of(result))
    assert any(note in n for n in report_of(out)["run"]["notes"])
    schema = load_student(out / "student.json").schema_
    assert not {"extra1", "remark"} & set(schema.names)


@pytest.fixture(scope="module")
def baseline_predictions(work, run_dir, cohort) -> pd.DataFrame:
    data = work / "features.csv"
    cohort.drop(columns=["risk"]).to_csv(data, index=False)
    out = work / "baseline.csv"
    result = invoke("predict", run_dir, data, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # nothing to warn about
    return pd.read_csv(out)


PREDICTED = ["prediction", "proba_high", "proba_low", "rule_id"]


@pytest.mark.parametrize("variant", ["reordered", "extra", "both"])
def test_predict_matches_columns_by_name_and_ignores_extras(
    tmp_path, run_dir, cohort, baseline_predictions, variant
):
    frame = cohort.drop(columns=["risk"])
    if variant in ("reordered", "both"):
        frame = frame[frame.columns[::-1]]
    if variant in ("extra", "both"):
        frame = frame.assign(extra1=1.5, remark="x")
    data = tmp_path / "new.csv"
    frame.to_csv(data, index=False)
    before = sha(data)
    out = tmp_path / "pred.csv"
    result = invoke("predict", run_dir, data, "--out", out)
    assert result.exit_code == 0, result.output
    assert warnings_of(result) == []
    notes = [ln for ln in result.stderr.splitlines() if ln.startswith("Note: ")]
    if variant == "reordered":
        assert notes == []
    else:
        assert len(notes) == 1 and "ignored" in notes[0]
        assert notes[0].endswith("extra1, remark")
    pred = pd.read_csv(out)
    assert list(pred.columns) == [*frame.columns, *PREDICTED]
    pd.testing.assert_frame_equal(pred[PREDICTED], baseline_predictions[PREDICTED])
    assert sha(data) == before


def test_predict_refuses_data_lacking_a_student_column(tmp_path, run_dir, cohort):
    data = tmp_path / "lacking.csv"
    cohort.drop(columns=["risk", "creatinine"]).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    refused(invoke("predict", run_dir, data, "--out", out), "column 'creatinine'")
    assert not out.exists() and leftovers(tmp_path) == []


def test_predict_scores_rows_with_unseen_categories_and_warns_once(
    tmp_path, run_dir, cohort, baseline_predictions
):
    frame = cohort.drop(columns=["risk"])
    ward = frame["ward"].astype(object).copy()
    ward.iloc[[0, 5]] = "oncology"
    smoker = frame["smoker"].astype(object).copy()
    smoker.iloc[9] = "vaper"
    data = tmp_path / "unseen.csv"
    frame.assign(ward=ward, smoker=smoker).to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    result = invoke("predict", run_dir, data, "--out", out)
    assert result.exit_code == 0, result.output
    shown = warnings_of(result)
    assert len(shown) == 2, result.stderr  # one per column, not one per pass
    assert "column 'ward' has 2 value(s) not seen in training" in shown[0] + shown[1]
    assert "column 'smoker' has 1 value(s) not seen in training" in shown[0] + shown[1]
    pred = pd.read_csv(out)
    assert len(pred) == N_ROWS
    assert pred["prediction"].isin(["high", "low"]).all()
    proba = pred[["proba_high", "proba_low"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert pred["rule_id"].notna().all()
    # rows with only known values are scored exactly as before
    same = ~np.isin(np.arange(N_ROWS), [0, 5, 9])
    pd.testing.assert_frame_equal(
        pred.loc[same, PREDICTED], baseline_predictions.loc[same, PREDICTED]
    )


# --------------------------------------------------------------------------- #
# Options (values not already covered in test_cli.py) and library parameters
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--max-leaf-nodes", "1"], "--max-leaf-nodes must be >= 2, got 1"),
        (["--max-leaf-nodes", "-3"], "--max-leaf-nodes must be >= 2, got -3"),
        (["--max-depth", "-1"], "--max-depth must be >= 1, got -1"),
        (["--n-estimators", "-2"], "--n-estimators must be >= 1, got -2"),
        (["--temperature", "-0.0"], "--temperature must be > 0"),
        (["--temperature", "nan"], "--temperature must be a finite number"),
        (["--alpha", "nan"], "--alpha must be a finite number"),
        (["--augment-factor", "inf"], "--augment-factor must be a finite number"),
        (["--augment-factor", "1000.5"], "--augment-factor must be in [0, 1000]"),
        (["--student", "forest"], "--student"),
        (["--augmentation", "smote"], "--augmentation"),
    ],
)
def test_bad_option_is_refused_before_any_work(
    tmp_path, cohort_csv, teacher_pt, extra, message
):
    before = sha(cohort_csv), sha(teacher_pt)
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", out, "--student", "both", *extra,
    )  # fmt: skip
    refused(result, message)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert (sha(cohort_csv), sha(teacher_pt)) == before


@pytest.mark.parametrize(
    ("cls", "params", "name"),
    [
        (DistilledTreeClassifier, {"temperature": -1}, "temperature"),
        (DistilledTreeClassifier, {"temperature": float("nan")}, "temperature"),
        (DistilledTreeClassifier, {"max_leaf_nodes": 0}, "max_leaf_nodes"),
        (DistilledTreeClassifier, {"max_depth": -1}, "max_depth"),
        (DistilledTreeClassifier, {"min_samples_leaf": 0}, "min_samples_leaf"),
        (DistilledTreeClassifier, {"augment_factor": float("inf")}, "augment_factor"),
        (DistilledBoostingClassifier, {"temperature": 0}, "temperature"),
        (DistilledBoostingClassifier, {"alpha": 2}, "alpha"),
        (DistilledBoostingClassifier, {"alpha": -0.5}, "alpha"),
        (DistilledBoostingClassifier, {"n_estimators": 0}, "n_estimators"),
        (DistilledBoostingClassifier, {"max_depth": 0}, "max_depth"),
        (DistilledBoostingClassifier, {"learning_rate": 0}, "learning_rate"),
        (DistilledBoostingClassifier, {"augment_factor": 5000}, "augment_factor"),
        (DistilledBoostingClassifier, {"augmentation": "smote"}, "augmentation"),
    ],
)
def test_library_refuses_bad_parameters_naming_them(cls, params, name):
    X, y = make_classification(60, n_features=4, random_state=0)
    with pytest.raises(ValueError) as info:
        cls(LogisticRegression(), **params).fit(X, y)
    assert name in str(info.value)


# --------------------------------------------------------------------------- #
# Untrusted teacher files
# --------------------------------------------------------------------------- #
class _Marker:
    """Unpickling this creates the file ``path``."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (self.path,))


class _Custom:
    """A type that is on no skops allow-list."""

    def __init__(self):
        self.payload = [1, 2, 3]


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_teacher_is_not_unpickled_without_trust(tmp_path, cohort_csv, suffix):
    marker = tmp_path / "marker"
    model = tmp_path / f"model{suffix}"
    model.write_bytes(pickle.dumps(_Marker(marker)))
    before = sha(model)
    out = tmp_path / "run"
    refused(distill(cohort_csv, out, model), "--trust-pickle", model.name)
    assert not marker.exists()
    assert not out.exists() and sha(model) == before
    assert {p.name for p in tmp_path.iterdir()} == {model.name}


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "inside-a-model"])
def test_skops_teacher_with_a_disallowed_type_is_refused(tmp_path, cohort_csv, wrapped):
    skops_io = pytest.importorskip("skops.io")
    obj = _Custom()
    if wrapped:
        obj = LogisticRegression()
        obj.extra_ = _Custom()  # a fitted-looking model smuggling the type
    model = tmp_path / "model.skops"
    model.write_bytes(skops_io.dumps(obj))
    out = tmp_path / "run"
    type_name = f"{_Custom.__module__}._Custom"
    line = refused(distill(cohort_csv, out, model), model.name, repr(type_name))
    assert "allow-list" in line
    assert not out.exists() and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- #
# Nothing lost
# --------------------------------------------------------------------------- #
def test_existing_run_directory_is_not_replaced_without_force(
    tmp_path, run_dir, cohort_csv, teacher_pt
):
    old = tmp_path / "old-run"
    shutil.copytree(run_dir, old)
    before = tree_sha(old)
    result = distill(cohort_csv, old, teacher_pt, "--temperature", "2")
    refused(result, str(old), "--force")
    assert tree_sha(old) == before
    assert leftovers(tmp_path) == []


def test_predict_output_is_not_replaced_without_force(tmp_path, run_dir, cohort_csv):
    out = tmp_path / "pred.csv"
    out.write_text("id,prediction\n1,keep me\n", encoding="utf-8")
    before = sha(out)
    refused(invoke("predict", run_dir, cohort_csv, "--out", out), str(out), "--force")
    assert sha(out) == before
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------- #
# A target with many classes for its rows: refused unless --many-classes
# --------------------------------------------------------------------------- #
def test_many_classes_need_the_option(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=80), "level": np.arange(80) % 20})
    data = write_csv(frame, tmp_path / "levels.csv")
    before = sha(data)
    out = tmp_path / "t.pt"
    base = ["train-teacher", data, "--target", "level", "--out", out,
            "--hidden", "4", "--max-epochs", "1", "--quiet"]  # fmt: skip
    refused(invoke(*base), "--many-classes", "20")
    refused(
        invoke("distill", data, "--target", "level", "--out", tmp_path / "run"),
        "--many-classes",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["levels.csv"]
    result = invoke(*base, "--many-classes")
    assert result.exit_code == 0, result.output
    assert out.is_file() and sha(data) == before


def test_predict_warns_once_about_missing_values_never_seen_in_training(
    tmp_path, run_dir, cohort
):
    frame = cohort.drop(columns=["risk"])
    assert not frame["age"].isna().any() and not frame["glucose"].isna().any()
    frame["age"] = frame["age"].astype(float)
    frame.loc[[0, 3], "age"] = np.nan
    frame.loc[[3], "glucose"] = np.nan
    data = tmp_path / "blank.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "pred.csv"
    result = invoke("predict", run_dir, data, "--out", out)
    assert result.exit_code == 0, result.output
    shown = [w for w in warnings_of(result) if "had none in training" in w]
    assert len(shown) == 1, result.stderr
    assert f"2 of {N_ROWS} rows have a missing value" in shown[0]
    assert "(age 2, glucose 1)" in shown[0]
    assert pd.read_csv(out)["rule_id"].notna().all()
