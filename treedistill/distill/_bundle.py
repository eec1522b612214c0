"""The saved student: one JSON file that predicts without the teacher or pickle.

:func:`save_student` writes a fitted :class:`~treedistill.DistilledTreeClassifier`
or :class:`~treedistill.DistilledBoostingClassifier` as a single JSON document:
its classes (and their dtype), the feature schema (column kinds, levels, ranges,
missing values), the training column names, the temperature and either the tree's
node arrays or the xgboost model (xgboost's own JSON). The bytes are
deterministic: keys are sorted, floats are written in Python's shortest
round-trip form (so they read back bit for bit) and nothing depends on the time
or the machine.

:func:`load_student` reads it back as a :class:`StudentBundle` whose
predictions equal the live model's exactly. A tree bundle predicts with numpy
alone (no scikit-learn estimator is rebuilt) and works with
:func:`treedistill.extract_rules` unchanged.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._files import (
    RUN_RECORD,
    atomic_write_text,
    recorded_sha256,
    sha256_file,
)
from treedistill.data._schema import TabularSchema, as_frame
from treedistill.distill._student_doc import (
    FORMAT_TAG,
    FORMAT_VERSION,
    Malformed,
    boosting_from_json,
    check_metadata,
    class_display,
    classes_from_json,
    document,
    dumps,
    get,
    need,
    schema_from_json,
    tree_from_json,
)
from treedistill.distill._summary import fitted_summary
from treedistill.exceptions import SavedRunError
from treedistill.teachers._soften import (
    decision_from_logits,
    logits_from_proba,
    margins_to_logits,
    softmax,
)

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "StudentBundle",
    "load_student",
    "save_student",
]


def save_student(
    model, path: str | os.PathLike[str], *, metadata: dict | None = None
) -> Path:
    """Save a fitted distilled student as one JSON file (atomically).

    Parameters
    ----------
    model : DistilledTreeClassifier, DistilledBoostingClassifier or StudentBundle
        Fitted. The teacher is not saved.
    path : str or os.PathLike
        Destination; ``.json`` is the natural extension.
    metadata : dict, default=None
        Plain JSON (e.g. the data summary or fidelity) stored under
        ``"metadata"`` and given back as :attr:`StudentBundle.metadata`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ParameterError
        If ``model`` is not a fitted distilled classifier (``parameter="model"``)
        or ``metadata`` is not plain JSON.
    DataError
        If its labels or categories are not str, int, float or bool.
    """
    if isinstance(model, StudentBundle):
        doc = dict(model._document)
        if metadata is not None:
            doc["metadata"] = check_metadata(metadata)
    else:
        doc = document(model, metadata)
    return atomic_write_text(path, dumps(doc))


class StudentBundle:
    """A student loaded by :func:`load_student`: predicts like the live model.

    Attributes
    ----------
    kind : {"tree", "boosted"}
    classes_ : ndarray
        With the dtype they had when saved.
    schema_ : TabularSchema
    feature_names_in_ : ndarray of str or None
    n_features_in_ : int
    temperature : float
    student_ : BundleTree or BundleBoosting
        For a tree, ``student_.tree_`` and ``student_.value_`` look like a
        :class:`~treedistill.SoftTree`'s, so :func:`treedistill.extract_rules`
        and :func:`treedistill.export_rules` accept the bundle.
    params : dict
        The estimator's parameters (the teacher excepted).
    objective_, objective_reason_ : str or None
        What a tree student's splits were chosen for (``"agreement"`` or
        ``"ranking"``) and why; ``None`` in files saved before it was recorded.
    search_ : str or None
        The search that built a tree student.
    metadata : dict
        What was passed to :func:`save_student`.
    path : Path
        The file it was loaded from.
    """

    def __init__(self, document: dict, path: Path):
        self._document = document
        self.path = path
        self.kind: str = document["kind"]
        self.format_version: int = document["version"]
        self.temperature = float(document["temperature"])
        self.params: dict = dict(document.get("params") or {})
        self.metadata: dict = dict(document.get("metadata") or {})
        self.teacher_name: str = str(document.get("teacher", ""))
        self.n_transfer_ = int(document.get("n_transfer", 0))
        objective = document.get("objective")
        objective = objective if isinstance(objective, dict) else {}
        self.objective_ = objective.get("name")
        self.objective_reason_ = objective.get("reason")
        tree = document.get("tree")
        self.search_ = tree.get("search") if isinstance(tree, dict) else None

    # ------------------------------------------------------------------ input
    def _frame(self, X) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            frame = X.copy(deep=False)
            frame.columns = [str(c) for c in frame.columns]
        else:
            arr = np.asarray(X)
            if arr.ndim != 2 or arr.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has shape {arr.shape}; the student expects "
                    f"{self.n_features_in_} columns"
                )
            if arr.dtype.kind in "biuf":
                arr = arr.astype(np.float64)
            frame = as_frame(arr, self.schema_.names)
        frame = self.schema_.conform(frame)
        return _match_level_types(frame, self.schema_)

    def encode(self, X) -> np.ndarray:
        """The numeric matrix the student sees (original units, one-hot levels)."""
        return self.schema_.encode(self._frame(X))

    def _encode_by_column(self, X) -> np.ndarray:
        """:meth:`encode` laid out column by column: the same values, quicker to
        build and for the trees to read."""
        return self.schema_.encode(self._frame(X), order="F")

    # ---------------------------------------------------------------- predict
    def _logits(self, X_enc: np.ndarray) -> np.ndarray:
        if self.kind == "tree":
            return logits_from_proba(self.student_.predict_proba(X_enc))
        return margins_to_logits(
            self.student_.decision_function(X_enc), self.temperature
        )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        X_enc = self._encode_by_column(X)
        if self.kind == "tree":
            return self.student_.predict_proba(X_enc)
        return softmax(self._logits(X_enc), axis=1)

    def predict(self, X) -> np.ndarray:
        """Class labels."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def decision_function(self, X) -> np.ndarray:
        """Student logits: shape (n_samples,) for two classes, else (n, K)."""
        return decision_from_logits(self._logits(self._encode_by_column(X)))

    def apply(self, X) -> np.ndarray:
        """Leaf node id of each row (tree students only)."""
        if self.kind != "tree":
            raise ValueError("apply needs a tree student; this bundle is boosted")
        return self.student_.apply(self._encode_by_column(X))

    @property
    def feature_names_out_(self) -> list[str]:
        return self.schema_.feature_names_out

    def __repr__(self) -> str:
        return fitted_summary(self)


def _match_level_types(frame: pd.DataFrame, schema: TabularSchema) -> pd.DataFrame:
    """Read numbers or bools in a text column as the text levels they spell.

    A categorical column whose levels are text (say ``"1"``, ``"2"``, ``"x"``)
    may arrive as numbers when new data happens to hold only numeric values;
    ``2`` then means the level ``"2"``. Frames whose types already match are
    returned as they are.
    """
    out = None
    for col in schema.columns:
        if not col.is_categorical or not col.levels:
            continue
        if not all(isinstance(v, str) for v in col.levels):
            continue
        s = frame[col.name]
        dtype = s.dtype
        if pd.api.types.is_bool_dtype(dtype):
            mapped = s.astype(object).map(lambda v: v if pd.isna(v) else str(v))
        elif pd.api.types.is_numeric_dtype(dtype):
            numbers = pd.to_numeric(
                pd.Series(col.levels, dtype=object), errors="coerce"
            )
            lookup: dict[float, str] = {}
            for level, num in zip(col.levels, numbers, strict=True):
                if pd.notna(num):
                    lookup.setdefault(float(num), level)
            mapped = s.astype(object).map(
                lambda v, lookup=lookup: (
                    v if pd.isna(v) else lookup.get(float(v), str(v))
                )
            )
        else:
            continue
        if out is None:
            out = frame.copy()
        out[col.name] = mapped.astype(object)
    return frame if out is None else out


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #
def load_student(path: str | os.PathLike[str]) -> StudentBundle:
    """Load a student saved by :func:`save_student`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    StudentBundle

    Raises
    ------
    SavedRunError
        If the file is missing, not JSON, not a treedistill student, of an
        unsupported version, or inconsistent (arrays of the wrong length, splits
        on unknown features, a schema that does not match its feature list, a
        leaf whose class probabilities are not a distribution …), or if the
        record of the run folder it is in lists another sha256 for it.
    """
    p = Path(path)
    where = f"student file {os.fspath(path)!r}"
    recorded = recorded_sha256(p)
    if recorded is not None and p.is_file() and sha256_file(p) != recorded:
        raise SavedRunError(
            f"{where} was changed after treedistill wrote it (its sha256 is not "
            f"the one recorded in {RUN_RECORD} beside it)",
            path=path,
        )
    doc = _read_document(p, where)
    try:
        return _bundle_from(doc, p)
    except Malformed as exc:
        raise SavedRunError(
            f"{where} is not a valid treedistill student: {exc}", path=path
        ) from None
    except (TypeError, ValueError, KeyError) as exc:
        raise SavedRunError(
            f"{where} is not a valid treedistill student ({type(exc).__name__}: {exc})",
            path=path,
        ) from None


def _read_document(path: Path, where: str) -> dict:
    """The JSON document of a student file, of the format and version read here."""
    if not path.is_file():
        raise SavedRunError(f"{where} does not exist", path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SavedRunError(f"{where} is not UTF-8 JSON", path=path) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SavedRunError(
            f"{where} is not valid JSON ({exc.msg} at line {exc.lineno})", path=path
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_TAG:
        raise SavedRunError(
            f"{where} is not a treedistill student (no format tag)", path=path
        )
    if doc.get("version") != FORMAT_VERSION:
        raise SavedRunError(
            f"{where} has unsupported format version {doc.get('version')!r} "
            f"(this treedistill reads version {FORMAT_VERSION})",
            path=path,
        )
    return doc


def _bundle_from(doc: dict, path: Path) -> StudentBundle:
    """Check a student document and build its bundle (raises :class:`Malformed`)."""
    kind = get(doc, "kind", str)
    need(kind in ("tree", "boosted"), f"unknown kind {kind!r}")
    temperature = get(doc, "temperature", (int, float))
    need(
        not isinstance(temperature, bool) and 0 < float(temperature) < math.inf,
        "the temperature is not positive and finite",
    )
    classes = classes_from_json(doc)
    schema = schema_from_json(get(doc, "schema", dict))
    n_in = get(doc, "n_features_in", int)
    need(n_in == len(schema.columns), "n_features_in does not match the schema")
    names = doc.get("feature_names_in")
    if names is not None:
        need(
            isinstance(names, list) and names == schema.names,
            "feature_names_in does not match the schema",
        )
    bundle = StudentBundle(doc, path)
    bundle.classes_ = classes
    bundle.class_names_, bundle.class_order_ = class_display(doc, len(classes))
    bundle.schema_ = schema
    bundle.n_features_in_ = n_in
    bundle.feature_names_in_ = (
        None if names is None else np.asarray(names, dtype=object)
    )
    n_features = len(schema.features)
    if kind == "tree":
        bundle.student_ = tree_from_json(doc, n_features, len(classes))
    else:
        bundle.student_ = boosting_from_json(doc, n_features, len(classes))
    return bundle
