"""Finished runs: find and load a saved student, predict with it, re-render a report."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._text import csv_safe_frame
from treedistill.distill._rules import rule_numbers
from treedistill.exceptions import (
    DataError,
    DataWarning,
    ParameterError,
    SavedRunError,
    UnseenCategoryWarning,
)
from treedistill.runs._outdir import (
    Staging,
    check_out_dir,
    refresh_marker,
    write_new_file,
)
from treedistill.runs._verify import check_run_of, read_record, verify_run

__all__ = [
    "REPORT_KEYS",
    "find_student",
    "ignored_columns",
    "load_run_student",
    "predict_frame",
    "predict_saved",
    "read_report",
    "render_report",
    "write_predictions",
]

#: Top-level keys every report.json of the current schema holds.
REPORT_KEYS = ("schema_version", "summary", "data", "fidelity", "models", "run")
STUDENT_KINDS = ("tree", "boosted")
#: The files ``render_report`` writes from report.json (re-created when missing).
RENDERED = ("report.html", "report.md", "rules.txt")


def _q(path) -> str:
    return repr(os.fspath(path))


# --------------------------------------------------------------------------- #
# Saved students
# --------------------------------------------------------------------------- #
def find_student(path: str | os.PathLike, kind: str | None = None) -> Path:
    """The student file of a run directory (or ``path`` itself if it is a file).

    Parameters
    ----------
    path : str or Path
        A ``student*.json`` file or a run directory.
    kind : {"tree", "boosted"}, optional
        Which student of a run directory that holds both (default: the tree).

    Raises
    ------
    SavedRunError
        ``path`` does not exist, or holds no student (of ``kind``).
    """
    if kind is not None and kind not in STUDENT_KINDS:
        raise ParameterError(
            f"kind must be one of {', '.join(STUDENT_KINDS)}; got {kind!r}",
            parameter="kind",
        )
    path = Path(path)
    if path.is_file():
        return path
    if not path.exists():
        raise SavedRunError(f"{_q(path)} does not exist", path=path)
    single = path / "student.json"
    if single.is_file():
        found_kind = _bundle_kind(single)
        if kind is not None and found_kind is not None and found_kind != kind:
            raise SavedRunError(
                f"run directory {_q(path)} holds a {found_kind} student, not a {kind} one",
                path=path,
            )
        return single
    candidate = path / f"student-{kind or 'tree'}.json"
    if candidate.is_file():
        return candidate
    found = sorted(p.name for p in path.glob("student*.json"))
    if found and kind is None:
        return path / found[0]
    what = "student" if kind is None else f"{kind} student"
    raise SavedRunError(
        f"{_q(path)} holds no {what} file "
        "(student.json, student-tree.json or student-boosted.json)",
        path=path,
    )


def _bundle_kind(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def load_run_student(path: str | os.PathLike, kind: str | None = None):
    """Load the student of a run directory or a student file (a ``StudentBundle``).

    A run directory, or a student file its record lists, is first checked against
    that record: a file changed since the run is refused, naming it."""
    from treedistill.distill._bundle import load_student

    check_run_of(path)
    return load_student(find_student(path, kind))


# --------------------------------------------------------------------------- #
# Predicting
# --------------------------------------------------------------------------- #
def predict_frame(bundle, frame: pd.DataFrame, *, flag: dict | None = None):
    """``frame`` with the columns ``prediction``, ``proba_<class>`` and ``rule_id``.

    With class names (``class_names`` of the run or the student),
    ``prediction`` holds the class's name and the probability columns are named
    for the names, in the classes' display order (``proba_die``, ``proba_live``);
    without, the labels (see :func:`output_classes`).
    ``rule_id`` (the number of the rule a row falls under, as in ``rules.txt``,
    the report and :func:`treedistill.rule_numbers`) is added for tree students
    only. ``flag`` (from :func:`treedistill.runs._flags.resolve_flagging`) adds
    ``flagged``: 1 for a flagged row, 0 otherwise, and at a flag rate the share
    of the remaining flags for rows tied at the cut (see
    :mod:`treedistill.runs._flags`); ``attrs["flag"]`` then holds the operating
    point, the probability cut and the number of rows flagged. Column
    names already in ``frame`` are refused rather than overwritten.
    """
    classes = list(np.asarray(bundle.classes_).tolist())
    shown, order = output_classes(bundle)
    added = ["prediction"] + [f"proba_{shown[j]}" for j in order]
    if bundle.kind == "tree":
        added.append("rule_id")
    if flag is not None:
        added.append("flagged")
    clash = [c for c in added if c in frame.columns]
    if clash:
        raise DataError(
            f"the data already has a column {clash[0]!r}; rename it before predicting",
            column=clash[0],
        )
    _warn_unseen_missing(bundle, frame)
    proba = np.asarray(bundle.predict_proba(frame), dtype=np.float64)
    out = frame.copy()
    out["prediction"] = np.asarray(shown, dtype=object)[np.argmax(proba, axis=1)]
    for j in order:
        out[f"proba_{shown[j]}"] = proba[:, j]
    if bundle.kind == "tree":
        with warnings.catch_warnings():
            # the same rows were just encoded, and any unseen category warned about
            warnings.filterwarnings("ignore", category=UnseenCategoryWarning)
            leaves = bundle.apply(frame)
        number = rule_numbers(bundle)
        lookup = np.zeros(max(number) + 1, dtype=np.int64)
        lookup[list(number)] = list(number.values())
        out["rule_id"] = lookup[np.asarray(leaves, dtype=np.intp)]
    if flag is not None:
        index = classes.index(flag["positive"])
        _add_flags(out, proba[:, index], {**flag, "positive_name": shown[index]})
    return out


def output_classes(bundle) -> tuple[list, list[int]]:
    """What ``prediction`` holds for each class (in ``classes_`` order) and the
    order of the ``proba_<class>`` columns (positions in ``classes_``).

    With class names recorded (``class_names`` of the run or the student), the
    names, else the labels; the display order recorded, else the labels' order.
    """
    classes = list(np.asarray(bundle.classes_).tolist())
    names = getattr(bundle, "class_names_", None)
    order = getattr(bundle, "class_order_", None)
    if names is None or order is None:
        return classes, list(range(len(classes)))
    names, order = [str(n) for n in names], [int(i) for i in order]
    if names == [str(c) for c in classes] or len(set(names)) != len(names):
        names = classes
    return names, order


def positive_label(bundle, positive_class):
    """``positive_class`` as a label of ``bundle``: a class's name (from
    ``class_names``) names its label; anything else is given back as it is."""
    if positive_class is None:
        return None
    classes = list(np.asarray(bundle.classes_).tolist())
    if any(c == positive_class or str(c) == str(positive_class) for c in classes):
        return positive_class
    shown, _ = output_classes(bundle)
    named = [
        c
        for c, name in zip(classes, shown, strict=True)
        if str(name) == str(positive_class)
    ]
    return named[0] if len(named) == 1 else positive_class


def unseen_missing(bundle, frame: pd.DataFrame) -> tuple[int, dict[str, int]]:
    """Rows of ``frame`` with a missing value in a column that had none in
    training, and the count per such column (most first)."""
    columns = [
        c.name
        for c in bundle.schema_.columns
        if not c.has_missing and c.name in frame.columns
    ]
    if not columns or frame.empty:
        return 0, {}
    blank = frame[columns].isna()
    counts = blank.sum()
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    return int(blank.any(axis=1).sum()), {str(k): int(v) for k, v in counts.items()}


def _warn_unseen_missing(bundle, frame: pd.DataFrame) -> None:
    rows, counts = unseen_missing(bundle, frame)
    if not rows:
        return
    shown = ", ".join(f"{k} {v}" for k, v in list(counts.items())[:6])
    more = f" and {len(counts) - 6} more" if len(counts) > 6 else ""
    first = next(iter(counts))
    warnings.warn(
        f"{rows} of {len(frame)} rows have a missing value in a column that had "
        f"none in training ({shown}{more}): the student never saw such rows; each "
        f'follows the rule that says so ("... or {first} is missing"), check '
        "these rows",
        DataWarning,
        stacklevel=3,
    )


def _add_flags(out: pd.DataFrame, score: np.ndarray, flag: dict) -> None:
    from treedistill.runs._flags import flag_rows

    weights, cut = flag_rows(score, flag)
    whole = bool(np.all((weights == 0) | (weights == 1)))
    out["flagged"] = weights.astype(np.int64) if whole else weights
    out.attrs["flag"] = {
        **flag,
        "cut": cut,
        "n_flagged": float(weights.sum()),
        "n_tied": int(np.sum((weights > 0) & (weights < 1))),
    }


def ignored_columns(bundle, frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` the student does not read."""
    return [str(c) for c in frame.columns if str(c) not in bundle.schema_.names]


def predict_saved(
    student: str | os.PathLike,
    data,
    *,
    kind: str | None = None,
    threshold=None,
    flag_rate=None,
    positive_class=None,
):
    """Predict ``data`` (a table file or a DataFrame) with the student of a run
    directory or a student file: the rows with the columns of :func:`predict_frame`
    added.

    ``threshold`` or ``flag_rate`` (a number, or ``"run"`` for the run's own, read
    from its report.json) adds the ``flagged`` column for ``positive_class``
    (default: the run's positive class; a label or, with class names, a name)."""
    from treedistill.data._tables import read_table
    from treedistill.runs._flags import resolve_flagging, run_operating_points

    bundle = load_run_student(student, kind)
    frame = data if isinstance(data, pd.DataFrame) else read_table(data)
    flag = resolve_flagging(
        list(np.asarray(bundle.classes_).tolist()),
        threshold=threshold,
        flag_rate=flag_rate,
        positive_class=positive_label(bundle, positive_class),
        ops=run_operating_points(student),
    )
    return predict_frame(bundle, frame, flag=flag)


def write_predictions(frame: pd.DataFrame, out, *, force: bool = False) -> Path:
    """Write predictions as CSV, safe to open in a spreadsheet, never replacing a
    file unless ``force`` (text cells that would run as formulas get a leading
    apostrophe; numbers stay numbers)."""
    text = csv_safe_frame(frame).to_csv(index=False)
    return write_new_file(out, text.encode("utf-8"), force=force)


# --------------------------------------------------------------------------- #
# Reports
# --------------------------------------------------------------------------- #
def read_report(run_dir: str | os.PathLike) -> dict:
    """The report of a run directory, checked against its schema version.

    Raises
    ------
    SavedRunError
        No such directory, no ``report.json``, a file changed since the run (when
        the directory holds the run's record), not JSON, another schema version,
        or a key of the schema missing (named).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SavedRunError(f"run directory {_q(run_dir)} does not exist", path=run_dir)
    check_run_of(run_dir)
    return _report_doc(run_dir)


def run_json(run_dir: Path, name: str, what: str) -> dict:
    """The JSON object in the run's file ``name`` (``what`` it should hold, for
    the messages); :class:`SavedRunError` names the file at fault."""
    source = run_dir / name
    if not source.is_file():
        raise SavedRunError(
            f"{_q(run_dir)} has no {name}: is it a treedistill run directory?",
            path=run_dir,
        )
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SavedRunError(
            f"{_q(source)} is not valid JSON ({exc})", path=source
        ) from None
    if not isinstance(doc, dict):
        raise SavedRunError(f"{_q(source)} does not hold a {what} object", path=source)
    return doc


def _report_doc(run_dir: Path) -> dict:
    from treedistill.report import SCHEMA_VERSION

    source = run_dir / "report.json"
    doc = run_json(run_dir, "report.json", "report")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SavedRunError(
            f"{_q(source)} has schema_version {version!r}; this version of treedistill "
            f"reads schema_version {SCHEMA_VERSION!r} (re-run distill to rebuild it)",
            path=source,
        )
    missing = [key for key in REPORT_KEYS if key not in doc]
    if missing:
        raise SavedRunError(
            f"{_q(source)} lacks {', '.join(map(repr, missing))} of schema_version "
            f"{SCHEMA_VERSION!r}: it was changed or is incomplete",
            path=source,
        )
    return doc


def _render(doc: dict, folder: Path, source: Path) -> list[Path]:
    import jinja2

    from treedistill.report import write_report

    try:
        return write_report(doc, folder)
    except KeyError as exc:
        raise SavedRunError(
            f"{_q(source)} lacks the entry {exc.args[0]!r} that the report needs: it "
            "was changed or is incomplete",
            path=source,
        ) from None
    except jinja2.UndefinedError as exc:
        raise SavedRunError(
            f"{_q(source)} lacks an entry that the report needs ({exc}): it was "
            "changed or is incomplete",
            path=source,
        ) from None
    except (TypeError, AttributeError, IndexError, ValueError) as exc:
        raise SavedRunError(
            f"{_q(source)} holds an entry of the wrong form ({type(exc).__name__}: "
            f"{exc}): it was changed or is incomplete",
            path=source,
        ) from None


def render_report(
    run_dir: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
) -> list[Path]:
    """Re-render report.html, report.md and rules.txt from a run's report.json.

    Every file of the run is first checked against the run's record (a changed
    file is refused, naming it; a folder without the record is refused); the
    rendered files alone may be missing. Without ``out`` (or with ``out`` the run
    directory) the run's own report files are rewritten and the record updated
    for them alone. Otherwise ``out`` follows the rule of every output folder: new
    or empty, or with ``force`` a report folder treedistill wrote (never a run);
    it is written whole or not at all.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SavedRunError(f"run directory {_q(run_dir)} does not exist", path=run_dir)
    if read_record(run_dir) is None and not (run_dir / "report.json").is_file():
        _report_doc(run_dir)  # names the missing report.json
    verify_run(run_dir, may_be_missing=RENDERED)
    doc = _report_doc(run_dir)
    source = run_dir / "report.json"
    if out is None or (Path(out).exists() and os.path.samefile(out, run_dir)):
        written = _render(doc, run_dir, source)
        refresh_marker(run_dir, [Path(p).name for p in written])
        return written
    target = check_out_dir(out, force, keep=[source], replaces=("report",))
    staging = Staging(target, force=force, kind="report", replaces=("report",))
    try:
        names = [p.name for p in _render(doc, staging.path, source)]
        staging.publish()
    except BaseException:
        staging.discard()
        raise
    return [target / name for name in names]
