"""The ``card`` command: a model card from a finished run, mapped to TRIPOD+AI."""

from __future__ import annotations

import click

from treedistill.cli._common import echo


@click.command(
    epilog="""\b
Example:
  treedistill card run1
  treedistill card run1 --json
  treedistill card run1 --out run1-card"""
)
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write card.md and card.json to this new folder (default: print the card).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an --out folder that treedistill wrote (never any other folder).",
)
@click.option(
    "--subgroup",
    multiple=True,
    metavar="COL",
    help="Add performance and fairness per group of this data column (repeatable; "
    "re-derived from the run's held-out rows, data file and teacher).",
)
@click.option(
    "--bands",
    multiple=True,
    metavar="COL=EDGES",
    help="Band edges of a numeric --subgroup column, e.g. age=40,65,80 (default: "
    "its quartiles on the held-out rows).",
)
@click.option(
    "--shareable",
    is_flag=True,
    help="Suppress every count, rate and rule from fewer than --min-count rows.",
)
@click.option(
    "--min-count",
    type=int,
    default=11,
    show_default=True,
    help="The smallest count a --shareable card shows.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors (with --out).")
def card(
    run_dir, out, force, subgroup, bands, shareable, min_count, as_json, quiet
) -> None:
    """A model card of RUN_DIR (Markdown, or JSON with --json), filled from what
    the run recorded and numbered by the items of TRIPOD+AI (2024): data,
    model, performance with intervals overall and per subgroup, calibration,
    thresholds, explainability and the limitations measured. Items only a
    person can fill in (intended use, population, ethics, funding, ...) are
    listed as lines to fill in. --shareable makes a card that can leave the
    hospital: no count, rate or rule from fewer than --min-count rows, and no
    patient row."""
    from treedistill.cli.compare import _bands
    from treedistill.runs._card import (
        card_json,
        model_card,
        render_card_markdown,
        write_card,
    )

    options = {
        "subgroup": list(subgroup) or None,
        "bands": _bands(bands),
        "min_count": min_count if shareable else None,
    }
    if out is not None:
        written = write_card(run_dir, out, force=force, **options)
        echo(f"wrote {', '.join(p.name for p in written)} to {out}", quiet)
        return
    doc = model_card(run_dir, **options)
    text = card_json(doc) if as_json else render_card_markdown(doc)
    from treedistill.common._text import show_controls

    click.echo(show_controls(text), nl=False)
