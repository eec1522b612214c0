"""A run computes each student's held-out fidelity once: the report's table, the
result, the summary line and the saved students all hold the same numbers."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import treedistill.report._fidelity_section as section
from treedistill import DistillParams, run_distill
from treedistill.common._json import SIGNIFICANT_DIGITS, plain
from treedistill.datasets import make_clinical_cohort

FAST = {
    "teacher_hidden": (8,),
    "teacher_max_epochs": 5,
    "student": "both",
    "skip": ["shap", "size_curve", "stability"],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("once")
    X, y = make_clinical_cohort(200, missing_rate=0.05, random_state=7)
    X.assign(outcome=y.to_numpy()).to_csv(folder / "cohort.csv", index=False)
    calls = []
    original = section.fidelity

    def counted(teacher_proba, student_proba, *args, **kwargs):
        calls.append((len(teacher_proba), teacher_proba is student_proba))
        return original(teacher_proba, student_proba, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(section, "fidelity", counted)
        result = run_distill(
            DistillParams(
                data=str(folder / "cohort.csv"),
                target="outcome",
                out=folder / "run",
                **FAST,
            )
        )
    return result, calls


def _held_out_row(result, kind):
    return next(r for r in result.report["fidelity"]["held_out"] if r["key"] == kind)


def test_held_out_fidelity_is_computed_once_per_model(run):
    result, calls = run
    n_test = result.report["run"]["split"]["n_test"]
    held_out = [same for n, same in calls if n == n_test]
    # two baselines and two students; nothing for the teacher against itself
    assert len(held_out) == 4
    assert not any(held_out)


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_result_and_report_hold_the_same_numbers(run, kind):
    result, _ = run
    fid = result.fidelity[kind]
    row = _held_out_row(result, kind)
    teacher = next(
        r for r in result.report["fidelity"]["held_out"] if r["kind"] == "teacher"
    )
    shown = plain(fid, digits=SIGNIFICANT_DIGITS)
    for key in ("n", "agreement", "agreement_ci", "kl", "tv"):
        assert shown[key] == row[key], key
    assert shown["student_accuracy"] == row["accuracy"]
    assert shown["student_roc_auc"] == row["roc_auc"]
    assert shown["teacher_accuracy"] == teacher["accuracy"]
    assert shown["teacher_roc_auc"] == teacher["roc_auc"]
    for key, value in row["measures"].items():
        assert shown[key] == value, key
    lo, hi = row["agreement_ci"]
    assert lo < row["agreement"] <= hi


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_summary_line_and_saved_student_repeat_the_report(run, kind):
    result, _ = run
    row = _held_out_row(result, kind)
    entry = result.summary()["students"][kind]
    assert (
        plain(entry["agreement_ci"], digits=SIGNIFICANT_DIGITS) == row["agreement_ci"]
    )
    lo, hi = row["agreement_ci"]
    # The student's lines (its first line, and for a rare outcome the "overall"
    # line under it) repeat the report's interval.
    lines = result.describe().splitlines()
    first = next(i for i, s in enumerate(lines) if s.startswith(kind))
    block = [lines[first]] + [s for s in lines[first + 1 :][:3] if s.startswith("  ")]
    assert any(f"(95% CI {lo:.1%}-{hi:.1%})" in s for s in block), block
    files = json.loads((result.out_dir / "config.json").read_text())["resolved"]
    bundle = json.loads((result.out_dir / files[kind]["file"]).read_text())
    recorded = bundle["metadata"]["held_out_fidelity"]
    assert recorded == json.loads(json.dumps(plain(result.fidelity[kind])))
    assert (
        plain(recorded["ranking"], digits=SIGNIFICANT_DIGITS)
        == row["measures"]["ranking"]
    )
    assert np.isfinite(recorded["kl"])
