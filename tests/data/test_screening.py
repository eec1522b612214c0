"""Checks before training: identifiers, leaks, text columns; missingness after the fit."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import treedistill.runs._pipeline as pipeline
from treedistill import DistillParams, prepare_data, run_distill
from treedistill.cli import _common
from treedistill.cli.main import cli
from treedistill.data._screening import LEAK_AUC, leak_scores, screen_data
from treedistill.datasets import make_clinical_cohort
from treedistill.exceptions import (
    DataError,
    DataWarning,
    IdentifierColumnWarning,
    LeakageWarning,
    ParameterError,
)

FAST = {
    "teacher_hidden": (8,),
    "teacher_max_epochs": 5,
    "augment_factor": 1.0,
    "skip": ["shap", "size_curve", "stability"],
}


def _cohort(n: int = 300, seed: int = 0) -> pd.DataFrame:
    X, y = make_clinical_cohort(n, missing_rate=0.05, random_state=seed)
    frame = X.assign(**{str(y.name): y.to_numpy()})
    frame.insert(0, "patient_id", np.arange(1001, 1001 + n))
    return frame


@pytest.fixture(scope="module")
def data_with_leak(tmp_path_factory):
    frame = _cohort()
    target = frame.columns[-1]
    rng = np.random.default_rng(3)
    # A later test result for the same diagnosis: the target plus a little noise.
    codes = pd.factorize(frame[target], sort=True)[0]
    frame["confirmatory_test"] = codes * 10 + rng.normal(0, 1, len(frame))
    path = tmp_path_factory.mktemp("data") / "cohort.csv"
    frame.to_csv(path, index=False)
    return path, str(target)


# --------------------------------------------------------------------------- #
# Identifier columns
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "name", ["id", "patient_id", "PatientNumber", "record_no", "MRN", "case number"]
)
def test_id_named_unique_columns_are_left_out_when_asked(name):
    frame = pd.DataFrame(
        {name: np.arange(40) * 7 + 3, "x": np.arange(40) % 5, "y": [0, 1] * 20}
    )
    with pytest.warns(IdentifierColumnWarning, match=f"column '{name}'.*left out"):
        X, _, summary = prepare_data(frame, "y", drop_identifiers=True, warn=True)
    assert list(X.columns) == ["x"]
    assert summary["dropped_columns"] == {name: "looks like an identifier"}
    X, _, _ = prepare_data(frame, "y", drop_identifiers=True, keep=[name])
    assert list(X.columns) == [name, "x"]


def test_sequential_integers_and_unique_text_are_identifiers_but_measures_are_not():
    n = 60
    frame = pd.DataFrame(
        {
            "seq": np.arange(5, 5 + n)[::-1],
            "code": [f"A{i:04d}" for i in range(n)],
            "weight": np.linspace(50, 90, n) + 0.123,  # unique, not whole numbers
            "y": [0, 1] * (n // 2),
        }
    )
    X, _, summary = prepare_data(frame, "y", drop_identifiers=True)
    assert list(X.columns) == ["weight"]
    assert set(summary["dropped_columns"]) == {"seq", "code"}


def test_text_id_column_with_many_rows_is_left_out_not_refused():
    n = 260  # more distinct values than a text column may have
    frame = pd.DataFrame(
        {"ref": [f"r{i}" for i in range(n)], "x": np.arange(n) % 7, "y": [0, 1] * 130}
    )
    X, _, _ = prepare_data(frame, "y", drop_identifiers=True)
    assert list(X.columns) == ["x"]


# --------------------------------------------------------------------------- #
# Leaks
# --------------------------------------------------------------------------- #
def test_leak_scores_find_a_separating_numeric_column_in_either_direction():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 100)
    X = pd.DataFrame(
        {
            "leak": -y * 5.0 + rng.normal(0, 0.5, 200),
            "noise": rng.normal(size=200),
        }
    )
    scores = {s["column"]: s["auc"] for s in leak_scores(X, y)}
    assert scores["leak"] >= 0.99
    assert scores["noise"] < 0.7


def test_leak_scores_missingness_itself_can_separate():
    y = np.array([0, 1] * 100)
    X = pd.DataFrame({"lab": np.where(y == 1, np.nan, np.arange(200.0))})
    assert leak_scores(X, y)[0]["auc"] == 1.0


def test_leak_scores_text_columns_are_cross_fitted():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    X = pd.DataFrame(
        {
            "result": np.where(y == 1, "positive", "negative"),
            "unique": [f"u{i}" for i in range(300)],  # separates in-sample only
        }
    )
    scores = {s["column"]: s["auc"] for s in leak_scores(X, y)}
    assert scores["result"] == 1.0
    assert scores["unique"] == 0.5


def test_leak_scores_per_class_for_three_classes():
    y = np.repeat(["a", "b", "c"], 50)
    X = pd.DataFrame({"marker": np.where(y == "c", 10.0, 0.0) + np.arange(150) % 3})
    best = leak_scores(X, y)[0]
    assert best["class"] == "c" and best["auc"] == 1.0


def test_screen_data_lines_name_the_leak_and_how_to_drop_it():
    y = np.array([0, 1] * 50)
    X = pd.DataFrame({"tst": y * 3.0, "smoker": ["yes", "no", "no", "yes"] * 25})
    summary = {
        "columns": {
            "tst": {"kind": "numeric", "action": "kept"},
            "smoker": {"kind": "categorical", "action": "kept", "n_levels": 2},
            "id": {"kind": "numeric", "action": "dropped: looks like an identifier"},
        },
        "dropped_columns": {"id": "looks like an identifier", "empty": "all missing"},
    }
    checks = screen_data(X, y, summary, target="outcome")
    assert [leak["column"] for leak in checks["leaks"]] == ["tst"]
    texts = [line["text"] for line in checks["lines"]]
    assert any(
        "Column 'id' looks like a record identifier" in t and "keep=['id']" in t
        for t in texts
    )
    assert any(
        "Possible target leak: column 'tst'" in t and "drop=['tst']" in t for t in texts
    )
    assert any(
        "Text columns used as categories" in t and "smoker (2 values)" in t
        for t in texts
    )
    assert any("Column 'empty' left out: all missing" in t for t in texts)
    assert checks["leak_auc"] == LEAK_AUC


# --------------------------------------------------------------------------- #
# The run: warnings before the teacher, the report's data checks
# --------------------------------------------------------------------------- #
def test_run_warns_of_ids_and_leaks_before_the_teacher_is_trained(
    data_with_leak, tmp_path, monkeypatch
):
    path, target = data_with_leak
    events: list[str] = []
    real_train = pipeline.train_teacher

    def spy_train(*args, **kwargs):
        events.append("teacher fitted")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(pipeline, "train_teacher", spy_train)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        monkeypatch.setattr(
            warnings,
            "showwarning",
            lambda message, category, *a, **k: events.append(category.__name__),
        )
        result = run_distill(
            DistillParams(data=path, target=target, out=tmp_path / "run", **FAST),
            progress=lambda stage, i, n: events.append(stage),
        )
    first_teacher = events.index("teacher")
    assert events.index("IdentifierColumnWarning") < first_teacher
    assert events.index(LeakageWarning.__name__) < first_teacher
    assert events.index("teacher fitted") > first_teacher
    assert "patient_id" not in result.models["tree"].feature_names_in_
    checks = result.report["run"]["data_checks"]
    assert checks["identifiers"] == [{"column": "patient_id", "action": "left out"}]
    assert [leak["column"] for leak in checks["leaks"]] == ["confirmatory_test"]
    html = (tmp_path / "run" / "report.html").read_text()
    md = (tmp_path / "run" / "report.md").read_text()
    head = html[: html.index('id="fidelity"')]
    assert "Data checks" in head and "Possible target leak" in head
    assert "keep=[&#39;patient_id&#39;]" in head or "keep=['patient_id']" in head
    assert "Data checks" in md[: md.index("## 1.")]


def test_keep_keeps_an_identifier(data_with_leak, tmp_path):
    path, target = data_with_leak
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_distill(
            DistillParams(
                data=path,
                target=target,
                out=tmp_path / "run",
                keep=["patient_id"],
                drop=["confirmatory_test"],
                **FAST,
            )
        )
    assert "patient_id" in result.models["tree"].feature_names_in_
    assert result.report["run"]["data_checks"]["leaks"] == []


def test_keep_naming_an_absent_column_is_refused(data_with_leak, tmp_path):
    path, target = data_with_leak
    params = DistillParams(data=path, target=target, out=tmp_path / "r", keep=["nope"])
    with pytest.raises(ParameterError, match="keep column 'nope'") as info:
        run_distill(params)
    assert info.value.parameter == "keep"


def test_cli_prints_the_warnings_before_the_teacher_is_fitted(
    data_with_leak, tmp_path, monkeypatch
):
    path, target = data_with_leak
    events: list[str] = []
    real_show, real_train = _common._show_warning, pipeline.train_teacher

    def show(message, category, *args, **kwargs):
        events.append(f"printed {category.__name__}")
        real_show(message, category, *args, **kwargs)

    def spy_train(*args, **kwargs):
        events.append("teacher fitted")
        return real_train(*args, **kwargs)

    monkeypatch.setattr(_common, "_show_warning", show)
    monkeypatch.setattr(pipeline, "train_teacher", spy_train)
    out = tmp_path / "run"
    args = ["distill", str(path), "--target", target, "--out", str(out)]
    args += ["--augment-factor", "1", "--skip", "shap,size-curve,stability"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert events.index("printed IdentifierColumnWarning") < events.index(
        "teacher fitted"
    )
    assert events.index("printed LeakageWarning") < events.index("teacher fitted")
    assert "looks like a record identifier" in result.stderr
    assert "possible target leak: column 'confirmatory_test'" in result.stderr
    # The library names parameters; the command line shows them as options.
    assert "--keep patient_id" in result.stderr
    assert "--drop confirmatory_test" in result.stderr
    assert "keep=[" not in result.stderr and "drop=[" not in result.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["options"]["keep"] == []


def test_cli_keep_option_names_columns_of_the_data(data_with_leak, tmp_path):
    path, target = data_with_leak
    args = ["distill", str(path), "--target", target, "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(cli, [*args, "--keep", "nope"])
    assert result.exit_code == 2
    assert "Error: --keep column 'nope' is not in the data" in result.stderr


def test_small_integer_codes_are_suggested_as_categorical():
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "cp": rng.integers(1, 5, n),  # 1..4: a code
            "histology": rng.integers(1, 3, n),  # 1/2-coded yes/no
            "sex": rng.integers(0, 2, n),  # 0/1 reads yes/no already
            "age": rng.integers(20, 90, n),  # many values: a quantity
            "bmi": rng.normal(28, 4, n),
            "thal": rng.choice([3, 6, 7], n),  # declared below
        }
    )
    y = rng.integers(0, 2, n)
    checks = screen_data(X, y, {}, target="y", categorical_features=["thal"])
    assert [c["column"] for c in checks["codes"]] == ["cp", "histology"]
    assert checks["codes"][0]["values"] == [1, 2, 3, 4]
    line = next(t["text"] for t in checks["lines"] if "whole numbers" in t["text"])
    assert "categorical_features=['cp', 'histology']" in line
    assert "--categorical" not in line  # the command line says it its own way
    assert _common.as_options(line).count("--categorical cp,histology") == 1
    assert "cp is 4" in line
    none = screen_data(X[["age", "bmi", "sex"]], y, {}, target="y")
    assert none["codes"] == []
    assert not any("whole numbers" in t["text"] for t in none["lines"])


# --------------------------------------------------------------------------- #
# The Python API screens as a run does
# --------------------------------------------------------------------------- #
def _with_id(n: int = 120) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": np.arange(500, 500 + n),
            "age": rng.integers(20, 80, n),
            "bmi": rng.normal(27, 4, n).round(1),
        }
    )
    y = ((frame["bmi"] + rng.normal(0, 4, n)) > 27).astype(int).to_numpy()
    return frame, y


def _fit_warnings(X, y, **params) -> list:
    from treedistill import DistilledTreeClassifier

    model = DistilledTreeClassifier(
        max_leaf_nodes=4, augment_factor=1, random_state=0, **params
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    return model, [w for w in caught if issubclass(w.category, DataWarning)]


def test_the_estimator_names_an_identifier_column_and_keep_silences_it():
    frame, y = _with_id()
    model, caught = _fit_warnings(frame, y)
    assert [w.category for w in caught] == [IdentifierColumnWarning]
    assert "column 'id' looks like a record identifier" in str(caught[0].message)
    assert "keep=['id']" in str(caught[0].message)
    assert model.schema_.names == ["id", "age", "bmi"]  # warned, never dropped
    _, caught = _fit_warnings(frame, y, keep=["id"])
    assert caught == []
    # an array: the column is named by position, and still used
    model, caught = _fit_warnings(frame.to_numpy(dtype=float), y)
    assert [str(w.message)[:40] for w in caught] == [
        "column 'x0' looks like a record identifi"
    ]
    assert model.n_features_in_ == 3


def test_the_estimator_warns_of_a_leak_and_refuses_dates():
    from treedistill.data._screening import screened

    frame, y = _with_id()
    leaky = frame.drop(columns="id").assign(outcome_code=y * 10 + 1)
    _, caught = _fit_warnings(leaky, y)
    assert [w.category for w in caught] == [LeakageWarning]
    assert "column 'outcome_code' alone separates" in str(caught[0].message)
    with screened():  # a run screened its data once already
        _, caught = _fit_warnings(leaky, y)
    assert caught == []
    dated = frame.assign(visit=[f"2021-03-{1 + i % 28:02d}" for i in range(len(y))])
    with pytest.raises(DataError, match="column 'visit' holds dates") as info:
        _fit_warnings(dated, y, keep=["id"])
    assert info.value.column == "visit"


def test_prepare_data_leaves_an_identifier_out_and_says_so_unasked():
    frame, y = _with_id()
    with pytest.warns(IdentifierColumnWarning, match="column 'id'.*left out"):
        X, _, summary = prepare_data(frame.assign(y=y), "y")
    assert list(X.columns) == ["age", "bmi"]
    assert summary["dropped_columns"] == {"id": "looks like an identifier"}
    X, _, _ = prepare_data(frame.assign(y=y), "y", keep=["id"])
    assert list(X.columns) == ["id", "age", "bmi"]


def test_cli_suggests_its_own_option_for_code_columns(tmp_path):
    rng = np.random.default_rng(1)
    n = 160
    frame = pd.DataFrame(
        {
            "cp": rng.integers(1, 5, n),
            "age": rng.integers(20, 90, n),
            "bmi": rng.normal(28, 4, n).round(1),
        }
    )
    frame["y"] = np.where((frame["cp"] == 4) | (frame["age"] > 70), "yes", "no")
    path = tmp_path / "codes.csv"
    frame.to_csv(path, index=False)
    args = ["distill", str(path), "--target", "y", "--out", str(tmp_path / "o")]
    fast = ["--augment-factor", "1", "--skip", "shap,size-curve,stability"]
    result = CliRunner().invoke(cli, [*args, *fast])
    assert result.exit_code == 0, result.output
    shown = [ln for ln in result.stderr.splitlines() if "whole numbers" in ln]
    assert len(shown) == 1 and "--categorical cp" in shown[0], result.stderr
    assert "categorical_features" not in shown[0]
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    lines = [c["text"] for c in report["run"]["data_checks"]["lines"]]
    code = [t for t in lines if "whole numbers" in t]
    assert len(code) == 1  # the report speaks the library's name
    assert (
        "categorical_features=['cp']" in code[0] and 'rules read "cp is 4"' in code[0]
    )
