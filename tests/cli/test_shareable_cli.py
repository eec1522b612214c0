"""``treedistill report RUN --shareable --min-count N --out DIR`` on the command line."""

from __future__ import annotations

import json

import pytest

from tests.conftest import invoke, refused, sha, trained_teacher, tree_sha, write_csv
from tests.runs.test_shareable import small_cohort


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shareable_cli")
    frame = small_cohort(400).drop(columns="mrn")
    data = write_csv(frame, folder / "cohort.csv")
    teacher = trained_teacher(data, folder / "t.pt", max_epochs=3)
    out = folder / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher, "--out", out,
        "--augment-factor", "1", "--skip", "shap,stability", "--subgroup", "site",
        "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_report_shareable_writes_the_three_files(run, tmp_path):
    before = tree_sha(run)
    out = tmp_path / "share"
    result = invoke("report", run, "--shareable", "--min-count", "20", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "wrote the shareable form (report.json, report.md, report.html, minimum "
        f"count 20) to {out}"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        ".treedistill-run.json", "report.html", "report.json", "report.md",
    ]  # fmt: skip
    doc = json.loads((out / "report.json").read_text())
    assert doc["shareable"]["min_count"] == 20
    assert "minimum count 20" in (out / "report.md").read_text().splitlines()[2]
    assert "minimum count 20" in (out / "report.html").read_text()
    assert tree_sha(run) == before  # the run is untouched
    # the default minimum is 11
    default = tmp_path / "share11"
    assert invoke("report", run, "--shareable", "--out", default).exit_code == 0
    assert (
        json.loads((default / "report.json").read_text())["shareable"]["min_count"]
        == 11
    )


def test_report_shareable_never_overwrites_without_force(run, tmp_path):
    out = tmp_path / "share"
    assert invoke("report", run, "--shareable", "--out", out).exit_code == 0
    kept = tree_sha(out)
    refused(
        invoke("report", run, "--shareable", "--min-count", "30", "--out", out),
        "already exists",
        "--force",
    )
    assert tree_sha(out) == kept
    result = invoke(
        "report", run, "--shareable", "--min-count", "30", "--out", out, "--force"
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "report.json").read_text())["shareable"]["min_count"] == 30
    # a folder treedistill did not write is never replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    refused(invoke("report", run, "--shareable", "--out", mine, "--force"))
    assert (mine / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--shareable", "--min-count", "0"], ["--min-count", "at least 1", "0"]),
        (["--shareable", "--min-count", "-5"], ["--min-count", "at least 1"]),
        (["--min-count", "11"], ["--min-count", "--shareable"]),
        (["--shareable", "--threshold", "0.3"], ["--shareable", "--threshold"]),
    ],
)
def test_report_shareable_refusals(run, tmp_path, args, names):
    before = tree_sha(run)
    out = tmp_path / "share"
    refused(invoke("report", run, *args, "--out", out), *names)
    assert not out.exists()
    assert tree_sha(run) == before


def test_report_shareable_needs_a_new_folder(run):
    before = sha(run / "report.json")
    refused(invoke("report", run, "--shareable"), "--shareable", "--out")
    refused(invoke("report", run, "--shareable", "--out", run), "--out")
    assert sha(run / "report.json") == before


def test_card_shareable_min_count_refused(run, tmp_path):
    out = tmp_path / "card"
    refused(
        invoke("card", run, "--shareable", "--min-count", "0", "--out", out),
        "--min-count",
    )
    assert not out.exists()
    result = invoke("card", run, "--shareable", "--min-count", "15", "--out", out)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text())
    assert card["shareable"]["min_count"] == 15
    assert (out / "card.json").read_text().startswith('{\n  "shareable": {')
    assert (
        (out / "card.md")
        .read_text()
        .splitlines()[2]
        .startswith("> **SHAREABLE FORM of this model card, minimum count 15")
    )
