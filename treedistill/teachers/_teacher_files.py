"""Teacher files: loading and saving fitted teachers without running code from a file.

Formats follow the extension: treedistill's own torch files (``.pt``), ``torch.export``
programs (``.pt2``), skops files with an allow-list of types, xgboost's JSON/UBJ
model files, and pickle only when the caller trusts the file.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._files import atomic_write_bytes, first_line, quoted
from treedistill.common._json import scalar
from treedistill.exceptions import DataError, ParameterError, TeacherError

__all__ = [
    "ENSEMBLE_METHODS",
    "SKOPS_ALLOWED_MODULES",
    "AdaptedTeacher",
    "load_teacher",
    "save_teacher",
]

_MLP_SUFFIXES = (".pt", ".pth", ".td-teacher")
_XGB_SUFFIXES = (".json", ".ubj")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_ACCEPTED = (
    ".pt/.td-teacher (treedistill MLPTeacher), .pt2 (torch.export program), "
    ".skops, .json/.ubj (xgboost), .pkl/.pickle/.joblib (only with trust_pickle)"
)
#: How :func:`load_teacher` combines several teachers.
ENSEMBLE_METHODS = ("arithmetic", "geometric")
_ENSEMBLE_TAG = "treedistill.EnsembleTeacher"
_ENSEMBLE_VERSION = 1
#: A zip-based teacher file (``.skops``, ``.pt``, ``.pt2``) may unpack to at most
#: this many times its size on disk, or to :data:`MIN_INFLATION_BYTES` if more.
MAX_INFLATION = 100
MIN_INFLATION_BYTES = 64 << 20
#: Modules whose classes a ``.skops`` teacher may contain.
SKOPS_ALLOWED_MODULES = ("sklearn", "numpy", "scipy.sparse", "scipy.special", "xgboost")


def _failed(path, problem: str, exc: BaseException) -> TeacherError:
    """``teacher file 'PATH' PROBLEM (Type: first line of exc)``, naming the path."""
    return TeacherError(
        f"teacher file {quoted(path)} {problem} ({first_line(exc)})", path=path
    )


def _coerce_classes(classes, name: str = "classes") -> list | None:
    """``classes`` as labels: a comma-separated string or a sequence.

    Strings that all parse as whole numbers become ints (and as numbers, floats),
    the same rule :func:`read_table` applies to a target column.
    """
    if classes is None:
        return None
    if isinstance(classes, str):
        items: list = [c.strip() for c in classes.split(",")]
    else:
        items = [scalar(c) for c in classes]
    if isinstance(classes, str) or all(isinstance(c, str) for c in items):
        items = [str(c).strip() for c in items]
        if any(not c for c in items):
            raise ParameterError(f"{name} has an empty class name", parameter=name)
        parsed = pd.to_numeric(pd.Series(items, dtype=object), errors="coerce")
        if parsed.notna().all():
            vals = parsed.to_numpy(dtype=np.float64)
            if np.all(vals == np.round(vals)) and not any("." in c for c in items):
                items = [int(v) for v in vals]
            else:
                items = [float(v) for v in vals]
    if len(items) < 2:
        raise ParameterError(
            f"{name} needs at least 2 classes, got {len(items)}", parameter=name
        )
    if len(set(items)) != len(items):
        raise ParameterError(f"{name} repeats a class: {items}", parameter=name)
    return items


class AdaptedTeacher:
    """A fitted model seen through other class labels and/or a column order.

    Parameters
    ----------
    model : fitted classifier
        Gives the scores, in the order of its own classes.
    classes : sequence, default=None
        Labels for those outputs (default: the model's ``classes_``).
    feature_names : sequence of str, default=None
        The columns the model is given from a DataFrame, in this order.
    categories : dict, default=None
        Column name -> the categories the model was trained on: those columns
        of a DataFrame are given to the model as pandas ``Categorical`` columns
        of exactly these categories (any other value is missing).
    """

    def __init__(self, model, *, classes=None, feature_names=None, categories=None):
        self.model = model
        self.categories = None if not categories else dict(categories)
        self.classes_ = (
            np.asarray(classes) if classes is not None else np.asarray(model.classes_)
        )
        self.feature_names = None if feature_names is None else list(feature_names)
        n_in = len(self.feature_names) if self.feature_names else None
        self.n_features_in_ = getattr(model, "n_features_in_", n_in)

    def __sklearn_is_fitted__(self):
        return True

    def __repr__(self) -> str:
        return (
            f"AdaptedTeacher({type(self.model).__name__}, "
            f"classes={self.classes_.tolist()!r})"
        )

    def _columns(self, X):
        if self.feature_names is not None and isinstance(X, pd.DataFrame):
            absent = [c for c in self.feature_names if c not in X.columns]
            if absent:
                raise DataError(
                    f"column {absent[0]!r} that the teacher needs is missing from the "
                    "data",
                    column=absent[0],
                )
            X = X[self.feature_names]
        if self.categories and isinstance(X, pd.DataFrame):
            X = _as_categories(X, self.categories)
        return X

    def predict_logits(self, X) -> np.ndarray:
        from treedistill.teachers._teachers import raw_logits

        return raw_logits(self.model, self._columns(X))

    def predict_proba(self, X) -> np.ndarray:
        from treedistill.teachers._soften import softmax

        return softmax(self.predict_logits(X), axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]


def load_teacher(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    trust_pickle: bool = False,
    ensemble: str = "arithmetic",
    classes: Sequence | str | None = None,
    feature_names: Sequence[str] | None = None,
    teacher_classes: Sequence | str | None = None,
):
    """Load a fitted teacher (or an ensemble of several) from files.

    The format follows the extension:

    - ``.pt`` / ``.pth`` / ``.td-teacher``: a :class:`~treedistill.MLPTeacher` (or
      an ensemble of them) written by :func:`save_teacher`, read with
      ``torch.load(weights_only=True)``: no code in the file can run.
    - ``.pt2``: a ``torch.export`` program (float32 (n, d) → logits (n, K)),
      wrapped in :class:`~treedistill.TorchExportTeacher`; needs ``classes``
      (``feature_names`` gives the column order it expects).
    - ``.skops``: read with ``skops.io.load``, trusting only the types it needs
      that are classes (or numpy ufuncs) of the modules in
      :data:`SKOPS_ALLOWED_MODULES`; any other type is refused before loading.
    - ``.json`` / ``.ubj``: an xgboost classifier in xgboost's own format. Its
      classes are ``0 … K-1``; ``classes`` relabels them in that order. A model
      trained on pandas ``category`` columns (``enable_categorical=True``) is
      given those columns of the data as the categories stored in the model
      (xgboost 3.1 and later store them; a model without them is refused).
    - ``.pkl`` / ``.pickle`` / ``.joblib``: only when ``trust_pickle`` is true,
      since unpickling runs code from the file.

    Parameters
    ----------
    paths : path or list of paths
        One file gives that teacher; several give an
        :class:`~treedistill.EnsembleTeacher` of them.
    trust_pickle : bool, default=False
        Allow pickle / joblib files.
    ensemble : {"arithmetic", "geometric"}, default="arithmetic"
        How several teachers are combined.
    classes : sequence or comma-separated str, default=None
        Class labels in output order: required for ``.pt2``, relabels an xgboost
        model, and is checked against the classes of any other model. Strings
        that all parse as whole numbers become ints.
    feature_names : sequence of str, default=None
        Column order the teacher expects: given to a ``.pt2`` program; any other
        model is given only these columns, in this order, from a DataFrame.
    teacher_classes : sequence or comma-separated str, default=None
        The data label each of the teacher's outputs means, in output order, for
        a model of any format trained on other codes (an xgboost model trained
        on 0/1 used on a target coded 1/2: ``teacher_classes=[1, 2]``). Its first
        output then predicts label 1, its second label 2; the count must match
        the model's outputs. Not together with ``classes``.

    Returns
    -------
    teacher
        A fitted classifier with ``classes_``.

    Raises
    ------
    TeacherError
        For a missing file, an unknown format, a refused skops type, a file that
        does not load, or a model that is not a fitted classifier (``path`` names
        the file).
    ParameterError
        For a pickle file without ``trust_pickle`` (``parameter="trust_pickle"``),
        a bad ``ensemble`` or ``classes``, or ``.pt2`` without ``classes``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ParameterError("no teacher file given", parameter="paths")
    if ensemble not in ENSEMBLE_METHODS:
        raise ParameterError(
            f"ensemble must be 'arithmetic' or 'geometric', got {ensemble!r}",
            parameter="ensemble",
        )
    labels = _coerce_classes(classes)
    relabel = _coerce_classes(teacher_classes, "teacher_classes")
    if labels is not None and relabel is not None:
        raise ParameterError(
            "give either classes (checked against the teacher's own labels) or "
            "teacher_classes (the data label of each output), not both",
            parameter="teacher_classes",
        )
    names = None if feature_names is None else [str(f) for f in feature_names]
    teachers = [
        _load_one(p, trust_pickle=trust_pickle, classes=labels, feature_names=names)
        if relabel is None
        else _relabelled(p, trust_pickle, relabel, names)
        for p in paths
    ]
    if len(teachers) == 1:
        return teachers[0]
    from treedistill.teachers._teachers import EnsembleTeacher

    try:
        return EnsembleTeacher.from_fitted(teachers, method=ensemble)
    except ValueError as exc:
        raise TeacherError(
            f"the teachers {', '.join(quoted(p) for p in paths)} cannot form an "
            f"ensemble: {exc}"
        ) from None


def _relabelled(path, trust_pickle, labels: list, feature_names):
    """The teacher in ``path`` with its outputs named ``labels`` (in order)."""
    if Path(path).suffix.lower() == ".pt2":
        return _load_one(
            path, trust_pickle=trust_pickle, classes=labels, feature_names=feature_names
        )
    model = _load_one(path, trust_pickle=trust_pickle, classes=None, feature_names=None)
    own = [scalar(c) for c in np.asarray(model.classes_).tolist()]
    if len(own) != len(labels):
        raise ParameterError(
            f"teacher_classes gives {len(labels)} labels {labels} but teacher "
            f"{quoted(path)} has {len(own)} outputs (its classes: {own})",
            parameter="teacher_classes",
        )
    if isinstance(model, AdaptedTeacher):  # an xgboost model with categories
        model.classes_ = np.asarray(labels)
        if feature_names is not None:
            model.feature_names = list(feature_names)
        return model
    if feature_names is None and getattr(model, "feature_names_in_", None) is not None:
        feature_names = [str(n) for n in model.feature_names_in_]
    return AdaptedTeacher(model, classes=labels, feature_names=feature_names)


def _load_one(path, *, trust_pickle, classes, feature_names):
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in _PICKLE_SUFFIXES and not trust_pickle:
        raise ParameterError(
            f"refusing to unpickle {quoted(path)}: pickle files can run code; set "
            "trust_pickle if you trust this file, or save the model with skops",
            parameter="trust_pickle",
        )
    if not p.exists():
        raise TeacherError(f"teacher file {quoted(path)} does not exist", path=path)
    if not p.is_file():
        raise TeacherError(f"teacher file {quoted(path)} is not a file", path=path)
    _check_inflation(p, path)
    if suffix in _MLP_SUFFIXES:
        model = _load_torch_teacher(p, path)
    elif suffix == ".pt2":
        return _load_export(p, path, classes, feature_names)
    elif suffix == ".skops":
        model = _load_skops(p, path)
    elif suffix in _XGB_SUFFIXES:
        model = _load_xgboost(p, path)
        categories = _xgb_categories(model, path)
        if classes is not None and len(classes) != len(model.classes_):
            raise TeacherError(
                f"teacher {quoted(path)} has {len(model.classes_)} classes but "
                f"classes gives {len(classes)}",
                path=path,
            )
        if classes is not None or categories:
            return AdaptedTeacher(
                model,
                classes=classes,
                feature_names=feature_names,
                categories=categories,
            )
    elif suffix in _PICKLE_SUFFIXES:
        model = _load_pickle(p, path)
    else:
        raise TeacherError(
            f"teacher file {quoted(path)} has an unknown format "
            f"{suffix or '(none)'!r}; "
            f"accepted: {_ACCEPTED}",
            path=path,
        )
    _check_classifier(model, path)
    if classes is not None:
        have = [scalar(c) for c in np.asarray(model.classes_).tolist()]
        if have != list(classes):
            raise TeacherError(
                f"teacher {quoted(path)} has classes {have} but classes gives "
                f"{list(classes)}",
                path=path,
            )
    if feature_names is not None:
        return AdaptedTeacher(model, feature_names=feature_names)
    return model


def _check_inflation(p: Path, path) -> None:
    """Refuse a zip-based teacher file (skops, torch) that unpacks to more than
    :data:`MAX_INFLATION` times its size on disk (and more than
    :data:`MIN_INFLATION_BYTES`), before anything in it is read."""
    if not zipfile.is_zipfile(p):
        return
    try:
        with zipfile.ZipFile(p) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _failed(path, "is not a readable archive", exc) from None
    size = p.stat().st_size
    limit = max(MIN_INFLATION_BYTES, MAX_INFLATION * size)
    if unpacked > limit:
        raise TeacherError(
            f"teacher file {quoted(path)} ({size:,} bytes) unpacks to "
            f"{unpacked:,} bytes, more than {MAX_INFLATION} times its size "
            f"(at most {limit:,}); refusing to load it",
            path=path,
        )


def _check_classifier(model, path) -> None:
    from treedistill.teachers._teachers import is_fitted

    if (
        not hasattr(model, "predict_proba")
        and not hasattr(model, "predict_logits")
        and (not hasattr(model, "decision_function"))
    ):
        raise TeacherError(
            f"teacher file {quoted(path)} holds a {type(model).__name__}, not a "
            "classifier (no predict_proba or decision_function)",
            path=path,
        )
    try:
        fitted = is_fitted(model)
        has_classes = hasattr(model, "classes_")
    except Exception:  # noqa: BLE001 - a broken object is the file's fault
        fitted = has_classes = False
    if not fitted or not has_classes:
        raise TeacherError(
            f"teacher file {quoted(path)} holds a {type(model).__name__} that is not "
            "a fitted classifier with classes_",
            path=path,
        )


def _load_torch_teacher(p: Path, path):
    import torch

    if not zipfile.is_zipfile(p):
        raise TeacherError(
            f"teacher file {quoted(path)} is not a torch.save file (a treedistill "
            "teacher is written by save_teacher or MLPTeacher.save)",
            path=path,
        )
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise TeacherError(
            f"teacher file {quoted(path)} holds Python objects beyond tensors and "
            "plain values, which are not loaded (a treedistill teacher is written by "
            "save_teacher or MLPTeacher.save)",
            path=path,
        ) from None
    except Exception as exc:  # noqa: BLE001
        raise _failed(
            path, "is not a treedistill teacher saved with torch", exc
        ) from None
    if isinstance(payload, dict) and payload.get("format") == _ENSEMBLE_TAG:
        return _ensemble_from_payload(payload, path)
    return _mlp_from_payload(payload, path)


def _mlp_from_payload(payload, path, member: int | None = None):
    from treedistill.teachers._mlp import FORMAT_TAG, MLPTeacher

    what = f"teacher file {quoted(path)}" + (
        f" (ensemble member {member + 1})" if member is not None else ""
    )
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_TAG:
        raise TeacherError(
            f"{what} is not a treedistill teacher (no MLPTeacher or EnsembleTeacher "
            "format tag)",
            path=path,
        )
    try:
        return MLPTeacher.from_payload(payload)
    except ValueError as exc:
        raise TeacherError(f"{what} {exc}", path=path) from None


def _ensemble_from_payload(payload: dict, path):
    from treedistill.teachers._teachers import EnsembleTeacher

    if payload.get("version") != _ENSEMBLE_VERSION:
        raise TeacherError(
            f"teacher file {quoted(path)} has unsupported ensemble format version "
            f"{payload.get('version')!r} (expected {_ENSEMBLE_VERSION})",
            path=path,
        )
    members = payload.get("members")
    if not isinstance(members, list) or not members:
        raise TeacherError(
            f"teacher file {quoted(path)} is an ensemble with no members", path=path
        )
    teachers = [_mlp_from_payload(m, path, i) for i, m in enumerate(members)]
    try:
        ensemble = EnsembleTeacher.from_fitted(
            teachers,
            method=payload.get("method", "arithmetic"),
            weights=payload.get("weights"),
        )
        if payload.get("training_rows") is not None:
            ensemble.training_rows_ = dict(payload["training_rows"])
        return ensemble
    except ValueError as exc:
        raise TeacherError(
            f"teacher file {quoted(path)} holds an invalid ensemble: {exc}", path=path
        ) from None


def _load_export(p: Path, path, classes, feature_names):
    from treedistill.teachers._teachers import TorchExportTeacher

    if classes is None:
        raise ParameterError(
            f"a .pt2 teacher needs classes (the labels of its outputs, in order): "
            f"{quoted(path)}",
            parameter="classes",
        )
    teacher = TorchExportTeacher(str(p), list(classes), feature_names=feature_names)
    try:
        teacher.load_program()
    except ValueError as exc:
        raise TeacherError(str(exc), path=path) from None
    return teacher


def _skops_type_allowed(name: str) -> bool:
    module, _, attr = name.rpartition(".")
    if not module or not any(
        module == m or module.startswith(m + ".") for m in SKOPS_ALLOWED_MODULES
    ):
        return False
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, (type, np.ufunc))


def _load_skops(p: Path, path):
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - skops is a dependency
        raise TeacherError(
            f"reading {quoted(path)} needs skops (pip install skops)", path=path
        ) from None
    try:
        untrusted = sio.get_untrusted_types(file=p)
    except Exception as exc:  # noqa: BLE001
        raise _failed(path, "is not a readable skops file", exc) from None
    refused = [t for t in untrusted if not _skops_type_allowed(t)]
    if refused:
        raise TeacherError(
            f"teacher file {quoted(path)} needs type {refused[0]!r}, which is not on "
            f"the allow-list ({', '.join(SKOPS_ALLOWED_MODULES)} classes); "
            "refusing to load it",
            path=path,
        )
    try:
        return sio.load(p, trusted=list(untrusted))
    except Exception as exc:  # noqa: BLE001
        raise _failed(path, "does not load with skops", exc) from None


def _load_xgboost(p: Path, path):
    import xgboost

    model = xgboost.XGBClassifier()
    try:
        model.load_model(os.fspath(p))
    except Exception as exc:  # noqa: BLE001
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        first = re.sub(r"^\[[\d:]+\] \S+: ", "", first)  # xgboost's time and source
        raise TeacherError(
            f"teacher file {quoted(path)} is not an xgboost classifier model ({first})",
            path=path,
        ) from None
    objective = str(model.get_params().get("objective") or "")
    if not objective.startswith(("binary:", "multi:")):
        raise TeacherError(
            f"teacher file {quoted(path)} is an xgboost model with objective "
            f"{objective!r}, not a classifier",
            path=path,
        )
    return model


def _xgb_categories(model, path) -> dict[str, list] | None:
    """The categories of an xgboost model's categorical features (None if it has none).

    xgboost 3.1 and later store them in the model file; a model trained on
    categorical columns that does not is refused, naming the columns.
    """
    booster = model.get_booster()
    names, types = booster.feature_names or [], booster.feature_types or []
    kinds = dict(zip(names, types, strict=False))
    wanted = [name for name, kind in kinds.items() if kind == "c"]
    if not wanted:
        return None
    try:
        pairs = booster.get_categories(export_to_arrow=True).to_arrow()
    except Exception:  # noqa: BLE001 - older xgboost, or none stored
        pairs = []
    stored = {str(n): a.to_pylist() for n, a in pairs or [] if a is not None}
    absent = [name for name in wanted if not stored.get(name)]
    if absent:
        raise TeacherError(
            f"teacher file {quoted(path)} is an xgboost model trained on categorical "
            f"columns ({', '.join(repr(a) for a in absent)}) whose categories it does "
            "not store; save it with xgboost 3.1 or later, or as a skops pipeline "
            "that encodes them",
            path=path,
        )
    return {name: stored[name] for name in wanted}


def _as_categories(X: pd.DataFrame, categories: dict[str, list]) -> pd.DataFrame:
    """``X`` with the named columns as ``Categorical`` of exactly these categories."""
    X = X.copy()
    for name, cats in categories.items():
        if name not in X.columns:
            continue  # the model names the missing column itself
        values = X[name]
        if all(isinstance(c, str) for c in cats):
            values = values.astype(object).map(lambda v: v if pd.isna(v) else str(v))
        values = values.where(values.isin(cats))  # unseen values: missing
        X[name] = pd.Categorical(values, categories=cats)
    return X


def _load_pickle(p: Path, path):
    import joblib

    try:
        return joblib.load(p)
    except Exception as exc:  # noqa: BLE001
        raise _failed(path, "does not unpickle", exc) from None


def save_teacher(teacher, path: str | os.PathLike[str]) -> Path:
    """Save a treedistill teacher to one file that loads without pickle.

    An :class:`~treedistill.MLPTeacher` is written by its own ``save``. An
    :class:`~treedistill.EnsembleTeacher` whose members are all MLPTeachers is
    written as one ``torch.save`` dict ``{"format": "treedistill.EnsembleTeacher",
    "version": 1, "method", "weights", "members": [<each member's MLPTeacher
    dict>]}`` that ``torch.load(weights_only=True)`` reads. Both are read back by
    :func:`load_teacher` (use a ``.pt`` or ``.td-teacher`` name). The file is
    written atomically.

    Parameters
    ----------
    teacher : MLPTeacher or EnsembleTeacher of MLPTeachers
        Fitted.
    path : str or os.PathLike

    Returns
    -------
    Path
        The file written (atomically).

    Raises
    ------
    TeacherError
        For any other teacher (save those with skops or xgboost's ``save_model``)
        or an unfitted one.
    """
    import torch

    from treedistill.teachers._mlp import MLPTeacher
    from treedistill.teachers._teachers import EnsembleTeacher, is_fitted

    if isinstance(teacher, MLPTeacher):
        if not is_fitted(teacher):
            raise TeacherError("the MLPTeacher to save is not fitted", path=path)
        buf = io.BytesIO()
        torch.save(teacher.to_payload(), buf)
        return atomic_write_bytes(path, buf.getvalue())
    if isinstance(teacher, EnsembleTeacher):
        members = getattr(teacher, "teachers_", None)
        if members is None:
            raise TeacherError("the EnsembleTeacher to save is not fitted", path=path)
        for m in members:
            if not isinstance(m, MLPTeacher):
                raise TeacherError(
                    "only an EnsembleTeacher of MLPTeachers can be saved by "
                    f"treedistill; it holds a {type(m).__name__} (save that with skops)",
                    path=path,
                )
        weights = (
            None if teacher.weights is None else [float(w) for w in teacher.weights]
        )
        payload = {
            "format": _ENSEMBLE_TAG,
            "version": _ENSEMBLE_VERSION,
            "method": str(teacher.method),
            "weights": weights,
            "members": [m.to_payload() for m in members],
        }
        if getattr(teacher, "training_rows_", None) is not None:
            payload["training_rows"] = teacher.training_rows_
        buf = io.BytesIO()
        torch.save(payload, buf)
        return atomic_write_bytes(path, buf.getvalue())
    raise TeacherError(
        f"cannot save a {type(teacher).__name__} teacher: treedistill saves only "
        "MLPTeacher and EnsembleTeacher of MLPTeachers; save other models with skops "
        "(skops.io.dump) or xgboost's save_model",
        path=path,
    )
