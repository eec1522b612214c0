"""Files: atomic writes that never leave a half-written file, and file hashes."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from treedistill.exceptions import DataError, OutputError

__all__ = [
    "RUN_RECORD",
    "atomic_write_bytes",
    "atomic_write_text",
    "first_line",
    "quoted",
    "recorded_sha256",
    "sha256_file",
]

#: The file in each folder treedistill writes that lists the sha256 of its files.
RUN_RECORD = ".treedistill-run.json"


def quoted(path: str | os.PathLike[str]) -> str:
    """A path as it appears in messages: ``'data/x.csv'``."""
    return repr(os.fspath(path))


def first_line(exc: BaseException) -> str:
    """An exception as ``Type: first line of its message``."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_mode()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a temporary file in the same folder, which is flushed,
    fsync-ed and then renamed over ``path`` with :func:`os.replace`. If anything
    fails, the temporary file is removed and ``path`` is left as it was. Missing
    parent folders are created.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    data : bytes
        The complete new content.

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.

    Raises
    ------
    OutputError
        If ``path`` is a folder or its folder cannot be created (``path`` names
        the place at fault).
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"cannot write {quoted(target)}: it is a folder", path=target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the folder {quoted(parent)} for {quoted(target)}: "
            f"{exc.strerror or exc}",
            path=parent,
        ) from None
    mode = target.stat().st_mode & 0o7777 if target.exists() else _FILE_MODE
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(parent)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, line endings as given) atomically; see
    :func:`atomic_write_bytes`.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    text : str
        The complete new content.

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hex digits.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str

    Raises
    ------
    DataError
        If the file does not exist or is a folder.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise DataError(f"file {quoted(path)} does not exist", path=path) from None
    except IsADirectoryError:
        raise DataError(f"{quoted(path)} is a folder, not a file", path=path) from None
    return digest.hexdigest()


def recorded_sha256(path: str | os.PathLike[str]) -> str | None:
    """The sha256 the :data:`RUN_RECORD` of ``path``'s folder lists for it, or None
    (no record there, an unreadable one, or ``path`` not listed)."""
    path = Path(path)
    record = path.parent / RUN_RECORD
    if record.is_symlink() or not record.is_file():
        return None
    try:
        files = json.loads(record.read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    digest = files.get(path.name) if isinstance(files, dict) else None
    return digest if isinstance(digest, str) else None
