"""The ``compare`` command: two finished runs side by side."""

from __future__ import annotations

import click

from treedistill.cli._common import echo, quiet_warnings


def _bands(values) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for text in values:
        column, sep, edges = str(text).partition("=")
        try:
            cuts = sorted(float(e) for e in edges.split(",") if e.strip())
        except ValueError:
            cuts = []
        if not sep or not column.strip() or not cuts:
            raise click.BadParameter(
                f"{text!r} is not COL=EDGE,EDGE,... (e.g. age=40,65,80)",
                param_hint="'--bands'",
            )
        out[column.strip()] = cuts
    return out


@click.command(
    epilog="""\b
Example:
  treedistill compare run-v1 run-v2 --out v1-vs-v2
  treedistill compare run-v1 run-v2 --subgroup sex --subgroup age \\
      --bands age=40,65,80 --out v1-vs-v2 --force"""
)
@click.argument("run_a", type=click.Path(file_okay=False))
@click.argument("run_b", type=click.Path(file_okay=False))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="New folder for compare.html, compare.md and compare.json.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an --out folder that treedistill wrote (never any other folder).",
)
@click.option(
    "--allow-different",
    is_flag=True,
    help="Compare runs on different data or targets (on RUN_A's data and target).",
)
@click.option(
    "--subgroup",
    multiple=True,
    metavar="COL",
    help="Column to compare by (repeatable; default: the runs' subgroup columns).",
)
@click.option(
    "--bands",
    multiple=True,
    metavar="COL=EDGES",
    help="Band edges of a numeric --subgroup column, e.g. age=40,65,80 (default: "
    "its quartiles on the held-out rows).",
)
@click.option(
    "--n-synthetic",
    type=int,
    default=5000,
    show_default=True,
    help="Fresh synthetic rows (MUNGE draws from RUN_A's training rows).",
)
@click.option(
    "--disagreement-leaves",
    type=int,
    default=6,
    show_default=True,
    help="Rules of the tree fit to where the two teachers disagree.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def compare(
    run_a,
    run_b,
    out,
    force,
    allow_different,
    subgroup,
    bands,
    n_synthetic,
    disagreement_leaves,
    seed,
    quiet,
) -> None:
    """Compare two runs on the same data (e.g. model v1 and v2, or one teacher
    with two student settings): how often and where their teachers disagree
    (agreement with a 95% interval on the held-out rows both runs held out and
    on fresh synthetic rows; overlap of the rows they flag), a small tree of
    the regions where they disagree, which rules of the two trees changed
    (matched by the rows they cover), and how fidelity, calibration and flag
    rates moved per subgroup. Runs on different data or targets are refused,
    naming what differs, unless --allow-different."""
    from pathlib import Path

    from treedistill.runs._compare import compare_runs, write_compare
    from treedistill.runs._outdir import check_out_dir

    quiet_warnings(quiet)
    edges = _bands(bands)
    keep = [Path(run_a) / "report.json", Path(run_b) / "report.json"]
    check_out_dir(out, force, keep=keep)
    doc = compare_runs(
        run_a,
        run_b,
        allow_different=allow_different,
        subgroup=list(subgroup) or None,
        bands=edges,
        n_synthetic=n_synthetic,
        disagreement_leaves=disagreement_leaves,
        random_state=seed,
    )
    write_compare(doc, out, force=force, keep=keep)
    if not quiet:
        for line in doc["summary"]:
            echo(line, quiet)
    echo(f"report: {Path(out) / 'compare.html'}", quiet)
