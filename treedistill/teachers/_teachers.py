"""Teachers: anything that yields logits of shape (n_samples, n_classes).

A teacher is a fitted classifier with ``classes_`` and one of ``predict_logits``,
``decision_function`` or ``predict_proba`` (tried in that order). xgboost's
classifiers give their raw margins. Ensembles average the members' distributions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from treedistill.exceptions import TeacherError
from treedistill.teachers._soften import logits_from_proba, softmax

__all__ = [
    "EnsembleTeacher",
    "TorchExportTeacher",
    "teacher_logits",
    "resolve_teacher",
    "is_fitted",
    "raw_logits",
]

DEFAULT_BATCH_SIZE = 16384


def is_fitted(estimator) -> bool:
    """Whether ``estimator`` is already fitted (scikit-learn's notion)."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    except TypeError:  # not an estimator at all
        return hasattr(estimator, "classes_")
    return True


def raw_logits(teacher, X) -> np.ndarray:
    """Logits of ``teacher`` on ``X`` in one call (see :func:`teacher_logits`).

    ``predict_logits`` is used as it is, xgboost gives its margins, then
    ``decision_function`` and ``predict_proba`` (through :func:`logits_from_proba`);
    binary scores of shape (n,) become two columns ``[0, z]``.
    """
    if hasattr(teacher, "predict_logits"):
        return np.asarray(teacher.predict_logits(X), dtype=np.float64)
    if _is_xgboost(teacher):
        margin = np.asarray(teacher.predict(X, output_margin=True), dtype=np.float64)
        return _binary_to_two(margin)
    if hasattr(teacher, "decision_function"):
        return _binary_to_two(
            np.asarray(teacher.decision_function(X), dtype=np.float64)
        )
    if hasattr(teacher, "predict_proba"):
        return logits_from_proba(teacher.predict_proba(X))
    raise TypeError(
        f"{type(teacher).__name__} has none of predict_logits, decision_function, "
        "predict_proba: it cannot be a teacher"
    )


def _binary_to_two(z: np.ndarray) -> np.ndarray:
    """Binary scores (n,) as two-column logits [0, z] (softmax of which is sigmoid)."""
    if z.ndim == 1:
        return np.column_stack([np.zeros_like(z), z])
    if z.ndim == 2 and z.shape[1] == 1:
        return np.column_stack([np.zeros(len(z)), z[:, 0]])
    return z


def _is_xgboost(model) -> bool:
    return type(model).__module__.startswith("xgboost") and hasattr(
        model, "get_booster"
    )


def teacher_logits(teacher, X, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """Logits of ``teacher`` on ``X``, computed in batches to bound memory.

    Returns an array of shape (n_samples, n_classes).
    """
    n = len(X)
    if n == 0:
        k = len(teacher.classes_)
        return np.empty((0, k))
    parts = []
    for start in range(0, n, batch_size):
        chunk = (
            X.iloc[start : start + batch_size]
            if hasattr(X, "iloc")
            else X[start : start + batch_size]
        )
        parts.append(raw_logits(teacher, chunk))
    z = np.concatenate(parts, axis=0)
    k = len(teacher.classes_)
    if z.shape != (n, k):
        raise ValueError(
            f"the teacher returned scores of shape {z.shape}; expected ({n}, {k}) "
            "for its classes"
        )
    return z


def resolve_teacher(teacher, X, y, random_state=None):
    """Return a fitted teacher.

    ``None`` builds and fits the default :class:`MLPTeacher`; a fitted model (or a
    ``FrozenEstimator``) is used as it is and never refit; an unfitted one is cloned
    and fitted on ``(X, y)``.
    """
    if teacher is None:
        from treedistill.teachers._mlp import MLPTeacher

        return MLPTeacher(random_state=random_state).fit(X, y)
    if isinstance(teacher, (str, Path)):
        raise TypeError(
            "teacher must be an estimator, not a path; load the file first "
            "(treedistill.load_teacher)"
        )
    if not (hasattr(teacher, "fit") or hasattr(teacher, "classes_")):
        raise TypeError(f"teacher must be a classifier, got {type(teacher).__name__}")
    if is_fitted(teacher):
        return teacher
    fitted = clone(teacher)
    if "random_state" in fitted.get_params(deep=False) and random_state is not None:
        if fitted.get_params(deep=False)["random_state"] is None:
            fitted.set_params(random_state=random_state)
    return fitted.fit(X, y)


class EnsembleTeacher(ClassifierMixin, BaseEstimator):
    """Several teachers combined by the mean of their class distributions.

    Parameters
    ----------
    teachers : list of classifiers
        Fitted members are used as they are; unfitted ones are cloned and fitted.
        All must share the same classes.
    method : {"arithmetic", "geometric"}, default="arithmetic"
        ``arithmetic`` averages the probabilities; ``geometric`` averages the
        log-probabilities and renormalises (a product of experts, Hinton et al.).
    weights : list of float, default=None
        Member weights (uniform when None).

    Attributes
    ----------
    teachers_ : list
        The fitted members.
    classes_ : ndarray
    """

    def __init__(self, teachers=(), *, method="arithmetic", weights=None):
        self.teachers = teachers
        self.method = method
        self.weights = weights

    def fit(self, X, y):
        self._check_params()
        self.teachers_ = [resolve_teacher(t, X, y) for t in self.teachers]
        self._set_classes()
        return self

    def _check_params(self):
        if self.method not in ("arithmetic", "geometric"):
            raise ValueError(
                f"method must be 'arithmetic' or 'geometric', got {self.method!r}"
            )
        if len(self.teachers) == 0:
            raise ValueError("teachers must hold at least one classifier")
        if self.weights is not None and len(self.weights) != len(self.teachers):
            raise ValueError(
                f"weights has {len(self.weights)} entries for "
                f"{len(self.teachers)} teachers"
            )

    def _set_classes(self):
        first = np.asarray(self.teachers_[0].classes_)
        for t in self.teachers_[1:]:
            other = np.asarray(t.classes_)
            if other.shape != first.shape or not np.all(other == first):
                raise ValueError(
                    "the ensemble's teachers disagree on the classes: "
                    f"{first.tolist()} vs {other.tolist()}"
                )
        self.classes_ = first
        self.n_features_in_ = getattr(self.teachers_[0], "n_features_in_", None)

    @classmethod
    def from_fitted(cls, teachers, *, method="arithmetic", weights=None):
        """An ensemble of already fitted teachers (no fitting needed)."""
        ens = cls(list(teachers), method=method, weights=weights)
        ens._check_params()
        ens.teachers_ = list(teachers)
        ens._set_classes()
        return ens

    def predict_logits(self, X) -> np.ndarray:
        check_is_fitted(self, "teachers_")
        w = (
            np.ones(len(self.teachers_))
            if self.weights is None
            else np.asarray(self.weights, dtype=float)
        )
        w = w / w.sum()
        log_ps = [_log_softmax(raw_logits(t, X)) for t in self.teachers_]
        if self.method == "geometric":
            return sum(wi * lp for wi, lp in zip(w, log_ps, strict=True))
        stacked = np.stack(log_ps) + np.log(w)[:, None, None]
        m = stacked.max(axis=0)
        return m + np.log(np.exp(stacked - m).sum(axis=0))

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.predict_logits(X), axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]


def _log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


class TorchExportTeacher(ClassifierMixin, BaseEstimator):
    """A torch module saved with ``torch.export`` (a ``.pt2`` file) as a teacher.

    The program takes a float32 tensor of shape (n, n_features) and returns logits
    of shape (n, n_classes). It is loaded once and never trained.

    Parameters
    ----------
    path : str or Path
        The ``.pt2`` file written by ``torch.export.save``.
    classes : sequence
        The class labels, in the order of the program's outputs.
    feature_names : sequence of str, default=None
        The columns, in the order the program expects them; a DataFrame passed at
        predict time is reordered to match.
    batch_size : int, default=8192
    """

    def __init__(self, path, classes, *, feature_names=None, batch_size=8192):
        self.path = path
        self.classes = classes
        self.feature_names = feature_names
        self.batch_size = batch_size

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X=None, y=None):
        """Nothing to fit: the program is loaded as it is."""
        return self

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def load_program(self):
        """The loaded program (read from ``path`` on the first call).

        Raises
        ------
        ValueError
            If the file is missing or is not a ``torch.export`` program.
        """
        prog = getattr(self, "_module", None)
        if prog is None:
            import torch

            path = Path(self.path)
            if not path.is_file():
                raise ValueError(f"teacher file {str(path)!r} does not exist")
            try:
                program = torch.export.load(str(path))
                prog = program.module()
            except Exception as exc:  # noqa: BLE001 - report the file, not internals
                raise ValueError(
                    f"teacher file {str(path)!r} is not a torch.export program ({exc})"
                ) from None
            self._module = prog
            self._n_inputs = _program_width(program)
        return prog

    def predict_logits(self, X) -> np.ndarray:
        import torch

        if isinstance(X, pd.DataFrame):
            if self.feature_names is not None:
                X = X[list(self.feature_names)]
            X = X.to_numpy(dtype=np.float32, na_value=np.nan)
        arr = np.array(X, dtype=np.float32, copy=True)
        prog = self.load_program()
        width = getattr(self, "_n_inputs", None)
        if width is not None and (arr.ndim != 2 or arr.shape[1] != width):
            given = arr.shape[1] if arr.ndim == 2 else arr.shape
            raise TeacherError(
                f"teacher file {str(self.path)!r} is a program of {width} input "
                f"columns, but the data gives it {given}; keep only the columns it "
                "was exported for, in its order",
                path=self.path,
            )
        outs = []
        with torch.inference_mode():
            for start in range(0, len(arr), self.batch_size):
                t = torch.from_numpy(arr[start : start + self.batch_size])
                outs.append(prog(t).detach().cpu().numpy().astype(np.float64))
        z = np.concatenate(outs) if outs else np.empty((0, len(self.classes)))
        return _binary_to_two(z)

    def predict_proba(self, X) -> np.ndarray:
        return softmax(self.predict_logits(X), axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_module", None)
        state.pop("_n_inputs", None)
        return state


def _program_width(program) -> int | None:
    """The number of columns a ``torch.export`` program's one (n, d) input has."""
    users = [
        spec.arg.name
        for spec in program.graph_signature.input_specs
        if spec.kind.name == "USER_INPUT"
    ]
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in users[:1]:
            shape = getattr(node.meta.get("val"), "shape", None)
            if shape is not None and len(shape) == 2 and isinstance(shape[1], int):
                return int(shape[1])
    return None
