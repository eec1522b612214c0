"""The whole distillation job as one function: data in, a finished run directory out.

:func:`run_distill` reads a table, splits it (stratified, seeded) into training and
test rows, loads or trains the teacher, optionally sweeps temperature and alpha on a
validation split carved from the training rows, fits the student(s) with the teacher
passed prefit, evaluates them on the test rows, and writes the run directory.

The run directory is built in a hidden temporary sibling and renamed into place only
when every file is written, so an interrupted run never leaves a half-written report
behind; with ``force`` an existing directory is replaced only after the new one is
complete.

Contents of a run directory:

- ``report.html``, ``report.json``, ``report.md``, ``rules.txt`` (the report);
- ``student.json`` (or ``student-tree.json`` and ``student-boosted.json``);
- ``config.json``: every option, the seed, library versions and the sha256 of the
  data and teacher files (deterministic: the same inputs give the same bytes);
- ``timings.json``: wall time per stage and the start time (the only file that
  changes from one identical run to the next);
- ``inputs/`` (only when asked for): a copy of the data file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from treedistill._metrics import fidelity

__all__ = [
    "AUGMENTATIONS",
    "CRITERIA",
    "ENSEMBLE_METHODS",
    "STUDENT_KINDS",
    "DistillOptions",
    "DistillResult",
    "check_out_dir",
    "find_student",
    "library_versions",
    "predict_frame",
    "run_distill",
    "student_file_names",
    "torch_threads",
]

STUDENT_KINDS = ("tree", "boosted", "both")
AUGMENTATIONS = ("munge", "jitter", "box", "none")
CRITERIA = ("entropy", "gini")
ENSEMBLE_METHODS = ("arithmetic", "geometric")
REPORT_FILES = ("report.html", "report.json", "report.md", "rules.txt")
_VERSIONED = ("scikit-learn", "xgboost", "torch", "pandas", "numpy", "shap")

Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------- #
# Options
# --------------------------------------------------------------------------- #
@dataclass
class DistillOptions:
    """Every setting of a distillation run (the options of ``treedistill distill``).

    Field names are the command-line option names with underscores; the checks in
    :meth:`validate` name the option at fault (``--temperature must be > 0``).
    """

    data: str | Path
    target: str
    out: str | Path
    teacher: Sequence[str | Path] = ()
    ensemble_method: str = "arithmetic"
    classes: Sequence[str] | None = None
    trust_pickle: bool = False
    # None: each student's own default (see DistilledTreeClassifier and
    # DistilledBoostingClassifier).
    temperature: float | None = None
    alpha: float = 0.0
    augmentation: str = "munge"
    augment_factor: float | None = None
    student: str = "tree"
    max_leaf_nodes: int | None = 16
    max_depth: int | None = None
    criterion: str = "gini"
    n_estimators: int = 10
    boost_depth: int = 2
    test_size: float = 0.25
    seed: int = 0
    drop: Sequence[str] = ()
    subgroup: Sequence[str] = ()
    sweep: bool = False
    include_values: bool = False
    config: str | Path | None = None
    force: bool = False
    quiet: bool = False
    json: bool = False
    # Not command-line options of ``distill``: the default teacher's size (the
    # ``demo`` and tests use them) and whether to keep a copy of the data file.
    teacher_hidden: Sequence[int] | None = None
    teacher_max_epochs: int | None = None
    copy_data: bool = False

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first option with a bad value."""
        if not str(self.target).strip():
            raise ValueError("--target must name a column, got an empty string")
        _choice("--student", self.student, STUDENT_KINDS)
        _choice("--augmentation", self.augmentation, AUGMENTATIONS)
        _choice("--criterion", self.criterion, CRITERIA)
        _choice("--ensemble-method", self.ensemble_method, ENSEMBLE_METHODS)
        if self.temperature is not None:
            _number("--temperature", self.temperature)
            if not self.temperature > 0:
                raise ValueError(
                    f"--temperature must be > 0, got {_g(self.temperature)}"
                )
        _number("--alpha", self.alpha)
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"--alpha must be in [0, 1], got {_g(self.alpha)}")
        if self.augment_factor is not None:
            _number("--augment-factor", self.augment_factor)
            if not 0 <= self.augment_factor <= 1000:
                raise ValueError(
                    "--augment-factor must be in [0, 1000], got "
                    f"{_g(self.augment_factor)}"
                )
        _number("--test-size", self.test_size)
        if not 0 < self.test_size < 1:
            raise ValueError(
                f"--test-size must be a share of the rows in (0, 1), got "
                f"{_g(self.test_size)}"
            )
        if self.max_leaf_nodes is not None:
            _integer("--max-leaf-nodes", self.max_leaf_nodes, 2)
        if self.max_depth is not None:
            _integer("--max-depth", self.max_depth, 1)
        if self.max_leaf_nodes is None and self.max_depth is None:
            raise ValueError(
                "--max-leaf-nodes or --max-depth must be set: an unbounded tree is "
                "not a readable student"
            )
        _integer("--n-estimators", self.n_estimators, 1)
        _integer("--boost-depth", self.boost_depth, 1)
        _integer("--seed", self.seed, 0)
        if self.teacher_max_epochs is not None:
            _integer("--max-epochs", self.teacher_max_epochs, 1)
        if self.teacher_hidden is not None:
            for width in self.teacher_hidden:
                _integer("--hidden", width, 1)
        if self.teacher and (self.teacher_hidden or self.teacher_max_epochs):
            raise ValueError(
                "the default teacher's size applies only when no --teacher file is given"
            )
        if self.classes is not None and len(self.classes) < 2:
            raise ValueError(
                f"--classes must list at least 2 classes, got {list(self.classes)}"
            )

    def to_dict(self) -> dict:
        """The options as plain JSON values (paths as given, sequences as lists)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, (list, tuple)):
                value = [str(v) if isinstance(v, Path) else v for v in value]
            out[f.name] = value
        return out

    def student_kinds(self) -> list[str]:
        return ["tree", "boosted"] if self.student == "both" else [self.student]


def _g(x) -> str:
    try:
        return f"{float(x):g}"
    except (TypeError, ValueError):
        return repr(x)


def _choice(option: str, value, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{option} must be one of {', '.join(allowed)}; got {value!r}")


def _number(option: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{option} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{option} must be a finite number, got {_g(value)}")


def _integer(option: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{option} must be a whole number, got {value!r}")
    if value < low:
        raise ValueError(f"{option} must be >= {low}, got {value}")


# --------------------------------------------------------------------------- #
# Result
# --------------------------------------------------------------------------- #
@dataclass
class DistillResult:
    """What :func:`run_distill` produced.

    Attributes
    ----------
    out_dir : Path
        The finished run directory.
    files : list of str
        Files written, relative to ``out_dir``, sorted.
    models : dict
        ``"tree"`` / ``"boosted"`` → the fitted distiller.
    fidelity : dict
        Per student: the held-out fidelity numbers (:func:`treedistill.fidelity`).
    sweep : dict
        Per student: the sweep result as a dict (empty without ``sweep``).
    report : dict
        The evaluated report (as written to ``report.json``).
    timings : dict
        Seconds per stage.
    warnings : list of str
        Notes from data preparation and the run, one line each.
    """

    out_dir: Path
    files: list[str]
    models: dict
    fidelity: dict
    sweep: dict
    report: dict
    timings: dict
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """A small JSON-serialisable summary for scripts (``--json``)."""
        students = {}
        for kind, model in self.models.items():
            fid = self.fidelity[kind]
            entry = {
                "agreement": fid["agreement"],
                "agreement_ci": fid["agreement_ci"],
                "kl": fid["kl"],
                "student_accuracy": fid.get("student_accuracy"),
                "teacher_accuracy": fid.get("teacher_accuracy"),
                "n_test": fid["n"],
                "temperature": float(model.temperature),
                "alpha": float(model.alpha),
            }
            if kind == "tree":
                entry["leaves"] = int(model.student_.get_n_leaves())
                entry["depth"] = int(model.student_.get_depth())
            else:
                entry["trees"] = int(model.student_.n_trees())
            students[kind] = entry
        for kind, result in self.sweep.items():
            students[kind]["sweep_reason"] = result["reason"]
        return {
            "run_dir": str(self.out_dir),
            "students": students,
            "files": list(self.files),
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """A few human-readable lines about the run."""
        lines = []
        for kind, entry in self.summary()["students"].items():
            lo, hi = entry["agreement_ci"]
            size = (
                f"{entry['leaves']} leaves, depth {entry['depth']}"
                if kind == "tree"
                else f"{entry['trees']} trees"
            )
            lines.append(
                f"{kind} student ({size}): agrees with the teacher on "
                f"{entry['agreement']:.1%} of {entry['n_test']} held-out rows "
                f"(95% CI {lo:.1%}-{hi:.1%})"
            )
            if "sweep_reason" in entry:
                lines.append(f"  sweep: {entry['sweep_reason']}")
        lines.append(f"report: {Path(self.out_dir) / 'report.html'}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
def student_file_names(kinds: Sequence[str]) -> dict[str, str]:
    """File name of each student in a run directory."""
    if len(kinds) == 1:
        return {kinds[0]: "student.json"}
    return {kind: f"student-{kind}.json" for kind in kinds}


def library_versions() -> dict[str, str]:
    """Versions of Python, treedistill and the libraries a run depends on."""
    from treedistill import __version__

    out = {"python": sys.version.split()[0], "treedistill": __version__}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def torch_threads(n: int = 1):
    """Run a block with ``n`` torch threads (see ``treedistill._mlp.torch_threads``).

    Imported lazily so that the command line starts without loading torch.
    """
    from treedistill._mlp import torch_threads as _torch_threads

    return _torch_threads(n)


def check_out_dir(
    out: str | Path,
    force: bool,
    *,
    keep: Sequence[str | Path] = (),
    option: str = "--out",
) -> Path:
    """Check that a run directory may be written at ``out``; return the path.

    An existing non-empty directory is refused unless ``force``; even with
    ``force``, only a previous run directory (one holding ``report.json`` or
    ``config.json``) is replaced, never the current folder or one that holds a
    file in ``keep`` (the data and teacher files), so ``--force`` cannot delete
    an unrelated folder.
    """
    out = Path(out)
    if not (out.exists() or out.is_symlink()):
        return out
    if not out.is_dir():
        raise ValueError(f"{option} {str(out)!r} exists and is not a directory")
    if not any(out.iterdir()):
        return out
    if not force:
        raise ValueError(
            f"output directory {str(out)!r} already exists and is not empty; "
            "pass --force to replace it"
        )
    where = out.resolve()
    if where == Path.cwd().resolve() or where in Path.cwd().resolve().parents:
        raise ValueError(
            f"{option} {str(out)!r} is the current folder or holds it; refusing to "
            "replace it, even with --force"
        )
    for item in keep:
        if where in Path(item).resolve().parents:
            raise ValueError(
                f"{option} {str(out)!r} holds the input file {str(item)!r}, which "
                "--force would delete; write the run elsewhere"
            )
    if not ((out / "report.json").is_file() or (out / "config.json").is_file()):
        raise ValueError(
            f"output directory {str(out)!r} is not empty and is not a treedistill "
            "run directory (no report.json or config.json); refusing to replace it, "
            "even with --force"
        )
    return out


class _Staging:
    """A hidden temporary sibling of ``out`` that is renamed into place at the end."""

    def __init__(self, out: Path):
        self.out = out
        parent = out.parent if str(out.parent) else Path(".")
        parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))

    def publish(self) -> None:
        out = self.out
        if out.exists() or out.is_symlink():
            old = Path(
                tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=self.path.parent)
            )
            old.rmdir()
            os.replace(out, old)
            try:
                os.replace(self.path, out)
            except BaseException:
                os.replace(old, out)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.path, out)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _json_text(obj) -> str:
    return json.dumps(_plain(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _plain(obj):
    """Convert numpy scalars / arrays and NaN to JSON-safe Python values."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_plain(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _split(X: pd.DataFrame, y: np.ndarray, test_size: float, seed: int):
    n = len(y)
    classes, counts = np.unique(y, return_counts=True)
    n_test = math.ceil(test_size * n)
    n_train = n - n_test
    k = len(classes)
    if n_test < k or n_train < k:
        raise ValueError(
            f"--test-size {_g(test_size)} splits {n} rows into {n_train} training and "
            f"{n_test} test rows; each needs at least one row per class ({k} classes)"
        )
    stratify = y if counts.min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    return X_train, X_test, np.asarray(y_train), np.asarray(y_test)


def _teacher_columns(teacher) -> list[str] | None:
    names = getattr(teacher, "feature_names_in_", None)
    if names is None and hasattr(teacher, "teachers_"):
        for member in teacher.teachers_:
            names = getattr(member, "feature_names_in_", None)
            if names is not None:
                break
    if names is None and getattr(teacher, "feature_names", None) is not None:
        names = teacher.feature_names
    return None if names is None else [str(n) for n in names]


def _align_to_teacher(teacher, X: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Keep the columns the teacher reads, in its order; refuse missing ones."""
    wanted = _teacher_columns(teacher)
    if wanted is None:
        n_in = getattr(teacher, "n_features_in_", None)
        if n_in is not None and int(n_in) != X.shape[1]:
            raise ValueError(
                f"the teacher expects {int(n_in)} feature columns but the data has "
                f"{X.shape[1]} after removing the target and --drop columns"
            )
        return X
    missing = [c for c in wanted if c not in X.columns]
    if missing:
        raise ValueError(
            f"column {missing[0]!r} that the teacher needs is not in the data "
            f"({len(missing)} missing; was it removed by --drop?)"
        )
    extra = [c for c in X.columns if c not in wanted]
    if extra:
        notes.append(
            f"{len(extra)} column(s) the teacher does not read are left out of the "
            f"student too: {', '.join(extra)}"
        )
    return X[wanted]


def _check_teacher_classes(teacher, y: np.ndarray) -> None:
    known = set(np.asarray(teacher.classes_).tolist())
    unknown = sorted({v for v in y.tolist() if v not in known}, key=str)
    if unknown:
        raise ValueError(
            f"the target holds label {unknown[0]!r}, which the teacher does not know "
            f"(its classes: {np.asarray(teacher.classes_).tolist()}); pass --classes "
            "in the teacher's output order if its labels are names"
        )


_UNSEEN_WARNING = r"column .* not seen in training"


def _unseen_categories(schema, X: pd.DataFrame) -> list[str]:
    """One note per categorical column of ``X`` holding levels training never saw.

    Such rows are kept and scored: they match no category of the students (every
    0/1 column of that column is 0), and the teacher sees them as they are.
    """
    notes = []
    for col in schema.columns:
        if not col.is_categorical or col.name not in X.columns:
            continue
        present = X[col.name].dropna()
        new = present[~present.isin(list(col.levels))]
        if new.empty:
            continue
        examples = ", ".join(repr(str(v)) for v in sorted({str(v) for v in new})[:3])
        notes.append(
            f"column {col.name!r}: {len(new)} held-out row(s) hold categories not "
            f"seen in training ({examples}); they match no category of the student "
            "(kept and scored)"
        )
    return notes


def _student_params(model) -> dict:
    """Every parameter a student was fit with (its own defaults resolved)."""
    params = model.get_params(deep=False)
    params.pop("teacher", None)
    return _plain(params)


def _make_distiller(kind: str, teacher, opts: DistillOptions):
    from treedistill._estimators import (
        DistilledBoostingClassifier,
        DistilledTreeClassifier,
    )

    common = dict(
        alpha=float(opts.alpha),
        augmentation=opts.augmentation,
        random_state=int(opts.seed),
    )
    # Unset options keep each student's own default.
    if opts.temperature is not None:
        common["temperature"] = float(opts.temperature)
    if opts.augment_factor is not None:
        common["augment_factor"] = float(opts.augment_factor)
    if kind == "tree":
        return DistilledTreeClassifier(
            teacher,
            criterion=opts.criterion,
            max_depth=opts.max_depth,
            max_leaf_nodes=opts.max_leaf_nodes,
            **common,
        )
    return DistilledBoostingClassifier(
        teacher,
        n_estimators=int(opts.n_estimators),
        max_depth=int(opts.boost_depth),
        **common,
    )


def _train_default_teacher(opts: DistillOptions, X, y):
    from treedistill._mlp import MLPTeacher

    params = {"random_state": int(opts.seed)}
    if opts.teacher_hidden is not None:
        params["hidden_layer_sizes"] = tuple(int(h) for h in opts.teacher_hidden)
    if opts.teacher_max_epochs is not None:
        params["max_epochs"] = int(opts.teacher_max_epochs)
    return MLPTeacher(**params).fit(X, y)


def _data_for_report(summary: dict, **head) -> dict:
    """The data summary shaped for the report: per-column facts as table rows.

    Keys of ``summary`` that are not reshaped here are passed through as they are;
    its warnings are left out (the run's notes carry them).
    """
    summary = _plain(summary)
    out = dict(head)
    columns = summary.pop("columns", {}) or {}
    cleaning = dict(summary.pop("cleaning", {}) or {})
    by_column = cleaning.pop("by_column", {}) or {}
    summary.pop("warnings", None)
    summary.pop("features", None)
    summary.pop("source", None)
    summary.pop("target", None)
    fields = ["kind", "action", "n_missing", "missing_share", "n_levels"]
    extra = sorted({k for c in by_column.values() for k in c})
    rows = []
    for name, info in columns.items():
        row = {"column": name}
        row.update({f: info.get(f) for f in fields})
        row.update({k: (by_column.get(name) or {}).get(k) for k in extra})
        row.update({k: v for k, v in info.items() if k not in row})
        rows.append(row)
    out.update(
        {
            key: summary.pop(key)
            for key in ("rows_in", "rows_used", "rows_dropped")
            if key in summary
        }
    )
    dropped = summary.pop("dropped_columns", {}) or {}
    if isinstance(dropped, dict):
        dropped = [{"column": k, "reason": v} for k, v in dropped.items()]
    out["columns"] = rows
    out["dropped_columns"] = dropped
    out["cleaning"] = {k: v for k, v in cleaning.items() if v not in (0, [], {}, None)}
    out.update(summary)
    return out


def _teacher_description(teacher) -> str:
    if hasattr(teacher, "teachers_"):
        inner = ", ".join(type(t).__name__ for t in teacher.teachers_)
        return f"EnsembleTeacher({teacher.method}: {inner})"
    return type(teacher).__name__


# --------------------------------------------------------------------------- #
# The run
# --------------------------------------------------------------------------- #
def run_distill(
    options: DistillOptions,
    *,
    progress: Progress | None = None,
) -> DistillResult:
    """Run a whole distillation and write its run directory.

    Parameters
    ----------
    options : DistillOptions
        The settings (see ``treedistill distill --help``).
    progress : callable, optional
        Called as ``progress(stage, index, total)`` when each stage starts.

    Returns
    -------
    DistillResult

    Raises
    ------
    ValueError
        On a bad option, unreadable data or teacher, or an output directory that
        exists and is not empty (without ``force``). Nothing is written then.
    """
    opts = options
    opts.validate()
    out = check_out_dir(opts.out, opts.force, keep=[opts.data, *opts.teacher])
    with torch_threads(1), warnings.catch_warnings():
        # Held-out rows with categories training never saw are reported once, as
        # a note naming the column (see _unseen_categories), not once per encoding.
        warnings.filterwarnings("ignore", message=_UNSEEN_WARNING, category=UserWarning)
        return _distill(opts, out, progress)


def _distill(opts: DistillOptions, out: Path, progress: Progress | None):
    from treedistill._bundle import save_student
    from treedistill._io import (
        atomic_write_text,
        load_teacher,
        prepare_data,
        read_table,
        sha256_file,
    )

    data_path = Path(opts.data)
    teacher_paths = [Path(p) for p in opts.teacher]
    kinds = opts.student_kinds()

    stages = ["read data", "split", "teacher"]
    if opts.sweep:
        stages.append("sweep")
    stages += [f"{kind} student" for kind in kinds] + ["evaluate", "write"]
    timings: dict[str, float] = {}
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    clock = {"stage": None, "t": 0.0}

    def stage(name: str) -> None:
        now = time.perf_counter()
        if clock["stage"] is not None:
            timings[clock["stage"]] = round(now - clock["t"], 4)
        clock.update(stage=name, t=now)
        if progress is not None and name is not None:
            progress(name, stages.index(name), len(stages))

    t0 = time.perf_counter()
    notes: list[str] = []

    # ---------------------------------------------------------------- data
    stage("read data")
    frame = read_table(data_path)
    X, y, data_summary = prepare_data(
        frame, opts.target, drop=tuple(opts.drop), source=data_path.name
    )
    y = np.asarray(y)
    notes.extend(str(w) for w in data_summary.get("warnings", []))
    for name in opts.subgroup:
        if name not in X.columns:
            raise ValueError(
                f"--subgroup column {name!r} is not a feature column of the data"
            )

    # --------------------------------------------------------------- split
    stage("split")
    X_train, X_test, y_train, y_test = _split(
        X, y, float(opts.test_size), int(opts.seed)
    )

    # ------------------------------------------------------------- teacher
    stage("teacher")
    if teacher_paths:
        # Only a torch.export program needs to be told the column order; other
        # models know the columns they were fit on.
        exported = any(p.suffix.lower() == ".pt2" for p in teacher_paths)
        teacher = load_teacher(
            teacher_paths,
            trust_pickle=bool(opts.trust_pickle),
            ensemble=opts.ensemble_method,
            classes=None if opts.classes is None else list(opts.classes),
            feature_names=list(X.columns) if exported else None,
        )
        X_train = _align_to_teacher(teacher, X_train, notes)
        X_test = X_test[list(X_train.columns)]
        teacher_info = {
            "source": "files",
            "files": [
                {"name": p.name, "sha256": sha256_file(p)} for p in teacher_paths
            ],
        }
    else:
        teacher = _train_default_teacher(opts, X_train, y_train)
        teacher_info = {
            "source": "trained on the training rows",
            "params": _plain(
                {
                    k: v
                    for k, v in teacher.get_params().items()
                    if isinstance(v, (int, float, str, tuple, list, type(None)))
                }
            ),
        }
    _check_teacher_classes(teacher, y)
    teacher_info["model"] = _teacher_description(teacher)
    teacher_info["classes"] = _plain(np.asarray(teacher.classes_))

    # --------------------------------------------------------------- sweep
    settings = {}
    for kind in kinds:
        defaults = _make_distiller(kind, teacher, opts)
        settings[kind] = (float(defaults.temperature), float(defaults.alpha))
    sweeps: dict[str, dict] = {}
    if opts.sweep:
        from treedistill._sweep import sweep_temperature_alpha

        stage("sweep")
        for kind in kinds:
            result = sweep_temperature_alpha(
                _make_distiller(kind, teacher, opts),
                X_train,
                y_train,
                random_state=int(opts.seed),
            )
            settings[kind] = (result.temperature, result.alpha)
            sweeps[kind] = result.to_dict()

    # ------------------------------------------------------------ students
    models = {}
    for kind in kinds:
        stage(f"{kind} student")
        model = _make_distiller(kind, teacher, opts)
        t, a = settings[kind]
        model.set_params(temperature=t, alpha=a)
        models[kind] = model.fit(X_train, y_train)

    # ------------------------------------------------------------ evaluate
    stage("evaluate")
    notes.extend(_unseen_categories(next(iter(models.values())).schema_, X_test))
    from treedistill.report import evaluate, report_json, write_report

    fidelities = {}
    for kind, model in models.items():
        y_index = np.searchsorted(model.classes_, y_test)
        fidelities[kind] = fidelity(
            model.teacher_proba(X_test),
            model.predict_proba(X_test),
            y_index,
            random_state=int(opts.seed),
        )

    option_values = opts.to_dict()
    for key in ("out", "config", "force", "quiet", "json", "copy_data"):
        option_values.pop(key)
    option_values["data"] = data_path.name
    option_values["teacher"] = [p.name for p in teacher_paths]
    run_info = {
        "data": _data_for_report(
            data_summary,
            file=data_path.name,
            sha256=sha256_file(data_path),
            target=opts.target,
        ),
        "split": {
            "test_size": float(opts.test_size),
            "seed": int(opts.seed),
            "n_train": int(len(y_train)),
            "n_test": int(len(y_test)),
            "stratified": True,
        },
        "teacher": teacher_info,
        "options": _plain(option_values),
        "students": {kind: _student_params(models[kind]) for kind in kinds},
        "notes": list(notes),
    }
    if sweeps:
        run_info["sweep"] = _plain(sweeps)
    report = evaluate(
        models,
        X_test,
        y_test,
        X_train,
        y_train,
        subgroups=list(opts.subgroup) or None,
        include_values=bool(opts.include_values),
        random_state=int(opts.seed),
        run_info=run_info,
    )
    # Render from exactly what report.json holds, so that `treedistill report`
    # re-renders the same files from it.
    report = json.loads(report_json(report))

    # --------------------------------------------------------------- write
    stage("write")
    staging = _Staging(out)
    try:
        written = [Path(p).name for p in write_report(report, staging.path)]
        names = student_file_names(kinds)
        for kind, model in models.items():
            save_student(
                model,
                staging.path / names[kind],
                metadata=_plain(
                    {
                        "data": data_path.name,
                        "data_sha256": run_info["data"]["sha256"],
                        "target": opts.target,
                        "seed": int(opts.seed),
                        "held_out_fidelity": fidelities[kind],
                    }
                ),
            )
            written.append(names[kind])
        if opts.copy_data:
            inputs = staging.path / "inputs"
            inputs.mkdir()
            shutil.copyfile(data_path, inputs / data_path.name)
            written.append(f"inputs/{data_path.name}")
        recorded = opts.to_dict()
        data_recorded = str(data_path)
        if opts.copy_data:
            # The copy in the run directory is the lasting one.
            data_recorded = recorded["data"] = f"inputs/{data_path.name}"
        config = {
            "command": "distill",
            "options": recorded,
            "seed": int(opts.seed),
            "resolved": {
                kind: {**_student_params(models[kind]), "file": names[kind]}
                for kind in kinds
            },
            "data": {"path": data_recorded, "sha256": run_info["data"]["sha256"]},
            "teachers": [
                {"path": str(p), "sha256": f["sha256"]}
                for p, f in zip(
                    teacher_paths, teacher_info.get("files", []), strict=True
                )
            ],
            "teacher": teacher_info,
            "versions": library_versions(),
        }
        if sweeps:
            config["sweep"] = _plain(sweeps)
        written += ["config.json", "timings.json"]
        atomic_write_text(staging.path / "config.json", _json_text(config))
        stage(None)
        timings_doc = {
            "started_at": started_at,
            "stages_seconds": dict(timings),
            "total_seconds": round(time.perf_counter() - t0, 4),
        }
        atomic_write_text(staging.path / "timings.json", _json_text(timings_doc))
        staging.publish()
    except BaseException:
        staging.discard()
        raise

    return DistillResult(
        out_dir=out,
        files=sorted(set(written)),
        models=models,
        fidelity=fidelities,
        sweep=sweeps,
        report=report,
        timings=dict(timings),
        warnings=notes,
    )


# --------------------------------------------------------------------------- #
# Saved students: locate and predict
# --------------------------------------------------------------------------- #
def find_student(path: str | Path, kind: str | None = None) -> Path:
    """The student file of a run directory (or ``path`` itself if it is a file).

    Parameters
    ----------
    path : str or Path
        A ``student*.json`` file or a run directory.
    kind : {"tree", "boosted"}, optional
        Which student of a run directory that holds both (default: the tree).
    """
    path = Path(path)
    if path.is_file():
        return path
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} does not exist")
    single = path / "student.json"
    if single.is_file():
        if kind is not None:
            bundle_kind = _bundle_kind(single)
            if bundle_kind is not None and bundle_kind != kind:
                raise ValueError(
                    f"run directory {str(path)!r} holds a {bundle_kind} student, "
                    f"not a {kind} one"
                )
        return single
    candidate = path / f"student-{kind or 'tree'}.json"
    if candidate.is_file():
        return candidate
    found = sorted(p.name for p in path.glob("student*.json"))
    if found and kind is None:
        return path / found[0]
    raise ValueError(
        f"{str(path)!r} holds no "
        f"{'student' if kind is None else kind + ' student'} file "
        "(student.json, student-tree.json or student-boosted.json)"
    )


def _bundle_kind(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def predict_frame(bundle, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns ``prediction``, ``proba_<class>`` and ``rule_id``.

    ``rule_id`` (the leaf a row falls in) is added for tree students only. Column
    names already in ``frame`` are refused rather than overwritten.
    """
    classes = list(np.asarray(bundle.classes_).tolist())
    added = ["prediction"] + [f"proba_{c}" for c in classes]
    if bundle.kind == "tree":
        added.append("rule_id")
    clash = [c for c in added if c in frame.columns]
    if clash:
        raise ValueError(
            f"the data already has a column {clash[0]!r}; rename it before predicting"
        )
    proba = np.asarray(bundle.predict_proba(frame), dtype=np.float64)
    out = frame.copy()
    out["prediction"] = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    for j, c in enumerate(classes):
        out[f"proba_{c}"] = proba[:, j]
    if bundle.kind == "tree":
        with warnings.catch_warnings():
            # the same rows were just encoded, and any unseen category warned about
            warnings.filterwarnings(
                "ignore", message=_UNSEEN_WARNING, category=UserWarning
            )
            out["rule_id"] = np.asarray(bundle.apply(frame), dtype=np.int64)
    return out
