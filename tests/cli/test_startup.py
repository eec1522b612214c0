"""The command line starts at once: its help and its usage errors load no
numerical library (speed itself is measured in benchmarks/report_cost.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "numpy",
    "pandas",
    "sklearn",
    "scipy",
    "torch",
    "xgboost",
    "shap",
    "pyarrow",
    "dask",
    "matplotlib",
    "jinja2",
)

_PROBE = """
import json, sys
from click.testing import CliRunner
from treedistill.cli.main import cli
result = CliRunner().invoke(cli, sys.argv[1:])
print(json.dumps({"code": result.exit_code, "stderr": result.stderr,
                  "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
""".replace("HEAVY", repr(HEAVY))


def _probe(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


COMMANDS = (
    "distill",
    "demo",
    "train-teacher",
    "predict",
    "report",
    "rules",
    "export",
    "card",
    "compare",
)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_loads_no_numerical_library(command):
    result = _probe(*([command] if command else []), "--help")
    assert result["code"] == 0
    assert result["loaded"] == []


@pytest.mark.parametrize(
    "args, says",
    [
        (["distill", "--no-such-option"], "No such option '--no-such-option'"),
        (["distill", "data.csv"], "Missing option '--target'"),
        (["predict", "run"], "Missing argument"),
        (["export", "run", "--format", "pdf"], "'pdf' is not one of"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_load_no_numerical_library(args, says):
    result = _probe(*args)
    assert result["code"] == 2
    assert says in result["stderr"]
    assert result["stderr"].startswith("Error: ")
    assert result["loaded"] == []


def test_help_defaults_are_the_estimators_own():
    from treedistill.distill._choices import (
        AUGMENTATIONS,
        FITTED_KINDS,
        HELP_DEFAULTS,
    )
    from treedistill.distill._options import student_defaults
    from treedistill.distill._transfer import AUGMENTERS
    from treedistill.runs._saved import STUDENT_KINDS

    for kind, shown in HELP_DEFAULTS.items():
        defaults = student_defaults(kind)
        assert {k: defaults[k] for k in shown} == shown
    assert AUGMENTATIONS == (*AUGMENTERS, "none")
    assert FITTED_KINDS == STUDENT_KINDS
