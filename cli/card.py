"""The ``card`` command: a model card from a finished run, mapped to TRIPOD+AI."""

from __future__ import annotations

import click

from treedistill.cli._common import echo
from treedistill.common._text import show_controls


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
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors (with --out).")
def card(run_dir, out, force, as_json, quiet) -> None:
    """A model card of RUN_DIR (Markdown, or JSON with --json), filled from what
    the run recorded and numbered by the items of TRIPOD+AI (2024): data,
    model, performance with intervals overall and per subgroup, calibration,
    thresholds, explainability and the limitations measured. Items only a
    person can fill in (intended use, population, ethics, funding, ...) are
    listed as lines to fill in."""
    from treedistill.runs._card import (
        card_json,
        model_card,
        render_card_markdown,
        write_card,
    )

    if out is not None:
        written = write_card(run_dir, out, force=force)
        echo(f"wrote {', '.join(p.name for p in written)} to {out}", quiet)
        return
    doc = model_card(run_dir)
    text = card_json(doc) if as_json else render_card_markdown(doc)
    click.echo(show_controls(text), nl=False)
