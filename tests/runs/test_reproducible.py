"""A run directory holds what an auditor needs to re-derive its numbers.

Only public functions are used to re-derive: ``read_table``, ``load_student``,
``load_teacher``, ``teacher_logits``, ``soften`` and ``fidelity``.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from treedistill import (
    DistillParams,
    fidelity,
    load_student,
    load_teacher,
    read_table,
    run_distill,
    soften,
    teacher_logits,
)
from treedistill.datasets import make_clinical_cohort
from treedistill.exceptions import ParameterError

FAST = {
    "teacher_hidden": (8,),
    "teacher_max_epochs": 5,
    "student": "both",
    "skip": ["shap", "size_curve", "stability"],
}


def _data(folder: Path) -> tuple[Path, str]:
    X, y = make_clinical_cohort(240, missing_rate=0.05, random_state=4)
    frame = X.assign(outcome=y.to_numpy().astype(object))
    frame.loc[[3, 50, 51], "outcome"] = None  # rows without a label are not used
    frame.insert(0, "visit_code", [f"V{1000 + 3 * i}" for i in range(len(frame))])
    path = folder / "cohort.csv"
    frame.to_csv(path, index=False)
    return path, "outcome"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("repro")
    path, target = _data(folder)
    cwd = os.getcwd()
    os.chdir(folder)  # the data path is given relative to here
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_distill(
                DistillParams(
                    data="cohort.csv", target=target, out=folder / "run", **FAST
                )
            )
    finally:
        os.chdir(cwd)
    return folder / "run", path, result


def _rederive(run: Path, kind: str) -> dict:
    """Agreement and the other measures, from the run directory alone."""
    config = json.loads((run / "config.json").read_text())
    data = read_table(config["data"]["absolute"])
    held_out = read_table(run / config["held_out_rows"]["file"])
    key = held_out.columns[0]
    if key == "row":
        rows = data.iloc[held_out["row"].to_numpy() - 1]
    else:
        rows = data.set_index(key).loc[held_out[key].to_numpy()]
    student = load_student(run / config["resolved"][kind]["file"])
    teacher = load_teacher(run / config["teacher_file"])
    X = rows[list(student.feature_names_in_)]
    y_index = np.searchsorted(student.classes_, rows[config["options"]["target"]])
    return fidelity(
        soften(teacher_logits(teacher, X)),
        student.predict_proba(X),
        y_index,
        random_state=config["seed"],
    )


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_headline_numbers_rederived_from_the_run_directory(run_dir, kind):
    run, _, _ = run_dir
    again = _rederive(run, kind)
    report = json.loads((run / "report.json").read_text())
    row = next(
        r
        for r in report["fidelity"]["held_out"]
        if r.get("kind") == "student" and kind in str(r.get("label", "")).lower()
    )
    assert again["agreement"] == pytest.approx(row["agreement"], abs=1e-9)
    meta = json.loads((run / config_file(run, kind)).read_text())["metadata"]
    recorded = meta["held_out_fidelity"]
    for name in ("agreement", "kl_divergence", "n"):
        if name in recorded:
            assert again[name] == pytest.approx(recorded[name], abs=1e-9), name
    for name, value in recorded.items():
        if isinstance(value, float):
            assert again[name] == pytest.approx(value, abs=1e-9, nan_ok=True), name


def config_file(run: Path, kind: str) -> str:
    config = json.loads((run / "config.json").read_text())
    return config["resolved"][kind]["file"]


def test_held_out_rows_are_data_row_numbers_from_1(run_dir):
    run, path, result = run_dir
    rows = pd.read_csv(run / "held_out_rows.csv")["row"].to_numpy()
    n_test = result.report["run"]["split"]["n_test"]
    assert len(rows) == n_test and len(set(rows)) == n_test
    assert rows.min() >= 1 and rows.max() <= 240
    assert not {4, 51, 52} & set(rows.tolist())  # the unlabelled rows, from 1
    labels = pd.read_csv(path)["outcome"].to_numpy()[rows - 1]
    assert not pd.isna(labels).any()


def test_config_records_the_data_path_as_given_and_absolute(run_dir):
    run, path, _ = run_dir
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["given"] == "cohort.csv"
    assert config["data"]["absolute"] == str(path.absolute())
    assert Path(config["data"]["absolute"]).is_absolute()
    assert config["teacher_file"] == "teacher.pt"
    assert config["held_out_rows"]["file"] == "held_out_rows.csv"


def test_saved_teacher_is_the_one_the_run_used(run_dir):
    run, _, result = run_dir
    teacher = load_teacher(run / "teacher.pt")
    model = result.models["tree"]
    X = pd.read_csv(run.parent / "cohort.csv").iloc[:20][list(model.feature_names_in_)]
    np.testing.assert_allclose(
        soften(teacher_logits(teacher, X)), model.teacher_proba(X), atol=1e-6
    )


def test_row_id_lists_held_out_rows_by_id_and_is_not_a_feature(tmp_path):
    path, target = _data(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_distill(
            DistillParams(
                data=path,
                target=target,
                out=tmp_path / "run",
                row_id="visit_code",
                teacher_hidden=(8,),
                teacher_max_epochs=5,
                augment_factor=1.0,
                skip=["shap", "size_curve", "stability"],
            )
        )
    held = pd.read_csv(tmp_path / "run" / "held_out_rows.csv")
    assert list(held.columns) == ["visit_code"]
    assert held["visit_code"].str.match(r"^V\d+$").all()
    assert "visit_code" not in result.models["tree"].feature_names_in_
    again = _rederive(tmp_path / "run", "tree")
    assert again["agreement"] == pytest.approx(
        result.fidelity["tree"]["agreement"], abs=1e-9
    )


def test_row_id_with_repeated_values_is_refused(tmp_path):
    path, target = _data(tmp_path)
    frame = pd.read_csv(path)
    frame["site"] = ["A", "B"] * (len(frame) // 2)
    frame.to_csv(path, index=False)
    params = DistillParams(data=path, target=target, out=tmp_path / "r", row_id="site")
    with pytest.raises(ParameterError, match="row_id column 'site' has repeated") as e:
        run_distill(params)
    assert e.value.parameter == "row_id"


def test_cli_row_id_option(tmp_path):
    from click.testing import CliRunner

    from treedistill.cli.main import cli

    path, target = _data(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["distill", str(path), "--target", target, "--out", str(tmp_path / "o")]
        + ["--row-id", "nope"],
    )
    assert result.exit_code == 2
    assert "--row-id column 'nope' is not in the data" in result.stderr


def test_report_names_rows_as_held_out_rows_csv_does(run_dir):
    run, _, _ = run_dir
    report = json.loads((run / "report.json").read_text())
    listed = set(pd.read_csv(run / "held_out_rows.csv")["row"].tolist())
    shown = [d["row"] for d in report["disagreements"]["rows"]]
    assert shown and set(shown) <= listed
