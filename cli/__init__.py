"""The ``treedistill`` command line (installed as the subpackage ``treedistill.cli``).

The commands only parse options and do input / output; the work is done by library
functions (``treedistill.run_distill`` and friends). Import the group as
``from treedistill.cli.main import cli``.
"""
