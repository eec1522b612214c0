"""The ``treedistill`` command group."""

from __future__ import annotations

import click

from treedistill.cli._common import TreedistillGroup
from treedistill.cli.card import card
from treedistill.cli.compare import compare
from treedistill.cli.distill import demo, distill
from treedistill.cli.export import export
from treedistill.cli.saved import predict, report, rules
from treedistill.cli.teacher import train_teacher
from treedistill.common._version import __version__

__all__ = ["cli"]


@click.group(
    cls=TreedistillGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Example:
  treedistill demo
  treedistill distill data.csv --target outcome --out run1
  treedistill predict run1 new_patients.csv --out predictions.csv""",
)
@click.version_option(__version__, prog_name="treedistill")
def cli() -> None:
    """Distil a black-box classifier into a small decision tree and measure how
    faithfully the tree reproduces it.

    Exit codes: 0 success, 2 bad usage or input, 1 unexpected failure (set
    TREEDISTILL_DEBUG=1 to see the traceback).
    """


cli.add_command(train_teacher)
cli.add_command(distill)
cli.add_command(demo)
cli.add_command(report)
cli.add_command(rules)
cli.add_command(predict)
cli.add_command(export)
cli.add_command(card)
cli.add_command(compare)


if __name__ == "__main__":
    cli()
