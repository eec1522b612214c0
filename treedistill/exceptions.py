"""Errors and warnings that treedistill raises, as named classes.

Callers catch and filter by class, never by message text (the command line turns
every :class:`TreedistillError` into a one-line message and exit code 2)::

    import warnings
    from treedistill.exceptions import UnseenCategoryWarning

    warnings.filterwarnings("ignore", category=UnseenCategoryWarning)

Every error is also a ``ValueError`` (or ``OSError`` for output locations), so code
written against the standard exceptions keeps working.
"""

from __future__ import annotations

import os

__all__ = [
    "DataError",
    "DataWarning",
    "DegenerateTeacherWarning",
    "IdentifierColumnWarning",
    "IgnoredColumnWarning",
    "LeakageWarning",
    "MissingDependencyError",
    "OutputError",
    "ParameterError",
    "SavedRunError",
    "TeacherError",
    "TeacherOverlapWarning",
    "TeacherSchemaWarning",
    "TreedistillError",
    "TreedistillWarning",
    "UnseenCategoryWarning",
]


def _one_line(message: object) -> str:
    return " ".join(str(message).split("\n")).strip()


class TreedistillError(Exception):
    """Base class of every error treedistill raises on purpose.

    The message is always one line; it names the file, column, line or parameter
    at fault.
    """

    def __init__(self, message: object):
        super().__init__(_one_line(message))


class DataError(TreedistillError, ValueError):
    """A problem with the data: a file that cannot be read, a column or value at fault.

    Parameters
    ----------
    message : str
        One line saying what is wrong and, where it helps, how to fix it.
    path : str or path-like, optional
        The file at fault.
    column : str, optional
        The column at fault.
    line : int, optional
        The line of the file at fault (1 = the header).
    """

    def __init__(self, message: object, *, path=None, column=None, line=None):
        super().__init__(message)
        self.path = os.fspath(path) if path is not None else None
        self.column = column
        self.line = line


class ParameterError(TreedistillError, ValueError):
    """A run-level parameter with a value outside its range.

    ``parameter`` is the Python name of the parameter (``"test_size"``); the command
    line maps it back to its option.
    """

    def __init__(self, message: object, *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class TeacherError(TreedistillError, ValueError):
    """A teacher file that cannot be loaded safely, or a teacher that does not fit the data."""

    def __init__(self, message: object, *, path=None):
        super().__init__(message)
        self.path = os.fspath(path) if path is not None else None


class SavedRunError(TreedistillError, ValueError):
    """A run directory or saved student that is missing, incomplete or not understood."""

    def __init__(self, message: object, *, path=None):
        super().__init__(message)
        self.path = os.fspath(path) if path is not None else None


class MissingDependencyError(TreedistillError, ImportError):
    """An optional package that a feature needs is not installed.

    ``extra`` names the package extra that installs it (``"export"``); the
    message gives the install command.
    """

    def __init__(self, message: object, *, extra: str | None = None):
        super().__init__(message)
        self.extra = extra


class OutputError(TreedistillError, OSError):
    """An output location that cannot or must not be written (exists, read-only, full).

    ``parameter`` is the Python name of the parameter the message speaks of
    (``"force"``), if any; the command line maps it back to its option.
    """

    def __init__(self, message: object, *, path=None, parameter: str | None = None):
        super().__init__(message)
        self.path = os.fspath(path) if path is not None else None
        self.parameter = parameter

    def __str__(self) -> str:  # OSError would format its own args otherwise
        return self.args[0] if self.args else ""


class TreedistillWarning(UserWarning):
    """Base class of treedistill's warnings."""


class DataWarning(TreedistillWarning):
    """Something in the data that the run handles but the user should know."""


class UnseenCategoryWarning(DataWarning):
    """A category level not seen in training; it is scored as the tree routes unknowns."""


class IdentifierColumnWarning(DataWarning):
    """A column that looks like a record identifier (unique per row, sequential, id-like name)."""


class LeakageWarning(DataWarning):
    """A column that alone separates the target almost perfectly (a possible leak)."""


class IgnoredColumnWarning(DataWarning):
    """A column that is not used (dropped as empty, or not known to the model)."""


class TeacherOverlapWarning(TreedistillWarning):
    """The teacher was trained on held-out rows, or whether it was is unknown."""


class TeacherSchemaWarning(TreedistillWarning):
    """Values of a column that the teacher's recorded schema does not know."""


class DegenerateTeacherWarning(TreedistillWarning):
    """The teacher gives (nearly) every row the same class at an operating point."""
