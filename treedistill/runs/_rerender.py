"""A finished run again at other decisions: class names, threshold, flag rate.

The run folder keeps no per-row probabilities, and class names are already written
into report.json's sentences and rules, so a report at other decisions cannot be
edited out of report.json. :func:`rerender_run` re-derives the run instead: the
data file and teacher it recorded (each checked against its sha256), the teacher it
trained (``teacher.pt``) and every other parameter of its ``config.json``, with only
the given decisions changed. The same seed refits the same students; every section
of the report is computed at the new decisions and written as a new run folder,
which records the run it was derived from.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from treedistill.common._files import sha256_file
from treedistill.distill._options import DistillParams
from treedistill.exceptions import (
    DataError,
    ParameterError,
    SavedRunError,
    TeacherError,
)
from treedistill.runs._outdir import check_out_dir
from treedistill.runs._pipeline import Progress, _distill, staged_run
from treedistill.runs._result import DistillResult
from treedistill.runs._verify import recorded_input, verify_run

__all__ = ["DECISIONS", "rerender_run"]

#: What a re-derived run may change; everything else is the run's own.
DECISIONS = ("class_names", "threshold", "flag_rate", "positive_class")
#: Files that ``treedistill report`` re-creates when missing.
_RENDERED = ("report.html", "report.md", "rules.txt")
_GLOB = set("*?[")


def _q(path) -> str:
    return repr(os.fspath(path))


def rerender_run(
    run_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    class_names: dict | None = None,
    threshold: float | None = None,
    flag_rate: float | None = None,
    positive_class=None,
    force: bool = False,
    progress: Progress | None = None,
) -> DistillResult:
    """Re-derive a finished run at other decisions into a new run folder ``out``.

    Parameters
    ----------
    run_dir : str or Path
        A run folder written by :func:`run_distill` (checked against its record).
    out : str or Path
        The new run folder: new or empty, or with ``force`` a run or report
        folder treedistill wrote; never ``run_dir`` itself.
    class_names, threshold, flag_rate, positive_class :
        The decisions to change, as :class:`DistillParams` spells them
        (``None``: the run's own). At least one is required.
    force : bool
        Replace an ``out`` folder treedistill wrote.
    progress : callable, optional
        As for :func:`run_distill`.

    Returns
    -------
    DistillResult
        Its students are the run's own, refit with the same seed (the same trees
        and scores; ``class_names`` changes their display only).

    Raises
    ------
    ParameterError
        No decision given, a bad value, ``out`` the run folder itself, or a run
        made on a Dask cluster or from a glob of files (not re-derived).
    SavedRunError
        ``run_dir`` is no run folder, or a file of it was changed.
    DataError, TeacherError
        The data or teacher file the run recorded is missing or changed.
    OutputError
        ``out`` may not be written (see :func:`run_distill`).
    """
    given = {
        "class_names": class_names,
        "threshold": threshold,
        "flag_rate": flag_rate,
        "positive_class": positive_class,
    }
    changed = {k: v for k, v in given.items() if v is not None}
    if not changed:
        raise ParameterError(
            "give at least one of class_names, threshold, flag_rate, positive_class "
            "(render_report re-renders a run as it is)",
            parameter="class_names",
        )
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise SavedRunError(f"run directory {_q(run_dir)} does not exist", path=run_dir)
    verify_run(run_dir, may_be_missing=_RENDERED)
    if Path(out).exists() and os.path.samefile(out, run_dir):
        raise ParameterError(
            f"out {_q(out)} is the run folder itself; a run's own report is never "
            "replaced by other decisions: give a new folder",
            parameter="out",
        )
    config = _config(run_dir)
    options = dict(config["options"])
    if options.get("dask") is not None or _GLOB & set(str(options.get("data", ""))):
        raise ParameterError(
            f"run {_q(run_dir)} read its data on a Dask cluster or from a glob of "
            "files, which is not re-derived; re-run distill with the new decisions"
        )
    data = _data_file(run_dir, config)
    teachers = _teacher_files(run_dir, config)
    report_sha = sha256_file(run_dir / "report.json")
    fields = {f.name for f in dataclasses.fields(DistillParams)}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise SavedRunError(
            f"{_q(run_dir / 'config.json')} records option(s) this version of "
            f"treedistill does not know ({', '.join(unknown)}); re-run distill",
            path=run_dir / "config.json",
        )
    was = {k: options.get(k) for k in changed}
    options.update(
        data=str(data),
        teacher=[str(p) for p in teachers],
        out=str(out),
        force=bool(force),
        **changed,
    )
    params = DistillParams(**options)
    params.validate()
    record = {
        "run": str(run_dir.absolute()),
        "report_sha256": report_sha,
        "changed": {
            k: {"was": _plain(was[k]), "now": _plain(v)} for k, v in changed.items()
        },
    }
    record["text"] = _sentence(record)
    rederive = {"record": record}
    if config.get("teacher_file"):
        rederive["teacher_file"] = run_dir / config["teacher_file"]
        info = config.get("teacher") or {}
        rederive["teacher_info"] = {
            k: info[k] for k in ("source", "params") if k in info
        }
    target = check_out_dir(
        out,
        force,
        keep=[data, *teachers, run_dir / "report.json"],
        replaces=("run", "report"),
    )
    return staged_run(
        target,
        force,
        lambda staging, stale: _distill(params, staging, progress, stale, rederive),
    )


def _config(run_dir: Path) -> dict:
    path = run_dir / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SavedRunError(f"{_q(path)} cannot be read ({exc})", path=path) from None
    if (
        not isinstance(config, dict)
        or config.get("command") != "distill"
        or not isinstance(config.get("options"), dict)
        or not isinstance(config.get("data"), dict)
    ):
        raise SavedRunError(
            f"{_q(path)} is not the config.json of a distill run", path=path
        )
    return config


def _data_file(run_dir: Path, config: dict) -> Path:
    """The run's data file, checked against the sha256 the run recorded."""
    return recorded_input(
        run_dir,
        config["data"],
        what="data",
        own_copy=bool(config["options"].get("copy_data")),
        error=DataError,
        why="the run is re-derived from the same data only",
    )


def _teacher_files(run_dir: Path, config: dict) -> list[Path]:
    """The teacher files the run was given, each checked against its sha256."""
    return [
        recorded_input(run_dir, entry, what="teacher", error=TeacherError)
        for entry in config.get("teachers") or []
    ]


def _plain(value):
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return value


def _shown(name: str, value) -> str:
    if value is None:
        return {
            "flag_rate": "the training prevalence",
            "positive_class": "the minority class",
            "class_names": "the labels",
        }.get(name, "unset")
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


def _sentence(record: dict) -> str:
    """The report's one line on where it comes from."""
    parts = [
        f"{name.replace('_', ' ')} {_shown(name, c['now'])} (was "
        f"{_shown(name, c['was'])})"
        for name, c in record["changed"].items()
    ]
    return (
        f"Re-derived from the run {record['run']} (report.json sha256 "
        f"{record['report_sha256'][:12]}) with {'; '.join(parts)}: same data, "
        "teacher, seed and students; every section computed at these decisions."
    )
