"""A finished run re-derived at other decisions (class names, threshold, flag rate)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import cohort_frame, sha, tree_sha, write_csv
from treedistill import (
    DistillParams,
    predict_saved,
    read_report,
    rerender_run,
    run_distill,
)
from treedistill.exceptions import (
    DataError,
    OutputError,
    ParameterError,
    TeacherError,
)

FAST = {"augment_factor": 1.0, "skip": ["shap", "size-curve", "stability"]}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A run that trained its own (small) teacher, on 300 rows of the cohort."""
    work = tmp_path_factory.mktemp("rerender")
    data = write_csv(cohort_frame(300, missing_rate=0.05), work / "cohort.csv")
    params = DistillParams(
        data=data, target="risk", out=work / "run", positive_class="high",
        teacher_hidden=[16], teacher_max_epochs=40, max_leaf_nodes=6, **FAST,
    )  # fmt: skip
    run_distill(params)
    return work


def _model_part(path) -> dict:
    """A student file without its metadata (the report's numbers of the run)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("metadata")
    return doc


def _point(folder, key: str, kind: str) -> dict:
    """The held-out operating point of ``kind`` of one model of the report."""
    rows = read_report(folder)["fidelity"]["held_out"]
    measures = next(row for row in rows if row["key"] == key)["measures"]
    return next(p for p in measures["operating_points"] if p["kind"] == kind)


def _held_out(work) -> pd.DataFrame:
    rows = pd.read_csv(work / "run" / "held_out_rows.csv")["row"].to_numpy()
    return pd.read_csv(work / "cohort.csv").iloc[rows - 1].drop(columns="risk")


def test_a_new_threshold_refits_the_same_students_and_moves_the_flags(work):
    run = work / "run"
    before = tree_sha(run)
    result = rerender_run(run, work / "t30", threshold=0.3)
    new = work / "t30"
    assert tree_sha(run) == before  # the run itself is untouched
    assert result.out_dir == new
    # Same students, same teacher, same held-out rows.
    assert _model_part(new / "student.json") == _model_part(run / "student.json")
    for name in ("teacher.pt", "held_out_rows.csv"):
        assert sha(new / name) == sha(run / name)
    # The flag counts are those of the student's probabilities at each threshold.
    held_out = _held_out(work)
    points = {}
    for folder, threshold in ((run, 0.5), (new, 0.3)):
        points[folder] = point = _point(folder, "tree", "threshold")
        assert point["value"] == threshold
        flagged = predict_saved(folder, held_out, threshold=threshold)["flagged"]
        assert point["student_flagged"] == int(flagged.sum())
    assert points[new]["student_flagged"] > points[run]["student_flagged"]
    assert points[new]["teacher_flagged"] > points[run]["teacher_flagged"]
    # Recorded as a re-derivation of the run, in report.json, config.json and
    # one line under the report's title.
    record = read_report(new)["run"]["rederived_from"]
    assert record["run"] == str(run.absolute())
    assert record["report_sha256"] == sha(run / "report.json")
    assert record["changed"] == {"threshold": {"was": 0.5, "now": 0.3}}
    config = json.loads((new / "config.json").read_text(encoding="utf-8"))
    assert config["rederived_from"] == record
    assert config["options"]["threshold"] == 0.3
    assert config["teacher"]["source"] == "trained on the training rows"
    md = (new / "report.md").read_text(encoding="utf-8").splitlines()
    assert md[0] == "# Distillation report"
    assert (
        md[2].startswith("Re-derived from the run ")
        and "threshold 0.3 (was 0.5)" in md[2]
    )
    html = (new / "report.html").read_text(encoding="utf-8")
    assert '<p class="sub rederived">Re-derived from the run ' in html
    assert "Re-derived" not in (run / "report.md").read_text(encoding="utf-8")


def test_class_names_and_a_flag_rate_change_only_the_names_and_the_flags(work):
    run, new = work / "run", work / "named"
    names = {"high": "High risk", "low": "Low risk"}
    rerender_run(run, new, class_names=names, flag_rate=0.1)
    old_doc, new_doc = (
        _model_part(run / "student.json"),
        _model_part(new / "student.json"),
    )
    assert new_doc["classes"]["names"] == ["High risk", "Low risk"]
    assert new_doc["classes"]["values"] == old_doc["classes"]["values"]
    for doc in (old_doc, new_doc):  # the recorded class names: display only
        doc["classes"].pop("names", None)
        doc["classes"].pop("order", None)
        doc["params"].pop("class_names", None)
    # Why the objective was chosen names the rarer class by its display name.
    assert "(High risk)" in new_doc["objective"].pop("reason")
    assert "(high)" in old_doc["objective"].pop("reason")
    assert new_doc == old_doc
    rules = (new / "rules.txt").read_text(encoding="utf-8")
    assert "High risk" in rules or "Low risk" in rules
    assert "High risk" not in (run / "rules.txt").read_text(encoding="utf-8")
    report = read_report(new)
    assert report["operating_points"]["flag_rate"] == 0.1
    assert report["run"]["rederived_from"]["changed"]["flag_rate"] == {
        "was": None,
        "now": 0.1,
    }
    # At a flag rate each model flags its own top 10% of the 75 held-out rows.
    point = _point(new, "tree", "flag_rate")
    assert point["value"] == 0.1
    assert point["teacher_flagged"] == 8  # 7.5 rounded up, as the report counts
    assert _point(run, "tree", "flag_rate")["teacher_flagged"] > 8  # prevalence


def test_refusals_write_nothing(work, tmp_path):
    run = work / "run"
    if not (work / "t30").exists():  # another test writes it; run alone, write it here
        rerender_run(run, work / "t30", threshold=0.3)
    before = tree_sha(run)
    with pytest.raises(ParameterError, match="at least one of"):
        rerender_run(run, tmp_path / "a")
    with pytest.raises(ParameterError, match="the run folder itself"):
        rerender_run(run, run, threshold=0.3, force=True)
    with pytest.raises(ParameterError, match="threshold"):
        rerender_run(run, tmp_path / "b", threshold=1.5)
    with pytest.raises(OutputError, match="already exists"):
        rerender_run(run, work / "t30", threshold=0.3)  # written by the test above
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert tree_sha(run) == before


def test_a_changed_data_or_teacher_file_is_refused(tmp_path):
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    frame = cohort_frame(200, missing_rate=0.0)
    data = write_csv(frame, tmp_path / "cohort.csv")
    numeric = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]
    teacher = tmp_path / "hgb.skops"
    sio.dump(
        HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(
            frame[numeric], frame["risk"]
        ),
        teacher,
    )
    run = tmp_path / "run"
    run_distill(
        DistillParams(
            data=data,
            target="risk",
            out=run,
            teacher=[teacher],
            max_leaf_nodes=4,
            **FAST,
        )  # fmt: skip
    )
    # A teacher file: the re-derived run is the run's own.
    rerender_run(run, tmp_path / "ok", threshold=0.4)
    assert _model_part(tmp_path / "ok" / "student.json") == _model_part(
        run / "student.json"
    )
    original = teacher.read_bytes()
    teacher.write_bytes(original + b"\0")
    with pytest.raises(TeacherError, match="hgb.skops.*changed"):
        rerender_run(run, tmp_path / "t", threshold=0.4)
    teacher.write_bytes(original)
    data.write_text(data.read_text() + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="cohort.csv.*changed"):
        rerender_run(run, tmp_path / "d", threshold=0.4)
    data.unlink()
    with pytest.raises(DataError, match="cohort.csv.*missing"):
        rerender_run(run, tmp_path / "d", threshold=0.4)
    assert not (tmp_path / "t").exists() and not (tmp_path / "d").exists()
