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

MEASURE = """
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
  const tree = document.querySelector(".fig.tree img");
  document.getElementById("fit-result").textContent = JSON.stringify({
    width: width,
    scroll: document.documentElement.scrollWidth,
    wide: wide.slice(0, 20),
    tree: tree ? [tree.getBoundingClientRect().width, tree.naturalWidth] : null,
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
    shown, natural = m["tree"]
    assert 0 < shown <= m["width"]
    if paper:
        assert shown < natural  # the drawing is scaled to the paper, not cut


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
