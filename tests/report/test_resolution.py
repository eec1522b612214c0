"""A small sample's limits in the report: measures its held-out rows cannot
resolve, the stability refits of few rows, and the synthetic-row figure's note."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import cohort_frame, invoke, trained_teacher, write_csv
from treedistill.report._lead import RESOLVED_WIDTH, resolution
from treedistill.report._sentences import headline_sentences


def _summary(lo, hi, *, flagged=None, spearman=None, n=40):
    point = None
    if flagged is not None:
        point = {
            "kind": "flag_rate",
            "value": 0.1,
            "class_index": 1,
            "teacher_flagged": 5,
            "student_flagged": 5,
            "flagged_agreement": {"value": 0.8, "low": flagged[0], "high": flagged[1]},
        }
    ranking = None
    if spearman is not None:
        ranking = {
            "spearman": {"value": 0.5, "low": spearman[0], "high": spearman[1]},
            "flag_auc": {"value": 0.9, "low": 0.85, "high": 0.95},
        }
    s = {
        "student": "tree",
        "n_leaves": 8,
        "n": n,
        "agreement": 0.9,
        "agreement_ci": [lo, hi],
        "lead": "flagged" if point else "agreement",
        "operating_point": point,
        "ranking": ranking,
        "degenerate": [],
        "synthetic_agreement": 0.95,
    }
    s["resolution"] = resolution(s)
    return s


OPS = {
    "positive_class": 1,
    "positive_name": "high",
    "threshold": 0.5,
    "flag_rate_source": "prevalence",
}


def test_a_measure_wider_than_the_stated_width_is_unresolved():
    assert RESOLVED_WIDTH == 0.2
    s = _summary(0.70, 0.95, flagged=(0.4, 0.95), spearman=(0.45, 0.6))
    assert s["resolution"]["unresolved"] == ["agreement", "flagged_agreement"]
    assert _summary(0.85, 0.95)["resolution"]["unresolved"] == []
    # a measure without an interval is not judged
    assert _summary(None, None)["resolution"]["unresolved"] == []


def test_the_headline_says_so_instead_of_the_bare_number():
    s = _summary(0.70, 0.95, flagged=(0.4, 0.95), spearman=(0.1, 0.7))
    data = {"n_train": 1000, "n_synthetic": 5000, "classes": [0, 1]}
    text = " ".join(headline_sentences(s, data, OPS)[0])
    assert (
        "The 8-leaf tree agrees with the teacher on 90.0% (95% CI 70.0%–95.0%) of 40 "
        "held-out rows, too few to resolve it (the interval is wider than 20 points)"
    ) in text
    assert (
        "flags 80.0% of the 5 held-out rows the teacher flags (95% CI 40.0%–95.0%; it "
        "flags 5 rows in all): 5 flagged rows are too few to resolve that share, its "
        "interval is wider than 20 points."
    ) in text
    assert (
        "Spearman ρ 0.50 (95% CI 0.10–0.70: not resolved by these rows, wider than 0.2)"
    ) in text
    assert "flag AUC 0.90 (95% CI 0.85–0.95)." in text  # resolved: as before
    # an unresolved measure makes the synthetic figure's note appear
    assert "cannot tell how the teacher or the tree fare on real patients" in text


def test_resolved_measures_read_as_before_without_the_note():
    s = _summary(0.85, 0.95, n=400)
    data = {"n_train": 1200, "n_synthetic": 5000, "classes": [0, 1]}
    text = " ".join(headline_sentences(s, data, OPS)[0])
    assert "agrees with the teacher on 90.0% (95% CI 85.0%–95.0%) of 400" in text
    assert "not resolved" not in text and "too few" not in text
    assert "real patients" not in text
    # few training rows alone bring the note
    small = {**data, "n_train": 120}
    assert "real patients" in " ".join(headline_sentences(s, small, OPS)[0])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A teacher trained on 1,500 rows, distilled from a local sample of 150."""
    tmp = tmp_path_factory.mktemp("small")
    vendor = write_csv(cohort_frame(1500, missing_rate=0.0), tmp / "vendor.csv")
    teacher = trained_teacher(vendor, tmp / "vendor.pt", max_epochs=5)
    local = write_csv(cohort_frame(150, missing_rate=0.0, seed=7), tmp / "local.csv")
    out = tmp / "run"
    result = invoke(
        "distill", local, "--target", "risk", "--teacher", teacher, "--out", out,
        "--seed", "0", "--skip", "shap,size_curve",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result


def test_a_150_row_run_states_its_limits(small_run):
    out, result = small_run
    report = json.loads((out / "report.json").read_text())
    summary = report["summary"]
    res = summary["resolution"]
    assert res["max_width"] == 0.2
    for key, width in res["widths"].items():
        assert (key in res["unresolved"]) == (width is not None and width > 0.2)
    assert res["unresolved"], res  # 38 held-out rows resolve little
    md = (out / "report.md").read_text()
    headline = "\n".join(line for line in md.splitlines() if line.startswith("> "))
    said = {
        "agreement": "held-out rows, too few to resolve it (the interval is wider",
        "flagged_agreement": "flagged rows are too few to resolve that share",
        "spearman": "not resolved by these rows, wider than 0.2)",
    }
    for key, words in said.items():
        assert (words in headline) == (key in res["unresolved"]), key
    assert re.search(r"On \d+ fresh synthetic rows the student agrees on", headline)
    assert "cannot tell how the teacher or the tree fare on real patients" in headline
    # the command line's summary says the same
    assert "not resolved" in result.output
    # the factor the small sample got
    assert report["models"]["tree"]["augment_factor"] == 178.0  # 112 real rows


def test_the_stability_refits_of_few_rows_say_what_they_measure(small_run):
    out, _ = small_run
    report = json.loads((out / "report.json").read_text())
    st = report["stability"]
    assert st["status"] == "ok" and st["n_refits"] >= 10
    assert st["n_train"] == 112
    assert st["few_rows"].startswith(
        "With only 112 training rows, the refits show how much the tree depends"
    )
    assert "another sample of 112 patients could change the tree more" in st["few_rows"]
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert st["few_rows"] in md
    assert "With only 112 training rows, the refits show" in html


def test_a_wide_class_recall_is_said_to_be_unresolved():
    s = _summary(0.85, 0.95, n=400)
    recall = {"value": 0.875, "low": 0.64, "high": 0.965, "n": 16}
    s["worst_class"] = {"class_index": 1, "teacher_n": 16, "student_n": 18,
                        "recall": recall, "precision": recall}  # fmt: skip
    data = {"n_train": 1200, "n_synthetic": 5000, "classes": [0, 1]}
    text = " ".join(headline_sentences(s, data, OPS)[0])
    assert (
        "the student puts 87.5% (95% CI 64.0%–96.5%, n = 16), too few rows to "
        "resolve it to 20 points there too."
    ) in text
    s["worst_class"]["recall"] = {"value": 0.9, "low": 0.85, "high": 0.94, "n": 300}
    text = " ".join(headline_sentences(s, data, OPS)[0])
    assert "the student puts 90.0% (95% CI 85.0%–94.0%, n = 300) there too." in text
