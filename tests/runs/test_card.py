"""The model card: filled from the run, numbers equal to the report's."""

from __future__ import annotations

import json
import re

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
from treedistill.report._render import md as md_escape
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


def test_subgroup_performance_is_rederived_from_the_held_out_rows(run):
    import numpy as np
    import pandas as pd

    report = json.loads((run / "report.json").read_text())
    card = model_card(run, subgroup=["sex", "age"], bands={"age": [50, 65]})
    item = _item(card, "subgroup_performance")
    assert item["tripod"] == ["23a", "14"]
    groups = {g["label"]: g for g in item["values"]["groups"]}
    assert list(groups)[2:] == ["age <= 50", "50 < age <= 65", "age > 65"]
    data = pd.read_csv(run.parent / "cohort.csv")
    held = data.iloc[pd.read_csv(run / "held_out_rows.csv")["row"].to_numpy() - 1]
    women = held[held["sex"] == "female"]
    g = groups["sex = female"]
    assert g["n"] == len(women)
    assert g["n_outcome"] == int((women["risk"] == "high").sum())
    assert (
        sum(groups[b]["n"] for b in ("age <= 50", "50 < age <= 65", "age > 65"))
        == (report["data"]["n_test"])
    )
    old = held[held["age"] > 65]
    assert groups["age > 65"]["outcome_rate"]["value"] == pytest.approx(
        np.mean(old["risk"] == "high")
    )


def test_shareable_card_suppresses_every_small_count(run):
    report = json.loads((run / "report.json").read_text())
    card = model_card(run, subgroup=["sex", "smoker"], min_count=11)
    md = render_card_markdown(card)
    assert md.startswith("# Shareable model card: risk (run run)\n\n> **SHAREABLE FORM")
    assert "minimum count 11" in md.splitlines()[2]
    small_rules = [r for r in report["rules"] if r["n_test"] < 11]
    assert small_rules
    for rule in small_rules:
        assert md_escape(rule["text"]) not in md
    assert "suppressed (fewer than 11 held-out rows)" in md
    for n in re.findall(r"n = (\d+)", md):
        assert int(n) >= 11, n
    for g in _item(card, "subgroup_performance")["values"]["groups"]:
        assert g["n"] >= 11
    full = render_card_markdown(model_card(run, subgroup=["sex", "smoker"]))
    assert all(md_escape(r["text"]) in full for r in small_rules)


def test_card_command_shareable_and_subgroups(run):
    result = invoke("card", run, "--shareable", "--subgroup", "sex", "--bands", "x=1")
    assert result.exit_code == 0, result.output
    assert "> **SHAREABLE FORM of this model card, minimum count 11" in result.stdout
    assert "Performance and fairness per subgroup" in result.stdout
    refused(invoke("card", run, "--shareable", "--min-count", "0"), "--min-count")
    refused(invoke("card", run, "--subgroup", "nope"), "--subgroup", "'nope'")
    refused(invoke("card", run, "--bands", "age"), "--bands")


def test_the_target_is_not_listed_as_a_prepared_column(run):
    lines = _item(model_card(run), "preparation")["lines"]
    assert not any(line.startswith("risk:") for line in lines)


def test_card_bands_a_column_where_the_report_did(run, tmp_path):
    """With no --bands, the card cuts a column at the edges the report's
    fairness section recorded (the per-subgroup table's), not at its own."""
    data = run.parent / "cohort.csv"
    out = tmp_path / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", run.parent / "t.pt",
        "--out", out, "--augment-factor", "1", "--skip", "shap,stability",
        "--subgroup", "age", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    fairness = json.loads((out / "report.json").read_text())["fairness"]
    assert list(fairness["bands"]) == ["age"]
    card = model_card(out, subgroup=["age"])
    groups = _item(card, "subgroup_performance")["values"]["groups"]
    assert [(g["label"], g["n"]) for g in groups] == [
        (g["label"], g["n"]) for g in fairness["groups"]
    ]
    # bands given to the card win
    card = model_card(out, subgroup=["age"], bands={"age": [60]})
    labels = [
        g["label"] for g in _item(card, "subgroup_performance")["values"]["groups"]
    ]
    assert labels == ["age <= 60", "age > 60"]
