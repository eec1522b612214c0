"""Output locations: refuse to overwrite, build aside, publish atomically and exclusively.

A run directory is built in a hidden sibling (``.NAME.partial-XXXX``) and renamed
into place only when every file is written. The rename fails when another run
published at ``NAME`` meanwhile, so of two runs into the same new folder exactly one
wins. Each published folder holds a marker (:data:`MARKER`) listing the SHA-256 of
every file treedistill wrote there and what the folder is (``"run"`` or
``"report"``); ``force`` replaces only a folder holding that record whose every file
is in it, unchanged, so it never deletes anything a user put there. A folder without
the record is never replaced, whatever its files are called.

Single output files (predictions, teacher files, exports) are written to a hidden
temporary file and linked into place, which fails if the name was taken meanwhile.
No single output file may be a file a run's record lists, ``force`` or not.

Every refusal is an :class:`~treedistill.exceptions.OutputError` naming the path; it
is raised before any work when the location is taken, not writable or full.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from treedistill.common._files import RUN_RECORD, atomic_write_text, sha256_file
from treedistill.common._json import dumps
from treedistill.exceptions import OutputError

__all__ = [
    "MARKER",
    "WRITE_ERRORS",
    "Staging",
    "check_out_dir",
    "check_out_file",
    "clean_stale_staging",
    "folder_kind",
    "output_error",
    "recorded_in",
    "publish_file",
    "refresh_marker",
    "write_new_file",
]

#: The file that records what treedistill wrote in a folder.
MARKER = RUN_RECORD
_STAGING_NOTE = ".treedistill-staging.json"
#: Below this much free space a run is refused before it starts.
MIN_FREE_BYTES = 1 << 20
#: What a marker says its folder is: a distillation run, or a re-rendered report.
FOLDER_KINDS = ("run", "report")


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()
_OS_REASONS = {
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "the file size limit is exceeded (ulimit -f)",
}


#: Errors of the file system that mean "this location cannot take the output".
WRITE_ERRORS = frozenset(_OS_REASONS)


def _q(path) -> str:
    return repr(os.fspath(path))


def output_error(exc: OSError, path) -> OutputError:
    """An :class:`OutputError` naming ``path`` for an OS error while writing there."""
    reason = _OS_REASONS.get(exc.errno, exc.strerror or str(exc))
    return OutputError(f"cannot write {_q(path)}: {reason}", path=path)


# --------------------------------------------------------------------------- #
# Checks made before any work
# --------------------------------------------------------------------------- #
def _existing_parent(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    return parent


def check_writable(path: Path) -> None:
    """Refuse (naming ``path``) when its folder cannot be written or is nearly full."""
    where = _existing_parent(path)
    if not where.is_dir():
        raise OutputError(
            f"cannot write {_q(path)}: {_q(where)} is not a folder", path=path
        )
    if not _writable(where):
        reason = (
            "the file system is read-only" if _read_only(where) else "permission denied"
        )
        raise OutputError(f"cannot write {_q(path)}: {reason}", path=path)
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if free < MIN_FREE_BYTES:
        raise OutputError(
            f"cannot write {_q(path)}: no space left on the device ({free} bytes free)",
            path=path,
        )


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _refuse_symlink(out: Path, what: str) -> None:
    if out.is_symlink():
        raise OutputError(
            f"{what} {_q(out)} is a symbolic link (to {_q(os.readlink(out))}); give the "
            "real path or a new name",
            path=out,
        )


def check_out_dir(
    out: str | os.PathLike,
    force: bool,
    *,
    keep: Sequence[str | os.PathLike] = (),
    replaces: Sequence[str] = ("report",),
) -> Path:
    """Check that a folder of results may be written at ``out``; return the path.

    A new or empty folder is fine. An existing folder with files is refused unless
    ``force``; even then only a folder treedistill wrote is replaced (it holds a
    :data:`MARKER` of one of the kinds in ``replaces`` that lists every file in it,
    unchanged), never the current folder or one holding a file in ``keep`` (the
    inputs). Only what writes a run passes ``replaces=("run", "report")``: by
    default a run is never replaced. A symbolic link is refused.
    """
    out = Path(out)
    _refuse_symlink(out, "output folder")
    check_writable(out)
    if not out.exists():
        return out
    if not out.is_dir():
        raise OutputError(
            f"output folder {_q(out)} exists and is not a folder", path=out
        )
    if not any(out.iterdir()):
        return out
    if not force:
        raise OutputError(
            f"output folder {_q(out)} already exists and is not empty (force replaces "
            "a folder treedistill wrote)",
            path=out,
            parameter="force",
        )
    where = out.resolve()
    cwd = Path.cwd().resolve()
    if where == cwd or where in cwd.parents:
        raise OutputError(
            f"output folder {_q(out)} is the current folder or holds it; refusing to "
            "replace it, even with force",
            path=out,
            parameter="force",
        )
    for item in keep:
        if where in Path(item).resolve().parents:
            raise OutputError(
                f"output folder {_q(out)} holds the input file {_q(item)}, which force "
                "would delete; write the results elsewhere",
                path=out,
                parameter="force",
            )
    check_ours(out)
    kind = folder_kind(out)
    if kind not in replaces:
        raise OutputError(
            f"output folder {_q(out)} holds a treedistill {kind}, which only a new "
            f"{kind} may replace; refusing to replace it, even with force",
            path=out,
            parameter="force",
        )
    return out


def _files_under(folder: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        base = Path(root)
        out.extend(base / name for name in sorted(files))
        out.extend(base / name for name in dirs if (base / name).is_symlink())
    return out


def check_ours(folder: Path) -> None:
    """Refuse, naming the first file treedistill did not write in ``folder``.

    Only a folder holding a readable :data:`MARKER` passes, and only when every
    file in it is listed there with its sha256 unchanged.
    """
    marker = folder / MARKER
    recorded = _read_marker(marker)
    if recorded is None:
        raise OutputError(
            f"{_q(folder)} is not a folder treedistill wrote (it holds no readable "
            f"{MARKER}, the record of what treedistill wrote there); refusing to "
            "replace it, even with force",
            path=folder,
            parameter="force",
        )
    for path in _files_under(folder):
        if path == marker:
            continue
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or rel not in recorded:
            why = "was not written by treedistill"
        elif recorded[rel] != sha256_file(path):
            why = "was changed after treedistill wrote it"
        else:
            continue
        raise OutputError(
            f"{_q(path)} {why}; refusing to replace {_q(folder)}, even with force",
            path=path,
            parameter="force",
        )


def _read_marker(marker: Path) -> dict | None:
    doc = _read_marker_doc(marker)
    return None if doc is None else doc["files"]


def _read_marker_doc(marker: Path) -> dict | None:
    """The marker's document, or None when it is absent, a link or unreadable."""
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        return None
    return doc


def folder_kind(folder: str | os.PathLike) -> str | None:
    """What the :data:`MARKER` of ``folder`` says it is (``"run"`` or ``"report"``),
    or None without a readable marker."""
    doc = _read_marker_doc(Path(folder) / MARKER)
    if doc is None:
        return None
    kind = doc.get("kind")
    return kind if kind in FOLDER_KINDS else _kind_of(doc["files"])


def _kind_of(files) -> str:
    """A folder holding a config.json is a run; any other (a report, a card, a
    comparison written from runs) is a report."""
    return "run" if "config.json" in files else "report"


def write_marker(folder: Path, kind: str | None = None) -> None:
    """Record the SHA-256 of every file in ``folder`` in its :data:`MARKER`, and
    what the folder is (``kind``; by default told by its files)."""
    files = {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in _files_under(folder)
        if p.name not in (MARKER, _STAGING_NOTE)
    }
    kind = kind or _kind_of(files)
    atomic_write_text(
        folder / MARKER,
        dumps({"written_by": "treedistill", "kind": kind, "files": files}),
    )


def refresh_marker(
    folder: str | os.PathLike, written: Iterable[str | os.PathLike]
) -> None:
    """Re-record, in the marker of ``folder``, the files treedistill just rewrote
    there (``written``: names relative to ``folder``, or absolute paths); every
    other entry is kept as it is, and no other file is added, so nothing
    treedistill did not write is ever sealed as its own."""
    folder = Path(folder)
    marker = folder / MARKER
    doc = _read_marker_doc(marker)
    if doc is None:
        return
    files = dict(doc["files"])
    base = folder.resolve()
    for item in written:  # names in ``folder``, or absolute paths
        path = Path(item).resolve() if Path(item).is_absolute() else base / item
        files[path.relative_to(base).as_posix()] = sha256_file(path)
    atomic_write_text(marker, dumps({**doc, "files": dict(sorted(files.items()))}))


# --------------------------------------------------------------------------- #
# Folders: staging and publishing
# --------------------------------------------------------------------------- #
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_stale_staging(out: str | os.PathLike) -> list[str]:
    """Remove the staging folders of ``out`` left by runs that were killed.

    A staging folder records the process and host that built it; it is stale when
    that process is gone. Folders of live runs are left alone; ones that cannot be
    judged, and a previous folder moved aside (``.NAME.old-*``) by a replacement
    that was interrupted, are reported. Returns one note per folder removed or left.
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    notes = []
    if not parent.is_dir():
        return notes
    for path in sorted(parent.glob(f".{out.name}.partial-*")):
        if path.is_symlink() or not path.is_dir():
            continue
        info = _read_json(path / _STAGING_NOTE)
        pid, host = info.get("pid"), info.get("host")
        if (
            isinstance(pid, int)
            and host == socket.gethostname()
            and not _pid_alive(pid)
        ):
            shutil.rmtree(path, ignore_errors=True)
            notes.append(f"removed {_q(path)}, left by an interrupted run")
        elif not (isinstance(pid, int) and host == socket.gethostname()):
            notes.append(
                f"{_q(path)} looks like the leftover of an interrupted run; delete it "
                "if no run is writing there"
            )
    for path in sorted(parent.glob(f".{out.name}.old-*")):
        notes.append(
            f"{_q(path)} holds the folder an interrupted replacement of {_q(out)} "
            "moved aside; move it back or delete it"
        )
    return notes


def _read_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


class Staging:
    """A hidden sibling of ``out`` where results are built, published in one rename.

    Creating it checks that the location can be written (so a read-only or full
    output location is refused before any work).
    """

    def __init__(
        self,
        out: str | os.PathLike,
        *,
        force: bool = False,
        kind: str | None = None,
        replaces: Sequence[str] = ("report",),
    ):
        self.out = Path(out)
        self.force = force
        self.kind = kind
        self.replaces = tuple(replaces)
        parent = self.out.parent if str(self.out.parent) else Path(".")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(
                tempfile.mkdtemp(prefix=f".{self.out.name}.partial-", dir=parent)
            )
            note = {"pid": os.getpid(), "host": socket.gethostname()}
            (self.path / _STAGING_NOTE).write_text(json.dumps(note), encoding="utf-8")
        except OSError as exc:
            raise output_error(exc, self.out) from None

    def publish(self) -> None:
        """Move the finished folder to ``out``: exclusive unless ``force`` (see module)."""
        out = self.out
        try:
            (self.path / _STAGING_NOTE).unlink()
            write_marker(self.path, self.kind)
        except OSError as exc:
            raise output_error(exc, out) from None
        _refuse_symlink(out, "output folder")
        if out.exists() and out.is_dir() and any(out.iterdir()):
            if not self.force:
                raise OutputError(
                    f"output folder {_q(out)} was written by another process while "
                    "this run was working; nothing was replaced",
                    path=out,
                )
            check_out_dir(out, True, replaces=self.replaces)
            self._replace()
            return
        try:
            os.rename(self.path, out)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise OutputError(
                    f"output folder {_q(out)} was written by another process while "
                    "this run was working; nothing was replaced",
                    path=out,
                ) from None
            raise output_error(exc, out) from None

    def _replace(self) -> None:
        out = self.out
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=self.path.parent))
        old.rmdir()
        os.replace(out, old)
        try:
            os.rename(self.path, out)
        except OSError as exc:
            if not out.exists():
                os.replace(old, out)
            raise OutputError(
                f"could not replace {_q(out)}: {exc.strerror or exc}", path=out
            ) from None
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging folder (the run failed or was interrupted)."""
        shutil.rmtree(self.path, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Single files
# --------------------------------------------------------------------------- #
def check_out_file(
    out: str | os.PathLike,
    force: bool,
    *,
    keep: Iterable[str | os.PathLike] = (),
    suffixes: Sequence[str] | None = None,
) -> Path:
    """Check that a single output file may be written at ``out``; return the path.

    Refused: a name without one of ``suffixes`` (when given), a folder, a symbolic
    link, a file the record of a treedistill folder above it lists (a run's own
    files, ``force`` or not), one of the input files in ``keep``, an existing file
    unless ``force``, and a location that cannot be written.
    """
    out = Path(out)
    if suffixes and out.suffix.lower() not in suffixes:
        raise OutputError(
            f"output file {_q(out)} must end with {' or '.join(suffixes)}",
            path=out,
            parameter="out",
        )
    if out.is_dir():
        raise OutputError(
            f"output file {_q(out)} is a folder; give a file name", path=out
        )
    _refuse_symlink(out, "output file")
    folder = recorded_in(out)
    if folder is not None:
        raise OutputError(
            f"output file {_q(out)} is a file of the treedistill {folder_kind(folder)} "
            f"{_q(folder)}; no command writes over it, even with force; choose "
            "another name",
            path=out,
            parameter="force",
        )
    for item in keep:
        if out.exists() and Path(item).exists() and os.path.samefile(out, item):
            raise OutputError(
                f"output file {_q(out)} is the input file {_q(item)}; no command "
                "writes over its inputs, even with force; choose another name",
                path=out,
                parameter="force",
            )
    if out.exists() and not force:
        raise OutputError(
            f"output file {_q(out)} already exists (force replaces it)",
            path=out,
            parameter="force",
        )
    check_writable(out)
    return out


def recorded_in(path: str | os.PathLike) -> Path | None:
    """The treedistill folder (at ``path``'s folder or above) whose :data:`MARKER`
    lists ``path``, or None."""
    path = Path(path)
    parent = path.absolute().parent
    try:
        parent = parent.resolve()
    except OSError:
        return None
    full = parent / path.name
    for folder in (parent, *parent.parents):
        files = _read_marker(folder / MARKER)
        if files is None:
            continue
        if full == folder / MARKER or full.relative_to(folder).as_posix() in files:
            return folder
    return None


def publish_file(
    tmp: str | os.PathLike, out: str | os.PathLike, *, force: bool
) -> Path:
    """Move the finished file ``tmp`` to ``out``; without ``force`` only if ``out`` is free.

    ``tmp`` must be in the same folder. Without ``force`` the file is hard-linked
    into place, which fails if another process took the name meanwhile.
    """
    tmp, out = Path(tmp), Path(out)
    try:
        os.chmod(tmp, _FILE_MODE)
        if force:
            _refuse_symlink(out, "output file")
            os.replace(tmp, out)
            return out
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise OutputError(
                f"output file {_q(out)} was written by another process meanwhile; "
                "nothing was replaced",
                path=out,
            ) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                raise
            if out.exists() or out.is_symlink():
                raise OutputError(
                    f"output file {_q(out)} already exists", path=out
                ) from None
            os.replace(tmp, out)
        return out
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise output_error(exc, out) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def temporary_sibling(out: str | os.PathLike) -> Path:
    """A free hidden name next to ``out`` (same suffix) to build the file under."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{out.stem}.partial-", suffix=out.suffix, dir=parent
        )
    except OSError as exc:
        raise output_error(exc, out) from None
    os.close(fd)
    return Path(name)


def write_new_file(out: str | os.PathLike, data: bytes, *, force: bool) -> Path:
    """Write ``data`` to ``out`` whole, never replacing a file unless ``force``."""
    tmp = temporary_sibling(out)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise output_error(exc, out) from None
    return publish_file(tmp, out, force=force)
