"""Commands on finished runs and saved students: ``report``, ``rules``, ``predict``."""

from __future__ import annotations

from pathlib import Path

import click

from treedistill.cli._common import (
    echo,
    one_line,
    out_option,
    quiet_warnings,
    student_kind_option,
)


@click.command(
    epilog="""\b
Example:
  treedistill report run1
  treedistill report run1 --out run1-rendered
  treedistill report run1 --out run1-t30 --threshold 0.3
  treedistill report run1 --out run1-named --class-names '0=no stroke,1=stroke'
  treedistill report run1 --shareable --min-count 11 --out run1-shareable"""
)
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Where to write the files (default: RUN_DIR itself); a new or empty folder. "
    "Required with the options below: a new run folder.",
)
@click.option(
    "--class-names",
    metavar="LABEL=NAME,...",
    default=None,
    help="Re-derive the run with these class names (as distill takes them).",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    metavar="P",
    help="Re-derive the run at this probability threshold, in (0, 1).",
)
@click.option(
    "--flag-rate",
    type=float,
    default=None,
    metavar="R",
    help="Re-derive the run at this flag rate, in (0, 1).",
)
@click.option(
    "--positive-class",
    metavar="LABEL",
    default=None,
    help="Re-derive the run flagging this class.",
)
@click.option(
    "--shareable",
    is_flag=True,
    help="Write the shareable form into --out: no patient row, and no count, rate "
    "or rule from fewer than --min-count rows.",
)
@click.option(
    "--min-count",
    type=int,
    default=None,
    metavar="N",
    help="The smallest count a --shareable report shows.  [default: 11]",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an --out folder that treedistill wrote (never any other folder, "
    "never RUN_DIR).",
)
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def report(
    run_dir,
    out,
    class_names,
    threshold,
    flag_rate,
    positive_class,
    shareable,
    min_count,
    force,
    quiet,
) -> None:
    """Re-render report.html, report.md and rules.txt from RUN_DIR/report.json
    (no model or data needed). A report.json that was changed, is incomplete or
    comes from another schema version is refused, naming what is missing.

    With --class-names, --threshold, --flag-rate or --positive-class the run is
    re-derived into a new run folder --out: from the data file and teacher it
    recorded (each checked against its sha256), its trained teacher.pt and every
    other option of its config.json, with only those changed. The same seed
    refits the same students; every section of the report is computed at the new
    decisions, and the new folder records the run it comes from.

    With --shareable, --out receives the form that can leave the hospital
    (report.json, report.md, report.html): no patient row, and every count,
    rate and rule from fewer than --min-count rows suppressed."""
    quiet_warnings(quiet)
    decisions = {
        "--class-names": class_names,
        "--threshold": threshold,
        "--flag-rate": flag_rate,
        "--positive-class": positive_class,
    }
    given = [name for name, value in decisions.items() if value is not None]
    if shareable or min_count is not None:
        _shareable(run_dir, out, given, shareable, min_count, force, quiet)
        return
    if given:
        _rederive(run_dir, out, given, force, quiet, decisions)
        return
    from treedistill import render_report

    written = render_report(run_dir, out, force=force)
    names = ", ".join(sorted(Path(p).name for p in written))
    in_place = out is None or Path(out).resolve() == Path(run_dir).resolve()
    record = (
        " and updated their sha256 in its .treedistill-run.json" if in_place else ""
    )
    echo(f"wrote {names} to {Path(out) if out else Path(run_dir)}{record}", quiet)


def _shareable(run_dir, out, given, shareable, min_count, force, quiet) -> None:
    """``report --shareable --out DIR``: the run's report in its shareable form."""
    from treedistill.runs._shareable import DEFAULT_MIN_COUNT, write_shareable_report

    if not shareable:
        raise click.UsageError("--min-count applies to --shareable only")
    if given:
        raise click.UsageError(
            f"--shareable writes the run's own report; with {given[0]}, re-derive "
            "the run into a new folder first, then make that folder's shareable form"
        )
    if out is None or (
        Path(out).exists() and Path(out).resolve() == Path(run_dir).resolve()
    ):
        raise click.UsageError(
            "--shareable writes into a new folder: give --out DIR (the run folder "
            "itself holds patient rows)"
        )
    count = DEFAULT_MIN_COUNT if min_count is None else min_count
    written = write_shareable_report(run_dir, out, min_count=count, force=force)
    names = ", ".join(Path(p).name for p in written)
    echo(f"wrote the shareable form ({names}, minimum count {count}) to {out}", quiet)


def _rederive(run_dir, out, given, force, quiet, decisions) -> None:
    """``report --out NEWDIR`` with other decisions: the run re-derived."""
    from treedistill import rerender_run
    from treedistill.cli._common import StageProgress, warn
    from treedistill.cli.distill import parse_class_names

    if out is None or (
        Path(out).exists() and Path(out).resolve() == Path(run_dir).resolve()
    ):
        raise click.UsageError(
            f"{given[0]} re-derives the run into a new folder: give --out NEWDIR "
            "(the run's own report is never replaced by other decisions)"
        )
    with StageProgress(quiet) as progress:
        result = rerender_run(
            run_dir,
            out,
            class_names=parse_class_names(decisions["--class-names"]),
            threshold=decisions["--threshold"],
            flag_rate=decisions["--flag-rate"],
            positive_class=decisions["--positive-class"],
            force=force,
            progress=progress,
        )
    for note in result.warnings:
        warn(note, quiet)
    echo(result.report["run"]["rederived_from"]["text"], quiet)
    echo(result.describe(), quiet)


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
    A binary leaf names the risk of the run's positive class, as rules.txt does.
    """
    from treedistill import export_rules, find_student, load_run_student
    from treedistill.exceptions import SavedRunError

    kind = None if Path(source).is_file() else "tree"
    bundle = load_run_student(source, kind)
    if bundle.kind != "tree":
        path = find_student(source, kind)
        raise SavedRunError(
            f"{str(path)!r} holds a {bundle.kind} student; rules exist for tree "
            "students only",
            path=path,
        )
    positive = _run_positive(source, len(bundle.classes_))
    echo(export_rules(bundle, positive=positive).rstrip("\n"), quiet=False)


def _run_positive(source, k: int) -> int | None:
    """The positive class (its index) of the run ``source`` belongs to, as its
    report.json records it: the class whose risk the report's rules name."""
    from treedistill.runs._flags import run_operating_points

    index = (run_operating_points(source) or {}).get("positive_index")
    ok = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < k
    return index if ok and k == 2 else None


@click.command(
    epilog="""\b
Example:
  treedistill predict run1 new_patients.csv --out predictions.csv
  treedistill predict run1 new.csv --flag-rate --out p.csv   # the run's rate
  treedistill predict run1 new.csv --threshold 0.2 --out p.csv
  treedistill predict run1/student-boosted.json new.csv --out p.csv --force"""
)
@click.argument("student", type=click.Path(), metavar="STUDENT_JSON_OR_RUN_DIR")
@click.argument("data", type=click.Path(dir_okay=False))
@out_option("FILE.csv", "CSV to write (refused if it exists, unless --force).")
@student_kind_option
@click.option(
    "--threshold",
    is_flag=False,
    flag_value="run",
    default=None,
    metavar="P",
    help="Add a column flagged: 1 where P(positive class) >= P. Without a value, "
    "the run's threshold (from its report.json).",
)
@click.option(
    "--flag-rate",
    is_flag=False,
    flag_value="run",
    default=None,
    metavar="R",
    help="Add a column flagged for the top share R of DATA's rows by P(positive "
    "class), as the report counts them (rows tied at the cut share the remaining "
    "flags, so flagged holds that share). Without a value, the run's flag rate.",
)
@click.option(
    "--positive-class",
    default=None,
    metavar="LABEL",
    help="The class flagged, by label or by its --class-names name (default: "
    "the run's positive class).",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def predict(
    student, data, out, kind, threshold, flag_rate, positive_class, force, quiet
) -> None:
    """Predict DATA with a saved student: writes the input rows plus the columns
    prediction, proba_<class> for each class (by the run's --class-names names,
    in its class order, when it has them) and, for a tree, rule_id (the leaf
    id of the rule that fired, as printed by `treedistill rules`). DATA itself is
    never modified. The input rows are written as the file gives them: a CSV
    cell's text as it is (24 stays 24, N/A stays N/A, the header as written), a
    Parquet file's columns as stored with its named index (patient_id) as the
    first column(s). Text cells that a spreadsheet would run as formulas
    (starting with =, +, -, @) are written with a leading apostrophe."""
    from treedistill import (
        load_run_student,
        predict_frame,
        read_table,
        write_predictions,
    )
    from treedistill.common._text import name_list
    from treedistill.runs._flags import resolve_flagging, run_operating_points
    from treedistill.runs._outdir import check_out_file
    from treedistill.runs._saved import ignored_columns, positive_label
    from treedistill.runs._verify import protected_files

    quiet_warnings(quiet)
    keep = [data, *protected_files(student)]
    out = check_out_file(out, force, keep=keep, suffixes=(".csv",))
    bundle = load_run_student(student, kind)
    flag = resolve_flagging(
        bundle.classes_.tolist(),
        threshold=threshold,
        flag_rate=flag_rate,
        positive_class=positive_label(bundle, positive_class),
        ops=run_operating_points(student),
    )
    frame = read_table(data)
    result = predict_frame(bundle, frame, flag=flag)
    said = result.attrs.get("flag")
    result = _as_given(data, frame, result, quiet)
    extra = ignored_columns(bundle, frame)
    if extra and not quiet:
        click.echo(
            one_line(
                f"Note: {len(extra)} column(s) the student does not read are ignored "
                f"(copied to the output unchanged): {name_list(extra)}"
            ),
            err=True,
        )
    write_predictions(result, out, force=force)
    added = "prediction, proba_*" + (", rule_id" if bundle.kind == "tree" else "")
    if flag is not None:
        added += ", flagged"
    echo(f"wrote {len(result)} rows with {added} to {out}", quiet)
    if flag is not None:
        echo(_flag_line(said, len(result)), quiet)


def _as_given(data, frame, result, quiet: bool):
    """The predictions beside the input rows as the file gives them (see
    ``predict --help``); the cleaned rows, with a note, when those cannot be
    matched to them."""
    import pandas as pd

    from treedistill.data._raw import input_rows
    from treedistill.exceptions import DataError

    rows = input_rows(data, len(frame))
    added = [c for c in result.columns if c not in frame.columns]
    if rows is None:
        if not quiet:
            click.echo(
                "Note: the input rows are written as read (numbers parsed, missing "
                "markers such as N/A left empty, spaces trimmed)",
                err=True,
            )
        return result
    clash = [c for c in added if c in rows.columns]
    if clash:
        raise DataError(
            f"the data already has a column {clash[0]!r}; rename it before predicting",
            column=clash[0],
        )
    return pd.concat([rows, result[added].reset_index(drop=True)], axis=1)


def _flag_line(flag: dict, n: int) -> str:
    """What ``flagged`` holds, in one line."""
    positive = flag.get("positive_name", flag["positive"])
    count = f"{flag['n_flagged']:g} of {n} rows flagged"
    if flag["kind"] == "threshold":
        return f"{count}: P({positive}) >= {flag['value']:g}"
    text = (
        f"{count}: the top {flag['value']:.4g} share by P({positive}), which here "
        f"means P({positive}) >= {flag['cut']:.6g}"
    )
    if flag["n_tied"]:
        text += (
            f"; {flag['n_tied']} rows tied at that cut share the remaining flags "
            "(flagged holds the share)"
        )
    return text
