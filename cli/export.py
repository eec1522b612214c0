"""The ``export`` command: a saved student as SQL, ONNX or a Python function."""

from __future__ import annotations

import click

from treedistill.cli._common import (
    echo,
    out_option,
    quiet_warnings,
    student_kind_option,
)
from treedistill.export._saved import FORMATS
from treedistill.export._sql import SQL_DIALECTS


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
@student_kind_option
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def export(source, fmt, out, dialect, table, passthrough, kind, force, quiet) -> None:
    """Export the student of a run (or a student JSON file) so that it scores
    rows without treedistill: as SQL for a database (outputs prediction,
    proba_<class>, rule_id), as an ONNX model for onnxruntime, or as the source of
    one Python function. Tree students export to every format, boosted students to
    onnx. Every format gives the same probabilities as `treedistill predict`."""
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
    out = check_out_file(out, force, keep=protected_files(source))
    data = export_saved(source, fmt, kind=kind, **options)
    write_new_file(out, data, force=force)
    echo(f"wrote the {fmt} export of {source} to {out}", quiet)
