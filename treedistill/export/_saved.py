"""A saved student (a run directory or a student file) exported to a format.

:func:`export_saved` is what ``treedistill export`` runs: it finds the student
a format takes, loads it and hands it to the format's writer.
"""

from __future__ import annotations

from treedistill.exceptions import ParameterError
from treedistill.export._common import EXPORTABLE
from treedistill.export._common import WHAT as _WHAT
from treedistill.export._names import FORMATS

__all__ = ["FORMATS", "export_saved"]

#: The formats and the file each one writes.


def _kinds_in(folder) -> list[str]:
    from treedistill.exceptions import SavedRunError
    from treedistill.runs._saved import STUDENT_KINDS, find_student

    kinds = []
    for kind in STUDENT_KINDS:
        try:
            find_student(folder, kind)
        except SavedRunError:
            continue
        kinds.append(kind)
    return kinds


def export_saved(source, fmt: str, *, kind: str | None = None, **options) -> bytes:
    """A saved student (run directory or student file) exported as file contents.

    Parameters
    ----------
    source : str or path-like
        A run directory or a ``student*.json`` file.
    fmt : {"sql", "onnx", "python"}
    kind : {"tree", "boosted"}, optional
        Which student of a run directory that holds both; by default the first
        one the format takes (the tree, for every format).
    **options
        Passed to :func:`to_sql` (``table``, ``dialect``, ``passthrough``);
        ``flag_threshold`` and ``positive_class`` to every format (the output
        ``flagged``).

    Raises
    ------
    ParameterError
        An unknown format, or a student the format does not take.
    SavedRunError
        No student, or none the format takes, in ``source``.
    """
    from pathlib import Path

    from treedistill.exceptions import SavedRunError
    from treedistill.runs._saved import load_run_student

    if fmt not in FORMATS:
        raise ParameterError(
            f"format must be one of {', '.join(FORMATS)}; got {fmt!r}",
            parameter="format",
        )
    if kind is None and Path(source).is_dir():
        present = _kinds_in(source)
        takes = [k for k in EXPORTABLE[fmt] if k in present]
        if present and not takes:
            raise SavedRunError(
                f"{str(source)!r} holds only a {' and a '.join(present)} student, "
                f"which does not export to {fmt} ({_WHAT})",
                path=source,
            )
        kind = takes[0] if takes else None
    model = load_run_student(source, kind)
    flag = {
        k: options.pop(k) for k in ("flag_threshold", "positive_class") if k in options
    }
    if fmt == "sql":
        from treedistill.export._sql import to_sql

        return (to_sql(model, **options, **flag) + ";\n").encode("utf-8")
    if options:
        raise ParameterError(
            f"{' and '.join(sorted(options))}: an option of sql export only",
            parameter=sorted(options)[0],
        )
    if fmt == "python":
        from treedistill.export._python import to_python

        return to_python(model, **flag).encode("utf-8")
    from treedistill.export._onnx import to_onnx

    return to_onnx(model, **flag).SerializeToString()
