"""``treedistill distill --dask``: the whole run on a LocalCluster, on Parquet files.

One run (module fixture) is checked by several tests: the files it writes, its
measures recomputed from the run directory with public functions, its tree
against ``distill_tree_dask`` on the same training partitions. The refusals are
checked before any output folder is made.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from treedistill import (
    DistilledTreeClassifier,
    distill_tree_dask,
    export_rules,
    fidelity,
    load_student,
    load_teacher,
    read_table,
    soften,
    teacher_logits,
)
from treedistill.cli.main import cli
from treedistill.datasets import make_clinical_cohort

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
distributed = pytest.importorskip("distributed", reason="the dask extra is missing")
import dask  # noqa: E402

from treedistill.runs import _dask_run  # noqa: E402
from treedistill.runs._dask_run import split_mask  # noqa: E402

N_FILES = 3
# Small caps, so that the report's samples are smaller than the data.
REPORT_ROWS, TRAIN_ROWS = 150, 600
FAST = ["--skip", "shap,size-curve,stability", "--seed", "3"]


def _invoke(args):
    return CliRunner().invoke(cli, ["distill", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    X, y = make_clinical_cohort(1200, missing_rate=0.05, random_state=5)
    frame = X.assign(risk=y)
    folder = tmp_path_factory.mktemp("data") / "cohort"
    folder.mkdir()
    bounds = [0, 350, 800, 1200]
    for i in range(N_FILES):
        part = frame.iloc[bounds[i] : bounds[i + 1]]
        part.to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_dask_run, "REPORT_ROWS", REPORT_ROWS)
        mp.setattr(_dask_run, "TRAIN_ROWS", TRAIN_ROWS)
        result = _invoke(
            [str(dataset), "--target", "risk", "--dask", "local", "--out", str(out)]
            + [*FAST, "--json"]
        )
    return result, out


@pytest.fixture(scope="module")
def data(dataset) -> list[pd.DataFrame]:
    """Each file as read_table reads it (the partitions, in order)."""
    return [read_table(p) for p in sorted(dataset.glob("*.parquet"))]


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_run_writes_a_complete_run_directory(run):
    result, out = run
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            ".treedistill-run.json",
            "config.json",
            "held_out_rows.csv",
            "report.html",
            "report.json",
            "report.md",
            "rules.txt",
            "student.json",
            "teacher.pt",
            "timings.json",
        ]
    )
    report = _json(out / "report.json")
    dask_info = report["run"]["dask"]
    assert dask_info["partitions"] == N_FILES and dask_info["rows"] == 1200
    samples = dask_info["samples"]
    assert samples["held_out_rows"] == REPORT_ROWS < samples["held_out_total"]
    assert samples["training_rows"] == TRAIN_ROWS < samples["training_total"]
    assert samples["held_out_total"] + samples["training_total"] == 1200
    # The sample sizes are said in the page and the Markdown too.
    sentence = (
        f"a seeded sample of {REPORT_ROWS} of the {samples['held_out_total']} "
        "held-out rows"
    )
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert sentence in md and sentence in html
    # ... in a box under the headline, before the first section, said once.
    assert dask_info["summary"].startswith("Run on a Dask cluster")
    assert md.index("### Run on a Dask cluster") < md.index("## 1. Fidelity")
    assert html.index('id="dask-run"') < html.index('id="fidelity"')
    assert md.count(sentence) == 1 and html.count(sentence) == 1
    assert report["data"]["n_test"] == REPORT_ROWS
    assert report["run"]["split"]["n_test"] == samples["held_out_total"]
    # The command's summary gives the measures over every held-out row.
    tree = summary["students"]["tree"]
    assert tree["n_test"] == samples["held_out_total"]
    assert tree["agreement"] == dask_info["held_out_all_rows"]["tree"]["agreement"]
    config = _json(out / "config.json")
    assert config["teacher"]["sample_rows"] == TRAIN_ROWS
    assert config["options"]["dask"] == "local"
    assert "default_rng([seed, partition])" in config["dask"]["split"]["rule"]


def _held_out(data: list[pd.DataFrame], seed: int, test_size: float):
    """Every held-out row by the recorded rule, with its row number from 1."""
    pieces, offset = [], 0
    for i, frame in enumerate(data):
        mask = split_mask(len(frame), i, seed, test_size) & frame["risk"].notna()
        pieces.append(frame[mask].set_axis(offset + np.flatnonzero(mask) + 1))
        offset += len(frame)
    return pd.concat(pieces)


def _measures(out: Path, rows: pd.DataFrame):
    student = load_student(out / "student.json")
    teacher = load_teacher(out / "teacher.pt")
    X = rows[list(student.feature_names_in_)]
    y_index = np.searchsorted(student.classes_, rows["risk"].to_numpy())
    return soften(teacher_logits(teacher, X)), student.predict_proba(X), y_index


def test_report_measures_are_recomputed_from_the_run_directory(run, data):
    _, out = run
    report = _json(out / "report.json")
    seed = _json(out / "config.json")["seed"]
    everything = pd.concat(data, ignore_index=True)
    listed = pd.read_csv(out / "held_out_rows.csv")["row"].to_numpy()
    assert len(listed) == REPORT_ROWS
    t, s, y = _measures(out, everything.iloc[listed - 1])
    fid = fidelity(t, s, y, random_state=seed)
    row = next(r for r in report["fidelity"]["held_out"] if r["key"] == "tree")
    assert row["n"] == REPORT_ROWS
    assert row["agreement"] == pytest.approx(fid["agreement"], abs=1e-6)
    assert row["kl"] == pytest.approx(fid["kl"], rel=1e-5)
    # The measures over every held-out row, added up partition by partition.
    held = _held_out(data, seed, 0.25)
    assert set(listed) <= set(held.index)
    t, s, y = _measures(out, held)
    full = fidelity(t, s, y, random_state=seed)
    every = report["run"]["dask"]["held_out_all_rows"]["tree"]
    assert every["n"] == len(held) == full["n"]
    assert every["agreement"] == pytest.approx(full["agreement"], abs=1e-12)
    assert every["kl"] == pytest.approx(full["kl"], rel=1e-9)
    assert every["student_accuracy"] == pytest.approx(full["student_accuracy"])
    assert every["teacher_accuracy"] == pytest.approx(full["teacher_accuracy"])
    confusion = np.zeros((2, 2), int)
    np.add.at(confusion, (t.argmax(1), s.argmax(1)), 1)
    assert every["confusion_teacher_by_student"] == confusion.tolist()
    positive = every["positive"]
    pos = list(every["classes"]).index(positive["class"])
    assert positive["teacher_flagged"] == int((t[:, pos] >= 0.5).sum())
    assert positive["both_flagged"] == int(
        ((t[:, pos] >= 0.5) & (s[:, pos] >= 0.5)).sum()
    )


def test_the_tree_is_distill_tree_dask_on_the_training_partitions(run, data, client):
    _, out = run
    config = _json(out / "config.json")
    # The estimator's parameters (the record also says which factor was used).
    known = DistilledTreeClassifier().get_params()
    params = {k: v for k, v in config["resolved"]["tree"].items() if k in known}
    saved = load_student(out / "student.json")
    features = list(saved.feature_names_in_)
    parts = []
    for i, frame in enumerate(data):
        train = ~split_mask(len(frame), i, config["seed"], 0.25)
        parts.append(frame[train][[*features, "risk"]].reset_index(drop=True))
    model = DistilledTreeClassifier(load_teacher(out / "teacher.pt"), **params)
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.concat([dd.from_pandas(p, npartitions=1) for p in parts])
        assert ddf.npartitions == N_FILES
        model = distill_tree_dask(model, ddf, "risk", client=client)
    assert export_rules(model) == export_rules(saved)
    everything = pd.concat(data, ignore_index=True)[features]
    np.testing.assert_allclose(
        model.predict_proba(everything), saved.predict_proba(everything), atol=1e-12
    )


def test_saved_run_commands_work_on_the_run_directory(run, dataset, tmp_path):
    _, out = run
    runner = CliRunner()
    first = str(sorted(dataset.glob("*.parquet"))[0])
    pred = tmp_path / "predictions.csv"
    result = runner.invoke(cli, ["predict", str(out), first, "--out", str(pred)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(pred)) == 350
    result = runner.invoke(cli, ["report", str(out), "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "report.html").is_file()


@pytest.mark.slow
def test_force_replaces_the_run_through_a_scheduler_address(run, dataset, data, client):
    _, out = run
    tree_rules = export_rules(load_student(out / "student.json"))
    args = [str(dataset), "--target", "risk", "--out", str(out), *FAST]
    refused = _invoke([*args, "--dask", "local"])
    assert refused.exit_code == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    address = client.scheduler.address
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_dask_run, "REPORT_ROWS", REPORT_ROWS)
        mp.setattr(_dask_run, "TRAIN_ROWS", TRAIN_ROWS)
        result = _invoke(
            [*args, "--dask", address, "--student", "both", "--force", "--quiet"]
        )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert not (out / "student.json").exists()
    # The same tree, whichever cluster grew it, and a boosted student beside it.
    assert export_rules(load_student(out / "student-tree.json")) == tree_rules
    assert _json(out / "config.json")["options"]["dask"] == address
    report = _json(out / "report.json")
    assert report["model_order"] == ["tree", "boosted"]
    every = report["run"]["dask"]["held_out_all_rows"]["boosted"]
    boosted = load_student(out / "student-boosted.json")
    held = _held_out(data, 3, 0.25)
    X = held[list(boosted.feature_names_in_)]
    t = soften(teacher_logits(load_teacher(out / "teacher.pt"), X))
    s = boosted.predict_proba(X)
    assert every["n"] == len(held)
    assert every["agreement"] == pytest.approx(
        np.mean(t.argmax(1) == s.argmax(1)), abs=1e-12
    )


# --------------------------------------------------------------------------- #
# Refusals: exit 2, one line, before any output folder is made
# --------------------------------------------------------------------------- #
def _refused(args, out: Path, *needles: str):
    result = _invoke([*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.partial-*"))
    return lines[0]


def _write_files(folder: Path, frames: list[pd.DataFrame]) -> Path:
    folder.mkdir()
    for i, frame in enumerate(frames):
        frame.to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {"age": [50, 61, 70, 45] * 5, "smoker": ["yes", "no"] * 10, "risk": [0, 1] * 10}
    )


def test_inconsistent_schemas_name_the_file_and_the_column(tmp_path, small):
    odd = small.assign(age=small["age"].astype(str))
    folder = _write_files(tmp_path / "ds", [small, small, odd])
    _refused(
        [str(folder), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "part-2.parquet",
        "'age'",
        "schemas differ",
    )
    lacking = tmp_path / "lacking"
    _write_files(lacking, [small, small.drop(columns="smoker")])
    _refused(
        [str(lacking / "*.parquet"), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "part-1.parquet",
        "lacks column 'smoker'",
    )


def test_a_file_without_the_target_is_named(tmp_path, small):
    folder = _write_files(tmp_path / "ds", [small, small.drop(columns="risk")])
    _refused(
        [str(folder), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "part-1.parquet",
        "no column 'risk' (the target)",
    )


@pytest.mark.parametrize(
    "extra, option",
    [
        (["--sweep"], "--sweep"),
        (["--chunk-size", "1000"], "--chunk-size"),
        (["--row-id", "age"], "--row-id"),
    ],
)
def test_options_that_do_not_apply_on_dask_are_named(tmp_path, dataset, extra, option):
    args = [str(dataset), "--target", "risk", "--dask", "local", *extra]
    message = _refused(args, tmp_path / "out", option)
    assert "with dask" in message


def test_missing_dask_packages_say_how_to_install_them(tmp_path, dataset, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    _refused(
        [str(dataset), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "--dask",
        "pip install 'treedistill[dask]'",
    )


def test_no_files_and_a_folder_without_dask_are_refused(tmp_path, dataset):
    _refused(
        [str(tmp_path / "none-*.parquet"), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "holds no Parquet or CSV file",
    )
    _refused([str(dataset), "--target", "risk"], tmp_path / "out", "--dask")


def test_an_unreachable_scheduler_from_a_config_file(tmp_path, dataset):
    config = tmp_path / "run.toml"
    config.write_text(
        f'data = "{dataset}"\ntarget = "risk"\ndask = "tcp://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    _refused(
        ["--config", str(config)],
        tmp_path / "out",
        "--dask",
        "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 5 s",
    )


def test_csv_files_with_other_headers_are_refused(tmp_path, small):
    folder = tmp_path / "csv"
    folder.mkdir()
    small.to_csv(folder / "a.csv", index=False)
    small.rename(columns={"smoker": "smokes"}).to_csv(folder / "b.csv", index=False)
    _refused(
        [str(folder / "*.csv"), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "b.csv",
        "lacks column 'smoker'",
    )
    small.to_parquet(folder / "c.parquet", index=False)
    _refused(
        [str(folder / "*"), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "mixes Parquet and CSV",
    )


@pytest.mark.slow
def test_a_glob_of_csv_files_gives_the_parquet_run(run, data, tmp_path):
    _, parquet_run = run
    for i, frame in enumerate(data):
        frame.to_csv(tmp_path / f"part-{i}.csv", index=False)
    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_dask_run, "REPORT_ROWS", REPORT_ROWS)
        mp.setattr(_dask_run, "TRAIN_ROWS", TRAIN_ROWS)
        result = _invoke(
            [str(tmp_path / "*.csv"), "--target", "risk", "--dask", "local"]
            + ["--out", str(out), *FAST, "--quiet"]
        )
    assert result.exit_code == 0, result.output
    assert (out / "rules.txt").read_text() == (parquet_run / "rules.txt").read_text()
    # (The Parquet run may have been replaced by a run with both students.)
    csv_rows = _json(out / "report.json")["run"]["dask"]["held_out_all_rows"]
    parquet_rows = _json(parquet_run / "report.json")["run"]["dask"]
    assert csv_rows["tree"] == parquet_rows["held_out_all_rows"]["tree"]


def test_csv_files_with_different_separators_are_refused_naming_the_file(
    tmp_path, small
):
    folder = tmp_path / "csv"
    folder.mkdir()
    small.to_csv(folder / "a.csv", index=False)
    small.to_csv(folder / "b.csv", index=False, sep=";")
    message = _refused(
        [str(folder / "*.csv"), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "b.csv",
        "separated by ';'",
    )
    assert "a.csv" in message


@pytest.mark.slow  # starts a LocalCluster
def test_text_in_a_numeric_column_is_named_by_its_file_and_row(tmp_path):
    X, y = make_clinical_cohort(300, missing_rate=0.0, random_state=2)
    frame = X.assign(risk=y)
    folder = tmp_path / "csv"
    folder.mkdir()
    first, second = frame.iloc[:85], frame.iloc[85:].reset_index(drop=True)
    second = second.assign(sbp=second["sbp"].astype(object))
    second.loc[125, "sbp"] = "high"  # data row 126 of b.csv, row 211 of both
    first.to_csv(folder / "a.csv", index=False)
    second.to_csv(folder / "b.csv", index=False)
    args = [str(folder / "*.csv"), "--target", "risk", "--dask", "local"]
    _refused(
        [*args, *FAST, "--quiet"],
        tmp_path / "out",
        "column 'sbp'",
        f"row 126 of data file {str(folder / 'b.csv')!r} (row 211 of all files)",
        "'high'",
    )


def test_a_nested_parquet_column_is_refused_naming_file_and_column(tmp_path, small):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    folder = _write_files(tmp_path / "ds", [small])
    table = pa.Table.from_pandas(small, preserve_index=False)
    table = table.append_column("tags", pa.array([[1, 2]] * len(small)))
    pq.write_table(table, folder / "part-1.parquet")
    _refused(
        [str(folder), "--target", "risk", "--dask", "local"],
        tmp_path / "out",
        "part-1.parquet",
        "column 'tags' holds nested values (list",
    )
