"""Reliability of the command line on values that could silently change type, and
on the messages and limits around them, end to end through ``treedistill.cli``.

Numbers with thousands separators, categories differing by letter case, nested
Parquet columns, a file-size limit while writing, a teacher file that unpacks to
far more than its size, repeated class names and quoted config numbers, a seed
beyond 32 bits, a teacher fitted on other column types, thousands of ignored
columns, and a teacher that knows a class the data never has. A refusal is exit
code 2, one ``Error:`` line naming the file, column or option, nothing written
and every input unchanged.
"""

from __future__ import annotations

import csv
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import (
    cohort_frame,
    invoke,
    refused,
    sha,
    trained_teacher,
    write_csv,
)

N_ROWS = 200
FAST = ["--augment-factor", "1", "--skip", "shap,stability", "--stability-refits", "0"]


def warnings_of(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.startswith("Warning: ")]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("types")


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return cohort_frame(N_ROWS, missing_rate=0.0)


@pytest.fixture(scope="module")
def cohort_csv(work, cohort) -> Path:
    return write_csv(cohort, work / "cohort.csv")


@pytest.fixture(scope="module")
def teacher_pt(work, cohort_csv) -> Path:
    return trained_teacher(cohort_csv, work / "teacher.pt", max_epochs=5)


def _refused_cleanly(result, out: Path, inputs: dict[Path, str], *names) -> str:
    line = refused(result, *names)
    assert not out.exists()
    assert [p.name for p in out.parent.glob(f".{out.name}*")] == []
    for path, digest in inputs.items():
        assert sha(path) == digest
    return line


# --------------------------------------------------------------------------- #
# Silent type changes
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "cell",
    [
        lambda i: f"{1 + i % 30},{100 + i:03d}.5",
        lambda i: f"{1 + i % 30}.{100 + i:03d},5",
    ],
)
def test_numbers_with_thousands_separators_are_read_as_numbers_with_a_warning(
    tmp_path, cohort, teacher_pt, cell
):
    data = tmp_path / "income.csv"
    frame = cohort.assign(income=[cell(i % 30) for i in range(len(cohort))])
    frame.to_csv(data, index=False, quoting=csv.QUOTE_NONNUMERIC)
    out = tmp_path / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher_pt, "--out", out,
        "--quiet", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    columns = {c["column"]: c for c in report["run"]["data"]["columns"]}
    assert columns["income"]["kind"] == "numeric"
    assert any(
        "'income'" in w and "thousands separators" in w for w in report["run"]["notes"]
    )


def test_numbers_written_in_two_separator_styles_are_refused(tmp_path, cohort):
    data = tmp_path / "income.csv"
    frame = cohort.assign(
        income=["1,234.5" if i % 2 else "1.234,5" for i in range(len(cohort))]
    )
    frame.to_csv(data, index=False, quoting=csv.QUOTE_NONNUMERIC)
    out = tmp_path / "run"
    result = invoke("distill", data, "--target", "risk", "--out", out, *FAST)
    _refused_cleanly(result, out, {data: sha(data)}, "'income'", "1,234.5")


def test_categories_differing_only_by_case_are_warned_naming_the_column(
    tmp_path, cohort, teacher_pt
):
    data = tmp_path / "sex.csv"
    sexes = ["male", "Male", "MALE", " male", "female"]
    write_csv(cohort.assign(sex=[sexes[i % 5] for i in range(len(cohort))]), data)
    out = tmp_path / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher_pt, "--out", out,
        *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = warnings_of(result)
    assert any("'sex'" in w and "letter case" in w and "'MALE'" in w for w in said)
    assert any("'sex'" in w and "surrounding spaces" in w for w in said)


@pytest.mark.parametrize("nested", ["list", "struct"])
def test_parquet_nested_columns_are_refused_naming_the_column(tmp_path, cohort, nested):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    n = len(cohort)
    values = (
        [[i, i + 1] for i in range(n)]
        if nested == "list"
        else [{"a": i, "b": "x"} for i in range(n)]
    )
    table = pa.Table.from_pandas(cohort, preserve_index=False).append_column(
        "tags", pa.array(values)
    )
    data = tmp_path / "nested.parquet"
    pq.write_table(table, data)
    out = tmp_path / "run"
    result = invoke("distill", data, "--target", "risk", "--out", out, *FAST)
    line = _refused_cleanly(result, out, {data: sha(data)}, "nested.parquet", "'tags'")
    assert nested in line


# --------------------------------------------------------------------------- #
# Messages and limits
# --------------------------------------------------------------------------- #
def _limit_file_size() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))


@pytest.mark.slow  # a fresh interpreter and a whole run: about 20 s
def test_a_file_size_limit_while_writing_the_run_is_one_line_exit_2(
    tmp_path, cohort_csv, teacher_pt
):
    out = tmp_path / "run"
    before = sha(cohort_csv)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "treedistill.cli",
            "distill",
            str(cohort_csv),
            "--target",
            "risk",
            "--teacher",
            str(teacher_pt),
            "--out",
            str(out),
            "--quiet",
            *FAST,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: cannot write ")
    assert str(out) in lines[0] and "file size limit" in lines[0]
    assert not out.exists() and sha(cohort_csv) == before
    assert [p.name for p in tmp_path.glob(".run*")] == []


def _skops_model(cohort: pd.DataFrame, columns, **extra):
    from sklearn.linear_model import LogisticRegression

    X = cohort[columns]
    model = LogisticRegression(max_iter=200).fit(X, cohort["risk"])
    for name, value in extra.items():
        setattr(model, name, value)
    return model


def test_a_teacher_file_that_unpacks_far_beyond_its_size_is_refused(
    tmp_path, cohort, cohort_csv
):
    sio = pytest.importorskip("skops.io")
    model = _skops_model(cohort, ["age", "sbp"], padding_=np.zeros(9_000_000))
    teacher = tmp_path / "bomb.skops"
    sio.dump(model, teacher, compression=8)  # 72 MB of zeros in well under 1 MB
    assert teacher.stat().st_size < 1_000_000
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher, "--out", out,
        *FAST,
    )  # fmt: skip
    line = _refused_cleanly(
        result, out, {cohort_csv: sha(cohort_csv), teacher: sha(teacher)}, "bomb.skops"
    )
    assert "unpacks to 72,0" in line and "100 times its size" in line


def test_class_names_giving_a_label_twice_are_refused(tmp_path, cohort_csv):
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--out", out,
        "--class-names", "high=a,high=b", *FAST,
    )  # fmt: skip
    _refused_cleanly(
        result, out, {cohort_csv: sha(cohort_csv)}, "--class-names", "'high' twice"
    )


def test_class_names_of_an_unknown_label_are_refused(tmp_path, cohort_csv, teacher_pt):
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", out, "--class-names", "hgh=a", "--quiet", *FAST,
    )  # fmt: skip
    _refused_cleanly(
        result, out, {cohort_csv: sha(cohort_csv)}, "--class-names", "'hgh'"
    )


@pytest.mark.parametrize("line", ['max_leaf_nodes = "8"', 'temperature = "0.5"'])
def test_config_numbers_written_as_text_are_refused_naming_key_and_file(
    tmp_path, cohort_csv, line
):
    config = tmp_path / "run.toml"
    config.write_text(line + "\n", encoding="utf-8")
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--out", out, "--config", config
    )
    key = line.split(" =")[0].replace("_", "-")
    _refused_cleanly(
        result, out, {cohort_csv: sha(cohort_csv), config: sha(config)},
        f"key {key!r}", "run.toml", "is text, not a number",
    )  # fmt: skip


def test_a_teacher_fitted_on_other_column_types_is_refused_naming_file_and_column(
    tmp_path, cohort, cohort_csv
):
    sio = pytest.importorskip("skops.io")
    coded = cohort.assign(sex=(cohort["sex"] == "male").astype(int))
    teacher = tmp_path / "coded.skops"
    sio.dump(_skops_model(coded, ["age", "sbp", "sex"]), teacher)
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher, "--out", out,
        *FAST,
    )  # fmt: skip
    _refused_cleanly(
        result, out, {cohort_csv: sha(cohort_csv), teacher: sha(teacher)},
        "coded.skops", "column 'sex'",
    )  # fmt: skip


@pytest.mark.parametrize("command", ["distill", "train-teacher"])
def test_a_seed_beyond_32_bits_is_refused_before_the_data_is_read(tmp_path, command):
    data = tmp_path / "absent.csv"  # never read: the seed is checked first
    out = tmp_path / ("run" if command == "distill" else "t.pt")
    result = invoke(
        command, data, "--target", "risk", "--out", out,
        "--seed", "99999999999999999999",
    )  # fmt: skip
    line = refused(result, "--seed", "4294967295")
    assert "random_state" not in line and "absent.csv" not in line
    assert not out.exists()


def test_predict_summarises_thousands_of_ignored_columns(
    tmp_path, cohort, cohort_csv, teacher_pt
):
    run = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher_pt,
        "--out", run, "--quiet", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    extra = pd.DataFrame(
        np.zeros((len(cohort), 2000), dtype=np.int64),
        columns=[f"extra_column_{i:04d}" for i in range(2000)],
    )
    data = write_csv(
        pd.concat([cohort.drop(columns="risk"), extra], axis=1), tmp_path / "wide.csv"
    )
    result = invoke("predict", run, data, "--out", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    notes = [ln for ln in result.stderr.splitlines() if ln.startswith("Note: ")]
    assert len(notes) == 1 and len(notes[0]) < 300, notes
    assert notes[0].startswith("Note: 2000 column(s) the student does not read")
    assert "extra_column_0000" in notes[0] and "and 1995 more" in notes[0]


def test_a_teacher_with_a_class_the_data_never_has_is_warned_about(
    tmp_path, cohort, cohort_csv
):
    three = cohort.copy()
    three.loc[three.index % 3 == 0, "risk"] = "medium"
    teacher = trained_teacher(
        write_csv(three, tmp_path / "three.csv"), tmp_path / "t3.pt", max_epochs=5
    )
    out = tmp_path / "run"
    result = invoke(
        "distill", cohort_csv, "--target", "risk", "--teacher", teacher, "--out", out,
        *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = [w for w in warnings_of(result) if "'medium'" in w]
    assert len(said) == 1 and "no row of the data has class 'medium'" in said[0]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert any("'medium'" in n for n in report["run"]["notes"])
