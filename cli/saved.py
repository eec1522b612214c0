"""Commands on finished runs and saved students: ``report``, ``rules``, ``predict``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from treedistill.cli._common import echo, one_line, quiet_warnings


@click.command(
    epilog="""\b
Example:
  treedistill report run1
  treedistill report run1 --out run1-rendered"""
)
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Where to write the files (default: RUN_DIR itself).",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def report(run_dir, out, quiet) -> None:
    """Re-render report.html, report.md and rules.txt from RUN_DIR/report.json
    (no model or data needed)."""
    from treedistill.report import write_report

    quiet_warnings(quiet)
    run_dir = Path(run_dir)
    source = run_dir / "report.json"
    if not run_dir.is_dir():
        raise ValueError(f"run directory {str(run_dir)!r} does not exist")
    if not source.is_file():
        raise ValueError(
            f"{str(run_dir)!r} has no report.json: is it a treedistill run directory?"
        )
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{str(source)!r} is not valid JSON ({one_line(exc)})"
        ) from None
    if not isinstance(doc, dict):
        raise ValueError(f"{str(source)!r} does not hold a report object")
    target = Path(out) if out else run_dir
    written = write_report(doc, target)
    names = ", ".join(sorted(Path(p).name for p in written))
    echo(f"wrote {names} to {target}", quiet)


@click.command(
    epilog="""\b
Example:
  treedistill rules run1
  treedistill rules run1/student-tree.json > rules.txt"""
)
@click.argument("source", type=click.Path(), metavar="RUN_DIR_OR_STUDENT_JSON")
def rules(source) -> None:
    """Print the rules of a saved tree student, one per line.

    SOURCE is a run directory (its tree student is used) or a student JSON file.
    """
    from treedistill import export_rules
    from treedistill._bundle import load_student
    from treedistill._run import find_student

    path = find_student(source, None if Path(source).is_file() else "tree")
    bundle = load_student(path)
    if bundle.kind != "tree":
        raise ValueError(
            f"{str(path)!r} holds a {bundle.kind} student; rules exist for tree "
            "students only"
        )
    click.echo(export_rules(bundle).rstrip("\n"))


@click.command(
    epilog="""\b
Example:
  treedistill predict run1 new_patients.csv --out predictions.csv
  treedistill predict run1/student-boosted.json new.csv --out p.csv --force"""
)
@click.argument("student", type=click.Path(), metavar="STUDENT_JSON_OR_RUN_DIR")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE.csv",
    help="CSV to write (refused if it exists, unless --force).",
)
@click.option(
    "--student",
    "kind",
    type=click.Choice(["tree", "boosted"]),
    default=None,
    help="Which student of a run directory that holds both (default: tree).",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def predict(student, data, out, kind, force, quiet) -> None:
    """Predict DATA with a saved student: writes the input rows plus the columns
    prediction, proba_<class> for each class and, for a tree, rule_id (the leaf
    id of the rule that fired, as printed by `treedistill rules`). DATA itself is
    never modified."""
    from treedistill._bundle import load_student
    from treedistill._io import atomic_write_text, read_table
    from treedistill._run import find_student, predict_frame

    quiet_warnings(quiet)
    data, out = Path(data), Path(out)
    if out.suffix.lower() != ".csv":
        raise ValueError(f"--out must name a .csv file, got {str(out)!r}")
    if out.exists():
        if data.exists() and os.path.samefile(out, data):
            raise ValueError(
                f"--out {str(out)!r} is the input data file; choose another name"
            )
        if out.is_dir():
            raise ValueError(f"--out {str(out)!r} is a directory")
        if not force:
            raise ValueError(
                f"output file {str(out)!r} already exists; pass --force to replace it"
            )
    path = find_student(student, kind)
    bundle = load_student(path)
    frame = read_table(data)
    result = predict_frame(bundle, frame)
    extra = [str(c) for c in frame.columns if str(c) not in bundle.schema_.names]
    if extra and not quiet:
        click.echo(
            f"Note: {len(extra)} column(s) the student does not read are ignored "
            f"(copied to the output unchanged): {', '.join(extra)}",
            err=True,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, result.to_csv(index=False))
    added = "prediction, proba_*" + (", rule_id" if bundle.kind == "tree" else "")
    echo(f"wrote {len(result)} rows with {added} to {out}", quiet)
