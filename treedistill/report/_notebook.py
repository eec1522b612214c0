"""The student in a notebook: the report's tree drawing and the headline numbers.

:func:`plot_tree` draws a tree student as the report does (the same boxes,
colours and split questions); :func:`notebook_html` and :func:`notebook_text`
show a fitted estimator, a saved student (:class:`~treedistill.StudentBundle`)
or a run's :class:`~treedistill.DistillResult` in Jupyter and in a terminal.

A live model or a saved student has no held-out rows of its own: its boxes count
the rows of the transfer set each node holds (``n=... transfer``). A run's
drawing is the report's own, counted on the held-out rows.
"""

from __future__ import annotations

import html
import textwrap

import numpy as np

from treedistill.distill._rules import extract_rules
from treedistill.distill._summary import WIDTH, fitted_summary, size_text, summary_lines
from treedistill.exceptions import ParameterError
from treedistill.report import _plots
from treedistill.report._lead import class_names
from treedistill.report._tree_section import tree_section

__all__ = ["notebook_html", "notebook_text", "plot_tree"]

FORMATS = ("svg", "figure")


# ---------------------------------------------------------------------------
# The drawing
# ---------------------------------------------------------------------------
def _is_student(model) -> bool:
    return hasattr(model, "schema_") and hasattr(model, "classes_")


def _is_tree(model) -> bool:
    return hasattr(getattr(model, "student_", None), "get_n_leaves")


def _positive(model) -> int | None:
    """A binary student's positive (vermillion) class, chosen as the report
    chooses it: the minority class, here by the tree's root distribution (the
    teacher's mean probabilities on the transfer set); class 1 on a tie."""
    if len(model.classes_) != 2:
        return None
    root = np.asarray(model.student_.value_[0], dtype=float)
    return 1 if root[1] <= root[0] else 0


def _display_names(model) -> list[str]:
    names = getattr(model, "class_names_", None)
    return [str(n) for n in (model.classes_ if names is None else names)]


def _model_tree(model) -> dict:
    """The report's tree section of ``model``, its boxes counting transfer rows."""
    positive = _positive(model)
    rule_of_leaf = {r.leaf: r.number for r in extract_rules(model, positive=positive)}
    tree = tree_section(model, np.zeros(0, dtype=np.int64), rule_of_leaf)
    for node in tree["nodes"]:
        node["n_test"] = None  # no held-out rows: count the transfer set
    return tree


def _check_tree(model) -> None:
    if not _is_student(model) or not hasattr(model, "student_"):
        raise ParameterError(
            f"model must be a fitted DistilledTreeClassifier or a loaded tree "
            f"student; got {type(model).__name__}"
            + (" (not fitted: call fit first)" if hasattr(model, "fit") else ""),
            parameter="model",
        )
    if not _is_tree(model):
        raise ParameterError(
            "model is a boosted student: its trees vote together, so no single "
            "tree shows what it does; plot a DistilledTreeClassifier",
            parameter="model",
        )


def plot_tree(model, *, format: str = "svg"):
    """The tree student drawn as the report draws it.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier, or the StudentBundle of a saved tree
    format : {"svg", "figure"}, default="svg"
        ``"svg"``: the drawing as an SVG document (a str); ``"figure"``: a
        ``matplotlib.figure.Figure`` (no pyplot state), to save or adjust.

    Returns
    -------
    str or matplotlib.figure.Figure
        One box per node: split questions with the side a missing value takes,
        leaves in their class's colour with the class probabilities and the
        rule number. The boxes count the transfer rows each node holds.

    Raises
    ------
    ParameterError
        If ``model`` is not a fitted tree student (a boosted one has no single
        tree to draw) or ``format`` is unknown.
    """
    if format not in FORMATS:
        raise ParameterError(
            f"format must be one of {', '.join(map(repr, FORMATS))}; got {format!r}",
            parameter="format",
        )
    _check_tree(model)
    return _draw(_model_tree(model), _display_names(model), _positive(model), format)


def _draw(tree: dict, classes: list, positive: int | None, format: str):
    positive_name = None if positive is None else classes[positive]
    if format == "figure":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig, _ = _plots.tree_figure(tree["nodes"], classes, positive_name)
        FigureCanvasAgg(fig)
        return fig
    return _plots.plot_tree(tree, classes, positive_name).data.decode("utf-8")


# ---------------------------------------------------------------------------
# HTML and text
# ---------------------------------------------------------------------------
_STYLE = (
    "font-family: system-ui, sans-serif; font-size: 13px; line-height: 1.4; "
    "max-width: 100%"
)


def _img(svg: str, alt: str) -> str:
    image = _plots.Image(svg.encode("utf-8"), 0, 0, mime="image/svg+xml")
    return (
        f'<img class="treedistill-tree" src="{image.src}" alt="{html.escape(alt)}" '
        'style="max-width: 100%; height: auto; display: block; margin-top: 6px">'
    )


def _block(title: str, lines: list[str], drawing: str | None) -> str:
    items = "".join(f"<li>{html.escape(line.strip())}</li>" for line in lines)
    out = [
        f'<div class="treedistill" style="{_STYLE}">',
        f"<strong>{html.escape(title)}</strong>",
        f'<ul style="margin: 4px 0; padding-left: 18px">{items}</ul>',
    ]
    if drawing:
        out.append(drawing)
    out.append("</div>")
    return "".join(out)


def _model_html(model) -> str:
    lines = summary_lines(model)
    drawing = None
    if _is_tree(model):
        svg = _draw(_model_tree(model), _display_names(model), _positive(model), "svg")
        drawing = _img(svg, f"The tree student: {size_text(model)}")
    else:
        lines.append("  a boosted student: its trees vote together (no single drawing)")
    return _block(lines[0], lines[1:], drawing)


def _is_result(obj) -> bool:
    return all(hasattr(obj, a) for a in ("out_dir", "models", "fidelity", "report"))


def _result_lines(result) -> list[str]:
    """The run's headline (as ``describe`` words it), then each student's size
    and objective."""
    lines = result.describe().splitlines()
    for kind, model in result.models.items():
        extra = f"{kind} student: {size_text(model)}; temperature {model.temperature:g}"
        extra += f", alpha {model.alpha:g}"
        if getattr(model, "criterion", None):
            extra += f", criterion {model.criterion}"
        lines.append(extra)
    return lines


def _result_html(result) -> str:
    report = result.report or {}
    drawing = None
    if report.get("tree"):
        classes = class_names(report)
        positive = (report.get("operating_points") or {}).get("positive_index")
        svg = _draw(report["tree"], classes, positive, "svg")
        drawing = _img(svg, "The tree student, as the report draws it")
    return _block(f"DistillResult: {result.out_dir}", _result_lines(result), drawing)


def notebook_html(obj) -> str | None:
    """HTML for Jupyter: a title, the headline numbers and the tree drawing.

    ``obj``: a fitted estimator (tree or boosted), a :class:`StudentBundle` or a
    :class:`DistillResult`. An unfitted estimator keeps scikit-learn's own HTML.
    """
    if _is_result(obj):
        return _result_html(obj)
    if _is_student(obj) and hasattr(obj, "student_"):
        return _model_html(obj)
    own = getattr(obj, "_repr_html_", None)
    return own() if callable(own) else None


def notebook_text(obj) -> str:
    """Plain text that fits a terminal of 80 columns (what ``repr`` shows)."""
    if _is_result(obj):
        first, *rest = _result_lines(obj)
        out = [f"DistillResult: {obj.out_dir}"]
        for line in [first, *rest]:
            out += textwrap.wrap(
                line.strip(), WIDTH, initial_indent="  ", subsequent_indent="    "
            )
        return "\n".join(out)
    if _is_student(obj) and hasattr(obj, "student_"):
        return fitted_summary(obj)
    return repr(obj)
