"""The student in a notebook: plot_tree, the HTML and text of each object kind,
IPython's display registration and one rendering in headless Chromium."""

from __future__ import annotations

import base64
import re
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import treedistill
from tests import _report_cases as cases
from tests.conftest import REPO
from tests.report.test_browser import _chromium, _run_chromium
from treedistill import (
    DistillResult,
    load_student,
    plot_tree,
    save_student,
)
from treedistill.exceptions import ParameterError
from treedistill.measures._metrics import fidelity
from treedistill.report._notebook import notebook_html, notebook_text

SVG_SRC = re.compile(r'src="data:image/svg\+xml;base64,([^"]+)"')


@pytest.fixture(scope="module")
def fitted():
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort()
    tree = cases.tree(teacher, augment_factor=1).fit(X_tr, y_tr)
    boosted = cases.boosted(teacher).set_params(augment_factor=1).fit(X_tr, y_tr)
    return {"tree": tree, "boosted": boosted, "X_te": X_te, "y_te": y_te}


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("student") / "student.json"
    held = {"agreement": 0.925, "agreement_ci": [0.88, 0.955], "n": 150}
    save_student(fitted["tree"], path, metadata={"held_out_fidelity": held})
    return load_student(path)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    case = cases.binary_case()
    models = case["models"]
    fid = {}
    for kind, model in models.items():
        fid[kind] = fidelity(
            model.teacher_proba(case["X_te"]),
            model.predict_proba(case["X_te"]),
            n_boot=20,
        )
    out = tmp_path_factory.mktemp("run")
    return DistillResult(out, ["report.html"], models, fid, {}, case["report"], {})


def _svgs(html: str) -> list[bytes]:
    return [base64.b64decode(s) for s in SVG_SRC.findall(html)]


def _box_texts(svg: bytes) -> str:
    """Every text of the drawing: matplotlib draws text as glyphs and writes the
    string in a comment beside it."""
    return " ".join(m.decode() for m in re.findall(rb"<!-- (.*?) -->", svg, re.S))


# ---------------------------------------------------------------------------
# plot_tree
# ---------------------------------------------------------------------------
def test_plot_tree_svg_parses_and_draws_every_node(fitted):
    model = fitted["tree"]
    svg = plot_tree(model)
    assert isinstance(svg, str)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    nodes = [e for e in root.iter() if e.get("id", "").startswith("node")]
    assert len(nodes) == model.student_.tree_.node_count, len(nodes)
    texts = _box_texts(svg.encode())
    # Boxes count the transfer set (a live model has no held-out rows).
    assert f"n={model.n_transfer_} transfer" in texts
    assert "held-out" not in texts
    # The same questions the rules ask, and one rule number per leaf.
    assert "Rule 1" in texts
    assert f"Rule {model.student_.get_n_leaves()}" in texts


def test_plot_tree_figure(fitted):
    from matplotlib.figure import Figure

    fig = plot_tree(fitted["tree"], format="figure")
    assert isinstance(fig, Figure)
    boxes = [p for p in fig.axes[0].patches if p.get_gid() == "node"]
    assert len(boxes) == fitted["tree"].student_.tree_.node_count


def test_plot_tree_of_a_saved_student_equals_the_live_one(fitted, saved):
    assert plot_tree(saved) == plot_tree(fitted["tree"])


def test_plot_tree_refusals(fitted):
    with pytest.raises(ParameterError, match="boosted student") as exc:
        plot_tree(fitted["boosted"])
    assert exc.value.parameter == "model"
    assert "\n" not in str(exc.value)
    with pytest.raises(ParameterError, match="not fitted"):
        plot_tree(cases.tree(None))
    with pytest.raises(ParameterError, match="got str"):
        plot_tree("tree.json")
    with pytest.raises(ParameterError, match="format must be one of"):
        plot_tree(fitted["tree"], format="png")


def test_plot_tree_is_public_and_lazy():
    assert "plot_tree" in treedistill.__all__
    assert treedistill.plot_tree is plot_tree


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------
def _fits_terminal(text: str, max_lines: int = 10) -> None:
    lines = text.splitlines()
    assert 2 <= len(lines) <= max_lines, text
    assert max(len(line) for line in lines) <= 80, text


def test_text_of_a_fitted_tree(fitted):
    model = fitted["tree"]
    text = repr(model)
    _fits_terminal(text)
    leaves, depth = model.student_.get_n_leaves(), model.student_.get_depth()
    assert text.splitlines()[0] == (
        f"DistilledTreeClassifier (fitted: {leaves} leaves, depth {depth})"
    )
    assert "classes: high, low" in text
    assert "temperature 1, alpha 0, criterion entropy" in text
    assert "max_leaf_nodes=8" in text
    assert f"transfer set: {model.n_transfer_} rows" in text
    assert notebook_text(model) == text


def test_text_of_a_boosted_student_and_a_saved_one(fitted, saved):
    text = repr(fitted["boosted"])
    _fits_terminal(text)
    assert text.startswith("DistilledBoostingClassifier (fitted: 5 trees)")
    assert "n_estimators=5, max_depth=2, learning_rate=0.3" in text
    text = repr(saved)
    _fits_terminal(text)
    assert text.startswith("StudentBundle (tree student, ")
    assert "held-out: agrees with the teacher on 92.5% (95% CI 88.0%-95.5%)" in text
    assert "of 150 rows" in text


def test_unfitted_estimators_keep_scikit_learns_repr():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    est = cases.tree(None)
    assert repr(est) == (
        "DistilledTreeClassifier(augment_factor=5.0, max_leaf_nodes=8, random_state=0)"
    )
    assert "DistilledTreeClassifier(augment_factor=5.0" in repr(
        make_pipeline(StandardScaler(), est)
    )
    assert "<div" in est._repr_html_()  # scikit-learn's own diagram


def test_text_of_a_result(result):
    text = repr(result)
    lines = text.splitlines()
    assert lines[0] == f"DistillResult: {result.out_dir}"
    assert max(len(line) for line in lines) <= 80, text
    tree = result.models["tree"].student_
    assert f"tree student: {tree.get_n_leaves()} leaves, depth" in text
    assert "boosted student: 5 trees; temperature 1, alpha 0" in text
    assert "report.html" in text


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------
def test_html_of_a_fitted_tree_holds_its_drawing_and_numbers(fitted):
    model = fitted["tree"]
    html = notebook_html(model)
    assert html.startswith('<div class="treedistill"')
    (svg,) = _svgs(html)
    assert svg.decode() == plot_tree(model)
    leaves = model.student_.get_n_leaves()
    assert f"DistilledTreeClassifier (fitted: {leaves} leaves" in html
    assert "temperature 1, alpha 0, criterion entropy" in html
    assert f"transfer set: {model.n_transfer_} rows" in html


def test_html_of_a_boosted_student_has_no_drawing(fitted):
    html = notebook_html(fitted["boosted"])
    assert _svgs(html) == []
    assert "DistilledBoostingClassifier (fitted: 5 trees)" in html
    assert "no single drawing" in html


def test_html_of_a_saved_student(saved):
    html = notebook_html(saved)
    assert len(_svgs(html)) == 1
    assert "StudentBundle (tree student" in html
    assert "92.5%" in html


def test_html_of_a_result_draws_the_reports_tree(result):
    html = result._repr_html_()
    (svg,) = _svgs(html)
    texts = _box_texts(svg)
    # The report's own drawing: its boxes count held-out rows.
    n_test = result.report["tree"]["nodes"][0]["n_test"]
    assert f"n={n_test} held-out" in texts
    agreement = result.fidelity["tree"]["agreement"]
    assert "tree student: " in html
    assert str(result.out_dir) in html
    assert np.isfinite(agreement)


def test_html_escapes_names(fitted, saved):
    html = notebook_html(saved)
    assert "<script" not in html.lower()
    assert html.count("<div") == html.count("</div>")


def test_unfitted_estimator_keeps_scikit_learns_html():
    est = cases.tree(None)
    html = notebook_html(est)
    assert "sk-top-container" in html  # scikit-learn's diagram
    assert "DistilledTreeClassifier(augment_factor=5.0" in html
    assert _svgs(html) == []


# ---------------------------------------------------------------------------
# IPython registration (IPython's formatter API, without IPython itself)
# ---------------------------------------------------------------------------
class _HtmlFormatter:
    """IPython's ``for_type_by_name`` and lookup of deferred printers."""

    def __init__(self):
        self.deferred = {}

    def for_type_by_name(self, module, name, func):
        self.deferred[(module, name)] = func

    def __call__(self, obj):
        cls = type(obj)
        printer = self.deferred.get((cls.__module__, cls.__name__))
        if printer is not None:  # a registered printer wins over _repr_html_
            return printer(obj)
        own = getattr(obj, "_repr_html_", None)
        return own() if own else None


def _shell():
    fmt = _HtmlFormatter()
    shell = types.SimpleNamespace(
        display_formatter=types.SimpleNamespace(formatters={"text/html": fmt})
    )
    return shell, fmt


def test_enable_notebook_display_registers_by_name(fitted, saved):
    shell, fmt = _shell()
    assert treedistill.enable_notebook_display(shell) is True
    assert set(fmt.deferred) == {
        ("treedistill.distill._estimators", "DistilledTreeClassifier"),
        ("treedistill.distill._estimators", "DistilledBoostingClassifier"),
        ("treedistill.distill._bundle", "StudentBundle"),
    }
    for obj in (fitted["tree"], fitted["boosted"], saved):
        assert fmt(obj) == notebook_html(obj)
    # the drawing, not scikit-learn's diagram, for a fitted estimator
    assert fmt(fitted["tree"]) != fitted["tree"]._repr_html_()
    assert treedistill.enable_notebook_display(types.SimpleNamespace()) is False


def test_import_under_ipython_registers_and_stays_lazy(tmp_path):
    import subprocess

    fake = tmp_path / "IPython"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "import types\n"
        "seen = []\n"
        "class F:\n"
        "    def for_type_by_name(self, m, n, f): seen.append((m, n))\n"
        "_shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace("
        "formatters={'text/html': F()}))\n"
        "def get_ipython(): return _shell\n"
    )
    code = (
        "import sys, IPython, treedistill; "
        "print(len(IPython.seen), "
        "sorted(m for m in sys.modules if m.startswith('treedistill.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{tmp_path}:{Path(treedistill.__file__).parents[1]}"},
    )
    assert (
        out.stdout.strip() == "3 ['treedistill.common', 'treedistill.common._version']"
    )


# ---------------------------------------------------------------------------
# In a browser
# ---------------------------------------------------------------------------
@pytest.mark.browser
def test_notebook_html_shows_in_chromium(fitted, result, tmp_path):
    from PIL import Image

    _chromium()
    page = tmp_path / "notebook.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>nb</title></head>"
        "<body>"
        + notebook_html(fitted["tree"])
        + result._repr_html_()
        + "</body></html>",
        encoding="utf-8",
    )
    dom = _run_chromium(tmp_path / "p1", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="treedistill-tree"') == 2
    shot = tmp_path / "notebook.png"
    done = _run_chromium(tmp_path / "p2", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    with Image.open(shot) as im:
        im.load()
        rgb = np.asarray(im.convert("RGB"), dtype=np.int16)
    # The drawing shows: its leaf colours, far from white and from grey.
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    assert (spread > 60).sum() > 500
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot.replace(artifacts / "notebook.png")


def test_a_live_tree_marks_the_reports_positive_class(result):
    from treedistill.report._notebook import _positive

    positive = result.report["operating_points"]["positive_index"]
    assert _positive(result.models["tree"]) == positive
