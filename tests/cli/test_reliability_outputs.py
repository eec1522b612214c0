"""No data lost, no injection: what the commands write, end to end.

Every refusal is exit code 2, one ``Error: ...`` line naming the path or option,
nothing written and every input unchanged (see ``refused`` in conftest.py).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import (
    REPO,
    cohort_frame,
    invoke,
    refused,
    sha,
    trained_teacher,
    tree_sha,
    write_csv,
)
from treedistill.runs._outdir import MARKER, refresh_marker

FAST = ["--augment-factor", "1"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("outputs")


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return cohort_frame(240, missing_rate=0.05, seed=3)


@pytest.fixture(scope="module")
def cohort_csv(work, cohort) -> Path:
    return write_csv(cohort, work / "cohort.csv")


@pytest.fixture(scope="module")
def teacher_pt(work, cohort_csv) -> Path:
    return trained_teacher(cohort_csv, work / "teacher.pt", max_epochs=10)


@pytest.fixture(scope="module")
def run_dir(work, cohort_csv, teacher_pt) -> Path:
    out = work / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", out, "--quiet", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def distill(data, out, teacher, *extra):
    return invoke(
        "distill", data, "--target", "risk", "--teacher", teacher, "--out", out,
        *FAST, *extra,
    )  # fmt: skip


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------- #
# 1-2. --force replaces only what treedistill wrote; every command follows it
# --------------------------------------------------------------------------- #
def test_force_refuses_a_folder_holding_a_file_treedistill_did_not_write(
    tmp_path, run_dir, cohort_csv, teacher_pt
):
    project = tmp_path / "myproject"
    shutil.copytree(run_dir, project)
    (project / "thesis.tex").write_text("years of work")
    before = tree_sha(project), sha(cohort_csv)
    result = distill(cohort_csv, project, teacher_pt, "--force")
    refused(result, "thesis.tex", "was not written by treedistill", "--force")
    assert (tree_sha(project), sha(cohort_csv)) == before
    assert hidden(tmp_path) == []


def test_force_never_replaces_a_folder_without_the_runs_record(
    tmp_path, cohort_csv, teacher_pt
):
    notes = tmp_path / "mynotes"
    (notes / "inputs").mkdir(parents=True)
    (notes / "report.json").write_text('{"mine": true}')
    (notes / "report.md").write_text("# my notes")
    (notes / "inputs" / "thesis.tex").write_text("years of work")
    before = tree_sha(notes), sha(cohort_csv), sha(teacher_pt)
    result = distill(cohort_csv, notes, teacher_pt, "--force")
    refused(result, repr(str(notes)), "is not a folder treedistill wrote", MARKER)
    assert (tree_sha(notes), sha(cohort_csv), sha(teacher_pt)) == before
    assert hidden(tmp_path) == []


def test_force_refuses_a_run_whose_file_was_edited(
    tmp_path, run_dir, cohort_csv, teacher_pt
):
    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    (old / "report.md").write_text("my edits", encoding="utf-8")
    before = tree_sha(old)
    refused(distill(cohort_csv, old, teacher_pt, "--force"), "report.md", "changed")
    assert tree_sha(old) == before


def test_report_out_never_replaces_the_users_files(tmp_path, run_dir):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "report.md").write_text("mine")
    (notes / "rules.txt").write_text("mine too")
    before = tree_sha(notes)
    refused(invoke("report", run_dir, "--out", notes), str(notes), "--force")
    refused(
        invoke("report", run_dir, "--out", notes, "--force"),
        "is not a folder treedistill wrote",
    )
    assert tree_sha(notes) == before and hidden(tmp_path) == []
    fresh = tmp_path / "fresh"
    assert invoke("report", run_dir, "--out", fresh, "--quiet").exit_code == 0
    again = invoke("report", run_dir, "--out", fresh, "--force", "--quiet")
    assert again.exit_code == 0, again.output  # its own output may be replaced


def test_train_teacher_out_is_written_whole_and_never_replaced(tmp_path, cohort_csv):
    out = tmp_path / "teacher.pt"
    out.write_bytes(b"someone else's model")
    refused(
        invoke("train-teacher", cohort_csv, "--target", "risk", "--out", out),
        str(out),
        "--force",
    )
    assert out.read_bytes() == b"someone else's model" and hidden(tmp_path) == []


# --------------------------------------------------------------------------- #
# 3. Two runs into the same new folder: exactly one wins
# --------------------------------------------------------------------------- #
def test_two_concurrent_runs_into_one_new_folder(tmp_path, cohort_csv, teacher_pt):
    out = tmp_path / "shared"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [
        sys.executable, "-m", "treedistill.cli", "distill", str(cohort_csv),
        "--target", "risk", "--teacher", str(teacher_pt), "--out", str(out),
        "--quiet", *FAST,
    ]  # fmt: skip
    procs = [
        subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    lines = loser.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(out) in lines[0]
    marker = json.loads((out / MARKER).read_text())
    assert {p.name for p in out.iterdir()} == {*marker["files"], MARKER}
    assert hidden(tmp_path) == []


# --------------------------------------------------------------------------- #
# 4. Unwritable or full locations: refused before any work, naming the path
# --------------------------------------------------------------------------- #
def test_read_only_location_is_refused_before_any_work(
    tmp_path, cohort_csv, teacher_pt, monkeypatch
):
    import treedistill.runs._outdir as outdir

    calls = []
    monkeypatch.setattr(outdir, "_writable", lambda folder: False)
    monkeypatch.setattr(outdir, "_read_only", lambda path: True)
    monkeypatch.setattr(
        "treedistill.runs._pipeline._read_data", lambda state: calls.append(state)
    )
    out = tmp_path / "ro" / "run"
    line = refused(distill(cohort_csv, out, teacher_pt), str(out), "read-only")
    assert "unexpected" not in line and calls == [] and not out.parent.exists()


def test_full_disk_is_refused_before_any_work(
    tmp_path, cohort_csv, teacher_pt, monkeypatch
):
    monkeypatch.setattr(
        "treedistill.runs._outdir.shutil.disk_usage",
        lambda path: shutil._ntuple_diskusage(100, 100, 0),
    )
    out = tmp_path / "run"
    refused(distill(cohort_csv, out, teacher_pt), str(out), "no space left")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_writing_names_the_output(
    tmp_path, cohort_csv, teacher_pt, monkeypatch
):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))

    monkeypatch.setattr("treedistill.distill._bundle.save_student", full)
    out = tmp_path / "run"
    line = refused(distill(cohort_csv, out, teacher_pt), str(out), "no space left")
    assert "unexpected" not in line
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- #
# 5. Leftovers of killed runs; symbolic links
# --------------------------------------------------------------------------- #
def test_stale_staging_folder_of_a_killed_run_is_removed(
    tmp_path, cohort_csv, teacher_pt
):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    import socket

    stale = tmp_path / ".run.partial-killed"
    stale.mkdir()
    (stale / "report.html").write_text("half")
    (stale / ".treedistill-staging.json").write_text(
        json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()})
    )
    result = distill(cohort_csv, tmp_path / "run", teacher_pt)
    assert result.exit_code == 0, result.output
    assert any(
        "removed" in w and ".run.partial-killed" in w
        for w in result.stderr.splitlines()
    )
    assert hidden(tmp_path) == []


def test_symlink_out_is_refused(tmp_path, cohort_csv, teacher_pt):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    refused(
        distill(cohort_csv, link, teacher_pt, "--force"), str(link), "symbolic link"
    )
    assert link.is_symlink() and list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "link"]


# --------------------------------------------------------------------------- #
# 6. Formula injection in predictions.csv
# --------------------------------------------------------------------------- #
def test_predictions_csv_neutralises_formulas(tmp_path, run_dir, cohort):
    frame = cohort.drop(columns=["risk"]).head(20).copy()
    frame["note"] = ['=HYPERLINK("http://x.example")', "+cmd|' /C calc'!A0",
                     "@SUM(A1)", "-2+3", "plain"] * 4  # fmt: skip
    frame.loc[0, "ward"] = "=1+1"
    data = write_csv(frame, tmp_path / "new.csv")
    before = sha(data)
    out = tmp_path / "pred.csv"
    result = invoke("predict", run_dir, data, "--out", out)
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(out)
    assert pred["note"].tolist()[:5] == ['\'=HYPERLINK("http://x.example")',
                                         "'+cmd|' /C calc'!A0", "'@SUM(A1)",
                                         "'-2+3", "plain"]  # fmt: skip
    assert pred.loc[0, "ward"] == "'=1+1"
    pd.testing.assert_series_equal(pred["age"], frame["age"].reset_index(drop=True))
    assert pred["proba_high"].between(0, 1).all()
    assert sha(data) == before


# --------------------------------------------------------------------------- #
# 7. Unicode direction overrides are shown escaped
# --------------------------------------------------------------------------- #
def test_direction_overrides_are_shown_escaped(tmp_path, cohort):
    frame = cohort.copy()
    frame["ward"] = frame["ward"].replace({frame["ward"].iloc[0]: "a\u202eb"})
    frame = frame.rename(columns={"smoker": "smo\u2066ker\u2069"})
    data = write_csv(frame, tmp_path / "bidi.csv")
    teacher = trained_teacher(data, tmp_path / "t.pt", max_epochs=10)
    out = tmp_path / "run"
    result = invoke("distill", data, "--target", "risk", "--teacher", teacher,
                    "--out", out, "--quiet", "--max-leaf-nodes", "24", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = invoke("rules", out)
    assert printed.exit_code == 0
    for text in [printed.stdout] + [
        (out / name).read_text(encoding="utf-8")
        for name in ("rules.txt", "report.md", "report.html")
    ]:
        assert not any(c in text for c in "\u202e\u2066\u2069")
    assert "<U+2066>" in (out / "report.md").read_text(encoding="utf-8")
    bad = invoke("distill", data, "--target", "ri\u202esk", "--out", tmp_path / "x")
    assert "\u202e" not in refused(bad) and not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- #
# 15. A tampered or older report.json
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("summary"), "lacks 'summary'"),
        (lambda d: d.update(schema_version="0"), "schema_version '0'"),
        (lambda d: d["summary"].pop("agreement"), "'agreement'"),
        (lambda d: d.pop("schema_version"), "schema_version None"),
    ],
)
def test_tampered_report_json_is_refused_naming_what_is_missing(
    tmp_path, run_dir, change, message
):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    doc = json.loads((copy / "report.json").read_text())
    change(doc)
    (copy / "report.json").write_text(json.dumps(doc))
    before = tree_sha(copy)
    refused(invoke("report", copy), "report.json", "was changed after treedistill")
    assert tree_sha(copy) == before
    # recorded as it is (a run of an older or broken version): the schema is checked
    refresh_marker(copy, ["report.json"])
    before = tree_sha(copy)
    refused(invoke("report", copy), "report.json", message)
    assert tree_sha(copy) == before
    out = tmp_path / "elsewhere"
    refused(invoke("report", copy, "--out", out), message)
    assert not out.exists() and hidden(tmp_path) == []


# --------------------------------------------------------------------------- #
# 16. --config values follow the rules of the options
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "text, names",
    [
        ("max_leaf_nodes = 3.9\n", ["max-leaf-nodes", "3.9", "integer"]),
        ("temperature = true\n", ["temperature", "True"]),
        ("sweep = 1\n", ["sweep", "true or false"]),
        ("seed = '7'\n", ["seed", "'7' is text, not a number"]),
        ("student = 3\n", ["student", "3"]),
    ],
)
def test_config_values_follow_the_option_rules(
    tmp_path, cohort_csv, teacher_pt, text, names
):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    out = tmp_path / "run"
    result = distill(cohort_csv, out, teacher_pt, "--config", cfg)
    refused(result, "c.toml", *names)
    assert not out.exists()


# --------------------------------------------------------------------------- #
# Operating points of the report: options, config file, refusals
# --------------------------------------------------------------------------- #
def test_operating_points_reach_the_report(tmp_path, cohort_csv, teacher_pt):
    cfg = tmp_path / "c.toml"
    cfg.write_text("positive-class = 'high'\nthreshold = 0.3\n")
    out = tmp_path / "run"
    result = distill(cohort_csv, out, teacher_pt, "--config", cfg, "--flag-rate", "0.1")
    assert result.exit_code == 0, result.output
    options = json.loads((out / "config.json").read_text())["options"]
    assert (options["positive_class"], options["threshold"], options["flag_rate"]) == (
        "high", 0.3, 0.1,
    )  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    assert report["data"]["positive_class"] == "high"
    assert report["run"]["options"]["threshold"] == 0.3


@pytest.mark.parametrize(
    "extra, names",
    [
        (["--threshold", "1.5"], ["--threshold", "1.5"]),
        (["--flag-rate", "0"], ["--flag-rate"]),
        (["--positive-class", "maybe"], ["--positive-class", "'maybe'"]),
    ],
)
def test_bad_operating_point_is_refused(tmp_path, cohort_csv, teacher_pt, extra, names):
    out = tmp_path / "run"
    refused(distill(cohort_csv, out, teacher_pt, *extra), *names)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- #
# No command writes over a run's files or inputs; a changed run file is refused
# --------------------------------------------------------------------------- #
@pytest.fixture
def run_copy(tmp_path, run_dir) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    return copy


def _inputs(run: Path) -> dict:
    """Every file of the run, and the data and teacher files it records."""
    config = json.loads((run / "config.json").read_text())
    inputs = [config["data"]["absolute"]] + [t["absolute"] for t in config["teachers"]]
    return {**tree_sha(run), **{p: sha(Path(p)) for p in inputs}}


@pytest.mark.parametrize(
    "args, name",
    [
        (["export", "{run}", "--format", "python", "--out", "{run}/student.json"],
         "student.json"),
        (["predict", "{run}", "{new}", "--out", "{run}/held_out_rows.csv"],
         "held_out_rows.csv"),
        (["export", "{run}", "--format", "sql", "--out", "{run}/" + MARKER], MARKER),
        (["export", "{run}", "--format", "sql", "--out", "{run}/report.json"],
         "report.json"),
        (["predict", "{run}/student.json", "{new}", "--out", "{data}"], "cohort.csv"),
        (["export", "{run}", "--format", "python", "--out", "{teacher}"],
         "teacher.pt"),
        (["train-teacher", "{new}", "--target", "risk", "--out", "{run}/config.json"],
         "config.json"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_no_command_writes_over_a_file_of_a_run_or_its_inputs(
    tmp_path, run_copy, cohort_csv, teacher_pt, args, name, force
):
    new = shutil.copy(cohort_csv, tmp_path / "new.csv")
    where = {"run": run_copy, "new": new, "data": cohort_csv, "teacher": teacher_pt}
    before = _inputs(run_copy), sha(new)
    result = invoke(*[a.format(**where) for a in args], *force)
    line = refused(result, name, "even with --force")
    assert "is a file of the treedistill run" in line or "is the input file" in line
    assert (_inputs(run_copy), sha(new)) == before
    assert hidden(run_copy) == [MARKER] and hidden(tmp_path) == []


def test_report_out_never_replaces_a_run(tmp_path, run_copy, run_dir):
    other = tmp_path / "other-run"
    shutil.copytree(run_dir, other)
    before = tree_sha(other)
    refused(
        invoke("report", run_copy, "--out", other, "--force"),
        "other-run", "holds a treedistill run", "--force",
    )  # fmt: skip
    assert tree_sha(other) == before


def test_report_refuses_an_edited_report_and_never_reseals_it(run_copy):
    path = run_copy / "report.json"
    doc = json.loads(path.read_text())
    assert doc["summary"]["agreement"] != 0.999
    doc["summary"]["agreement"] = 0.999
    path.write_text(json.dumps(doc))
    before = tree_sha(run_copy)
    refused(
        invoke("report", run_copy), repr(str(path)), "was changed after treedistill"
    )
    assert tree_sha(run_copy) == before  # no HTML showing 99.9%, the record as it was
    elsewhere = run_copy.parent / "elsewhere"
    refused(invoke("report", run_copy, "--out", elsewhere), "report.json", "changed")
    assert not elsewhere.exists()


def test_report_re_renders_a_verified_run_and_says_it_updated_the_record(run_copy):
    record = json.loads((run_copy / MARKER).read_text())["files"]
    (run_copy / "predictions.csv").write_text("the user's own file")
    result = invoke("report", run_copy)
    assert result.exit_code == 0, result.output
    assert "updated their sha256 in its .treedistill-run.json" in result.stdout
    after = json.loads((run_copy / MARKER).read_text())["files"]
    assert sorted(after) == sorted(record)  # the user's file is not adopted
    assert after == {name: sha(run_copy / name) for name in after}
    assert invoke("rules", run_copy).exit_code == 0  # the run still reads


@pytest.mark.parametrize(
    "name", ["student.json", "config.json", "held_out_rows.csv", "report.json"]
)
@pytest.mark.parametrize(
    "args",
    [
        ["predict", "{source}", "{new}", "--out", "{out}.csv"],
        ["export", "{source}", "--format", "python", "--out", "{out}.py"],
        ["rules", "{source}"],
        ["report", "{run}"],
    ],
)
def test_every_command_refuses_a_changed_run_file(
    tmp_path, run_copy, cohort_csv, name, args
):
    path = run_copy / name
    path.write_bytes(path.read_bytes() + b"\n")  # still valid: only the hash tells
    new = shutil.copy(cohort_csv, tmp_path / "new.csv")
    out = tmp_path / "out"
    before = tree_sha(run_copy), sha(new)
    for source in (run_copy, run_copy / "student.json"):
        where = {"source": source, "run": run_copy, "new": new, "out": out}
        result = invoke(*[a.format(**where) for a in args])
        refused(result, repr(str(path)), "was changed after treedistill wrote it")
    assert (tree_sha(run_copy), sha(new)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv", "run"]


def _hand_edit(path: Path) -> None:
    """Class names reversed and leaf values around 7e15, as found in the wild."""
    doc = json.loads(path.read_text())
    doc["classes"]["values"].reverse()
    doc["tree"]["value"] = [[7.56e15 * v for v in row] for row in doc["tree"]["value"]]
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "{student}", "{new}", "--out", "{out}.csv"],
        ["export", "{student}", "--format", "python", "--out", "{out}.py"],
        ["export", "{student}", "--format", "onnx", "--out", "{out}.onnx"],
        ["rules", "{student}"],
    ],
)
def test_a_hand_edited_student_is_refused(tmp_path, run_copy, cohort_csv, args):
    new = shutil.copy(cohort_csv, tmp_path / "new.csv")
    alone = tmp_path / "student.json"  # a standalone file: its own checks
    shutil.copy(run_copy / "student.json", alone)
    _hand_edit(alone)
    _hand_edit(run_copy / "student.json")  # in a run: its record too
    out = tmp_path / "out"
    before = tree_sha(tmp_path)
    for student, message in [
        (alone, "is not a probability distribution"),
        (run_copy / "student.json", "was changed after treedistill wrote it"),
        (run_copy, "was changed after treedistill wrote it"),
    ]:
        where = {"student": student, "new": new, "out": out}
        result = invoke(*[a.format(**where) for a in args])
        line = refused(result, "student.json", message)
        assert "e+15" not in result.stdout
        if student == alone:
            assert "tree 'value' of leaf" in line
    assert tree_sha(tmp_path) == before
