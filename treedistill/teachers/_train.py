"""Training the default teacher: one MLP, or an ensemble of MLPs with consecutive seeds.

torch is imported only when a teacher is trained, so that importing this module (the
command line does, for its defaults) stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral

from treedistill.exceptions import ParameterError

__all__ = [
    "DEFAULT_HIDDEN",
    "DEFAULT_MAX_EPOCHS",
    "check_training",
    "torch_threads",
    "train_teacher",
]

#: The default MLP teacher's hidden layer widths and epoch limit (those of MLPTeacher).
DEFAULT_HIDDEN = (256, 128, 64)
DEFAULT_MAX_EPOCHS = 200

Progress = Callable[[str, int, int], None]


def torch_threads(n: int = 1):
    """Run a block with ``n`` torch threads (see ``treedistill.teachers._mlp.torch_threads``)."""
    from treedistill.teachers._mlp import torch_threads as _torch_threads

    return _torch_threads(n)


def _check_int(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ParameterError(
            f"{name} must be a whole number, got {value!r}", parameter=name
        )
    if value < low:
        raise ParameterError(f"{name} must be >= {low}, got {value}", parameter=name)


def check_training(*, n_members, hidden_layer_sizes, max_epochs, random_state) -> None:
    """Refuse (naming the parameter) what :func:`train_teacher` cannot train."""
    _check_int("n_members", n_members, 1)
    _check_int("max_epochs", max_epochs, 1)
    _check_int("random_state", random_state, 0)
    for width in hidden_layer_sizes:
        _check_int("hidden_layer_sizes", width, 1)


def train_teacher(
    X,
    y,
    *,
    n_members: int = 1,
    hidden_layer_sizes: Sequence[int] = DEFAULT_HIDDEN,
    max_epochs: int = DEFAULT_MAX_EPOCHS,
    random_state: int = 0,
    progress: Progress | None = None,
    sample_weight=None,
):
    """Train the default MLP teacher, or an ensemble of ``n_members`` of them.

    Member ``i`` is seeded ``random_state + i``; several members are averaged
    (arithmetic mean of probabilities) by an :class:`~treedistill.EnsembleTeacher`.
    Training runs on one torch thread, so the result is the same on any machine.

    Parameters
    ----------
    X : DataFrame
        Feature columns (numeric and categorical; missing values allowed).
    y : array-like
        Class labels.
    n_members : int, default=1
    hidden_layer_sizes : sequence of int, default=(256, 128, 64)
    max_epochs : int, default=200
    random_state : int, default=0
    progress : callable, optional
        Called as ``progress(stage, index, total)`` before each member is trained.
    sample_weight : array-like of shape (n_samples,), optional
        Row weights of every member's loss.

    Returns
    -------
    MLPTeacher or EnsembleTeacher
        The fitted teacher; ``training_rows_`` records which rows of a DataFrame
        ``X`` trained it (fingerprints of their values, not the values; saved
        with the teacher), so a run can count held-out rows it has seen.
    """
    check_training(
        n_members=n_members,
        hidden_layer_sizes=hidden_layer_sizes,
        max_epochs=max_epochs,
        random_state=random_state,
    )
    from treedistill.teachers._mlp import MLPTeacher
    from treedistill.teachers._teachers import EnsembleTeacher

    members = []
    with torch_threads(1):
        for i in range(n_members):
            if progress is not None:
                progress(f"teacher {i + 1}/{n_members}", i, n_members)
            members.append(
                MLPTeacher(
                    hidden_layer_sizes=tuple(int(h) for h in hidden_layer_sizes),
                    max_epochs=int(max_epochs),
                    random_state=int(random_state) + i,
                ).fit(X, y, sample_weight=sample_weight)
            )
    record = _training_record(X)
    for member in members:
        member.training_rows_ = record
    if n_members == 1:
        return members[0]
    ensemble = EnsembleTeacher.from_fitted(members, method="arithmetic")
    ensemble.training_rows_ = record
    return ensemble


def _training_record(X) -> dict | None:
    """Fingerprints of the rows that trained a teacher (saved with it)."""
    import pandas as pd

    from treedistill.teachers._provenance import FINGERPRINT, row_fingerprints

    if not isinstance(X, pd.DataFrame):
        return None
    return {
        "method": FINGERPRINT,
        "columns": [str(c) for c in X.columns],
        "fingerprints": sorted(set(row_fingerprints(X))),
    }
