"""The result of a run: its summary for scripts and its description for people."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from treedistill import DistillResult


def _model(**student):
    return SimpleNamespace(
        temperature=0.25, alpha=0.0, student_=SimpleNamespace(**student)
    )


def test_summary_and_description():
    fid = {"agreement": 0.9, "agreement_ci": [0.8, 0.95], "kl": 0.1, "n": 100,
           "student_accuracy": 0.7, "teacher_accuracy": 0.72}  # fmt: skip
    result = DistillResult(
        out_dir=Path("run"),
        files=["report.html"],
        models={
            "tree": _model(get_n_leaves=lambda: 8, get_depth=lambda: 3),
            "boosted": _model(n_trees=lambda: 10),
        },
        fidelity={"tree": fid, "boosted": fid},
        sweep={"tree": {"reason": "T=0.25 agrees best"}},
        report={},
        timings={},
        warnings=["a note"],
    )
    summary = result.summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["students"]["tree"]["leaves"] == 8
    assert summary["students"]["boosted"]["trees"] == 10
    assert summary["students"]["tree"]["sweep_reason"] == "T=0.25 agrees best"
    assert summary["warnings"] == ["a note"] and summary["run_dir"] == "run"
    text = result.describe().splitlines()
    assert text[0] == (
        "tree student (8 leaves, depth 3): agrees with the teacher on 90.0% of 100 "
        "held-out rows (95% CI 80.0%-95.0%)"
    )
    assert text[1] == "  sweep: T=0.25 agrees best"
    assert text[-1] == f"report: {Path('run') / 'report.html'}"


def test_repr_fits_a_terminal_and_html_needs_no_report():
    fid = {"agreement": 0.9, "agreement_ci": [0.8, 0.95], "kl": 0.1, "n": 100}
    result = DistillResult(
        out_dir=Path("run"),
        files=["report.html"],
        models={"boosted": _model(n_trees=lambda: 10)},
        fidelity={"boosted": fid},
        sweep={},
        report={},
        timings={},
    )
    lines = repr(result).splitlines()
    assert lines[0] == "DistillResult: run"
    assert "  boosted student: 10 trees; temperature 0.25, alpha 0" in lines
    assert all(len(line) <= 80 for line in lines)
    html = result._repr_html_()
    assert "<strong>DistillResult: run</strong>" in html
    assert "agrees with the teacher on 90.0% of 100 held-out rows" in html
    assert "<img" not in html  # no tree in the report: no drawing
