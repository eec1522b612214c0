"""The measures every artefact of a run leads with: one source, the same numbers.

A rare binary outcome (6% positive, an identifier column) is distilled on the
command line; its stdout line, ``--json`` summary, ``rules.txt``, ``report.md``,
``report.html``, the saved student and ``report.json`` must tell the same story,
led by flagged rows. Class names given on the command line reach every artefact,
and a rule's risk names the report's positive class.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import invoke, write_csv
from treedistill.report._lead import focus_counts, focus_rows, rare_classes
from treedistill.report._operating import operating_points


def _stroke(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    hyp = rng.integers(0, 2, n)
    glucose = rng.normal(100, 30, n).round(2)
    logit = -3.6 + 0.05 * (age - 50) + 0.6 * hyp + 0.006 * (glucose - 100)
    stroke = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "id": np.arange(10_000, 10_000 + n),
            "age": age,
            "hypertension": hyp,
            "avg_glucose_level": glucose,
            "work_type": rng.choice(["Private", "Self-employed", "Govt_job"], n),
            "stroke": stroke,
        }
    )


_FAST = ("--augment-factor", "1", "--max-leaf-nodes", "8", "--skip", "shap,stability")


@pytest.fixture(scope="module")
def rare_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rare")
    data = write_csv(_stroke(), folder / "stroke.csv")
    plain = invoke("distill", data, "--target", "stroke", "--out", folder / "a", *_FAST)
    assert plain.exit_code == 0, plain.output
    as_json = invoke(
        "distill", data, "--target", "stroke", "--out", folder / "b", *_FAST, "--json"
    )
    assert as_json.exit_code == 0, as_json.output
    return folder, plain.stdout, json.loads(as_json.stdout)


def _flag_counts(cells: list[str]) -> float:
    return sum(float(c.split(" / ")[0]) for c in cells)


def test_every_artefact_leads_with_the_same_flagged_rows(rare_run):
    folder, stdout, summary = rare_run
    report = json.loads((folder / "a" / "report.json").read_text())
    lead = report["summary"]["students"]["tree"]
    assert lead["lead"] == "flagged" and report["operating_points"]["rare"]
    point = lead["operating_point"]
    assert point["kind"] == report["summary"]["operating_point"]["kind"]
    flagged = f"flags {100 * point['flagged_agreement']['value']:.1f}%"
    of_teacher = f"of the {point['teacher_flagged']} held-out rows the teacher flags"
    spearman = f"Spearman {lead['ranking']['spearman']['value']:.2f}"

    # stdout: the student's line leads with flagged rows, agreement after them
    lines = stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("tree student"))
    assert flagged in lines[first] and of_teacher in lines[first]
    assert spearman in lines[first] and "flag AUC" in lines[first]
    assert lines[first + 1].strip().startswith("overall agrees with the teacher on")
    nir = lead["no_information_rate"]
    assert f"predicting 0 for every row scores {100 * nir:.1f}%" in stdout
    assert nir == pytest.approx(max(report["data"]["test_class_counts"]) / 225)

    # --json: the same measures as report.json (the same seed, the same run)
    tree = summary["students"]["tree"]
    json_report = json.loads((folder / "b" / "report.json").read_text())
    assert (
        tree["operating_point"]
        == json_report["summary"]["students"]["tree"]["operating_point"]
    )
    assert tree["operating_point"] == point
    assert tree["lead"] == "flagged" and tree["ranking"] == lead["ranking"]
    assert tree["no_information_rate"] == nir
    assert tree["degenerate"] == lead["degenerate"]
    assert any("'id' looks like a record identifier" in w for w in summary["warnings"])

    # rules.txt: the same line first, then per rule the flags, adding up
    rules = (folder / "a" / "rules.txt").read_text().splitlines()
    assert rules[0].startswith("# tree: ") and flagged in rules[0]
    assert of_teacher in rules[0] and spearman in rules[0]
    rule_lines = [line for line in rules if line.startswith("Rule ")]
    assert len(rule_lines) == len(report["rules"])
    teacher = [
        float(m) for m in re.findall(r"teacher flags ([\d.]+),", "\n".join(rules))
    ]
    assert len(teacher) == len(rule_lines)
    assert sum(teacher) == pytest.approx(point["teacher_flagged"], abs=0.05)
    assert all("[1 risk " in line for line in rule_lines)

    # report.json: per rule and per subgroup, the flags add up to the headline's
    rule_flags = [r["focus"]["teacher_flagged"] for r in report["rules"]]
    assert sum(rule_flags) == pytest.approx(point["teacher_flagged"], abs=0.05)
    student = [r["focus"]["student_flagged"] for r in report["rules"]]
    assert sum(student) == pytest.approx(point["student_flagged"], abs=0.05)
    groups = [g for g in report["subgroups"]["rows"] if g["column"] == "work_type"]
    got = sum(g["models"]["tree"]["focus"]["teacher_flagged"] for g in groups)
    assert got == pytest.approx(point["teacher_flagged"], abs=0.05)

    # report.md: the per-rule table carries the flags, in the same numbers
    md = (folder / "a" / "report.md").read_text()
    assert "| Flags, teacher / tree | Flagged-row agreement (95% CI) |" in md
    table = md.split("### Per rule")[1].split("### By subgroup")[0]
    rows = [row for row in table.splitlines() if row[:2] == "| " and row[2].isdigit()]
    assert len(rows) == len(report["rules"])
    cells = [row.split(" | ")[4] for row in rows]
    assert _flag_counts(cells) == pytest.approx(point["teacher_flagged"], abs=0.05)
    assert "(the no-information rate)" in md
    html = (folder / "a" / "report.html").read_text()
    assert "Flags, teacher / tree" in html and of_teacher.split(" held")[0] in html

    # the saved student records the same lead
    saved = json.loads((folder / "a" / "student.json").read_text())
    assert saved["metadata"]["lead"] == lead


def _hepatitis(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    albumin = rng.normal(3.8, 0.6, n).round(1)
    die = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.2 * x - (albumin - 3.8))))
    return pd.DataFrame(
        {
            "bilirubin": np.exp(x).round(2),
            "albumin": albumin,
            "protime": (50 + 10 * rng.normal(0, 1, n)).round(0),
            "Class": np.where(die, 1, 2),  # 1 = die, 2 = live
        }
    )


def test_class_names_reach_every_artefact_and_risk_names_the_positive_class(
    tmp_path,
):
    data = write_csv(_hepatitis(), tmp_path / "hepatitis.csv")
    out = tmp_path / "run"
    result = invoke(
        "distill", data, "--target", "Class", "--out", out, *_FAST,
        "--class-names", "1=die,2=live",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["data"]["class_names"] == ["die", "live"]
    assert report["operating_points"]["positive_name"] == "die"  # the minority
    rules = [line for line in (out / "rules.txt").read_text().splitlines()]
    rule_lines = [line for line in rules if line.startswith("Rule ")]
    assert rule_lines and all("[die risk " in line for line in rule_lines)
    assert all(re.search(r" THEN (die|live) ", line) for line in rule_lines)
    md = (out / "report.md").read_text()
    assert "classes: die, live" in md and "Positive class: die" in md
    assert "P(1)" not in md and "P(die)" in md
    table = md.split("### Per rule")[1].split("### By subgroup")[0]
    predicts = {row.split(" | ")[1] for row in table.splitlines() if row[2:3].isdigit()}
    assert predicts and predicts <= {"die", "live"}
    html = (out / "report.html").read_text()
    assert "classes: die, live" in html


def test_a_rare_class_of_many_is_counted_per_rule():
    classes = np.array([0, 1, 2, 3, 4])
    y_train = np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 26 + [4] * 4)
    ops = operating_points(None, 0.5, None, classes, y_train)
    assert rare_classes(ops) == [4]  # 3% of the rows, below 10% with five classes
    p_teacher = np.eye(5)[[4, 4, 4, 0, 1, 2]]
    p_model = np.eye(5)[[4, 0, 4, 4, 1, 2]]
    focus = focus_rows(ops, None, p_teacher, p_model)
    got = focus_counts(focus, np.array([True, True, True, True, False, False]))
    (c,) = got["classes"]
    assert (c["class_index"], c["teacher_n"], c["student_n"], c["both_n"]) == (
        4,
        3,
        3,
        2,
    )
    assert c["recall"]["value"] == pytest.approx(2 / 3) and c["recall"]["n"] == 3
    assert c["precision"]["value"] == pytest.approx(2 / 3)
