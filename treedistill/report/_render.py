"""Render a report dict as HTML, Markdown and plain-text rules, and write the files.

Rendering reads nothing but the dict :func:`~treedistill.report.evaluate` returns
(or its JSON copy), so a saved ``report.json`` can be rendered again at any time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import jinja2
import markupsafe

from treedistill.common._files import atomic_write_text
from treedistill.common._text import show_controls
from treedistill.report import _plots
from treedistill.report._display import (
    OBJECTIVE_SHORT,
    class_order,
    measure_table,
    operating_line,
    ordered_confusion,
    per_class_table,
    size_objective,
)
from treedistill.report._evaluate import SCHEMA_VERSION
from treedistill.report._format import ci, num, pct
from treedistill.report._lead import (
    class_names,
    focus_cells,
    focus_header,
    focus_words,
    name_of_label,
    rules_header,
)
from treedistill.report._plain import plain_summary
from treedistill.report._run_section import run_summary, trained_teacher

__all__ = [
    "render_html",
    "render_markdown",
    "render_rules",
    "write_report",
    "report_json",
]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


# ---------------------------------------------------------------------------
# Formatting helpers (jinja filters)
# ---------------------------------------------------------------------------
def value(x) -> str:
    """Any JSON scalar from ``run_info`` as short text."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def _in_order(classes, values, order) -> list:
    """``(class, value)`` pairs, in ``order`` (positions) when given."""
    pairs = list(zip(classes, values, strict=False))
    if order is None:
        return pairs
    return [pairs[i] for i in order if i < len(pairs)]


def dist(distribution, classes, digits: int = 0, order=None) -> str:
    """A class distribution as ``low 96% · high 4%`` (classes in ``order``, the
    display order, else their own)."""
    if not distribution:
        return "—"
    return " · ".join(
        f"{c} {100 * float(p):.{digits}f}%"
        for c, p in _in_order(classes, distribution, order)
    )


def probs(p, classes, order=None) -> str:
    """Probabilities as ``low 0.12 / high 0.88`` (classes in ``order``, if given)."""
    return " / ".join(f"{c} {float(v):.2f}" for c, v in _in_order(classes, p, order))


def is_records(x) -> bool:
    """A non-empty list of dicts (rendered as a table)."""
    return isinstance(x, list) and bool(x) and all(isinstance(r, Mapping) for r in x)


_LEADING_KEYS = ("name", "column", "setting")


def record_keys(rows) -> list[str]:
    """The union of the keys of a list of dicts: naming keys first, then sorted.

    Sorted so that a dict and its JSON copy (written with sorted keys) render the
    same table.
    """
    keys = {str(k) for r in rows for k in r}
    lead = [k for k in _LEADING_KEYS if k in keys]
    return lead + sorted(keys - set(lead))


_MD_SPECIAL = str.maketrans(
    {c: "\\" + c for c in "\\`*[]<>|#"} | {"\n": " ", "\r": " ", "\t": " "}
)


def md(x) -> str:
    """Text safe inside a Markdown table cell (no markup, no raw HTML)."""
    return str(x).translate(_MD_SPECIAL)


def one_line(x) -> str:
    """Text on one line (line breaks and tabs as spaces)."""
    return " ".join(str(x).replace("\t", " ").splitlines())


def _est(e) -> str:
    """A Wilson estimate as ``16.7% (12.6–21.8)``; ``—`` without one."""
    if not e or e.get("value") is None:
        return "—"
    if e.get("low") is None or e.get("high") is None:
        return pct(e["value"])
    return f"{pct(e['value'])} ({100 * e['low']:.1f}–{100 * e['high']:.1f})"


def _est_lines(e):
    """A Wilson estimate with its interval on a second, muted line (HTML)."""
    if not e or e.get("value") is None or e.get("low") is None:
        return _est(e)
    low, high = f"{100 * e['low']:.1f}", f"{100 * e['high']:.1f}"
    return markupsafe.Markup(
        f"{markupsafe.escape(pct(e['value']))}<br>"
        f'<span class="muted">{markupsafe.escape(low)}–{markupsafe.escape(high)}</span>'
    )


def _signed(x) -> str:
    """``-0.0037`` → ``-0.004``; ``None`` → ``—``."""
    return "—" if x is None else f"{float(x):+.3f}"


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=pct,
        ci=ci,
        num=num,
        value=value,
        dist=dist,
        probs=probs,
        md=md,
        one_line=one_line,
        record_keys=record_keys,
        est=_est,
        signed=_signed,
        est_lines=_est_lines,
    )
    env.tests["records"] = is_records
    return env


# ---------------------------------------------------------------------------
# Context
# ---------------------------------------------------------------------------
def _check(report) -> None:
    if not isinstance(report, Mapping):
        raise ValueError(f"report must be a dict, got {type(report).__name__}")
    version = report.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"report has schema_version {version!r}; this version of treedistill "
            f"renders schema_version {SCHEMA_VERSION!r}"
        )


def _model_order(report) -> list[str]:
    order = list(report.get("model_order") or [])
    for name in report.get("models", {}):
        if name not in order:
            order.append(name)
    return order


def _context(report, *, images: bool) -> dict:
    _check(report)
    order = _model_order(report)
    classes = class_names(report)
    positive_index = report["operating_points"].get("positive_index")
    positive_name = None if positive_index is None else classes[positive_index]
    shap = report["shap"]
    ranking = None
    if (shap.get("teacher") or {}).get("status") == "ok":
        ranking = shap["teacher"]["importance"]
    else:
        for name in order:
            st = (shap.get("students") or {}).get(name) or {}
            if st.get("status") == "ok":
                ranking = st["importance"]
                break
    shap_order = list(range(len(shap.get("columns") or [])))
    if ranking is not None:
        shap_order.sort(key=lambda j: (-(ranking[j] or 0.0), j))
    ctx = {
        "shap_order": shap_order,
        "r": report,
        "models": order,
        "classes": classes,
        "class_order": class_order(report),
        "confusion": ordered_confusion(report),
        "summary_sentences": report["summary"]["sentences"],
        "n_alert": report["summary"].get("n_alert", 0),
        "ops_line": operating_line(report),
        "measure_tables": {
            t: measure_table(report, t) for t in ("held_out", "synthetic")
        },
        "per_class": per_class_table(report),
        "binary": report["operating_points"]["positive_class"] is not None,
        "size_objective": size_objective(report),
        "objective_label": OBJECTIVE_SHORT.get(
            (report["size_curve"].get("objective") or {}).get("measure"), ""
        ),
        "img": {},
        "run_brief": run_summary(report),
        "cname": lambda label: name_of_label(report, label),
        "focus_header": focus_header(report),
        "focus_header_of": lambda who: focus_header(report, who),
        "focus_cells": lambda focus: focus_cells(report, focus),
        "positive_name": positive_name,
        "trained_teacher": trained_teacher(report),
        "plain_summary": plain_summary(report),
    }
    if images:
        labels = {row["key"]: row["label"] for row in report["fidelity"]["held_out"]}
        confusion = ordered_confusion(report)
        confusion["matrices"] = {
            n: confusion["matrices"][n] for n in order if n in confusion["matrices"]
        }
        calibration = dict(report["calibration"])
        curves = report["calibration"]["curves"]
        calibration["curves"] = {
            n: curves[n] for n in ["teacher", *order] if n in curves
        }
        shap = dict(report["shap"])
        shap["students"] = {
            n: report["shap"]["students"][n]
            for n in order
            if n in (report["shap"].get("students") or {})
        }
        summary = report["summary"]
        ctx["img"] = {
            "size_curve": _plots.plot_size_curve(report["size_curve"]),
            "confusion": _plots.plot_confusion(confusion, labels),
            "calibration": _plots.plot_calibration(calibration, positive_name),
            "subgroups": _plots.plot_subgroups(
                report["subgroups"]["rows"], summary["model"], summary["agreement"]
            ),
            "shap": _plots.plot_shap(shap),
            "tree": (
                _plots.plot_tree(report["tree"], classes, positive_name)
                if report.get("tree")
                else None
            ),
            "tree_parts": (
                _plots.plot_tree_parts(report["tree"], classes, positive_name)
                if report.get("tree")
                else []
            ),
        }
    return ctx


# ---------------------------------------------------------------------------
# Public renderers
# ---------------------------------------------------------------------------
def render_html(report: Mapping) -> str:
    """The report as one self-contained HTML page (figures embedded as data URIs).

    Parameters
    ----------
    report : dict
        As returned by :func:`evaluate` (or loaded from ``report.json``).

    Returns
    -------
    str
        A whole HTML document; it loads nothing from elsewhere.
    """
    return _render(report, "report.html.j2", html=True)


def render_markdown(report: Mapping) -> str:
    """The report's numbers as Markdown tables (no figures).

    Same sections and numbers as :func:`render_html`; cell text is escaped so
    that no value can add markup.
    """
    return _render(report, "report.md.j2", html=False)


def _render(report: Mapping, template: str, *, html: bool) -> str:
    ctx = _context(report, images=html)
    return _environment(html).get_template(template).render(**ctx)


def render_rules(report: Mapping) -> str:
    """The tree student's rules as plain text, one rule per line.

    Parameters
    ----------
    report : dict

    Returns
    -------
    str
        Ends with a newline. Without a tree student, a single line says so.
    """
    _check(report)
    rules = report.get("rules")
    if not rules:
        return "No tree student in this report: there are no rules to list.\n"
    classes = class_names(report)
    order = class_order(report)
    lines = rules_header(report)
    for r in rules:
        cov = pct(r["coverage_test"]) if r.get("coverage_test") is not None else "—"
        focus = focus_words(report, r.get("focus"))
        lines.append(
            one_line(
                f"Rule {r['rule']}: {r['text']}  "
                f"[{r.get('summary') or dist(r['distribution'], classes, order=order)}; "
                f"covers {cov} of held-out rows (n={r['n_test']}); "
                + (f"{focus}; " if focus else "")
                + f"agreement with the teacher {pct(r['agreement'])}]"
            )
        )
    return "\n".join(lines) + "\n"


def report_json(report: Mapping) -> str:
    """The report as canonical JSON (sorted keys, no NaN), ending with a newline."""
    _check(report)
    return json.dumps(report, sort_keys=True, indent=2, allow_nan=False) + "\n"


def write_report(report: Mapping, out_dir) -> list[Path]:
    """Write ``report.html``, ``report.json``, ``report.md`` and ``rules.txt``.

    Each file is written to a temporary file in ``out_dir`` and moved into place,
    so a reader never sees half a file. ``out_dir`` is created if needed.

    Parameters
    ----------
    report : dict
    out_dir : str or Path

    Returns
    -------
    list of Path
        The four files, in the order above.
    """
    _check(report)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output folder {str(out)!r} exists and is not a folder")
    # Direction overrides in names and values are shown escaped in what people read.
    texts = {
        "report.html": show_controls(render_html(report)),
        "report.json": report_json(report),
        "report.md": show_controls(render_markdown(report)),
        "rules.txt": show_controls(render_rules(report)),
    }
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = out / name
        atomic_write_text(path, text)
        paths.append(path)
    return paths
