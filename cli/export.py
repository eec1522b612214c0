"""The ``export`` command: a saved student as SQL, ONNX or a Python function."""

from __future__ import annotations

import click

from treedistill.cli._common import (
    echo,
    out_option,
    quiet_warnings,
    student_kind_option,
)
from treedistill.export._names import FORMATS, SQL_DIALECTS


@click.command(
    epilog="""\b
Example:
  treedistill export run1 --format sql --dialect duckdb --table patients --out score.sql
  treedistill export run1 --format onnx --out student.onnx
  treedistill export run1 --format python --out score.py"""
)
@click.argument("source", type=click.Path(), metavar="RUN_DIR_OR_STUDENT_JSON")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(FORMATS),
    help="sql: a SELECT with one CASE expression per output; onnx: an ONNX model "
    "(tree or boosted student); python: a dependency-free predict_proba(row) "
    "function.",
)
@out_option("FILE", "File to write (refused if it exists, unless --force).")
@click.option(
    "--dialect",
    type=click.Choice(SQL_DIALECTS),
    default=None,
    help="SQL dialect (sql only; default ansi, which SQLite and DuckDB run too).",
)
@click.option(
    "--table",
    default=None,
    metavar="NAME",
    help="Table the SQL reads (sql only; default: data).",
)
@click.option(
    "--passthrough",
    multiple=True,
    metavar="COLUMN",
    help="Column copied into the SQL result before the outputs, e.g. an id "
    "(sql only; repeatable).",
)
@click.option(
    "--threshold",
    is_flag=False,
    flag_value="run",
    default=None,
    metavar="P",
    help="Add the output flagged: 1 where P(positive class) >= P, as `predict "
    "--threshold P` flags. Without a value, the run's threshold.",
)
@click.option(
    "--flag-rate",
    "flag_rate",
    is_flag=True,
    help="Add the output flagged at the run's flag rate, as the probability cut it "
    "came to on the run's held-out rows (stated when written).",
)
@click.option(
    "--positive-class",
    default=None,
    metavar="LABEL",
    help="The class flagged (default: the run's positive class).",
)
@student_kind_option
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def export(
    source,
    fmt,
    out,
    dialect,
    table,
    passthrough,
    threshold,
    flag_rate,
    positive_class,
    kind,
    force,
    quiet,
) -> None:
    """Export the student of a run (or a student JSON file) so that it scores
    rows without treedistill: as SQL for a database (outputs prediction,
    proba_<class>, rule_id), as an ONNX model for onnxruntime, or as the source of
    one Python function. Tree students export to every format, boosted students to
    onnx. Every format gives the same probabilities as `treedistill predict`.

    Categories are given by their names as the rules print them; a
    number-coded category (--categorical thal) is read as predict reads it:
    7, "7" or "7.0" in Python and ONNX (a string input per categorical column);
    SQL compares it as a number, so keep it a numeric column of the table."""
    from treedistill.export._saved import export_saved
    from treedistill.runs._outdir import check_out_file, write_new_file
    from treedistill.runs._verify import protected_files

    quiet_warnings(quiet)
    options = {}
    if dialect is not None:
        options["dialect"] = dialect
    if table is not None:
        options["table"] = table
    if passthrough:
        options["passthrough"] = list(passthrough)
    said = _flag_options(source, fmt, kind, threshold, flag_rate, positive_class)
    options.update(said.pop("options"))
    out = check_out_file(out, force, keep=protected_files(source))
    data = export_saved(source, fmt, kind=kind, **options)
    write_new_file(out, data, force=force)
    echo(f"wrote the {fmt} export of {source} to {out}", quiet)
    if said.get("line"):
        echo(said["line"], quiet)


def _flag_options(source, fmt, kind, threshold, flag_rate, positive_class) -> dict:
    """The export's flag_threshold / positive_class, and a line saying what
    ``flagged`` means."""
    from treedistill.export._flag import leaf_cut
    from treedistill.runs._flags import run_flag_cut, run_operating_points
    from treedistill.runs._saved import load_run_student

    if threshold is None and not flag_rate:
        if positive_class is not None:
            raise click.UsageError(
                "--positive-class applies with --threshold or --flag-rate"
            )
        return {"options": {}}
    if threshold is not None and flag_rate:
        raise click.UsageError("give --threshold or --flag-rate, not both")
    ops = run_operating_points(source) or {}
    positive = (
        positive_class if positive_class is not None else ops.get("positive_class")
    )
    if flag_rate:
        student = kind or ("tree" if fmt != "onnx" else _onnx_kind(source))
        run = run_flag_cut(source, student)
        value = leaf_cut(load_run_student(source, student), run["cut"], positive)
        line = (
            f"flagged: P({positive}) >= {value:.6g}, the cut the run's flag rate "
            f"{run['rate']:.4g} came to on its held-out rows"
        )
    else:
        if threshold == "run":
            if not isinstance(ops.get("threshold"), (int, float)):
                raise click.UsageError(
                    "--threshold without a value needs a run directory with a "
                    "two-class report.json; give P"
                )
            value = float(ops["threshold"])
        else:
            try:
                value = float(threshold)
            except ValueError:
                raise click.UsageError(
                    f"--threshold must be a number in [0, 1], got {threshold!r}"
                ) from None
        line = f"flagged: P({positive}) >= {value:g}"
    return {
        "options": {"flag_threshold": value, "positive_class": positive},
        "line": line,
    }


def _onnx_kind(source) -> str:
    from pathlib import Path

    from treedistill.export._saved import _kinds_in

    if not Path(source).is_dir():
        import json

        return json.loads(Path(source).read_text(encoding="utf-8")).get("kind", "tree")
    kinds = _kinds_in(source)
    return "tree" if "tree" in kinds or not kinds else kinds[0]
