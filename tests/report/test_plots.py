"""Report figures that everyone can read, and the switches around evaluation.

Colours survive deuteranopia, the positive class has one colour everywhere, the
tree is vector, calibration bins are adaptive, stage lines go to stderr and the
skip switch really skips.
"""

from __future__ import annotations

import base64
import itertools
import time
import warnings
from xml.etree import ElementTree

import numpy as np
import pytest
from click.testing import CliRunner

from tests import _report_cases as cases
from treedistill.report import _plots, evaluate
from treedistill.report._fidelity_section import CALIBRATION_MIN_ROWS, _calibration

# Machado, Oliveira & Fernandes (2009), deuteranopia at severity 1.0, on linear RGB.
MACHADO_DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)


def _linear(hex_color: str) -> np.ndarray:
    c = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear RGB colour."""
    m = np.array(
        [
            [0.4124, 0.3576, 0.1805],
            [0.2126, 0.7152, 0.0722],
            [0.0193, 0.1192, 0.9505],
        ]
    )
    xyz = m @ np.clip(linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _deutan_distance(a: str, b: str) -> float:
    sim = [_lab(MACHADO_DEUTERANOPIA @ _linear(c)) for c in (a, b)]
    return float(np.linalg.norm(sim[0] - sim[1]))


def test_palette_survives_deuteranopia():
    # The colours a report actually uses together: the series (first five),
    # the positive class, the teacher's black.
    used = [*_plots._PALETTE[:5], _plots.POSITIVE_COLOR, _plots.TEACHER_COLOR]
    used = list(dict.fromkeys(used))
    worst = min(_deutan_distance(a, b) for a, b in itertools.combinations(used, 2))
    assert worst > 15, f"two colours nearly merge for a deuteranope (ΔE {worst:.1f})"
    # The old palette (seaborn "deep") fails: its green and red merge.
    assert _deutan_distance("#55A868", "#C44E52") < 15


def test_positive_class_has_one_colour_in_every_report():
    assert _plots.class_colors(["low", "high"], "high")[1] == _plots.POSITIVE_COLOR
    assert _plots.class_colors(["high", "low"], "high")[0] == _plots.POSITIVE_COLOR
    assert _plots.class_colors([0, 1], 1) == [_plots._PALETTE[0], "#D55E00"]
    three = _plots.class_colors(["a", "b", "c"], None)
    assert len(set(three)) == 3 and _plots.POSITIVE_COLOR not in three


def test_dashed_and_solid_differ():
    assert _plots.SOLID == "-"
    style, (on, off) = _plots.DASHED
    assert style == 0 and on >= 2 * off > 0  # long dashes, visible in a legend


def test_calibration_bins_are_adaptive():
    rng = np.random.default_rng(0)
    p = rng.random(400) ** 3  # most rows at low risk
    y = (rng.random(400) < p).astype(int)
    curve = _calibration(np.c_[1 - p, p], y, 1)
    ns = [b["n"] for b in curve["bins"]]
    assert len(ns) == 10 and sum(ns) == 400 and min(ns) >= CALIBRATION_MIN_ROWS
    assert max(ns) - min(ns) <= 1  # equal counts, not equal widths
    lows = [b["low"] for b in curve["bins"]]
    assert lows == sorted(lows)
    # A tree's few distinct probabilities: ties stay in one bin.
    q = np.repeat([0.1, 0.2, 0.9], [300, 15, 85])
    tied = _calibration(np.c_[1 - q, q], (rng.random(400) < q).astype(int), 1)
    for b in tied["bins"]:
        assert b["n"] >= CALIBRATION_MIN_ROWS
    assert sum(b["n"] for b in tied["bins"]) == 400
    # Few rows: one bin, not ten bins of one row.
    few = _calibration(np.c_[1 - p[:12], p[:12]], y[:12], 1)
    assert [b["n"] for b in few["bins"]] == [12]


@pytest.fixture(scope="module")
def small():
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {"tree": cases.tree(teacher).fit(X_tr, y_tr)}
    return models, X_te, y_te, X_tr, y_tr


def _timed(small, **kw):
    models, *rows = small
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = evaluate(models, *rows, n_synthetic=300, size_grid=(2, 4, 8), **kw)
    return report, time.perf_counter() - start


def test_tree_is_vector_and_calibration_faded(small):
    report, _ = _timed(small, skip=["shap", "stability"])
    image = _plots.plot_tree(report["tree"], report["data"]["classes"], "high")
    assert image.mime == "image/svg+xml" and image.src.startswith("data:image/svg")
    root = ElementTree.fromstring(base64.b64decode(image.src.split(",", 1)[1]))
    assert root.tag.endswith("svg")
    svg = image.data.decode()
    assert _plots.POSITIVE_COLOR.lower() in svg.lower()  # leaves of "high"
    assert image.data == _plots.plot_tree(report["tree"], ["high", "low"], "high").data
    chart = _plots.plot_calibration(report["calibration"], "high")
    with pytest.raises(ValueError, match="SVG"):
        image.png  # noqa: B018
    import io

    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(chart.png)) as im:
        assert im.width == _plots.SCALE * chart.width  # 2x pixels: crisp on zoom


def test_skip_really_skips(small):
    full, t_full = _timed(small, stability_refits=5)
    fast, t_fast = _timed(small, skip=["shap", "size-curve", "stability"])
    assert fast["skipped"] == ["shap", "size_curve", "stability"]
    assert fast["size_curve"]["skipped"] is True and fast["size_curve"]["points"] == []
    assert fast["shap"]["skipped"] is True and fast["shap"]["students"] == {}
    assert full["skipped"] == [] and full["size_curve"]["points"]
    assert t_fast < 0.5 * t_full, (t_fast, t_full)
    with pytest.raises(ValueError, match="skip: unknown section 'rules'"):
        _timed(small, skip=["rules"])


def test_cli_stage_lines_on_stderr_and_quiet(tmp_path):
    from cli.main import cli

    X_tr, X_te, y_tr, y_te, _ = cases.cohort()
    frame = X_tr.assign(outcome=y_tr)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    runner = CliRunner()
    base = ["distill", str(data), "--target", "outcome", "--max-leaf-nodes", "4"]
    args = [*base, "--skip", "shap,size-curve,stability"]
    res = runner.invoke(cli, [*args, "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("[")]
    assert lines[0].startswith("[1/") and "read data" in lines[0]
    assert any("teacher" in ln for ln in lines) and any(
        "evaluate" in ln for ln in lines
    )
    assert not any(ln.startswith("[") for ln in res.stdout.splitlines())
    quiet = runner.invoke(cli, [*args, "--out", str(tmp_path / "b"), "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert not [ln for ln in quiet.stderr.splitlines() if ln.startswith("[")]
    bad = runner.invoke(cli, [*base, "--skip", "nope", "--out", str(tmp_path / "c")])
    assert bad.exit_code != 0 and "skip" in bad.output


def test_run_section_lists_only_non_default_settings(small):
    from treedistill.report import render_html, render_markdown
    from treedistill.report._run_section import changed_settings

    options = {
        "student": "both",
        "seed": 0,
        "max_leaf_nodes": 8,
        "drop": [],
        "skip": ["shap"],
        "data": "d.csv",
        "target": "y",
        "teacher": [],
    }
    changed = {
        c["setting"]: (c["value"], c["default"]) for c in changed_settings(options)
    }
    assert changed == {
        "student": ("both", "tree"),
        "max_leaf_nodes": (8, 16),
        "skip": (["shap"], ()),
    }
    run = {
        "options": options,
        "data": {"file": "d.csv", "sha256": "ab" * 32, "target": "y"},
        "split": {"n_train": 450, "n_test": 150, "test_size": 0.25, "seed": 0},
        "teacher": {"model": "MLPTeacher"},
        "students": {"tree": {}},
        "notes": [],
    }
    report, _ = _timed(small, skip=["shap", "stability"], run_info=run)
    html = render_html(report)
    run_html = html[
        html.index('<section id="run">') : html.index('<section id="data">')
    ]
    assert "<code>max_leaf_nodes</code></td><td>8</td>" in run_html
    assert "<code>seed</code>" not in run_html  # at its default
    assert "d.csv (sha256 abababababab…), target y" in run_html
    assert run_html.count("<tr>") <= 10  # a compact table, not a dump
    # The teacher was trained by treedistill: said under the title.
    top = html[: html.index('<div class="summary">')]
    assert "Not your model:" in top
    assert "Not your model:" in render_markdown(report)
    for term in (
        "Teacher",
        "Student",
        "Agreement",
        "KL",
        "Temperature",
        "MUNGE",
        "Transfer set",
    ):
        assert f"<dt>{term}</dt>" in html
    # A teacher file given: no such note.
    run["options"] = {**options, "teacher": ["model.joblib"]}
    report, _ = _timed(small, skip=["shap", "stability", "size_curve"], run_info=run)
    assert "Not your model" not in render_html(report)


# ---------------------------------------------------------------------------
# The tree drawing: no label on a box, readable when printed
# ---------------------------------------------------------------------------
def _synthetic_tree(n_leaves: int, seed: int) -> dict:
    """A best-first-like tree of ``n_leaves`` leaves as the report stores it."""
    rng = np.random.default_rng(seed)
    nodes = [{"id": 0, "depth": 0, "leaf": True}]
    while sum(n["leaf"] for n in nodes) < n_leaves:
        leaves = [n for n in nodes if n["leaf"]]
        node = leaves[int(rng.integers(len(leaves)))]
        left, right = len(nodes), len(nodes) + 1
        side = "left" if rng.random() < 0.5 else "right"
        node.update(
            leaf=False,
            left=left,
            right=right,
            question=f"avg_glucose_level <= {rng.uniform(50, 250):.2f}",
            left_label="yes",
            right_label="no",
            missing_goes=side,
        )
        for i in (left, right):
            nodes.append({"id": i, "depth": node["depth"] + 1, "leaf": True})
    by_id = {n["id"]: n for n in nodes}
    number = 0

    def visit(i):
        nonlocal number
        n = by_id[i]
        n["n_test"] = int(rng.integers(0, 500))
        if n["leaf"]:
            number += 1
            p = float(rng.random())
            n.update(rule=number, distribution=[p, 1 - p], left=None, right=None)
            n["prediction"] = "stroke" if p > 0.5 else "no stroke"
        else:
            visit(n["left"])
            visit(n["right"])

    visit(0)
    return {"nodes": nodes}


def _overlaps(fig) -> list:
    renderer = (
        fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else None
    )
    if renderer is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    boxes = [p.get_window_extent(renderer) for p in ax.patches if p.get_gid() == "node"]
    labels = [t for t in ax.texts if t.get_gid() == "edge-label"]
    assert boxes and labels
    bad = []
    for t in labels:
        patch = t.get_bbox_patch()
        t.update_bbox_position_size(renderer)
        extent = (
            patch.get_window_extent(renderer)
            if patch
            else t.get_window_extent(renderer)
        )
        for b in boxes:
            if extent.overlaps(b):
                bad.append(
                    (
                        t.get_text(),
                        tuple(np.round(extent.bounds)),
                        tuple(np.round(b.bounds)),
                    )
                )
    return bad


@pytest.mark.parametrize("n_leaves", [2, 5, 8, 9, 16, 31])
def test_no_edge_label_overlaps_a_box(n_leaves):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    tree = _synthetic_tree(n_leaves, seed=n_leaves)
    classes = ["no stroke", "stroke"]
    fig, _ = _plots.tree_figure(tree["nodes"], classes, "stroke")
    FigureCanvasAgg(fig)
    assert _overlaps(fig) == []
    # the short answers only on the edges; where missing goes is in the box
    labels = {t.get_text() for t in fig.axes[0].texts if t.get_gid() == "edge-label"}
    assert labels == {"yes", "no"}
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("missing: ") for t in texts)


@pytest.mark.parametrize("n_leaves", [6, 9, 16, 31])
def test_printed_tree_text_is_at_least_7_pt_on_a4(n_leaves):
    """Printed on A4 (703 CSS px wide), every part of the drawing keeps its
    text at 7 pt or more; a tree too wide comes in parts, each rule in one."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    tree = _synthetic_tree(n_leaves, seed=n_leaves)
    classes = ["no stroke", "stroke"]
    whole = _plots.plot_tree(tree, classes, "stroke")
    parts = _plots.plot_tree_parts(tree, classes, "stroke")
    shown = parts or [whole]

    def points(image):  # the drawing's 8-pt text as printed, in points
        scale = min(1.0, _plots.PRINT_WIDTH_PX / image.width)
        return _plots._FONT * (_plots.DPI / 96) * scale

    assert all(points(im) >= 7.0 for im in shown), [im.width for im in shown]
    if n_leaves >= 9:
        assert len(parts) >= 2 and points(whole) < 7.0  # too wide whole
        assert parts[0].caption.startswith(f"Part 1 of {len(parts)}: the top")
        assert all(im.height <= 1000 for im in parts)  # one A4 page each
    # each rule is drawn in exactly one part; "→ part k" marks where it goes on
    svg = "".join(im.data.decode() for im in shown)
    for rule in range(1, n_leaves + 1):
        assert svg.count(f"Rule {rule}: ") == 1, rule
    # and no label overlaps a box in the parts either
    by_id = {n["id"]: n for n in tree["nodes"]}
    collected: list = []
    if parts:
        _plots._parts(by_id, 0, collected)
        for part in collected:
            fig, _ = _plots.tree_figure(
                part["nodes"], classes, "stroke", _plots.PRINT_MAX_WIDTH
            )
            FigureCanvasAgg(fig)
            assert _overlaps(fig) == []


def test_percent_axis_tells_close_values_apart():
    fmt = _plots._percent_formatter()
    ticks = fmt.format_ticks([0.994, 0.996, 0.998, 1.0])
    assert len(set(ticks)) == 4, ticks
    assert ticks[-1] == "100.0%"
    assert _plots._percent_formatter().format_ticks([0.2, 0.4, 0.6]) == [
        "20%",
        "40%",
        "60%",
    ]
