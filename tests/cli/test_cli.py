"""The ``treedistill`` command line, end to end (click's CliRunner and a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from tests.conftest import (
    REPO,
    cohort_frame,
    error_line,
    invoke,
    sha,
    trained_teacher,
    tree_sha,
    write_csv,
)
from treedistill import (
    export_rules,
    load_teacher,
    prepare_data,
    read_table,
    rule_numbers,
)
from treedistill.cli.main import cli
from treedistill.common._files import sha256_file
from treedistill.distill._bundle import load_student
from treedistill.runs._outdir import MARKER

REPORT_FILES = {"report.html", "report.json", "report.md", "rules.txt"}
RUN_FILES = REPORT_FILES | {
    "student-tree.json",
    "student-boosted.json",
    "config.json",
    "timings.json",
    "held_out_rows.csv",
    MARKER,
}
FAST = ["--augment-factor", "2"]


# --------------------------------------------------------------------------- #
# Shared, module-scoped inputs: a small cohort, a small teacher, one run
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cohort_csv(work) -> Path:
    return write_csv(cohort_frame(400, missing_rate=0.05), work / "cohort.csv")


@pytest.fixture(scope="module")
def teacher_pt(work, cohort_csv) -> Path:
    return trained_teacher(cohort_csv, work / "teacher.pt", max_epochs=30)


@pytest.fixture(scope="module")
def run(work, cohort_csv, teacher_pt):
    """One distillation with both students; returns (run dir, --json summary)."""
    out = work / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", out, "--student", "both", "--json", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


# --------------------------------------------------------------------------- #
# Help
# --------------------------------------------------------------------------- #
def test_every_command_has_help_ending_with_an_example():
    assert cli.commands, "no commands registered"
    names = [[]] + [[name] for name in cli.commands]
    for name in names:
        result = invoke(*name, "--help")
        assert result.exit_code == 0, (name, result.output)
        text = result.stdout
        assert "Example" in text, name
        # The example comes after the options: it is the end of the help.
        assert text.rindex("Example") > text.rindex("--help"), name
    assert set(cli.commands) == {
        "train-teacher", "distill", "report", "rules", "predict", "demo", "export",
        "card", "compare",
    }  # fmt: skip


# --------------------------------------------------------------------------- #
# distill: the run directory and its numbers
# --------------------------------------------------------------------------- #
def test_distill_writes_every_file(run):
    out, summary = run
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert summary["run_dir"] == str(out)
    assert sorted(summary["files"]) == sorted(RUN_FILES - {MARKER})
    for kind in ("tree", "boosted"):
        entry = summary["students"][kind]
        lo, hi = entry["agreement_ci"]
        assert 0 <= lo <= entry["agreement"] <= hi <= 1
        assert entry["n_test"] == 100
    assert 2 <= summary["students"]["tree"]["leaves"] <= 16
    assert summary["students"]["boosted"]["trees"] == 10
    # no half-written sibling left behind
    assert not [p for p in out.parent.iterdir() if ".partial-" in p.name]


def test_report_numbers_match_recomputation(run, cohort_csv, teacher_pt):
    out, summary = run
    report = json.loads((out / "report.json").read_text())
    X, y, _ = prepare_data(read_table(cohort_csv), "risk")
    _, X_test, _, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    teacher = load_teacher([teacher_pt])
    p_teacher = teacher.predict_proba(X_test)
    rows = {r["key"]: r for r in report["fidelity"]["held_out"]}
    for kind in ("tree", "boosted"):
        bundle = load_student(out / f"student-{kind}.json")
        p_student = bundle.predict_proba(X_test)
        agree = np.mean(p_student.argmax(1) == p_teacher.argmax(1))
        acc = np.mean(bundle.predict(X_test) == y_test)
        assert rows[kind]["n"] == len(y_test) == 100
        assert rows[kind]["agreement"] == pytest.approx(agree, abs=1e-6)
        assert rows[kind]["accuracy"] == pytest.approx(acc, abs=1e-6)
        assert summary["students"][kind]["agreement"] == pytest.approx(agree)
    teacher_acc = np.mean(teacher.predict(X_test) == y_test)
    assert rows["teacher"]["accuracy"] == pytest.approx(teacher_acc, abs=1e-6)
    tree = load_student(out / "student-tree.json")
    assert report["tree"]["n_leaves"] == tree.student_.get_n_leaves()
    assert report["run"]["split"] == {
        "n_test": 100, "n_train": 300, "seed": 0, "stratified": True,
        "test_size": 0.25,
    }  # fmt: skip


def test_config_json_records_options_versions_and_hashes(run, cohort_csv, teacher_pt):
    out, _ = run
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 0
    assert config["options"]["student"] == "both"
    assert config["options"]["augment_factor"] == 2.0
    assert config["options"]["max_leaf_nodes"] == 16
    assert config["options"]["temperature"] is None  # each student's own default
    assert config["resolved"]["tree"]["temperature"] == 1.0
    assert config["resolved"]["tree"]["criterion"] == "entropy"
    assert config["data"]["sha256"] == sha256_file(cohort_csv)
    assert config["teachers"] == [
        {
            "path": str(teacher_pt),
            "absolute": str(teacher_pt.absolute()),
            "sha256": sha256_file(teacher_pt),
        }
    ]
    assert config["data"]["given"] == str(cohort_csv)
    assert config["data"]["absolute"] == str(cohort_csv.absolute())
    assert config["held_out_rows"]["file"] == "held_out_rows.csv"
    for lib in ("python", "treedistill", "scikit-learn", "xgboost", "torch",
                "pandas", "shap"):  # fmt: skip
        assert config["versions"][lib], lib
    assert config["resolved"]["tree"]["file"] == "student-tree.json"
    timings = json.loads((out / "timings.json").read_text())
    assert "started_at" in timings and timings["total_seconds"] > 0
    assert {"teacher", "tree student", "evaluate", "write"} <= set(
        timings["stages_seconds"]
    )
    assert "started_at" not in (out / "config.json").read_text()


def test_second_identical_run_is_byte_identical_and_force_replaces(
    run, work, cohort_csv, teacher_pt
):
    first, _ = run
    second = work / "run-again"
    second.mkdir()
    (second / "config.json").write_text("{}")
    (second / "stale.txt").write_text("from an older run")

    args = [
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", second, "--student", "both", *FAST,
    ]  # fmt: skip
    refused = invoke(*args)
    assert refused.exit_code == 2
    assert str(second) in error_line(refused)
    assert "--force" in error_line(refused)
    # --force replaces only a folder treedistill wrote (it holds the record)
    refused = invoke(*args, "--force")
    assert refused.exit_code == 2
    assert "is not a folder treedistill wrote" in error_line(refused)
    assert (second / "stale.txt").read_text() == "from an older run"

    shutil.rmtree(second)
    shutil.copytree(first, second)
    result = invoke(*args, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    assert {p.name for p in second.iterdir()} == RUN_FILES
    for name in ("report.json", "student-tree.json", "student-boosted.json",
                 "report.md", "rules.txt"):  # fmt: skip
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # config.json differs only in what differs on the command line
    a = json.loads((first / "config.json").read_text())
    b = json.loads((second / "config.json").read_text())
    for cfg in (a, b):
        for key in ("out", "force"):
            cfg["options"].pop(key)
    assert a == b


def test_force_never_replaces_a_folder_that_is_not_a_run(work, cohort_csv):
    folder = work / "precious"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    shutil.copy(cohort_csv, folder / "data.csv")
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--out", folder, "--force",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "is not a folder treedistill wrote" in error_line(result)
    (folder / "report.json").write_text("{}")
    result = invoke(
        "distill", folder / "data.csv", "--target", "risk", "--out", folder,
        "--force",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "holds the input file" in error_line(result)
    assert (folder / "notes.txt").read_text() == "mine"


def test_failed_run_leaves_the_old_run_untouched(run, work, cohort_csv, teacher_pt):
    original, _ = run
    old = work / "old-run"
    shutil.copytree(original, old)
    before = tree_sha(old)
    result = invoke(
        "distill", cohort_csv, "--target", "no_such_column", "--teacher",
        teacher_pt, "--out", old, "--force",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no_such_column" in error_line(result)
    assert tree_sha(old) == before
    assert not [p for p in work.iterdir() if ".partial-" in p.name]


def test_run_interrupted_while_writing_keeps_the_old_run(
    run, work, cohort_csv, teacher_pt, monkeypatch
):
    """An exception in the middle of writing: the old run stays, nothing is left."""
    import treedistill.distill._bundle

    original, _ = run
    old = work / "old-run-2"
    shutil.copytree(original, old)
    before = tree_sha(old)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(treedistill.distill._bundle, "save_student", boom)
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", old, "--force", "--student", "tree", *FAST,
    )  # fmt: skip
    assert result.exit_code == 130
    assert tree_sha(old) == before
    assert not [p for p in work.iterdir() if ".partial-" in p.name]


def test_killed_run_leaves_no_half_written_report(work, cohort_csv, teacher_pt):
    """SIGKILL a real process: early on, and again while it writes the run dir."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    args = [
        sys.executable, "-m", "treedistill.cli", "distill", str(cohort_csv),
        "--target", "risk", "--teacher", str(teacher_pt), "--student", "tree",
        "--quiet", *FAST,
    ]  # fmt: skip

    early = work / "killed-early"
    proc = subprocess.Popen([*args, "--out", str(early)], env=env, cwd=REPO)
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not early.exists()

    late = work / "killed-late"
    proc = subprocess.Popen([*args, "--out", str(late)], env=env, cwd=REPO)
    seen_partial = False
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".killed-late.partial-") for p in work.iterdir()):
            seen_partial = True
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait()
    if seen_partial:
        # killed while writing: the run directory was never created
        assert not late.exists()
    else:  # pragma: no cover - the run finished between two polls
        assert proc.returncode == 0
    if late.exists():
        names = {p.name for p in late.iterdir()}
        assert names >= REPORT_FILES | {"student.json", "config.json"}
        json.loads((late / "report.json").read_text())


# --------------------------------------------------------------------------- #
# Bad options and inputs: exit 2 with one line naming what is wrong
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--temperature", "-1"], "--temperature must be > 0, got -1"),
        (["--temperature", "0"], "--temperature must be > 0, got 0"),
        (["--alpha", "1.5"], "--alpha must be in [0, 1], got 1.5"),
        (["--alpha", "-0.1"], "--alpha must be in [0, 1], got -0.1"),
        (["--augment-factor", "-1"], "--augment-factor must be in [0, 1000]"),
        (["--augment-factor", "5000"], "--augment-factor must be in [0, 1000]"),
        (["--max-leaf-nodes", "0"], "--max-leaf-nodes must be >= 2, got 0"),
        (["--max-depth", "0"], "--max-depth must be >= 1, got 0"),
        (["--n-estimators", "0"], "--n-estimators must be >= 1, got 0"),
        (["--boost-depth", "-2"], "--boost-depth must be >= 1, got -2"),
        (["--test-size", "0"], "--test-size must be a share of the rows in (0, 1)"),
        (["--test-size", "1.5"], "--test-size must be a share of the rows in (0, 1)"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--student", "forest"], "'--student'"),
        (["--criterion", "mse"], "'--criterion'"),
        (["--augmentation", "smote"], "'--augmentation'"),
        (["--ensemble-method", "median"], "'--ensemble-method'"),
        (["--temperature", "hot"], "'--temperature'"),
        (["--classes", "a,,b"], "--classes"),
    ],
)
def test_bad_option_exits_2_naming_it(tmp_path, cohort_csv, extra, expected):
    out = tmp_path / "out"
    result = invoke("distill", cohort_csv, "--target", "risk", "--out", out, *extra)
    assert result.exit_code == 2, result.output
    assert expected in error_line(result)
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_inputs_exit_2_naming_the_file_or_column(tmp_path, cohort_csv, teacher_pt):
    out = tmp_path / "out"
    base = ["distill", cohort_csv, "--target", "risk", "--out", out]

    result = invoke("distill", tmp_path / "nope.csv", "--target", "risk", "--out", out)
    assert result.exit_code == 2 and "nope.csv" in error_line(result)

    result = invoke("distill", cohort_csv, "--target", "rsk", "--out", out)
    assert result.exit_code == 2 and "'rsk'" in error_line(result)

    result = invoke(*base, "--teacher", tmp_path / "missing.pt")
    assert result.exit_code == 2 and "missing.pt" in error_line(result)

    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(b"not really a pickle")
    result = invoke(*base, "--teacher", pickled)
    assert result.exit_code == 2 and "--trust-pickle" in error_line(result)

    result = invoke(*base, "--drop", "nothere", "--teacher", teacher_pt)
    assert result.exit_code == 2 and "nothere" in error_line(result)

    result = invoke(*base, "--subgroup", "nothere", "--teacher", teacher_pt)
    assert result.exit_code == 2 and "--subgroup" in error_line(result)

    result = invoke("distill", cohort_csv, "--out", out)
    assert result.exit_code == 2 and "--target" in error_line(result)
    assert not out.exists()


def test_unexpected_error_exits_1_with_a_debug_hint(tmp_path, cohort_csv, monkeypatch):
    import treedistill

    def broken(*args, **kwargs):
        raise RuntimeError("something broke\ninside")

    monkeypatch.setattr(treedistill, "run_distill", broken)
    monkeypatch.delenv("TREEDISTILL_DEBUG", raising=False)
    result = invoke("distill", cohort_csv, "--target", "risk", "--out", tmp_path / "o")
    assert result.exit_code == 1
    line = error_line(result)
    assert "RuntimeError: something broke inside" in line
    assert "TREEDISTILL_DEBUG=1" in line
    assert "Traceback" not in result.output

    monkeypatch.setenv("TREEDISTILL_DEBUG", "1")
    result = invoke("distill", cohort_csv, "--target", "risk", "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


# --------------------------------------------------------------------------- #
# --config
# --------------------------------------------------------------------------- #
def test_config_file_applies_and_command_line_overrides_it(
    work, cohort_csv, teacher_pt
):
    cfg_dir = work / "cfg"
    cfg_dir.mkdir()
    shutil.copy(teacher_pt, cfg_dir / "t.pt")
    cfg = cfg_dir / "distill.toml"
    cfg.write_text(
        "target = 'risk'\n"
        "[distill]\n"
        "teacher = 't.pt'\n"  # relative to the config file
        "temperature = 2.0\n"
        "max-leaf-nodes = 4\n"
        "augment_factor = 2\n"
        "criterion = 'entropy'\n"
        "sweep = true\n"
    )
    out = work / "cfg-run"
    result = invoke(
        "distill", cohort_csv, "--out", out, "--config", cfg,
        "--max-leaf-nodes", "6", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    config = json.loads((out / "config.json").read_text())
    options = config["options"]
    assert options["target"] == "risk"
    assert options["temperature"] == 2.0  # from the file
    assert options["criterion"] == "entropy"  # from the file
    assert options["augment_factor"] == 2.0  # from the file
    assert options["max_leaf_nodes"] == 6  # the command line wins
    assert options["sweep"] is True
    assert options["teacher"] == [str(cfg_dir / "t.pt")]
    assert summary["students"]["tree"]["leaves"] <= 6
    assert {p.name for p in out.iterdir()} == REPORT_FILES | {
        "student.json", "config.json", "timings.json", "held_out_rows.csv", MARKER,
    }  # fmt: skip

    # --sweep: the whole table, the choice and the reason are recorded
    report = json.loads((out / "report.json").read_text())
    sweep = report["run"]["sweep"]["tree"]
    table = sweep["table"]
    assert [(r["temperature"], r["alpha"]) for r in table] == [
        (0.25, 0.0), (0.25, 0.3), (1.0, 0.0), (1.0, 0.3),
        (2.0, 0.0), (2.0, 0.3), (4.0, 0.0), (4.0, 0.3),
    ]  # fmt: skip
    # The cohort's rarer class is under 20% of the rows: the tree is built for
    # ranking, and the sweep chooses by the same objective (flags and ranking
    # among the settings within one validation row of the best agreement).
    best = max(r["agreement"] for r in table)
    n_val = table[0]["n_validation"]
    chosen = [r for r in table if r["chosen"]]
    assert sweep["objective"] == "risk"
    assert len(chosen) == 1 and chosen[0]["agreement"] >= best - 1.5 / n_val
    assert sweep["chosen"] == {
        "temperature": chosen[0]["temperature"], "alpha": chosen[0]["alpha"],
    }  # fmt: skip
    assert "of the highest agreement" in sweep["reason"]
    assert sweep["n_fit"] + sweep["n_validation"] == 300  # training rows only
    assert config["resolved"]["tree"]["temperature"] == sweep["chosen"]["temperature"]
    assert summary["students"]["tree"]["temperature"] == sweep["chosen"]["temperature"]
    assert summary["students"]["tree"]["sweep_reason"] == sweep["reason"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tempreature = 2\n", "unknown key 'tempreature'"),
        ("[distill]\nmax_leaves = 3\n", "unknown key 'max_leaves'"),
        ("[train]\nseed = 1\n", "unknown key 'train'"),
        ("temperature = -1\n", "--temperature must be > 0, got -1"),
        ("drop = 3.5\n", "--drop"),
        ("temperature = [1, 2]\n", "'temperature'"),
        ("temperature = \n", "not valid TOML"),
    ],
)
def test_bad_config_file_exits_2(tmp_path, cohort_csv, text, expected):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--out", tmp_path / "o",
        "--config", cfg,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert expected in error_line(result)

    missing = invoke(
        "distill", cohort_csv, "--target", "risk", "--out", tmp_path / "o",
        "--config", tmp_path / "absent.toml",
    )  # fmt: skip
    assert missing.exit_code == 2 and "absent.toml" in error_line(missing)


# --------------------------------------------------------------------------- #
# predict, rules, report
# --------------------------------------------------------------------------- #
def test_predict_adds_columns_and_rule_ids(run, work, cohort_csv):
    out_dir, _ = run
    before = sha(cohort_csv)
    target = work / "pred.csv"
    result = invoke("predict", out_dir, cohort_csv, "--out", target)
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(target)
    frame = read_table(cohort_csv)
    bundle = load_student(out_dir / "student-tree.json")
    assert list(pred.columns) == [
        *frame.columns, "prediction", "proba_high", "proba_low", "rule_id",
    ]  # fmt: skip
    assert len(pred) == len(frame) == 400
    number = rule_numbers(bundle)  # rule ids are rule numbers, not node ids
    expected = [number[int(leaf)] for leaf in bundle.apply(frame)]
    np.testing.assert_array_equal(pred["rule_id"].to_numpy(), expected)
    np.testing.assert_array_equal(pred["prediction"].to_numpy(), bundle.predict(frame))
    np.testing.assert_allclose(
        pred[["proba_high", "proba_low"]].to_numpy(), bundle.predict_proba(frame)
    )
    assert sha(cohort_csv) == before

    refused = invoke("predict", out_dir, cohort_csv, "--out", target)
    assert refused.exit_code == 2 and "--force" in error_line(refused)
    boosted = invoke(
        "predict", out_dir, cohort_csv, "--out", target, "--student", "boosted",
        "--force",
    )  # fmt: skip
    assert boosted.exit_code == 0, boosted.output
    pred = pd.read_csv(target)
    assert "rule_id" not in pred.columns
    b = load_student(out_dir / "student-boosted.json")
    np.testing.assert_allclose(
        pred[["proba_high", "proba_low"]].to_numpy(), b.predict_proba(frame)
    )

    copy = work / "input-copy.csv"
    shutil.copy(cohort_csv, copy)
    same = invoke("predict", out_dir, copy, "--out", copy, "--force")
    assert same.exit_code == 2 and "is the input file" in error_line(same)
    assert sha(copy) == before


def test_rules_prints_the_tree_rules(run):
    out_dir, _ = run
    report = json.loads((out_dir / "report.json").read_text())
    positive = report["operating_points"]["positive_index"]  # the risk rules.txt names
    expected = export_rules(
        load_student(out_dir / "student-tree.json"), positive=positive
    ).strip()
    for source in (out_dir, out_dir / "student-tree.json"):
        result = invoke("rules", source)
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == expected
        assert result.stdout.count("IF ") == report["tree"]["n_leaves"]
    result = invoke("rules", out_dir / "student-boosted.json")
    assert result.exit_code == 2 and "boosted" in error_line(result)
    result = invoke("rules", out_dir / "nothing")
    assert result.exit_code == 2 and "nothing" in error_line(result)


def test_report_rerenders_from_report_json(run, work):
    out_dir, _ = run
    copy = work / "rerender"
    shutil.copytree(out_dir, copy)
    for name in ("report.html", "report.md", "rules.txt"):
        (copy / name).unlink()
    result = invoke("report", copy)
    assert result.exit_code == 0, result.output
    for name in ("report.md", "rules.txt", "report.json"):
        assert (copy / name).read_bytes() == (out_dir / name).read_bytes(), name
    html = (copy / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html") or "<html" in html[:200]

    elsewhere = work / "rendered-elsewhere"
    result = invoke("report", out_dir, "--out", elsewhere, "--quiet")
    assert result.exit_code == 0 and result.stdout == ""
    assert REPORT_FILES <= {p.name for p in elsewhere.iterdir()}

    result = invoke("report", work / "no-run-here")
    assert result.exit_code == 2 and "no-run-here" in error_line(result)


# --------------------------------------------------------------------------- #
# train-teacher
# --------------------------------------------------------------------------- #
def test_train_teacher_ensemble_and_refusals(work, cohort_csv, teacher_pt):
    out = work / "ens.pt"
    result = invoke(
        "train-teacher", cohort_csv, "--target", "risk", "--out", out,
        "--ensemble", "2", "--hidden", "8", "--max-epochs", "5", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    teacher = load_teacher([out])
    assert len(teacher.teachers_) == 2
    assert [t.random_state for t in teacher.teachers_] == [0, 1]

    again = invoke(
        "train-teacher", cohort_csv, "--target", "risk", "--out", teacher_pt,
    )  # fmt: skip
    assert again.exit_code == 2 and "--force" in error_line(again)
    for bad, message in [
        (["--hidden", "16,x"], "--hidden"),
        (["--hidden", "0"], "--hidden"),
        (["--ensemble", "0"], "--ensemble must be >= 1"),
        (["--max-epochs", "0"], "--max-epochs must be >= 1"),
    ]:
        result = invoke(
            "train-teacher", cohort_csv, "--target", "risk", "--out",
            work / "never.pt", *bad,
        )  # fmt: skip
        assert result.exit_code == 2 and message in error_line(result)
    assert not (work / "never.pt").exists()


# --------------------------------------------------------------------------- #
# Real messy data: categorical columns and missing values, no preparation
# --------------------------------------------------------------------------- #
def test_chronic_kidney_disease_needs_no_preparation(shared_datasets, tmp_path):
    data = shared_datasets / "chronic_kidney_disease.csv"
    before = sha(data)
    teacher = tmp_path / "ckd.pt"
    result = invoke(
        "train-teacher", data, "--target", "classification", "--drop", "id",
        "--out", teacher, "--hidden", "32", "--max-epochs", "30", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = tmp_path / "ckd-run"
    result = invoke(
        "distill", data, "--target", "classification", "--drop", "id",
        "--teacher", teacher, "--out", out, "--json", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["students"]["tree"]["agreement"] > 0.8
    bundle = load_student(out / "student.json")
    kinds = {c.name: c.kind for c in bundle.schema_.columns}
    assert kinds["htn"] == "categorical" and kinds["pcv"] != "categorical"
    assert "id" not in kinds
    assert sorted(bundle.classes_.tolist()) == ["ckd", "notckd"]
    assert sha(data) == before


# --------------------------------------------------------------------------- #
# demo
# --------------------------------------------------------------------------- #
def test_demo_runs_end_to_end(tmp_path):
    out = tmp_path / "demo"
    result = invoke("demo", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["students"]) == {"tree", "boosted"}
    assert summary["students"]["tree"]["agreement"] > 0.85
    names = {p.name for p in out.iterdir()}
    assert names == RUN_FILES | {"inputs", "teacher.pt"}
    data = out / "inputs" / "clinical_cohort.csv"
    assert len(pd.read_csv(data)) == 2000
    config = json.loads((out / "config.json").read_text())
    assert config["data"] == {"path": "inputs/clinical_cohort.csv",
                              "sha256": sha256_file(data)}  # fmt: skip
    refused = invoke("demo", "--out", out)
    assert refused.exit_code == 2 and str(out) in error_line(refused)
