"""treedistill.report._render: HTML, Markdown, rules and the files written."""

from __future__ import annotations

import base64
import io
import json
import re
from xml.etree import ElementTree

from tests import _report_cases as cases
from tests._report_cases import HOSTILE
from treedistill.report import (
    evaluate,
    render_html,
    render_markdown,
    render_rules,
    report_json,
    write_report,
)

_IMG = re.compile(r"<img\s[^>]*src=\"([^\"]*)\"")


def test_write_report_writes_four_self_contained_files(report_binary, tmp_path):
    from PIL import Image

    out = tmp_path / "new" / "run"
    paths = write_report(report_binary["report"], out)
    assert [p.name for p in paths] == [
        "report.html",
        "report.json",
        "report.md",
        "rules.txt",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    html = (out / "report.html").read_text(encoding="utf-8")
    for ref in ("http://", "https://", 'src="//', 'href="//', "url("):
        assert ref not in html
    srcs = _IMG.findall(html)
    assert len(srcs) >= 6
    svg_prefix = "data:image/svg+xml;base64,"
    svgs = [src for src in srcs if src.startswith(svg_prefix)]
    # the tree, drawn as vector (and in parts for paper when too wide for it)
    parts = html.count('class="fig tree tree-part print-only"')
    assert len(svgs) == 1 + parts
    root = ElementTree.fromstring(base64.b64decode(svgs[0][len(svg_prefix) :]))
    assert root.tag.endswith("svg") and float(root.get("width").rstrip("pt")) > 100
    for src in srcs:
        if src in svgs:
            continue
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(src[len(prefix) :]))) as im:
            im.load()
            assert im.format == "PNG" and im.width > 100 and im.height > 100
    assert json.loads((out / "report.json").read_text()) == report_binary["report"]
    lines = (out / "rules.txt").read_text().splitlines()
    # a rare outcome's rules open with the lead measures, as comment lines
    rules = [line for line in lines if not line.startswith("# ")]
    assert lines[: len(lines) - len(rules)] == [
        line for line in lines if line.startswith("# ")
    ]
    assert len(rules) == len(report_binary["report"]["rules"])
    assert rules[0].startswith("Rule 1: IF ")
    assert all(" THEN " in line for line in rules)
    assert not list(out.glob(".*.tmp"))


def test_html_shows_the_summary_and_run_info(report_binary):
    report = report_binary["report"]
    html = render_html(report)
    s = report["summary"]
    assert f"The {s['n_leaves']}-leaf tree agrees with the teacher on" in html
    assert f"{100 * s['agreement']:.1f}%" in html
    assert "cohort.csv" in html
    assert 'class="chosen"' in html  # the chosen sweep row is highlighted
    for title in (
        "1. Fidelity to the teacher",
        "2. Fidelity against tree size",
        "4. Where the explanation fails",
        "5. The explanation",
        "6. Run",
    ):
        assert title in html
    assert html.count("How to read this") >= 8
    # The size table judges sizes by the headline's measures too.
    assert '<th class="n">Student flag AUC</th>' in html
    goal = report["size_curve"]["objective"]
    assert f"Judged by {goal['label']} on held-out rows" in html
    assert "The decisions that matter: flagged rows, risk ranking, classes" in html
    assert "Per class, tree (held-out rows)" in html


def test_rendering_needs_only_the_json(report_binary, tmp_path):
    report = report_binary["report"]
    again = json.loads(report_json(report))
    assert render_html(again) == render_html(report)
    assert render_markdown(again) == render_markdown(report)
    assert render_rules(again) == render_rules(report)


def test_markdown_has_the_same_numbers(report_binary):
    report = report_binary["report"]
    md = render_markdown(report)
    for row in report["fidelity"]["held_out"][1:]:
        assert f"| {row['label']} | {row['n_leaves']} | " in md
        assert f"{100 * row['agreement']:.1f}%" in md
    assert "data:image" not in md
    assert "**sweep**" in md


def test_hostile_column_name_is_escaped(tmp_path):
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort(rename={"ward": HOSTILE})
    tree = cases.tree(teacher).fit(X_tr, y_tr)
    report = evaluate(
        {"tree": tree},
        X_te,
        y_te,
        X_tr,
        y_tr,
        size_grid=(4,),
        n_synthetic=200,
        shap_rows=10,
    )
    assert HOSTILE in report["subgroups"]["columns"]
    write_report(report, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert HOSTILE not in md
    assert "\\<script\\>" in md


def test_terms_explain_every_measure_the_report_names(report_binary):
    from treedistill.report import render_html, render_markdown

    report = report_binary["report"]
    html, md = render_html(report), render_markdown(report)
    terms = html[html.index('id="terms"') :]
    for term in (
        "Flag rate",
        "Flagged-row agreement",
        "Overlap",
        "Flag AUC",
        "Spearman ρ",
        "Surrogate",
        "TV",
        "ECE",
        "SHAP",
        "Missing values",
    ):
        assert f"<dt>{term}</dt>" in terms, term
        assert f"- **{term}**: " in md, term
