"""``--weight-column`` and ``--monotone`` on the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import cohort_frame, invoke, refused, trained_teacher, write_csv

FAST = ["--augment-factor", "1", "--skip", "shap,size-curve,stability"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("controls")
    frame = cohort_frame(400, missing_rate=0.0)
    other = write_csv(cohort_frame(300, missing_rate=0.0, seed=1), tmp / "other.csv")
    teacher = trained_teacher(other, tmp / "teacher.pt", max_epochs=3)
    frame["w"] = np.random.default_rng(0).choice([1, 2, 4], len(frame))
    weighted = write_csv(frame, tmp / "weighted.csv")
    bad = frame.copy()
    bad.loc[6, "w"] = -2
    return {
        "data": weighted,
        "bad": write_csv(bad, tmp / "bad.csv"),
        "teacher": teacher,
        "three": write_csv(
            frame.assign(risk=np.arange(len(frame)) % 3), tmp / "three.csv"
        ),
    }


def _distill(files, out, *extra, data="data"):
    return invoke(
        "distill", files[data], "--target", "risk", "--teacher", files["teacher"],
        "--out", out, *FAST, *extra,
    )  # fmt: skip


def test_weights_and_constraints_run_and_are_reported(files, tmp_path):
    out = tmp_path / "run"
    result = _distill(
        files, out, "--weight-column", "w", "--monotone", "age:+1,glucose:-1",
        "--student", "both",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["weights"]["column"] == "w"
    assert report["monotone"]["constraints"] == {"age": 1, "glucose": -1}
    for name in ("tree", "boosted"):
        for probe in report["monotone"]["probes"]["students"][name]:
            assert probe["violating"] == 0
    md = (out / "report.md").read_text()
    assert "### Row weights" in md and "### Monotone constraints" in md
    assert "Rows are weighted by column w" in md
    assert "Teacher: rows moving the wrong way" in md
    html = (out / "report.html").read_text()
    assert 'id="weights"' in html and 'id="monotone"' in html
    assert "rows. Flag rate" in " ".join(html.split())
    config = json.loads((out / "config.json").read_text())
    assert "w" not in report["data"]["columns"][0]["name"]
    assert json.dumps(config).count('"weight_column": "w"') >= 1


@pytest.mark.parametrize(
    "extra, names",
    [
        (
            ["--weight-column", "weight"],
            ["--weight-column", "'weight'", "not in the data"],
        ),
        (
            ["--weight-column", "w", "--chunk-size", "100"],
            ["--weight-column", "--chunk-size"],
        ),
        (["--weight-column", "w", "--sweep"], ["--weight-column", "sweep"]),
        (["--monotone", "age"], ["--monotone", "COLUMN:+1"]),
        (["--monotone", "age:2"], ["--monotone", "+1 or -1"]),
        (["--monotone", "age:1,age:-1"], ["--monotone", "twice"]),
        (["--monotone", "ward:1"], ["--monotone", "categorical"]),
        (["--monotone", "height:1"], ["--monotone", "'height'"]),
    ],
)
def test_bad_options_are_refused_in_one_line(files, tmp_path, extra, names):
    out = tmp_path / "run"
    refused(_distill(files, out, *extra), *names)
    assert not out.exists()


def test_a_bad_weight_is_refused_naming_the_row(files, tmp_path):
    out = tmp_path / "run"
    refused(
        _distill(files, out, "--weight-column", "w", data="bad"), "'w'", "row 7", "-2"
    )
    assert not out.exists()


def test_constraints_need_two_classes(files, tmp_path):
    out = tmp_path / "run"
    refused(
        invoke(
            "distill", files["three"], "--target", "risk", "--out", out, *FAST,
            "--monotone", "age:1",
        ),
        "--monotone", "binary", "3 classes",
    )  # fmt: skip
    assert not out.exists()


def test_auto_size_is_chosen_and_reported(files, tmp_path):
    out = tmp_path / "run"
    result = _distill(files, out, "--max-leaf-nodes", "auto", "--drop", "w")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    choice = report["size_choice"]
    assert choice["chosen"] in [p["max_leaf_nodes"] for p in choice["points"]]
    assert report["run"]["options"]["max_leaf_nodes"] == "auto"
    tree = json.loads((out / "student.json").read_text())
    assert json.dumps(tree).count('"auto"') >= 1
    md = (out / "report.md").read_text()
    assert "### Size chosen from the curve" in md
    assert f"| {choice['chosen']} (chosen) |" in md


def test_auto_size_from_a_config_file(files, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('max_leaf_nodes = "auto"\nchunk_size = 100\n')
    out = tmp_path / "run"
    refused(
        _distill(files, out, "--config", config, "--drop", "w"),
        "--max-leaf-nodes",
        "--chunk-size",
    )
    config.write_text('max_leaf_nodes = "8"\n')
    refused(_distill(files, out, "--config", config), "'8' is text")
    refused(_distill(files, out, "--max-leaf-nodes", "big"), "--max-leaf-nodes")
    assert not out.exists()
