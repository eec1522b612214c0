"""report.html in a real browser: images load, nothing is fetched, no script runs.

Needs headless Chromium; skipped when it is not installed. The screenshot is kept
in ``test-artifacts/report.png`` for a person to look at.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import _report_cases as cases
from tests.conftest import REPO
from treedistill.report import evaluate, write_report

pytestmark = pytest.mark.browser

INJECTED = "ward<script>document.title='pwned'</script>"
TITLE = "treedistill report"
# Hosts Chromium itself contacts (component updates, time, sign-in) whatever the
# page holds; they are refused by the resolver rules below in any case.
BROWSER_OWN_HOSTS = (
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "gvt1.com",
    "googleusercontent.com",
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.skip("headless Chromium is not installed (no chromium on PATH)")


def _run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1200,1600",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    _chromium()
    X_tr, X_te, y_tr, y_te, teacher = cases.cohort(rename={"ward": INJECTED})
    models = {
        "tree": cases.tree(teacher).fit(X_tr, y_tr),
        "boosted": cases.boosted(teacher).fit(X_tr, y_tr),
    }
    report = evaluate(
        models,
        X_te,
        y_te,
        X_tr,
        y_tr,
        size_grid=(2, 4, 8, 16),
        n_synthetic=800,
        shap_rows=40,
        run_info={"data": {"file": "cohort.csv"}, "options": {"leaves": 8}},
    )
    out = tmp_path_factory.mktemp("report")
    write_report(report, out)
    return out / "report.html"


def test_dom_images_title_and_no_network(written, tmp_path):
    from PIL import Image

    result = _run_chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=1",
        "--dump-dom",
        written.as_uri(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "Distillation report" in dom
    # The injected <script> stayed text: the title is unchanged and the column
    # name shows as text in the page.
    title = re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert title == TITLE
    assert "pwned" not in title
    assert "<script" not in dom.lower()
    assert html_lib.escape(INJECTED, quote=False) in dom
    # Every image is an embedded PNG that decodes, but the tree: an SVG drawing
    # (and its parts for paper, when it is too wide for a printed page).
    srcs = re.findall(r"<img\s[^>]*src=\"([^\"]*)\"", dom)
    assert len(srcs) >= 6
    svg = [src for src in srcs if src.startswith("data:image/svg+xml;base64,")]
    parts = len(re.findall(r"class=\"fig tree tree-part print-only\"", dom))
    assert len(svg) == 1 + parts
    assert all(b"<svg" in base64.b64decode(s.split(",", 1)[1]) for s in svg)
    prefix = "data:image/png;base64,"
    for src in srcs:
        if src in svg:
            continue
        assert src.startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(src[len(prefix) :]))) as im:
            im.load()
            assert im.width > 0 and im.height > 0
    # Nothing the page refers to was requested from the network.
    requested = re.findall(r"NotifyBeforeURLRequest: (\S+)", result.stderr)
    for url in requested:
        host = re.sub(r"^[a-z]+://([^/:?]+).*$", r"\1", url)
        assert host.endswith(BROWSER_OWN_HOSTS), f"the page fetched {url}"
    for url in re.findall(r"(?:src|href)=\"([^\"]*)\"", dom):
        assert url.startswith(("data:", "#")), url


def test_screenshot(written, tmp_path):
    from PIL import Image

    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report.png"
    if shot.exists():
        shot.unlink()
    result = _run_chromium(
        tmp_path / "profile", f"--screenshot={shot}", written.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1200, 1600)
        # Not a blank page: the summary box and text give many distinct colours.
        colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50
