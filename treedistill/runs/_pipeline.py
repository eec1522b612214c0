"""The single-machine distillation job: data in, a finished run directory out.

:func:`treedistill.run_distill` (in :mod:`treedistill.runs._run`) reads a table, splits it (stratified, seeded) into training and
test rows, loads or trains the teacher, optionally sweeps temperature and alpha on a
validation split carved from the training rows, fits the student(s) with the teacher
passed prefit, evaluates them on the test rows, and writes the run directory.

The run directory is built in a hidden sibling and renamed into place only when
every file is written (see :mod:`treedistill.runs._outdir`), so an interrupted run never
leaves a half-written report behind.

Contents of a run directory:

- ``report.html``, ``report.json``, ``report.md``, ``rules.txt`` (the report);
- ``student.json`` (or ``student-tree.json`` and ``student-boosted.json``);
- ``config.json``: every parameter, the seed, library versions, the data path as
  given and absolute, and the sha256 of the data and teacher files (deterministic:
  the same inputs give the same bytes);
- ``teacher.pt`` (when the run trained its teacher): that teacher, in the format
  :func:`~treedistill.load_teacher` reads without pickle; a teacher given as files
  is recorded by absolute path and sha256 in config.json instead;
- ``held_out_rows.csv``: the held-out rows, one a line in the report's order, by
  row number (from 1, in data order: column ``row``) or by the ``row_id`` column;
- ``timings.json``: wall time per stage and the start time (the only file that
  changes from one identical run to the next);
- ``inputs/`` (only when asked for): a copy of the data file;
- ``.treedistill-run.json``: the sha256 of every file above (what ``force`` checks).
"""

from __future__ import annotations

import json
import math
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from treedistill.common._files import atomic_write_text, sha256_file
from treedistill.common._json import dumps, plain
from treedistill.common._text import name_list
from treedistill.distill._options import DistillParams
from treedistill.exceptions import (
    DataError,
    DataWarning,
    IdentifierColumnWarning,
    LeakageWarning,
    ParameterError,
    TeacherError,
    TeacherOverlapWarning,
    TeacherSchemaWarning,
    TreedistillError,
    TreedistillWarning,
    UnseenCategoryWarning,
)
from treedistill.runs._controls import (
    check_columns,
    control_sections,
    fit_weights,
    read_weights,
    split_weights,
)
from treedistill.runs._outdir import (
    WRITE_ERRORS,
    Staging,
    clean_stale_staging,
    output_error,
)
from treedistill.runs._record import (
    data_for_report,
    run_config,
    student_file_names,
    student_record,
    teacher_classes,
    teacher_description,
    unseen_category_notes,
)
from treedistill.runs._result import DistillResult
from treedistill.teachers._train import torch_threads, train_teacher

__all__ = ["evaluate_run", "finish_run", "staged_run"]

Progress = Callable[[str, int, int], None]


class _Clock:
    """Times each stage and reports its start to ``progress``."""

    def __init__(self, stages: list[str], progress: Progress | None):
        self.stages, self.progress = stages, progress
        self.timings: dict[str, float] = {}
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.t0 = time.perf_counter()
        self._stage, self._t = None, 0.0

    def __call__(self, name: str | None) -> None:
        now = time.perf_counter()
        if self._stage is not None:
            self.timings[self._stage] = round(now - self._t, 4)
        self._stage, self._t = name, now
        if self.progress is not None and name is not None:
            self.progress(name, self.stages.index(name), len(self.stages))

    def document(self) -> dict:
        return {
            "started_at": self.started_at,
            "stages_seconds": dict(self.timings),
            "total_seconds": round(time.perf_counter() - self.t0, 4),
        }


@dataclass
class _State:
    """What the stages hand on to each other."""

    params: DistillParams
    data_path: Path
    teacher_paths: list[Path]
    notes: list[str] = field(default_factory=list)
    X: pd.DataFrame | None = None
    y: np.ndarray | None = None
    rows: np.ndarray | None = None  # row number (from 1) or row_id of each row of X
    checks: dict = field(default_factory=dict)
    data_summary: dict = field(default_factory=dict)
    split: tuple = ()
    teacher: object = None
    teacher_info: dict = field(default_factory=dict)
    sweeps: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    fidelities: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    positive: object = None
    config_extra: dict = field(default_factory=dict)  # more entries of config.json
    weights: dict = field(default_factory=dict)  # row weights: "all", "train", "test"
    # A re-derived run (see runs/_rerender.py): "teacher_file", the teacher an
    # earlier run trained and saved, used as that run's own; "teacher_info", how
    # that run recorded it; "record", what report.json and config.json say of it.
    rederive: dict = field(default_factory=dict)


def staged_run(out: Path, force: bool, distill) -> DistillResult:
    """``distill(staging, stale_notes)`` writing into a staging folder that is
    published as ``out`` only when it succeeds (discarded otherwise)."""
    from treedistill.data._screening import screened

    stale = clean_stale_staging(out)
    staging = Staging(out, force=force, replaces=("run", "report"))
    try:
        with torch_threads(1), warnings.catch_warnings():
            # Held-out rows with categories training never saw are reported once,
            # as a note naming the column, not once per encoding.
            warnings.filterwarnings("ignore", category=UnseenCategoryWarning)
            # The run screens its data once (prepare_frame); its fits do not.
            with screened():
                result = distill(staging, stale)
        staging.publish()
    except OSError as exc:
        staging.discard()
        if isinstance(exc, TreedistillError) or exc.errno not in WRITE_ERRORS:
            raise
        raise output_error(exc, out) from None
    except BaseException:
        staging.discard()
        raise
    return result


def _distill(
    params: DistillParams,
    staging: Staging,
    progress,
    notes,
    rederive: dict | None = None,
) -> DistillResult:
    kinds = params.student_kinds()
    stages = ["read data", "split", "teacher"]
    stages += ["sweep"] if params.sweep else []
    stages += [f"{kind} student" for kind in kinds] + ["evaluate", "write"]
    clock = _Clock(stages, progress)
    state = _State(
        params, Path(params.data), [Path(p) for p in params.teacher], list(notes)
    )
    if rederive:
        state.rederive = dict(rederive)
        state.config_extra["rederived_from"] = rederive["record"]
    clock("read data")
    _read_data(state)
    clock("split")
    state.split = _split(state.X, state.y, float(params.test_size), int(params.seed))
    if state.weights:
        state.weights.update(split_weights(state.weights["all"], state.split))
    state.split = _label_rows(state.split, state.rows)
    clock("teacher")
    _get_teacher(state)
    warn_absent_classes(state.teacher, state.y, state.notes)
    if params.sweep:
        clock("sweep")
    students = {kind: params.make_student(kind, state.teacher) for kind in kinds}
    settings = _sweep(state, students)
    for kind in kinds:
        clock(f"{kind} student")
        X_train, _, y_train, _ = state.split
        students[kind].set_params(
            temperature=settings[kind][0], alpha=settings[kind][1]
        )
        state.models[kind] = students[kind].fit(
            X_train, y_train, **fit_weights(state.weights)
        )
    clock("evaluate")
    data_sha = _evaluate(state)
    return finish_run(state, staging, clock, data_sha)


def finish_run(state: _State, staging: Staging, clock, data_sha: str) -> DistillResult:
    """The write stage: the run's files and timings into ``staging``, and the
    result."""
    clock("write")
    written = _write(state, staging.path, data_sha)
    clock(None)
    atomic_write_text(staging.path / "timings.json", dumps(clock.document()))
    return DistillResult(
        out_dir=staging.out,
        files=sorted({*written, "timings.json"}),
        models=state.models,
        fidelity=state.fidelities,
        sweep=state.sweeps,
        report=state.report,
        timings=dict(clock.timings),
        warnings=state.notes,
    )


# --------------------------------------------------------------------------- #
# Stages
# --------------------------------------------------------------------------- #
def _read_data(state: _State) -> None:
    from treedistill.data._tables import read_table

    prepare_frame(state, read_table(state.data_path))


def prepare_frame(state: _State, frame: pd.DataFrame) -> None:
    """Features, labels, row labels, summary and data checks of a read table."""
    from treedistill.data._prepare import prepare_data
    from treedistill.data._screening import code_line, screen_data

    params = state.params
    _check_keep_row_id(params, frame)
    check_columns(params, frame)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, y, summary = prepare_data(
            frame,
            params.target,
            drop=(
                *params.drop,
                *([params.row_id] if params.row_id else []),
                *([params.weight_column] if params.weight_column else []),
            ),
            source=state.data_path.name,
            many_classes=bool(params.many_classes),
            warn=True,
            drop_identifiers=True,
            keep=tuple(params.keep),
        )
    state.X, state.y, state.data_summary = X, np.asarray(y), summary
    state.rows = _row_labels(frame, params, len(X))
    if params.weight_column:
        state.weights["all"] = read_weights(frame, params.weight_column, params.target)
    early = []
    for w in caught:
        if issubclass(w.category, IdentifierColumnWarning):
            early.append((str(w.message), w.category))
        elif issubclass(w.category, TreedistillWarning):
            state.notes.append(str(w.message))
        else:  # not ours: passed on as it came
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    state.checks = screen_data(
        X,
        state.y,
        summary,
        target=params.target,
        random_state=int(params.seed),
        categorical_features=params.categorical_features,
    )
    early += [(leak["text"], LeakageWarning) for leak in state.checks["leaks"]]
    if state.checks.get("codes"):
        early.append((code_line(state.checks["codes"]), DataWarning))
    # Said now, before the teacher is trained (the command line prints them).
    for text, category in early:
        warnings.warn(text, category, stacklevel=4)
    for name in params.subgroup:
        if name not in X.columns:
            raise ParameterError(
                f"subgroup column {name!r} is not a feature column of the data",
                parameter="subgroup",
            )


def _check_keep_row_id(params: DistillParams, frame: pd.DataFrame) -> None:
    names = [str(c).strip() for c in frame.columns]
    for name in params.keep:
        if str(name).strip() not in names:
            raise ParameterError(
                f"keep column {name!r} is not in the data", parameter="keep"
            )
    row_id = params.row_id
    if row_id is None:
        return
    if str(row_id).strip() not in names:
        raise ParameterError(
            f"row_id column {row_id!r} is not in the data", parameter="row_id"
        )
    if str(row_id).strip() in {params.target, *params.keep}:
        raise ParameterError(
            f"row_id column {row_id!r} cannot also be the target or a kept feature",
            parameter="row_id",
        )


def _row_labels(frame: pd.DataFrame, params: DistillParams, n: int) -> np.ndarray:
    """Row number (from 1, in data order) or ``row_id`` value of each row used."""
    by_name = {str(c).strip(): c for c in frame.columns}
    used = frame[by_name[params.target.strip()]].notna().to_numpy()
    positions = np.flatnonzero(used)
    if len(positions) != n:  # prepare_data drops rows only for a missing target
        raise DataError(f"{n} rows were used but {len(positions)} have a target value")
    if params.row_id is None:
        return positions + 1
    ids = frame[by_name[params.row_id.strip()]].to_numpy(dtype=object)[positions]
    series = pd.Series(ids, dtype=object)
    if series.isna().any() or not series.is_unique:
        bad = "missing" if series.isna().any() else "repeated"
        raise ParameterError(
            f"row_id column {params.row_id!r} has {bad} values; it must name every "
            "row once",
            parameter="row_id",
        )
    return ids


def _label_rows(split: tuple, rows: np.ndarray) -> tuple:
    """Index the split's rows by row number (from 1) or ``row_id``, as the report
    and ``held_out_rows.csv`` name them."""
    X_train, X_test, y_train, y_test = split
    X_train = X_train.set_axis(pd.Index(rows[X_train.index.to_numpy()]), axis=0)
    X_test = X_test.set_axis(pd.Index(rows[X_test.index.to_numpy()]), axis=0)
    return X_train, X_test, y_train, y_test


def _split(X: pd.DataFrame, y: np.ndarray, test_size: float, seed: int):
    from treedistill.data._prepare import MIN_ROWS_PER_CLASS

    n = len(y)
    classes, counts = np.unique(y, return_counts=True)
    n_test = math.ceil(test_size * n)
    n_train = n - n_test
    k = len(classes)
    if n_test < k or n_train < k:
        raise ParameterError(
            f"test_size {test_size:g} splits {n} rows into {n_train} training and "
            f"{n_test} test rows; each needs at least one row per class ({k} classes)",
            parameter="test_size",
        )
    if n_train < MIN_ROWS_PER_CLASS * k:
        raise ParameterError(
            f"test_size {test_size:g} leaves {n_train} of {n} rows for training, "
            f"fewer than {MIN_ROWS_PER_CLASS} per class ({k} classes): too few to "
            "train a teacher on; use a smaller test_size",
            parameter="test_size",
        )
    stratify = y if counts.min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=stratify
    )
    return X_train, X_test, np.asarray(y_train), np.asarray(y_test)


def _get_teacher(state: _State) -> None:
    from treedistill.teachers._teacher_files import load_teacher

    params = state.params
    X_train, X_test, y_train, y_test = state.split
    if state.teacher_paths:
        # Only a torch.export program needs to be told the column order; other
        # models know the columns they were fit on.
        exported = any(p.suffix.lower() == ".pt2" for p in state.teacher_paths)
        teacher = load_teacher(
            state.teacher_paths,
            trust_pickle=bool(params.trust_pickle),
            ensemble=params.ensemble_method,
            classes=None if params.classes is None else list(params.classes),
            feature_names=list(state.X.columns) if exported else None,
            teacher_classes=None
            if params.teacher_classes is None
            else list(params.teacher_classes),
        )
        X_train = align_to_teacher(teacher, X_train, state.notes)
        state.split = (X_train, X_test[list(X_train.columns)], y_train, y_test)
        info = {
            "source": "files",
            "files": [
                {"name": p.name, "sha256": sha256_file(p)} for p in state.teacher_paths
            ],
        }
    elif state.rederive.get("teacher_file"):
        # The teacher an earlier run trained on these same training rows.
        teacher = load_teacher([state.rederive["teacher_file"]])
        info = dict(state.rederive["teacher_info"])
    else:
        teacher = train_teacher(
            X_train,
            y_train,
            hidden_layer_sizes=_or_default(params.teacher_hidden, "hidden_layer_sizes"),
            max_epochs=_or_default(params.teacher_max_epochs, "max_epochs"),
            random_state=int(params.seed),
            **fit_weights(state.weights),
        )
        info = {
            "source": "trained on the training rows",
            "params": plain(
                {
                    k: v
                    for k, v in teacher.get_params().items()
                    if isinstance(v, (int, float, str, tuple, list, type(None)))
                }
            ),
        }
    check_teacher_classes(teacher, state.y)
    if state.teacher_paths:
        check_teacher_reads(teacher, state.split[0], state.teacher_paths)
    state.positive = params.positive_label(teacher.classes_)
    info["model"] = teacher_description(teacher)
    info["classes"] = teacher_classes(teacher)
    if state.teacher_paths:
        check_teacher_schema(teacher, state.split[0])
    info["held_out_overlap"] = _held_out_overlap(state, teacher)
    state.teacher, state.teacher_info = teacher, info


def _held_out_overlap(state: _State, teacher) -> dict:
    """How many held-out rows a teacher file was trained on (said now, before
    the students are trained)."""
    from treedistill.teachers._provenance import held_out_overlap

    X_test = state.split[1]
    if not state.teacher_paths:
        return {
            "status": "none",
            "n_overlap": 0,
            "n_test": int(len(X_test)),
            "text": "the teacher was trained in this run on the training rows only",
        }
    overlap = held_out_overlap(teacher, X_test)
    if overlap["status"] != "none":
        warnings.warn(_capital(overlap["text"]), TeacherOverlapWarning, stacklevel=2)
    return overlap


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


#: Share of a column's values a teacher file's schema does not know above which
#: the run is refused (a column coded otherwise than the teacher's).
SCHEMA_REFUSE_SHARE = 0.5


def check_teacher_schema(teacher, X: pd.DataFrame) -> None:
    """Compare ``X`` with the column kinds and levels a teacher file recorded:
    refuse a column whose values it mostly does not know, warn about one it
    partly does not (both name the column and the share)."""
    from treedistill.teachers._provenance import schema_mismatches

    for bad in schema_mismatches(teacher, X):
        examples = ", ".join(repr(v) for v in bad["examples"])
        what = "categories" if bad["kind"] == "categorical" else "numbers"
        text = (
            f"column {bad['column']!r}: {bad['share']:.0%} of its values are not "
            f"{what} the teacher was trained on (e.g. {examples})"
        )
        if bad["share"] > SCHEMA_REFUSE_SHARE:
            raise DataError(
                f"{text}; is it coded otherwise than in the teacher's training "
                "data? Recode it as the teacher knew it",
                column=bad["column"],
            )
        warnings.warn(_capital(text), TeacherSchemaWarning, stacklevel=2)


def _or_default(value, name: str):
    from treedistill.teachers._train import DEFAULT_HIDDEN, DEFAULT_MAX_EPOCHS

    if value is not None:
        return value
    return {"hidden_layer_sizes": DEFAULT_HIDDEN, "max_epochs": DEFAULT_MAX_EPOCHS}[
        name
    ]


def _sweep(state: _State, students: dict) -> dict:
    """(temperature, alpha) per student: the sweep's choice, or the set values."""
    settings = {
        kind: (float(model.temperature), float(model.alpha))
        for kind, model in students.items()
    }
    if not state.params.sweep:
        return settings
    from treedistill.runs._sweep import sweep_temperature_alpha

    X_train, _, y_train, _ = state.split
    for kind, model in students.items():
        result = sweep_temperature_alpha(
            model, X_train, y_train, random_state=int(state.params.seed)
        )
        settings[kind] = (result.temperature, result.alpha)
        state.sweeps[kind] = result.to_dict()
    return settings


def evaluate_run(state: _State, data_sha: str, **extra) -> dict:
    """``evaluate`` on the run's split and students with the run's settings (the
    unseen-category notes and missing-value checks first); ``extra`` goes to
    ``evaluate``."""
    from treedistill.report import evaluate

    params = state.params
    X_train, X_test, y_train, y_test = state.split
    first = next(iter(state.models.values()))
    state.notes.extend(unseen_category_notes(first.schema_, X_test))
    _missing_checks(state)
    return evaluate(
        state.models,
        X_test,
        y_test,
        X_train,
        y_train,
        subgroups=list(params.subgroup) or None,
        include_values=bool(params.include_values),
        random_state=int(params.seed),
        run_info=_run_info(state, data_sha),
        positive_class=state.positive,
        threshold=float(params.threshold),
        flag_rate=None if params.flag_rate is None else float(params.flag_rate),
        skip=list(params.skip),
        stability_refits=int(params.stability_refits),
        **extra,
    )


def _evaluate(state: _State) -> str:
    """The report and each student's held-out fidelity (the report's, computed
    once); returns the data file's sha256."""
    from treedistill.report import report_json

    data_sha = sha256_file(state.data_path)
    report = evaluate_run(state, data_sha, held_out_fidelity=state.fidelities)
    report.update(
        control_sections(
            state.params, state.models, state.split, state.weights, state.positive
        )
    )
    # Render from exactly what report.json holds, so that `treedistill report`
    # re-renders the same files from it.
    state.report = json.loads(report_json(report))
    return data_sha


def _run_info(state: _State, data_sha: str) -> dict:
    params = state.params
    _, _, y_train, y_test = state.split
    recorded = params.to_dict()
    for key in ("out", "force", "copy_data"):
        recorded.pop(key)
    recorded["data"] = state.data_path.name
    recorded["teacher"] = [p.name for p in state.teacher_paths]
    info = {
        "data": data_for_report(
            state.data_summary,
            file=state.data_path.name,
            sha256=data_sha,
            target=params.target,
        ),
        "split": {
            "test_size": float(params.test_size),
            "seed": int(params.seed),
            "n_train": int(len(y_train)),
            "n_test": int(len(y_test)),
            "stratified": True,
        },
        "teacher": state.teacher_info,
        "data_checks": plain(state.checks),
        "options": plain(recorded),
        "students": {kind: student_record(m) for kind, m in state.models.items()},
        "notes": list(state.notes),
    }
    if state.sweeps:
        info["sweep"] = plain(state.sweeps)
    if state.rederive:
        info["rederived_from"] = plain(state.rederive["record"])
    return info


def _missing_checks(state: _State) -> None:
    """Add what the tree makes of missing values to the data checks."""
    from treedistill.data._screening import check_lines
    from treedistill.measures._missing_signal import missing_signal

    model = state.models.get("tree")
    if model is None or not state.checks:
        return
    signal = missing_signal(model, state.split[0])
    if signal and signal["columns"]:
        state.checks["missing_signal"] = signal
        state.checks["lines"] = check_lines(state.checks)


def _write_reproduction(state: _State, folder: Path) -> list[str]:
    """The teacher the run trained (``teacher.pt``) and the held-out rows."""
    from treedistill.teachers._teacher_files import save_teacher

    written = []
    if not state.teacher_paths:
        save_teacher(state.teacher, folder / "teacher.pt")
        written.append("teacher.pt")
    X_test = state.split[1]
    header = state.params.row_id.strip() if state.params.row_id else "row"
    rows = pd.DataFrame({header: X_test.index.to_numpy()})
    atomic_write_text(folder / "held_out_rows.csv", rows.to_csv(index=False))
    return [*written, "held_out_rows.csv"]


def _write(state: _State, folder: Path, data_sha: str) -> list[str]:
    """Write the report, the students, the data copy and config.json into ``folder``."""
    from treedistill.distill._bundle import save_student
    from treedistill.report import write_report

    params = state.params
    written = [Path(p).name for p in write_report(state.report, folder)]
    names = student_file_names(list(state.models))
    for kind, model in state.models.items():
        metadata = {
            "data": state.data_path.name,
            "data_sha256": data_sha,
            "target": params.target,
            "seed": int(params.seed),
            "held_out_fidelity": state.fidelities[kind],
            # What every summary of the run leads with (report.json's own).
            "lead": state.report["summary"]["students"][kind],
        }
        save_student(model, folder / names[kind], metadata=plain(metadata))
        written.append(names[kind])
    if params.copy_data:
        (folder / "inputs").mkdir()
        shutil.copyfile(state.data_path, folder / "inputs" / state.data_path.name)
        written.append(f"inputs/{state.data_path.name}")
    written += _write_reproduction(state, folder)
    config = run_config(
        params,
        models=state.models,
        files=names,
        data_path=state.data_path,
        data_sha=data_sha,
        teacher_info=state.teacher_info,
        sweeps=state.sweeps,
    )
    config.update(state.config_extra)
    atomic_write_text(folder / "config.json", dumps(config))
    return [*written, "config.json"]


# --------------------------------------------------------------------------- #
# Teacher and data
# --------------------------------------------------------------------------- #
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


def align_to_teacher(teacher, X: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Keep the columns the teacher reads, in its order; refuse missing ones."""
    wanted = _teacher_columns(teacher)
    if wanted is None:
        n_in = getattr(teacher, "n_features_in_", None)
        if n_in is not None and int(n_in) != X.shape[1]:
            raise TeacherError(
                f"the teacher expects {int(n_in)} feature columns but the data has "
                f"{X.shape[1]} after removing the target and the dropped columns"
            )
        return X
    missing = [c for c in wanted if c not in X.columns]
    if missing:
        raise DataError(
            f"column {missing[0]!r} that the teacher needs is not in the data "
            f"({len(missing)} missing; was it dropped?)",
            column=missing[0],
        )
    extra = [c for c in X.columns if c not in wanted]
    if extra:
        notes.append(
            f"{len(extra)} column(s) the teacher does not read are left out of the "
            f"student too: {name_list(extra)}"
        )
    return X[wanted]


#: Rows a teacher file is tried on before the run relies on it.
TEACHER_TRIAL_ROWS = 1000


def check_teacher_reads(teacher, X: pd.DataFrame, paths: list[Path]) -> None:
    """Refuse, naming the file and the column, a teacher file that cannot score
    the data's columns (fitted on other column types: numbers where the data
    has text, ...), trying it on the first rows."""
    from treedistill.teachers._teachers import teacher_logits

    try:
        teacher_logits(teacher, X.iloc[:TEACHER_TRIAL_ROWS])
    except TreedistillError:
        raise
    except (ValueError, TypeError) as exc:
        problem = " ".join(str(exc).split())[:200]
        files = ", ".join(repr(str(p)) for p in paths)
        cell = problem.rpartition(": ")[2].strip("'\"")
        columns = [
            str(c)
            for c in X.columns
            if X[c].dtype == object and (X[c].astype(str) == cell).any()
        ]
        where = (
            f"column {columns[0]!r} holds {cell!r}"
            if columns
            else "check that its columns have the types it was fitted on"
        )
        raise TeacherError(
            f"teacher file {files} cannot read the data ({problem}): {where}; "
            "was it fitted on other column types (e.g. numbers where the data "
            "has text)?",
            path=str(paths[0]),
        ) from None


def warn_absent_classes(teacher, y: np.ndarray, notes: list[str]) -> None:
    """Note (a warning of the run) a class the teacher knows and no row has."""
    present = set(np.asarray(y).tolist())
    absent = [c for c in np.asarray(teacher.classes_).tolist() if c not in present]
    if not absent:
        return
    text = (
        f"the teacher predicts {len(np.asarray(teacher.classes_))} classes, but no "
        f"row of the data has class {', '.join(repr(c) for c in absent)}: the "
        "students still give it a probability, and agreement counts rows the "
        "teacher assigns to it"
    )
    notes.append(text)


def check_teacher_classes(teacher, y: np.ndarray) -> None:
    """Refuse a target label the teacher does not know."""
    known = set(np.asarray(teacher.classes_).tolist())
    unknown = sorted({v for v in y.tolist() if v not in known}, key=str)
    if unknown:
        data_labels = sorted({v for v in y.tolist()}, key=lambda v: (str(type(v)), v))
        raise ParameterError(
            f"the target holds label {unknown[0]!r}, which the teacher does not know "
            f"(teacher labels: {np.asarray(teacher.classes_).tolist()}, data labels: "
            f"{data_labels[:10]}); if the teacher was trained on other codes, set "
            "teacher_classes to the data label of each of its outputs, in order",
            parameter="teacher_classes",
        )
