"""A table of arrays kept on disk, written and read back chunk by chunk."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["ChunkSpill"]


class ChunkSpill:
    """A table of float64 arrays written chunk by chunk to files and read back.

    Each named field (``"X"``, ``"Q"``, …) is one file of rows of fixed width;
    the files are removed by :meth:`close` (or when the spill is used as a
    context manager).

    Parameters
    ----------
    widths : dict of str -> int
        Columns of each field.
    directory : str or Path, optional
        Where the files go (a fresh temporary folder inside it); default: the
        system's temporary folder.
    dtypes : dict of str -> dtype, optional
        Per-field dtype (default float64).
    """

    def __init__(self, widths: dict[str, int], directory=None, dtypes=None):
        self.widths = {k: int(v) for k, v in widths.items()}
        self.dtypes = {k: np.dtype((dtypes or {}).get(k, np.float64)) for k in widths}
        self._dir = tempfile.TemporaryDirectory(prefix="treedistill-", dir=directory)
        self.path = Path(self._dir.name)
        self._files = {k: open(self.path / f"{k}.bin", "wb") for k in widths}  # noqa: SIM115
        self.bounds: list[int] = [0]

    @property
    def n_rows(self) -> int:
        """Rows written so far."""
        return self.bounds[-1]

    def append(self, **arrays: np.ndarray) -> None:
        """Write one chunk: an array per field, all with the same number of rows."""
        if set(arrays) != set(self.widths):
            raise ValueError(f"a chunk needs the fields {sorted(self.widths)}")
        n = {len(a) for a in arrays.values()}
        if len(n) != 1:
            raise ValueError("the fields of a chunk must have the same number of rows")
        for key, a in arrays.items():
            a = np.ascontiguousarray(a, dtype=self.dtypes[key])
            if a.ndim != 2 or a.shape[1] != self.widths[key]:
                raise ValueError(
                    f"field {key!r} must have shape (rows, {self.widths[key]}), "
                    f"got {a.shape}"
                )
            a.tofile(self._files[key])
        self.bounds.append(self.bounds[-1] + n.pop())

    def add_field(self, key: str, width: int, dtype=np.float64) -> None:
        """Start a new field, to be filled chunk by chunk with :meth:`write_chunk`."""
        self.widths[key] = int(width)
        self.dtypes[key] = np.dtype(dtype)
        self._files[key] = open(self.path / f"{key}.bin", "wb")  # noqa: SIM115

    def write_chunk(self, key: str, array: np.ndarray) -> None:
        """Append the next chunk of a field added with :meth:`add_field`."""
        np.ascontiguousarray(array, dtype=self.dtypes[key]).tofile(self._files[key])

    def _flush(self) -> None:
        for f in self._files.values():
            f.flush()

    def chunks(self, *keys: str) -> Iterator[tuple[np.ndarray, ...]]:
        """The chunks as written, one tuple of arrays (in ``keys`` order) each."""
        self._flush()
        handles = [open(self.path / f"{k}.bin", "rb") for k in keys]  # noqa: SIM115
        try:
            for start, stop in zip(self.bounds[:-1], self.bounds[1:], strict=True):
                n = stop - start
                out = []
                for key, fh in zip(keys, handles, strict=True):
                    w, dt = self.widths[key], self.dtypes[key]
                    a = np.fromfile(fh, dtype=dt, count=n * w)
                    out.append(a.reshape(n, w))
                yield tuple(out)
        finally:
            for fh in handles:
                fh.close()

    def nbytes(self) -> int:
        """Bytes on disk."""
        self._flush()
        return sum(os.path.getsize(self.path / f"{k}.bin") for k in self.widths)

    def close(self) -> None:
        """Remove the files."""
        for f in self._files.values():
            f.close()
        self._dir.cleanup()

    def __enter__(self) -> ChunkSpill:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
