"""The tree's objective on the command line: chosen, recorded and said."""

from __future__ import annotations

import json

import pytest

from tests.conftest import invoke, refused, trained_teacher, write_csv
from treedistill.datasets import make_clinical_cohort


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A 3-class cohort (agreement by default) and its trained teacher."""
    work = tmp_path_factory.mktemp("objective")
    X, y = make_clinical_cohort(500, n_classes=3, missing_rate=0.05, random_state=0)
    csv = write_csv(X.assign(risk=y), work / "cohort3.csv")
    teacher = trained_teacher(csv, work / "t.pt", max_epochs=5)
    return work, csv, teacher


def _run(work, csv, teacher, name, *extra):
    out = work / name
    result = invoke(
        "distill", csv, "--target", "risk", "--teacher", teacher, "--out", out,
        "--augment-factor", "2", "--max-leaf-nodes", "6", "--skip", "shap",
        "--stability-refits", "5", "--json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_auto_objective_is_recorded_and_said_everywhere(data):
    work, csv, teacher = data
    out, summary = _run(work, csv, teacher, "auto")
    entry = summary["students"]["tree"]
    assert entry["objective"] == "agreement"
    assert entry["objective_reason"].startswith("auto: 3 classes")
    report = json.loads((out / "report.json").read_text())
    tree = report["tree"]
    assert tree["objective"] == "agreement" and tree["search"] == "prune"
    assert tree["objective_reason"] == entry["objective_reason"]
    assert report["size_curve"]["method"] == "one growth, pruned"
    assert report["summary"]["sentences"][-1] == (
        "The tree was built to predict the teacher's class as often as possible "
        f"({entry['objective_reason']})."
    )
    md = (out / "report.md").read_text()
    assert "Objective: agreement, built to predict the teacher's class" in md
    html = (out / "report.html").read_text()
    assert "<th>Objective</th>" in html and "cut back exactly" in html
    saved = json.loads((out / "student.json").read_text())
    assert saved["objective"]["name"] == "agreement"
    assert saved["tree"]["search"] == "prune"
    config = json.loads((out / "config.json").read_text())
    assert config["options"]["objective"] == "auto"
    assert config["options"]["search"] == "auto"


def test_a_chosen_objective_and_search_are_kept(data):
    work, csv, teacher = data
    out, summary = _run(
        work, csv, teacher, "ranking", "--objective", "ranking", "--search", "tao"
    )
    assert summary["students"]["tree"]["objective"] == "ranking"
    report = json.loads((out / "report.json").read_text())
    assert report["tree"]["objective_reason"] == "objective='ranking' was set"
    assert report["tree"]["search"] == "tao"
    assert report["size_curve"]["method"] == "refit"  # TAO does not nest
    assert "built to rank risk" in report["summary"]["sentences"][-1]


def test_a_bad_objective_is_refused(data, tmp_path):
    work, csv, teacher = data
    result = invoke(
        "distill", csv, "--target", "risk", "--objective", "accuracy",
        "--out", tmp_path / "x",
    )  # fmt: skip
    refused(result, "--objective", "accuracy")
    assert not (tmp_path / "x").exists()


def test_help_lists_the_objective_and_search():
    result = invoke("distill", "--help")
    assert "--objective [auto|agreement|ranking]" in result.output
    assert "--search [auto|greedy|prune|tao]" in result.output
