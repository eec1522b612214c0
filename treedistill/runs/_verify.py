"""A finished run checked against its record before anything reads it.

Every folder treedistill writes holds :data:`~treedistill.runs._outdir.MARKER`,
the sha256 of each file it wrote there. Before a run folder is read (its report
re-rendered, its student loaded to predict, export or print rules) every file the
record lists must be there and unchanged; a changed or missing file is refused,
naming it. A folder without a record is no run: its student file is read as a
standalone student (checked for a well-formed student only) and its report is
not re-rendered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path

from treedistill.common._files import sha256_file
from treedistill.exceptions import SavedRunError
from treedistill.runs._outdir import MARKER

__all__ = [
    "check_run_of",
    "protected_files",
    "read_record",
    "recorded_input",
    "verify_run",
]


def _q(path) -> str:
    return repr(os.fspath(path))


def read_record(folder: str | os.PathLike) -> dict[str, str] | None:
    """The files the record of ``folder`` lists (relative name -> sha256), or None
    when it holds no record.

    Raises
    ------
    SavedRunError
        The record is there but is a link, not JSON or not of the form written.
    """
    marker = Path(folder) / MARKER
    if not marker.exists() and not marker.is_symlink():
        return None
    bad = SavedRunError(
        f"{_q(marker)}, the record of the files treedistill wrote in "
        f"{_q(folder)}, is damaged or was edited; the run cannot be checked",
        path=marker,
    )
    if marker.is_symlink() or not marker.is_file():
        raise bad
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise bad from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(name, str)
        and isinstance(digest, str)
        and not Path(name).is_absolute()
        and ".." not in Path(name).parts
        for name, digest in files.items()
    ):
        raise bad
    return files


def verify_run(
    folder: str | os.PathLike, *, may_be_missing: Collection[str] = ()
) -> dict[str, str]:
    """Check every file the record of ``folder`` lists; return the record.

    Parameters
    ----------
    folder : str or Path
        A folder treedistill wrote (a run, or a report written elsewhere).
    may_be_missing : collection of str
        Names that may be absent (files about to be re-created).

    Raises
    ------
    SavedRunError
        The folder holds no record, its record is damaged, or a file it lists is
        missing, a link, or no longer has the recorded sha256 (the first one named).
    """
    folder = Path(folder)
    files = read_record(folder)
    if files is None:
        raise SavedRunError(
            f"{_q(folder)} holds no {MARKER}, the record of the files treedistill "
            "wrote in a run: it is not a run folder, or its record was removed, so "
            "its files cannot be checked",
            path=folder,
        )
    for name, digest in sorted(files.items()):
        path = folder / name
        if path.is_symlink():
            raise SavedRunError(
                f"{_q(path)} was replaced by a symbolic link after treedistill wrote "
                f"it; refusing to read the run {_q(folder)}",
                path=path,
            )
        if not path.is_file():
            if name in may_be_missing:
                continue
            raise SavedRunError(
                f"{_q(path)}, a file of the run {_q(folder)}, is missing",
                path=path,
            )
        if sha256_file(path) != digest:
            raise SavedRunError(
                f"{_q(path)} was changed after treedistill wrote it (its sha256 is "
                f"not the one recorded in {MARKER}); refusing to read the run "
                f"{_q(folder)}",
                path=path,
            )
    return files


def check_run_of(path: str | os.PathLike) -> None:
    """Verify the run ``path`` belongs to: ``path`` itself when it is a folder
    with a record, or the folder of a file its record lists. Anything else (a
    standalone file, a folder without a record) is left to its own checks."""
    path = Path(path)
    if path.is_dir():
        if read_record(path) is not None:
            verify_run(path)
        return
    folder = path.parent
    files = read_record(folder)
    if files is not None and path.name in files:
        verify_run(folder)


def protected_files(source: str | os.PathLike) -> list[Path]:
    """The files a command reading ``source`` (a run folder or a file in one) must
    never write over: the files of its run and the inputs its ``config.json``
    records (the data file and the teacher files, by absolute path)."""
    source = Path(source)
    folder = source if source.is_dir() else source.parent
    try:
        files = read_record(folder)
    except SavedRunError:
        files = None
    out = [source]
    if files is None:
        return out
    out += [folder / name for name in files]
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return out
    if not isinstance(config, dict):
        return out
    entries = [config.get("data")]
    teachers = config.get("teachers")
    entries += teachers if isinstance(teachers, list) else []
    for entry in entries:
        value = entry.get("absolute") if isinstance(entry, dict) else None
        if isinstance(value, str) and value:
            out.append(Path(value))
    return out


def recorded_input(
    run_dir: Path,
    entry: dict,
    *,
    what: str,
    own_copy: bool = False,
    error: type[Exception] = SavedRunError,
    why: str = "",
) -> Path:
    """An input file a run recorded in config.json (its data file or a teacher
    file: ``entry`` holds ``path``, ``absolute`` and ``sha256``), checked against
    the sha256 the run recorded; ``own_copy`` reads the run's own copy
    (``inputs/``). A missing or changed file raises ``error`` naming it (and
    ``why``, the reason the file must be the same, when given)."""
    if own_copy:
        path = Path(run_dir) / entry["path"]
    else:
        path = Path(entry.get("absolute") or Path(run_dir) / entry["path"])
    tail = f"; {why}" if why else ""
    if not path.is_file():
        raise error(
            f"{what} file {_q(path)} of the run {_q(run_dir)} is missing{tail}",
            path=path,
        )
    if sha256_file(path) != entry.get("sha256"):
        raise error(
            f"{what} file {_q(path)} was changed since the run {_q(run_dir)} read it "
            f"(its sha256 is not the one in config.json){tail}",
            path=path,
        )
    return path
