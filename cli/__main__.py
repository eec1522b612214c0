"""``python -m treedistill.cli`` runs the command line."""

from treedistill.cli.main import cli

if __name__ == "__main__":
    cli()
