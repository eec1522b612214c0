"""The bundled data and the package layout."""

from __future__ import annotations

import configparser
import importlib
import runpy

import pandas as pd
import pytest

from tests.conftest import REPO


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return cfg


def test_every_subpackage_is_listed_in_setup_cfg():
    cfg = _setup_cfg()
    listed = set(cfg["options"]["packages"].split())
    found = {
        ".".join(("treedistill", *p.parent.relative_to(REPO / "treedistill").parts))
        for p in (REPO / "treedistill").rglob("__init__.py")
    }
    found |= {
        ".".join(("treedistill", "cli", *p.parent.relative_to(REPO / "cli").parts))
        for p in (REPO / "cli").rglob("__init__.py")
    }
    assert found <= listed, f"not in setup.cfg: {sorted(found - listed)}"
    for name in listed:
        importlib.import_module(name)


def test_public_api_is_importable():
    import treedistill

    for name in treedistill.__all__:
        assert getattr(treedistill, name) is not None, name


@pytest.mark.parametrize(
    "name", ["clinical_cohort.csv", "clinical_cohort_3class.csv", "breast_cancer.csv"]
)
def test_bundled_data_is_what_the_script_writes(name):
    module = runpy.run_path(str(REPO / "data" / "make_data.py"))
    expected = module["FILES"][name]()
    committed = pd.read_csv(REPO / "data" / name)
    pd.testing.assert_frame_equal(
        committed, pd.read_csv(pd.io.common.StringIO(expected.to_csv(index=False)))
    )


def test_package_data_names_existing_files():
    cfg = _setup_cfg()
    for package, pattern in cfg["options.package_data"].items():
        folder = REPO / package.replace("treedistill.cli", "cli").replace(".", "/")
        assert list(folder.glob(pattern)), f"{package} = {pattern} matches nothing"


def test_library_strings_name_no_command_line_option():
    """Messages name Python parameters; only cli/ speaks in options."""
    import ast
    import re

    found = []
    for path in sorted((REPO / "treedistill").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and re.search(r"(?<![\w-])--[a-z]", node.value)
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == []
