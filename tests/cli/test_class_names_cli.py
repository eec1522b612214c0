"""``--class-names`` on the commands that read a finished run: ``predict`` writes
the names, ``rules`` names the risk of the report's positive class."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.conftest import cohort_frame, invoke, refused, write_csv

FAST = ["--augment-factor", "1", "--skip", "shap,size-curve,stability", "--quiet"]


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """A 1/2-coded outcome (1 = die, the minority; 2 = live) distilled with
    ``--class-names "1=die,2=live"``: die is the report's positive class and the
    last class in display order is live."""
    work = tmp_path_factory.mktemp("coded")
    frame = cohort_frame(300, missing_rate=0.0, seed=0)
    frame["risk"] = frame["risk"].map({"high": 1, "low": 2})
    data = write_csv(frame, work / "hep.csv")
    new = write_csv(frame.drop(columns="risk").head(40), work / "new.csv")
    out = work / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--class-names", "1=die,2=live",
        "--out", out, *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, new, work


def test_predict_writes_the_class_names(coded):
    out, new, work = coded
    target = work / "p.csv"
    result = invoke("predict", out, new, "--out", target, "--flag-rate")
    assert result.exit_code == 0, result.output
    written = pd.read_csv(target)
    added = list(written.columns[-5:])
    assert added == ["prediction", "proba_die", "proba_live", "rule_id", "flagged"]
    assert set(written["prediction"]) <= {"die", "live"}
    die = written["proba_die"] > written["proba_live"]
    assert (written["prediction"] == die.map({True: "die", False: "live"})).all()
    # the flags are for die (the run's positive class), and the line says so
    flagged = written.loc[written["flagged"] == 1, "proba_die"]
    assert flagged.min() >= written.loc[written["flagged"] == 0, "proba_die"].max()
    assert "by P(die)" in result.stdout and "P(1)" not in result.stdout


def test_predict_flags_a_class_given_by_its_name(coded):
    out, new, work = coded
    target = work / "live.csv"
    result = invoke(
        "predict", out, new, "--out", target, "--threshold", "0.5",
        "--positive-class", "live",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_csv(target)
    assert (written["flagged"] == (written["proba_live"] >= 0.5)).all()
    assert "P(live) >= 0.5" in result.stdout


def _summaries(text: str) -> dict[int, str]:
    """Rule number -> the leaf's summary (the bracket's first part)."""
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"^Rule (\d+): .*?  \[([^;]*);", text, re.M)
    }


def test_rules_names_the_risk_of_the_reports_positive_class(coded):
    out, _, _ = coded
    printed = invoke("rules", out)
    assert printed.exit_code == 0, printed.output
    ours = _summaries(printed.stdout)
    theirs = _summaries((out / "rules.txt").read_text(encoding="utf-8"))
    assert ours and all(s.startswith("die risk ") for s in ours.values())
    assert "live risk" not in printed.stdout
    assert ours == theirs  # the same risks as the report's rules
    student = invoke("rules", out / "student.json")
    assert student.stdout == printed.stdout


def test_one_name_for_two_classes_is_refused(coded):
    _, _, work = coded
    out = work / "twice"
    result = invoke(
        "distill", work / "hep.csv", "--target", "risk", "--class-names",
        "1=dead,2=dead", "--out", out, *FAST,
    )  # fmt: skip
    refused(result, "--class-names", "'dead' is given to two classes")
    assert not out.exists()
