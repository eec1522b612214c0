"""The model card: filled from the run, numbers equal to the report's."""

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
from treedistill.exceptions import SavedRunError
from treedistill.runs._card import TO_FILL, model_card, render_card_markdown


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("card")
    data = write_csv(cohort_frame(500, missing_rate=0.05), folder / "cohort.csv")
    teacher = trained_teacher(data, folder / "t.pt", max_epochs=5)
    out = folder / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher, "--out", out,
        "--augment-factor", "1", "--skip", "shap,stability", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _item(card, key):
    return next(i for i in card["items"] if i["id"] == key)


def test_card_numbers_equal_the_report(run):
    report = json.loads((run / "report.json").read_text())
    config = json.loads((run / "config.json").read_text())
    card = model_card(run)
    perf = _item(card, "performance")["values"]
    summary = report["summary"]
    assert perf["agreement"] == summary["agreement"]
    assert perf["agreement_ci"] == summary["agreement_ci"]
    assert perf["teacher_accuracy"] == summary["teacher_accuracy"]
    assert perf["synthetic_agreement"] == summary["synthetic_agreement"]
    assert perf["flagged_agreement"] == summary["operating_point"]["flagged_agreement"]
    held = {r["key"]: r for r in report["fidelity"]["held_out"]}
    for row in perf["held_out"]:
        assert row["agreement"] == held[row["key"]]["agreement"]
        assert row["roc_auc"] == held[row["key"]]["roc_auc"]
    groups = report["subgroups"]["rows"]
    assert [(g["level"], g["agreement"]) for g in perf["subgroups"]] == [
        (g["level"], g["models"]["tree"]["agreement"]) for g in groups
    ]
    ece = _item(card, "calibration")["values"]["ece"]
    assert ece["tree"] == report["calibration"]["curves"]["tree"]["ece"]
    thresholds = _item(card, "thresholds")["values"]
    assert thresholds["threshold"] == report["operating_points"]["threshold"]
    assert thresholds["flag_rate"] == report["operating_points"]["flag_rate"]
    source = _item(card, "data_source")["values"]
    assert source["sha256"] == config["data"]["sha256"]
    assert source["rows_used"] == report["run"]["data"]["rows_used"]
    files = _item(card, "model")["values"]["teacher_files"]
    assert files == [{"file": config["teachers"][0]["path"],
                      "sha256": config["teachers"][0]["sha256"]}]  # fmt: skip
    rules = _item(card, "full_model")["values"]["rules"]
    assert [r["text"] for r in rules] == [r["text"] for r in report["rules"]]
    # the printed percentages are the report's, rounded
    md = render_card_markdown(card)
    assert f"{100 * summary['agreement']:.1f}%" in md


def test_items_only_a_person_can_fill_are_to_do_lines(run):
    card = model_card(run)
    assert [t["tripod"] for t in card["to_fill"]] == [t[0] for t in TO_FILL]
    assert all(t["to_do"].startswith("TO DO: ") for t in card["to_fill"])
    filled = {tag for item in card["items"] for tag in item["tripod"]}
    assert not filled & {t[0] for t in TO_FILL} - {"8a"}
    assert {"12e", "15", "22", "23a"} <= filled
    md = render_card_markdown(card)
    assert "- [ ] 17 Ethics: TO DO:" in md
    assert "intended use" in md.lower()


def test_card_states_measured_limitations(run):
    card = model_card(run)
    lines = " ".join(_item(card, "limitations")["lines"])
    assert "no external validation" in lines
    assert card["plain_summary"].startswith("The model's decisions depend mostly on")


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(SavedRunError, match="report.json"):
        model_card(tmp_path)


def test_card_command(run, tmp_path):
    before = tree_sha(run)
    printed = invoke("card", run)
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.startswith("# Model card: risk (run run)")
    as_json = invoke("card", run, "--json")
    assert json.loads(as_json.stdout)["card_version"] == 1
    out = tmp_path / "card"
    result = invoke("card", run, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".treedistill-run.json", "card.json", "card.md",
    ]  # fmt: skip
    assert (out / "card.md").read_text() == printed.stdout
    kept = sha(out / "card.md")
    refused(invoke("card", run, "--out", out), "already exists", "--force")
    assert sha(out / "card.md") == kept
    assert invoke("card", run, "--out", out, "--force").exit_code == 0
    refused(invoke("card", tmp_path / "nothing"), "does not exist")
    assert tree_sha(run) == before
