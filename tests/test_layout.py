"""The package layout stays true: no import cycles, no import from a lower stage
up to a higher one, a lazy top level.

Stages, lowest first (``treedistill/__init__.py`` lists them too)::

    common < data < teachers < distill < measures < scale < report < runs
    < export < cli

``treedistill.exceptions`` and ``treedistill.datasets`` sit below every stage. A
module may import its own stage and any lower one, at module level or inside a
function alike. The package root (the public API) ranks with the command line:
only ``treedistill.cli`` imports it.
"""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import REPO

STAGES = [
    "common",
    "data",
    "teachers",
    "distill",
    "measures",
    "scale",
    "report",
    "runs",
    "export",
    "cli",
]
BOTTOM = {"treedistill.exceptions", "treedistill.datasets"}


def _module_name(path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "cli":
        parts = ["treedistill", *parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, object]:
    paths = sorted((REPO / "treedistill").rglob("*.py")) + sorted(
        (REPO / "cli").rglob("*.py")
    )
    return {_module_name(p): p for p in paths}


def import_graph() -> dict[str, set[str]]:
    """Module -> the treedistill modules it imports (anywhere in its body)."""
    mods = modules()
    graph = {}
    for name, path in mods.items():
        out = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")
                    up = up[: len(up) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                if not base.startswith("treedistill"):
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    out.add(full if full in mods else base)
            elif isinstance(node, ast.Import):
                out |= {a.name for a in node.names if a.name.startswith("treedistill")}
        out.discard(name)
        graph[name] = {m for m in out if m in mods}
    return graph


def stage(module: str) -> int | None:
    """The stage's rank (-1 for the bottom modules), None outside every stage."""
    if module in BOTTOM:
        return -1
    parts = module.split(".")
    if len(parts) < 2:
        return STAGES.index("cli")
    return STAGES.index(parts[1]) if parts[1] in STAGES else None


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def upward(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for src, targets in sorted(graph.items()):
        s = stage(src)
        if src == "treedistill":
            continue
        for dst in sorted(targets):
            d = stage(dst)
            if d is None or (s is not None and d > s):
                found.append(f"{src} -> {dst}")
    return found


def test_every_module_lives_in_a_stage():
    top = sorted(p.name for p in (REPO / "treedistill").iterdir() if p.suffix == ".py")
    assert top == ["__init__.py", "datasets.py", "exceptions.py"]
    folders = sorted(
        p.name
        for p in (REPO / "treedistill").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    )
    assert folders == sorted(set(STAGES) - {"cli"})
    for name in modules():
        if name not in ("treedistill", *BOTTOM):
            assert stage(name) is not None, name


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_no_import_from_a_lower_stage_to_a_higher_one():
    assert upward(import_graph()) == []


def test_the_checks_find_a_cycle_and_an_upward_import():
    graph = {
        "treedistill.data._a": {"treedistill.runs._b"},
        "treedistill.runs._b": {"treedistill.data._a"},
    }
    assert cycles(graph) == [["treedistill.data._a", "treedistill.runs._b"]]
    assert upward(graph) == ["treedistill.data._a -> treedistill.runs._b"]


def test_every_stage_says_its_job_and_what_it_may_import():
    for name in STAGES[:-1]:
        doc = ast.get_docstring(
            ast.parse((REPO / "treedistill" / name / "__init__.py").read_text())
        )
        assert doc and "May import" in doc, name


def test_importing_the_package_loads_no_stage():
    code = (
        "import sys, treedistill; "
        "print(sorted(m for m in sys.modules if m.startswith('treedistill.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # Only the version is read at import time; every stage waits for its first use.
    assert out.stdout.strip() == "['treedistill.common', 'treedistill.common._version']"


def test_public_names_load_on_first_use():
    import treedistill

    for name in treedistill.__all__:
        assert getattr(treedistill, name) is not None, name
    assert set(treedistill.__all__) <= set(dir(treedistill))
