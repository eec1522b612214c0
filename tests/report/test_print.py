"""report.html fits the page: on a 1200-px screen and printed on A4 and Letter.

Needs headless Chromium; skipped when it is not installed. A copy of the page
gets a measuring script (the report itself runs none) that lists every element
reaching past the page's right edge; for paper the print styles are applied at
the width of the page's printable area. Screenshots and the PDFs are kept in
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import json
import re
import warnings

import pytest

from tests import _report_cases as cases
from tests.conftest import REPO
from tests.report.test_browser import _chromium, _run_chromium
from treedistill.report import evaluate, write_report

pytestmark = pytest.mark.browser

MM = 96 / 25.4  # CSS pixels per millimetre
MARGIN_MM = 12  # the report's @page margin
#: Printable width in CSS pixels of each paper size.
PAPER = {
    "A4": round((210 - 2 * MARGIN_MM) * MM),
    "Letter": round((215.9 - 2 * MARGIN_MM) * MM),
}

MEASURE = r"""
<pre id="fit-result"></pre>
<script>
(function () {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("main *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 1 || box.left < -1)) {
      wide.push(el.tagName + (el.className ? "." + el.className : "") +
                " " + Math.round(box.left) + "-" + Math.round(box.right));
    }
  }
  const trees = [];
  for (const img of document.querySelectorAll(".fig.tree img")) {
    const w = img.getBoundingClientRect().width;
    if (w > 0) trees.push([w, img.naturalWidth]);  // the drawings shown here
  }
  const broken = [];  // table headers with a word split over two lines
  for (const th of document.querySelectorAll("main th")) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\s-]+/g;  // a break at a space or after a hyphen is fine
      for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  document.getElementById("fit-result").textContent = JSON.stringify({
    width: width,
    scroll: document.documentElement.scrollWidth,
    wide: wide.slice(0, 20),
    trees: trees,
    broken: broken.slice(0, 20),
  });
})();
</script>
"""


def _measurable(html: str, *, paper: bool) -> str:
    """The page with the measuring script; with ``paper``, its print styles."""
    html = re.sub(r"<meta http-equiv=\"Content-Security-Policy\"[^>]*>", "", html)
    if paper:
        assert "@media print" in html
        html = html.replace("@media print", "@media all")
    return html.replace("</body>", MEASURE + "</body>")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A report with a 32-leaf tree (the widest drawing) and every figure."""
    _chromium()
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort(n_classes=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {"tree": cases.tree(teacher, max_leaf_nodes=32).fit(X_tr, y_tr)}
        report = evaluate(
            models,
            X_te,
            y_te,
            X_tr,
            y_tr,
            size_grid=(4, 32),
            n_synthetic=400,
            shap_rows=20,
            stability_refits=0,
            run_info={"data": "cohort.csv"},
        )
    assert report["tree"]["n_leaves"] > 8  # drawn left to right, the wide layout
    out = tmp_path_factory.mktemp("print")
    write_report(report, out)
    return out / "report.html"


def _measure(page, tmp_path, width: int, *, paper: bool) -> dict:
    copy = tmp_path / f"measure-{width}.html"
    copy.write_text(
        _measurable(page.read_text(encoding="utf-8"), paper=paper), encoding="utf-8"
    )
    result = _run_chromium(
        tmp_path / "profile",
        f"--window-size={width},1200",
        "--dump-dom",
        copy.as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r"<pre id=\"fit-result\">(.*?)</pre>", result.stdout, re.S)
    assert found and found.group(1), "the measuring script did not run"
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.parametrize(
    ("width", "paper"),
    [(1200, False), (PAPER["A4"], True), (PAPER["Letter"], True)],
    ids=["screen-1200", "A4", "Letter"],
)
def test_nothing_wider_than_the_page(page, tmp_path, width, paper):
    m = _measure(page, tmp_path, width, paper=paper)
    assert m["width"] <= width
    assert m["wide"] == [], f"elements past the page edge: {m['wide']}"
    assert m["scroll"] <= m["width"]  # no horizontal scrolling


@pytest.mark.parametrize(
    ("width", "paper"),
    [(1200, False), (PAPER["A4"], True), (PAPER["Letter"], True)],
    ids=["screen-1200", "A4", "Letter"],
)
def test_tree_fits_and_stays_readable_headers_whole(page, tmp_path, width, paper):
    """The drawing is scaled to the page, not cut; printed, its 8-pt text stays
    at 7 pt or more (a tree too wide comes in parts); no table header breaks
    inside a word ("Ru le", "Coverag e")."""
    m = _measure(page, tmp_path, width, paper=paper)
    assert m["broken"] == [], "table headers broken inside a word"
    assert m["trees"]
    for shown, natural in m["trees"]:
        assert 0 < shown <= m["width"]
        if paper:
            shown -= 2  # the image's 1-px border
            assert shown <= natural
            assert 8 * (100 / 96) * shown / natural >= 7.0, (shown, natural)
    if paper:  # the 32-leaf tree does not fit: it is printed in parts
        assert len(m["trees"]) >= 2
    else:
        assert len(m["trees"]) == 1  # on screen, the whole tree


def test_print_to_pdf_and_screenshots(page, tmp_path):
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    html = page.read_text(encoding="utf-8")
    for name in PAPER:
        sized = html.replace("@page {", f"@page {{ size: {name};", 1)
        copy = tmp_path / f"report-{name}.html"
        copy.write_text(sized, encoding="utf-8")
        pdf = artifacts / f"report-{name}.pdf"
        pdf.unlink(missing_ok=True)
        result = _run_chromium(
            tmp_path / "profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            copy.as_uri(),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
        assert pages >= 3, f"{name}: {pages} pages"
        width_pt = {"A4": 595, "Letter": 612}[name]
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
        assert box and abs(float(box.group(1)) - width_pt) < 2
    # What the reader sees: the top at screen width, the page as printed (print
    # styles at A4's printable width).
    shots = {
        "report-top-1200.png": (page, 1200),
        "report-print-A4.png": (None, PAPER["A4"]),
    }
    for shot_name, (src, width) in shots.items():
        if src is None:
            src = tmp_path / "print-view.html"
            src.write_text(html.replace("@media print", "@media all"), "utf-8")
        shot = artifacts / shot_name
        shot.unlink(missing_ok=True)
        result = _run_chromium(
            tmp_path / "profile",
            f"--window-size={width},1400",
            f"--screenshot={shot}",
            src.as_uri(),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert shot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def fairness_page(tmp_path_factory):
    """A binary report with performance and fairness by sex and age bands."""
    _chromium()
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {"tree": cases.tree(teacher).fit(X_tr, y_tr)}
        report = evaluate(
            models, X_te, y_te, X_tr, y_tr, subgroups=["sex", "age", "ward"],
            **cases.QUICK, stability_refits=0,
        )  # fmt: skip
    assert len(report["fairness"]["groups"]) >= 8
    out = tmp_path_factory.mktemp("print-fairness")
    write_report(report, out)
    return out / "report.html"


@pytest.mark.parametrize(
    ("width", "paper"),
    [(1200, False), (PAPER["A4"], True), (PAPER["Letter"], True)],
    ids=["screen-1200", "A4", "Letter"],
)
def test_fairness_tables_fit_the_page(fairness_page, tmp_path, width, paper):
    m = _measure(fairness_page, tmp_path, width, paper=paper)
    assert m["wide"] == [], f"elements past the page edge: {m['wide']}"
    assert m["scroll"] <= m["width"]
    assert m["broken"] == [], "table headers broken inside a word"
