"""Finished runs: finding and loading students, predicting, re-rendering reports."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from tests.conftest import tree_sha
from treedistill import (
    DistillParams,
    find_student,
    load_run_student,
    load_student,
    predict_frame,
    predict_saved,
    read_report,
    render_report,
    rule_numbers,
    run_distill,
    write_predictions,
)
from treedistill.datasets import make_clinical_cohort
from treedistill.exceptions import DataError, OutputError, SavedRunError
from treedistill.runs._outdir import MARKER, refresh_marker

NUMERIC = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]


@pytest.fixture(scope="module")
def cohort():
    X, y = make_clinical_cohort(300, missing_rate=0.05, random_state=1)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def finished(tmp_path_factory, cohort):
    """A run with both students from a fast skops teacher; returns its folder."""
    import skops.io as sio

    work = tmp_path_factory.mktemp("saved")
    X, y = cohort
    data = work / "cohort.csv"
    X.assign(risk=y).to_csv(data, index=False)
    teacher = work / "hgb.skops"
    sio.dump(
        HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X[NUMERIC], y),
        teacher,
    )
    params = DistillParams(
        data=data, target="risk", out=work / "out", teacher=[teacher],
        student="both", augment_factor=1.0, max_leaf_nodes=6,
    )  # fmt: skip
    run_distill(params)
    return work


def test_find_student(finished, tmp_path):
    work = finished
    out = work / "out"
    assert find_student(out) == out / "student-tree.json"
    assert find_student(out, "boosted") == out / "student-boosted.json"
    assert find_student(out / "student-boosted.json") == out / "student-boosted.json"
    with pytest.raises(SavedRunError, match="does not exist"):
        find_student(tmp_path / "nothing")
    with pytest.raises(SavedRunError, match="holds no student file"):
        find_student(tmp_path)
    single = tmp_path / "single"
    single.mkdir()
    (single / "student.json").write_text('{"kind": "tree"}')
    assert find_student(single) == single / "student.json"
    with pytest.raises(SavedRunError, match="holds a tree student, not a boosted one"):
        find_student(single, "boosted")


def test_predict_frame(finished, cohort):
    work = finished
    X, _ = cohort
    bundle = load_student(work / "out" / "student-tree.json")
    out = predict_frame(bundle, X)
    assert list(out.columns) == [*X.columns, "prediction", "proba_high",
                                 "proba_low", "rule_id"]  # fmt: skip
    number = rule_numbers(bundle)  # rule ids are rule numbers, not node ids
    expected = [number[int(leaf)] for leaf in bundle.apply(X)]
    np.testing.assert_array_equal(out["rule_id"], expected)
    assert sorted(set(out["rule_id"])) <= list(range(1, len(number) + 1))
    assert out["rule_id"].dtype == np.int64
    np.testing.assert_allclose(out[["proba_high", "proba_low"]].sum(axis=1), 1.0)
    assert list(X.columns) == list(cohort[0].columns)  # input not modified
    with pytest.raises(DataError, match="already has a column 'prediction'"):
        predict_frame(bundle, X.assign(prediction=1))
    boosted = load_student(work / "out" / "student-boosted.json")
    assert "rule_id" not in predict_frame(boosted, X).columns
    assert isinstance(out, pd.DataFrame)


def test_load_and_predict_with_a_saved_run(finished, cohort):
    out = finished / "out"
    X, _ = cohort
    bundle = load_run_student(out, "boosted")
    assert bundle.kind == "boosted"
    data = finished / "cohort.csv"
    frame = predict_saved(out, data)
    np.testing.assert_allclose(
        frame[["proba_high", "proba_low"]].to_numpy(),
        load_student(out / "student-tree.json").predict_proba(pd.read_csv(data)),
    )
    assert len(predict_saved(out, X.iloc[:5], kind="boosted")) == 5


def test_predictions_speak_the_class_names_in_their_order(finished, cohort, tmp_path):
    work = finished
    X, _ = cohort
    out = work / "named"
    params = DistillParams(
        data=work / "cohort.csv", target="risk", out=out, teacher=[work / "hgb.skops"],
        augment_factor=1.0, max_leaf_nodes=6, skip=["shap", "size-curve", "stability"],
        class_names={"low": "well", "high": "ill"},  # display order: low, high
    )  # fmt: skip
    run_distill(params)
    frame = predict_saved(out, X, flag_rate="run")
    assert list(frame.columns[-5:]) == [
        "prediction", "proba_well", "proba_ill", "rule_id", "flagged",
    ]  # fmt: skip
    ill = frame["proba_ill"] > frame["proba_well"]
    assert (frame["prediction"] == ill.map({True: "ill", False: "well"})).all()
    flag = frame.attrs["flag"]
    assert flag["positive"] == "high" and flag["positive_name"] == "ill"
    by_name = predict_saved(out, X, threshold=0.5, positive_class="well")
    assert (by_name["flagged"] == (by_name["proba_well"] >= 0.5)).all()
    written = pd.read_csv(write_predictions(frame, tmp_path / "p.csv"))
    assert set(written["prediction"]) <= {"ill", "well"}
    # a run without class names keeps the labels
    plain = predict_frame(load_student(work / "out" / "student-tree.json"), X)
    assert set(plain["prediction"]) <= {"high", "low"}


def test_predictions_csv_neutralises_formulas(tmp_path):
    frame = pd.DataFrame(
        {"name": ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "ok"],
         "x": [-1.5, 2.0, 3.0], "prediction": ["=1+1", "b", "b"]}
    )  # fmt: skip
    out = write_predictions(frame, tmp_path / "p.csv")
    back = pd.read_csv(out)
    assert back["name"].tolist()[:2] == [
        '\'=HYPERLINK("http://x")',
        "'+cmd|' /C calc'!A0",
    ]
    assert back["prediction"].tolist() == ["'=1+1", "b", "b"]
    assert back["x"].tolist() == [-1.5, 2.0, 3.0]
    with pytest.raises(OutputError, match="already exists|another process"):
        write_predictions(frame, out)


def _as_written(folder, text):
    """report.json replaced and its record updated, as a run of an older or
    broken treedistill would have left it (the schema checks still apply)."""
    (folder / "report.json").write_text(text)
    refresh_marker(folder, ["report.json"])


def test_read_report_checks_the_schema(finished, tmp_path):
    out = finished / "out"
    doc = read_report(out)
    assert doc["schema_version"] == "2"
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    tampered = dict(doc)
    del tampered["summary"]
    _as_written(bad, json.dumps(tampered))
    with pytest.raises(SavedRunError, match="lacks 'summary'"):
        read_report(bad)
    _as_written(bad, json.dumps({**doc, "schema_version": "0"}))
    with pytest.raises(SavedRunError, match="schema_version '0'"):
        read_report(bad)
    _as_written(bad, "{not json")
    with pytest.raises(SavedRunError, match="not valid JSON"):
        read_report(bad)
    nested = json.loads((out / "report.json").read_text())
    del nested["summary"]["agreement"]
    _as_written(bad, json.dumps(nested))
    before = (bad / "report.md").read_bytes()
    with pytest.raises(SavedRunError, match="agreement"):
        render_report(bad)
    assert (bad / "report.md").read_bytes() == before


def _edit_json(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "name",
    ["report.json", "student-tree.json", "student-boosted.json", "config.json",
     "held_out_rows.csv", "report.md", "timings.json"],
)  # fmt: skip
def test_every_reader_refuses_a_changed_run_file(finished, tmp_path, name):
    run = tmp_path / "run"
    shutil.copytree(finished / "out", run)
    path = run / name
    if name == "report.json":
        _edit_json(path, lambda d: d["summary"].update(agreement=0.999))
    elif name.endswith(".json"):
        _edit_json(path, lambda d: d.update(edited=True))
    else:
        path.write_text(path.read_text() + "\n")
    before = tree_sha(run)
    readers = [
        lambda: read_report(run),
        lambda: render_report(run),
        lambda: render_report(run, tmp_path / "elsewhere"),
        lambda: load_run_student(run),
        lambda: load_run_student(run / "student-boosted.json"),
        lambda: predict_saved(run, finished / "cohort.csv"),
    ]
    for read in readers:
        with pytest.raises(SavedRunError, match="was changed after treedistill") as e:
            read()
        assert repr(str(path)) in str(e.value)
    assert tree_sha(run) == before and not (tmp_path / "elsewhere").exists()


def test_render_report_in_place_updates_the_record_of_what_it_wrote(
    finished, tmp_path, monkeypatch
):
    run = tmp_path / "run"
    shutil.copytree(finished / "out", run)
    record = json.loads((run / MARKER).read_text())["files"]
    (run / "report.html").unlink()  # a rendered file may be re-created
    (run / "my-predictions.csv").write_text("the user's own file")
    monkeypatch.chdir(tmp_path)
    written = render_report("run")  # a relative path, as typed
    assert sorted(p.name for p in written) == sorted(
        ["report.html", "report.json", "report.md", "rules.txt"]
    )
    after = json.loads((run / MARKER).read_text())["files"]
    assert sorted(after) == sorted(record)  # the user's file is not adopted
    assert after == {name: tree_sha(run)[name] for name in after}
    assert load_run_student(run).kind == "tree"  # the run still reads


def test_a_folder_without_its_record_is_not_re_rendered(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished / "out", run)
    (run / MARKER).unlink()
    _edit_json(run / "report.json", lambda d: d["summary"].update(agreement=0.999))
    before = tree_sha(run)
    with pytest.raises(SavedRunError, match=f"holds no {MARKER}"):
        render_report(run)
    with pytest.raises(SavedRunError, match=f"holds no {MARKER}"):
        render_report(run, tmp_path / "elsewhere")
    assert tree_sha(run) == before and not (tmp_path / "elsewhere").exists()
    (run / MARKER).write_text('{"files": ["not", "a", "record"]}')
    with pytest.raises(SavedRunError, match="is damaged or was edited"):
        render_report(run)
    # a standalone student file (no record) is read on its own checks alone
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(finished / "out" / "student-tree.json", alone / "student.json")
    assert load_run_student(alone).kind == "tree"


def test_render_report_follows_the_output_rule(finished, tmp_path):
    out = finished / "out"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "report.md").write_text("my notes")
    with pytest.raises(OutputError, match="already exists and is not empty"):
        render_report(out, notes)
    with pytest.raises(OutputError, match="is not a folder treedistill wrote"):
        render_report(out, notes, force=True)
    assert (notes / "report.md").read_text() == "my notes"
    fresh = tmp_path / "fresh"
    written = render_report(out, fresh)
    assert sorted(p.name for p in written) == sorted(
        ["report.html", "report.json", "report.md", "rules.txt"]
    )
    assert (fresh / MARKER).is_file()
    render_report(out, fresh, force=True)  # its own output: replaced
    assert (fresh / "report.md").read_bytes() == (out / "report.md").read_bytes()


def test_a_template_missing_an_entry_is_a_saved_run_error(finished, monkeypatch):
    import jinja2

    import treedistill.report

    def undefined(report, folder):
        raise jinja2.UndefinedError("'dict object' has no attribute 'tables'")

    monkeypatch.setattr(treedistill.report, "write_report", undefined)
    with pytest.raises(SavedRunError, match="lacks an entry .*'tables'"):
        render_report(finished / "out")
