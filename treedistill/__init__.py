"""treedistill: distil a black-box classifier into a small decision tree, and say
with numbers how far the tree can be trusted.

The job runs in stages, each a subpackage that imports only the stages before it::

    data      read a table, clean it, learn its schema, screen it       data/
    teachers  the model to explain: logits, softened probabilities      teachers/
    distill   transfer set (real + augmented rows) and the students     distill/
    measures  fidelity, rare-outcome measures, stability                measures/
    scale     the same on a Dask cluster                                scale/
    report    evaluate and render HTML / Markdown / JSON / rules        report/
    runs      a whole run into a run directory; finished runs           runs/
    export    a student as SQL, ONNX or Python                          export/

(``common/`` holds what all share: files, JSON, text. The command line is
``treedistill.cli``.) A test (``tests/test_layout.py``) fails on an import cycle
or an import from a lower stage to a higher one.

Entry points:

- :class:`DistilledTreeClassifier` / :class:`DistilledBoostingClassifier`:
  scikit-learn estimators (fit a teacher or take one prefit, distil, predict);
- :func:`run_distill` with :class:`DistillParams`: the whole job, as the command
  line runs it, into a run directory; :func:`predict_saved`, :func:`render_report`,
  :func:`rerender_run` (the run again at other class names, threshold or flag
  rate, as a new run folder) and :func:`load_run_student` work on finished runs;
- :func:`fidelity`, :func:`agreement`, :func:`stability`: the measures;
- :func:`to_sql`, :func:`to_onnx`, :func:`to_python`: exports;
- :func:`plot_tree`: the tree student drawn as the report draws it.

In a notebook, three lines (a fitted estimator, a saved student and a run's
:class:`DistillResult` show their tree and headline numbers when displayed;
``repr`` gives a few lines that fit a terminal)::

    model = DistilledTreeClassifier(max_leaf_nodes=8).fit(X, y)
    model  # the tree drawing, size, objective, classes
    svg = plot_tree(model)  # the drawing as SVG (format="figure": matplotlib)

Jupyter shows them when ``treedistill`` is imported after IPython has started (as
in any notebook); otherwise call :func:`enable_notebook_display`.

Where to add things: a teacher format in ``teachers/_teachers.py`` and
``teachers/_teacher_files.py``; a student in ``distill/_students.py`` (offered by
``distill/_estimators.py``); a measure in ``measures/``; a report section as a
``report/_name_section.py`` module called by ``report/_evaluate.py``; an export
format in ``export/``.

The public names below load on first use, so ``import treedistill`` is cheap.
"""

from __future__ import annotations

import importlib
import sys

from treedistill.common._version import __version__ as __version__

#: Public name -> the module that defines it (or (module, name there)).
_PUBLIC = {
    "agreement": "treedistill.measures._metrics",
    "agreement_interval": "treedistill.measures._metrics",
    "augment": "treedistill.distill._transfer",
    "blend": "treedistill.teachers._soften",
    "box_sample": "treedistill.distill._transfer",
    "distill_boosted_dask": ("treedistill.scale._dask_boost", "distill_boosted"),
    "distill_tree_dask": ("treedistill.scale._dask", "distill_tree"),
    "DistilledBoostingClassifier": "treedistill.distill._estimators",
    "DistilledTreeClassifier": "treedistill.distill._estimators",
    "DistillParams": "treedistill.distill._options",
    "DistillResult": "treedistill.runs._result",
    "EnsembleTeacher": "treedistill.teachers._teachers",
    "export_rules": "treedistill.distill._rules",
    "extract_rules": "treedistill.distill._rules",
    "fidelity": "treedistill.measures._metrics",
    "find_student": "treedistill.runs._saved",
    "jitter": "treedistill.distill._transfer",
    "kl_divergence": "treedistill.measures._metrics",
    "load_run_student": "treedistill.runs._saved",
    "load_student": "treedistill.distill._bundle",
    "load_teacher": "treedistill.teachers._teacher_files",
    "MLPTeacher": "treedistill.teachers._mlp",
    "monotone_probe": "treedistill.measures._monotone",
    "munge": "treedistill.distill._transfer",
    "predict_frame": "treedistill.runs._saved",
    "plot_tree": "treedistill.report._notebook",
    "predict_saved": "treedistill.runs._saved",
    "prepare_data": "treedistill.data._prepare",
    "read_report": "treedistill.runs._saved",
    "read_table": "treedistill.data._tables",
    "render_report": "treedistill.runs._saved",
    "rerender_run": "treedistill.runs._rerender",
    "Rule": "treedistill.distill._rules",
    "rule_numbers": "treedistill.distill._rules",
    "run_distill": "treedistill.runs._run",
    "save_student": "treedistill.distill._bundle",
    "save_teacher": "treedistill.teachers._teacher_files",
    "shareable_report": "treedistill.runs._shareable",
    "soft_softmax_objective": "treedistill.distill._students",
    "SoftBoosting": "treedistill.distill._students",
    "soften": "treedistill.teachers._soften",
    "SoftTree": "treedistill.distill._students",
    "stability": "treedistill.measures._stability",
    "StudentBundle": "treedistill.distill._bundle",
    "TabularSchema": "treedistill.data._schema",
    "teacher_logits": "treedistill.teachers._teachers",
    "to_onnx": "treedistill.export._onnx",
    "to_python": "treedistill.export._python",
    "to_sql": "treedistill.export._sql",
    "TorchExportTeacher": "treedistill.teachers._teachers",
    "total_variation": "treedistill.measures._metrics",
    "train_teacher": "treedistill.teachers._train",
    "weighted_fidelity": "treedistill.measures._weighted",
    "write_predictions": "treedistill.runs._saved",
    "write_shareable_report": "treedistill.runs._shareable",
}

__all__ = sorted([*_PUBLIC, "__version__", "enable_notebook_display"], key=str.lower)


def __getattr__(name: str):
    where = _PUBLIC.get(name)
    if where is None:
        raise AttributeError(f"module 'treedistill' has no attribute {name!r}")
    module, attr = where if isinstance(where, tuple) else (where, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


#: The objects Jupyter shows as HTML (module, class), registered by name so that
#: nothing is imported before one of them is displayed.
_NOTEBOOK_TYPES = (
    ("treedistill.distill._estimators", "DistilledTreeClassifier"),
    ("treedistill.distill._estimators", "DistilledBoostingClassifier"),
    ("treedistill.distill._bundle", "StudentBundle"),
)


def _notebook_html(obj):
    from treedistill.report._notebook import notebook_html

    return notebook_html(obj)


def enable_notebook_display(shell=None) -> bool:
    """Show fitted estimators and saved students as HTML in Jupyter.

    Registers the tree drawing and the headline numbers with IPython's HTML
    formatter (ahead of scikit-learn's own diagram, which unfitted estimators
    keep). Done on ``import treedistill`` when IPython is already running;
    call it when treedistill was imported first. :class:`DistillResult` shows
    itself without it.

    Parameters
    ----------
    shell : IPython shell, default=None
        ``get_ipython()`` when None.

    Returns
    -------
    bool
        Whether an IPython shell was found and the display registered.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        get = getattr(ipython, "get_ipython", None)
        shell = get() if get is not None else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not formatters or "text/html" not in formatters:
        return False
    for module, name in _NOTEBOOK_TYPES:
        formatters["text/html"].for_type_by_name(module, name, _notebook_html)
    return True


if "IPython" in sys.modules:
    enable_notebook_display()
