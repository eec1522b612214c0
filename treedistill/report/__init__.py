"""Stage 6, report: evaluation and the fidelity / interpretability report.

:func:`evaluate` measures fitted students against their teacher and returns a
JSON-serialisable dict; the renderers turn that dict (and nothing else) into HTML,
Markdown and plain-text rules; :func:`write_report` writes all four files. A new
report section is a ``_name_section`` module called by ``_evaluate`` and drawn by
``_render``.

May import: ``common``, ``data``, ``teachers``, ``distill``, ``measures``.

Examples
--------
>>> from treedistill.report import evaluate, write_report  # doctest: +SKIP
>>> report = evaluate({"tree": model}, X_test, y_test, X_train, y_train)
>>> write_report(report, "out/")  # report.html, report.json, report.md, rules.txt
"""

from treedistill.report._evaluate import SCHEMA_VERSION, evaluate
from treedistill.report._explain import permutation_shap
from treedistill.report._render import (
    render_html,
    render_markdown,
    render_rules,
    report_json,
    write_report,
)

__all__ = [
    "SCHEMA_VERSION",
    "evaluate",
    "permutation_shap",
    "render_html",
    "render_markdown",
    "render_rules",
    "report_json",
    "write_report",
]
