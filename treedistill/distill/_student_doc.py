"""The saved student's JSON document: built from a fitted estimator, checked on load.

:func:`document` turns a fitted :class:`~treedistill.DistilledTreeClassifier` or
:class:`~treedistill.DistilledBoostingClassifier` into plain JSON values; the
``*_from_json`` functions check a document read back and rebuild its parts (the
schema, the classes, the tree's node arrays or the xgboost booster), raising
:class:`Malformed` with what is wrong.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from treedistill.common._json import scalar
from treedistill.data._schema import ColumnInfo, TabularSchema
from treedistill.distill._students import TreeAccessors
from treedistill.exceptions import DataError, ParameterError
from treedistill.teachers._soften import softmax

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "BundleBoosting",
    "BundleTree",
    "Malformed",
    "TreeStructure",
    "boosting_from_json",
    "check_metadata",
    "class_display",
    "classes_from_json",
    "document",
    "dumps",
    "get",
    "need",
    "schema_from_json",
    "tree_from_json",
]

FORMAT_TAG = "treedistill.student"
FORMAT_VERSION = 1
#: How far a leaf's class probabilities may sum from 1 (rounding of saved floats).
PROBA_TOLERANCE = 1e-6
_COLUMN_KINDS = ("float", "integer", "categorical")
_CLASS_KINDS = "OUifb"


# --------------------------------------------------------------------------- #
# Plain JSON values
# --------------------------------------------------------------------------- #
def _native(value: Any, what: str) -> Any:
    """A label or level as a JSON value of the same Python type."""
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise DataError(f"cannot save {what} {value!r}: it is not a finite number")
    if value is None or isinstance(value, (np.generic, bool, int, str, float)):
        value = scalar(value)
        if value is None or isinstance(value, (bool, int, str, float)):
            return value
    raise DataError(
        f"cannot save {what} {value!r} of type {type(value).__name__}: labels and "
        "categories must be str, int, float or bool"
    )


def _float_or_none(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _floats(a) -> list[float]:
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def _ints(a) -> list[int]:
    return [int(v) for v in np.asarray(a).ravel()]


def _type_name(values: list) -> str:
    kinds = sorted({type(v).__name__ for v in values})
    return kinds[0] if len(kinds) == 1 else "mixed"


# --------------------------------------------------------------------------- #
# Saving
# --------------------------------------------------------------------------- #
def _schema_to_json(schema: TabularSchema) -> dict[str, Any]:
    columns = []
    for col in schema.columns:
        columns.append(
            {
                "name": str(col.name),
                "kind": str(col.kind),
                "levels": [
                    _native(v, f"level of column {col.name!r}") for v in col.levels
                ],
                "frequencies": _floats(col.frequencies),
                "low": _float_or_none(col.low),
                "high": _float_or_none(col.high),
                "has_missing": bool(col.has_missing),
                "missing_rate": float(col.missing_rate),
            }
        )
        if col.true_level is not None:
            columns[-1]["true_level"] = _native(
                col.true_level, f"level of column {col.name!r}"
            )
    features = [
        {
            "name": str(f.name),
            "column": str(f.column),
            "level": None
            if f.level is None
            else _native(f.level, f"level of column {f.column!r}"),
        }
        for f in schema.features
    ]
    return {"columns": columns, "features": features}


def _params(model) -> dict[str, Any]:
    out = {}
    for key, value in sorted(model.get_params(deep=False).items()):
        if key == "teacher":
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, (bool, int, str)):
            out[key] = value
        elif isinstance(value, float) and math.isfinite(value):
            out[key] = value
    return out


def _thresholds(a) -> list:
    """Thresholds as JSON: numbers, and ``"inf"`` / ``"-inf"`` for infinities.

    A split that sends only the missing values one way has threshold ``+inf``.
    """
    out: list = []
    for v in np.asarray(a, dtype=np.float64):
        if np.isnan(v):
            raise DataError("cannot save a tree with a NaN threshold")
        out.append(float(v) if np.isfinite(v) else ("inf" if v > 0 else "-inf"))
    return out


def _split_precision(student) -> str:
    """How split values are compared: scikit-learn's trees round X to float32."""
    from sklearn.tree import BaseDecisionTree

    if getattr(student, "split_precision_", None) in ("float32", "float64"):
        return student.split_precision_
    return (
        "float32"
        if isinstance(getattr(student, "estimator_", None), BaseDecisionTree)
        else "float64"
    )


def _tree_to_json(student) -> dict[str, Any]:
    tree = student.tree_
    value = np.asarray(student.value_, dtype=np.float64)
    return {
        "criterion": str(getattr(student, "criterion", "")),
        "builder": str(getattr(student, "builder_", "exact")),
        "split_precision": _split_precision(student),
        "n_nodes": int(tree.node_count),
        "max_depth": int(tree.max_depth),
        "n_leaves": int(tree.n_leaves),
        "children_left": _ints(tree.children_left),
        "children_right": _ints(tree.children_right),
        "feature": _ints(tree.feature),
        "threshold": _thresholds(tree.threshold),
        "missing_go_to_left": _ints(tree.missing_go_to_left),
        "weighted_n_node_samples": _floats(tree.weighted_n_node_samples),
        "value": [_floats(row) for row in value],
    }


def _boosting_to_json(student) -> dict[str, Any]:
    booster = student.estimator_.get_booster()
    raw = booster.save_raw("json")
    return {
        "n_classes": int(student.n_classes_),
        "base_margin": _floats(student.base_margin_),
        "n_trees": int(student.n_trees()),
        "xgboost_model": bytes(raw).decode("utf-8"),
    }


def document(model, metadata: dict | None) -> dict[str, Any]:
    from treedistill.distill._estimators import (
        DistilledBoostingClassifier,
        DistilledTreeClassifier,
    )

    if isinstance(model, DistilledTreeClassifier):
        kind = "tree"
    elif isinstance(model, DistilledBoostingClassifier):
        kind = "boosted"
    else:
        raise ParameterError(
            "save_student needs a fitted DistilledTreeClassifier or "
            f"DistilledBoostingClassifier, got {type(model).__name__}",
            parameter="model",
        )
    if not hasattr(model, "student_"):
        raise ParameterError(
            f"the {type(model).__name__} to save is not fitted", parameter="model"
        )
    classes = np.asarray(model.classes_)
    if classes.dtype.kind not in _CLASS_KINDS:
        raise DataError(
            f"cannot save classes of dtype {classes.dtype}: labels must be str, int, "
            "float or bool"
        )
    values = [_native(c, "class") for c in classes.tolist()]
    names = getattr(model, "feature_names_in_", None)
    doc: dict[str, Any] = {
        "format": FORMAT_TAG,
        "version": FORMAT_VERSION,
        "kind": kind,
        "classes": {
            "values": values,
            "dtype": classes.dtype.str,
            "type": _type_name(values),
        },
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
        "schema": _schema_to_json(model.schema_),
        "temperature": float(model.temperature),
        "params": _params(model),
        "teacher": type(model.teacher_).__name__,
        "n_transfer": int(getattr(model, "n_transfer_", 0)),
        "metadata": check_metadata(metadata or {}),
    }
    if getattr(model, "class_names", None) is not None:
        doc["classes"]["names"] = [str(n) for n in model.class_names_]
        doc["classes"]["order"] = [int(i) for i in model.class_order_]
    if kind == "tree":
        doc["tree"] = _tree_to_json(model.student_)
        doc["tree"]["search"] = str(getattr(model, "search_", "greedy"))
        if getattr(model, "objective_", None) is not None:
            doc["objective"] = {
                "name": str(model.objective_),
                "reason": str(model.objective_reason_),
            }
    else:
        doc["boosted"] = _boosting_to_json(model.student_)
    return doc


def check_metadata(metadata: dict) -> dict:
    if not isinstance(metadata, dict):
        raise ParameterError(
            f"metadata must be a dict, got {type(metadata).__name__}",
            parameter="metadata",
        )
    try:
        return json.loads(json.dumps(metadata, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"metadata is not plain JSON ({exc})", parameter="metadata"
        ) from None


def dumps(doc: dict) -> str:
    return (
        json.dumps(
            doc,
            sort_keys=True,
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
        + "\n"
    )


# --------------------------------------------------------------------------- #
# The loaded students
# --------------------------------------------------------------------------- #
class TreeStructure:
    """The node arrays of a saved tree, named as in ``sklearn.tree._tree.Tree``."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.children_left = arrays["children_left"]
        self.children_right = arrays["children_right"]
        self.feature = arrays["feature"]
        self.threshold = arrays["threshold"]
        self.missing_go_to_left = arrays["missing_go_to_left"]
        self.weighted_n_node_samples = arrays["weighted_n_node_samples"]
        self.node_count = len(self.children_left)
        self.n_leaves = int(np.sum(self.children_left == -1))
        self.max_depth = _depth(self.children_left, self.children_right)


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    depth = np.zeros(len(left), dtype=np.int64)
    for node in range(len(left)):  # children come after their parent
        if left[node] != -1:
            depth[left[node]] = depth[node] + 1
            depth[right[node]] = depth[node] + 1
    return int(depth.max()) if len(depth) else 0


class BundleTree(TreeAccessors):
    """A saved tree student: the parts of :class:`~treedistill.SoftTree` that
    prediction and :func:`~treedistill.extract_rules` use, in numpy."""

    def __init__(
        self,
        tree: TreeStructure,
        value: np.ndarray,
        criterion: str,
        *,
        split_precision: str = "float32",
        builder: str = "exact",
    ):
        self.tree_ = tree
        self.value_ = value
        self.criterion = criterion
        self.split_precision = split_precision
        self.builder_ = builder
        self.n_classes_ = value.shape[1]

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Leaf node id of each row of the encoded matrix ``X``.

        As in the tree that was saved: values are first rounded to float32 when
        scikit-learn grew it (``split_precision``), ``x <= threshold`` goes left,
        and a missing value follows ``missing_go_to_left``.
        """
        X = np.asarray(X, dtype=np.float64)
        if self.split_precision == "float32":
            X = X.astype(np.float32).astype(np.float64)
        t = self.tree_
        node = np.zeros(len(X), dtype=np.int64)
        active = np.arange(len(X))
        while active.size:
            nd = node[active]
            inner = t.children_left[nd] != -1
            active, nd = active[inner], nd[inner]
            if not active.size:
                break
            x = X[active, t.feature[nd]]
            go_left = np.where(
                np.isnan(x), t.missing_go_to_left[nd] != 0, x <= t.threshold[nd]
            )
            node[active] = np.where(go_left, t.children_left[nd], t.children_right[nd])
        return node


class BundleBoosting:
    """A saved boosted student: the xgboost booster and its base margin."""

    def __init__(self, booster, base_margin: np.ndarray, n_classes: int):
        self.booster_ = booster
        self.base_margin_ = base_margin
        self.n_classes_ = n_classes

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits of shape (n, K), computed as the live ``SoftBoosting`` does."""
        X = np.asarray(X, dtype=np.float64)
        n = len(X)
        if self.n_classes_ == 2:
            base = np.full(n, self.base_margin_[0])
        else:
            base = np.tile(self.base_margin_, (n, 1))
        m = self.booster_.inplace_predict(
            X,
            iteration_range=(0, 0),
            predict_type="margin",
            missing=np.nan,
            base_margin=base,
            validate_features=True,
        )
        m = np.asarray(m, dtype=np.float64)
        if self.n_classes_ == 2:
            return np.column_stack([np.zeros(n), m.reshape(-1)])
        return m.reshape(n, self.n_classes_)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return softmax(self.decision_function(X), axis=1)

    def n_trees(self) -> int:
        return len(self.booster_.get_dump())


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #
class Malformed(Exception):
    pass


def need(cond: bool, message: str) -> None:
    if not cond:
        raise Malformed(message)


def get(doc: dict, key: str, types, where: str = ""):
    need(key in doc, f"no {where}{key!r}")
    value = doc[key]
    need(isinstance(value, types), f"{where}{key!r} has the wrong type")
    return value


def schema_from_json(doc: dict) -> TabularSchema:
    raw_columns = get(doc, "columns", list, "schema ")
    columns = []
    seen = set()
    for i, c in enumerate(raw_columns):
        need(isinstance(c, dict), f"schema column {i} is not an object")
        name = get(c, "name", str, "schema column ")
        need(name not in seen, f"schema repeats column {name!r}")
        seen.add(name)
        kind = get(c, "kind", str, "schema column ")
        need(kind in _COLUMN_KINDS, f"column {name!r} has unknown kind {kind!r}")
        levels = get(c, "levels", list, "schema column ")
        need(
            all(isinstance(v, (str, int, float, bool)) for v in levels),
            f"column {name!r} has a level that is not str, int, float or bool",
        )
        low, high = c.get("low"), c.get("high")
        columns.append(
            ColumnInfo(
                name=name,
                kind=kind,
                levels=list(levels),
                frequencies=[float(v) for v in c.get("frequencies", [])],
                low=float("nan") if low is None else float(low),
                high=float("nan") if high is None else float(high),
                has_missing=bool(c.get("has_missing", False)),
                missing_rate=float(c.get("missing_rate", 0.0)),
                true_level=c.get("true_level"),
            )
        )
        need(
            columns[-1].true_level is None or columns[-1].true_level in levels,
            f"column {name!r} has a true_level that is not one of its levels",
        )
    schema = TabularSchema(columns)
    stored = get(doc, "features", list, "schema ")
    rebuilt = [
        {"name": f.name, "column": f.column, "level": f.level} for f in schema.features
    ]
    need(
        len(stored) == len(rebuilt)
        and all(
            isinstance(s, dict)
            and s.get("name") == r["name"]
            and s.get("column") == r["column"]
            and s.get("level") == r["level"]
            and type(s.get("level")) is type(r["level"])
            for s, r in zip(stored, rebuilt, strict=True)
        ),
        "the schema's feature list does not match its columns",
    )
    return schema


def class_display(doc: dict, k: int) -> tuple[list[str], np.ndarray]:
    """Display names and order of the classes (their labels, in order, if unset)."""
    spec = doc["classes"]
    names = spec.get("names")
    order = spec.get("order")
    if names is None and order is None:
        return [str(v) for v in spec["values"]], np.arange(k)
    need(
        isinstance(names, list)
        and len(names) == k
        and all(isinstance(n, str) for n in names),
        "classes 'names' must be one name per class",
    )
    need(
        isinstance(order, list) and sorted(order) == list(range(k)),
        "classes 'order' must list every class position once",
    )
    return list(names), np.asarray(order, dtype=np.intp)


def classes_from_json(doc: dict) -> np.ndarray:
    spec = get(doc, "classes", dict)
    values = get(spec, "values", list, "classes ")
    dtype_str = get(spec, "dtype", str, "classes ")
    try:
        dtype = np.dtype(dtype_str)
    except TypeError:
        raise Malformed(f"classes have an unknown dtype {dtype_str!r}") from None
    need(dtype.kind in _CLASS_KINDS, f"classes have an unsupported dtype {dtype_str!r}")
    need(len(values) >= 2, "fewer than 2 classes")
    need(
        all(isinstance(v, (str, int, float, bool)) for v in values),
        "a class label is not str, int, float or bool",
    )
    classes = np.asarray(values, dtype=dtype)
    need(
        classes.tolist() == values
        and all(
            type(a) is type(b) for a, b in zip(classes.tolist(), values, strict=True)
        ),
        f"the class labels {values!r} do not match their dtype {dtype_str!r}",
    )
    kind = spec.get("type")
    need(
        kind is None or kind == _type_name(values),
        f"classes 'type' is {kind!r} but the labels are {_type_name(values)!r}",
    )
    need(len(set(classes.tolist())) == len(values), "the classes repeat a label")
    return classes


def tree_from_json(doc: dict, n_features: int, n_classes: int) -> BundleTree:
    tree = get(doc, "tree", dict)
    n = get(tree, "n_nodes", int, "tree ")
    need(n >= 1, "the tree has no nodes")
    arrays: dict[str, np.ndarray] = {}
    values = get(tree, "threshold", list, "tree ")
    need(len(values) == n, f"tree 'threshold' has {len(values)} entries, not {n}")
    need(
        all(
            v in ("inf", "-inf")
            if isinstance(v, str)
            else isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in values
        ),
        "tree 'threshold' holds a value that is not a number",
    )
    arrays["threshold"] = np.array(
        [float(v) for v in values], dtype=np.float64
    )  # float("inf") reads the strings
    for key, dtype in (
        ("children_left", np.int64),
        ("children_right", np.int64),
        ("feature", np.int64),
        ("missing_go_to_left", np.uint8),
        ("weighted_n_node_samples", np.float64),
    ):
        values = get(tree, key, list, "tree ")
        need(len(values) == n, f"tree {key!r} has {len(values)} entries, not {n}")
        try:
            arrays[key] = np.asarray(values, dtype=dtype)
        except (TypeError, ValueError, OverflowError):
            raise Malformed(f"tree {key!r} holds a value of the wrong type") from None
    left, right, feat = (
        arrays["children_left"],
        arrays["children_right"],
        arrays["feature"],
    )
    leaf = left == -1
    idx = np.arange(n)
    need(bool(np.all((right == -1) == leaf)), "a node has only one child")
    need(
        bool(np.all(left[~leaf] > idx[~leaf]) and np.all(right[~leaf] > idx[~leaf])),
        "a child node comes before its parent",
    )
    need(
        bool(np.all(left[~leaf] < n) and np.all(right[~leaf] < n)),
        "a child is out of range",
    )
    children = np.concatenate([left[~leaf], right[~leaf]])
    need(
        len(np.unique(children)) == len(children),
        "a node is the child of two nodes (not a tree)",
    )
    need(
        bool(np.all((feat[~leaf] >= 0) & (feat[~leaf] < n_features))),
        "a split uses a feature outside the schema",
    )
    need(not np.isnan(arrays["threshold"]).any(), "a threshold is NaN")
    need(
        bool(np.all(np.isin(arrays["missing_go_to_left"], (0, 1)))),
        "tree 'missing_go_to_left' holds a value other than 0 or 1",
    )
    weights = arrays["weighted_n_node_samples"]
    need(
        bool(np.all(np.isfinite(weights) & (weights >= 0))),
        "tree 'weighted_n_node_samples' holds a negative or non-finite number",
    )
    value_rows = get(tree, "value", list, "tree ")
    need(len(value_rows) == n, f"tree 'value' has {len(value_rows)} rows, not {n}")
    try:
        value = np.asarray(value_rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise Malformed("tree 'value' is not a matrix of numbers") from None
    need(
        value.shape == (n, n_classes),
        f"tree 'value' has shape {value.shape}, expected ({n}, {n_classes})",
    )
    _check_distributions(value, leaf)
    criterion = str(tree.get("criterion", ""))
    precision = get(tree, "split_precision", str, "tree ")
    need(
        precision in ("float32", "float64"),
        f"tree 'split_precision' is {precision!r}, not 'float32' or 'float64'",
    )
    return BundleTree(
        TreeStructure(arrays),
        value,
        criterion,
        split_precision=precision,
        builder=str(tree.get("builder", "exact")),
    )


def _check_distributions(value: np.ndarray, leaf: np.ndarray) -> None:
    """Every node's value finite; every leaf's a probability distribution."""
    bad = np.flatnonzero(~np.isfinite(value).all(axis=1))
    need(
        not bad.size, f"tree 'value' of node {bad[0] if bad.size else 0} is not finite"
    )
    rows = value[leaf]
    wrong = (rows < 0).any(axis=1) | (rows > 1).any(axis=1)
    wrong |= np.abs(rows.sum(axis=1) - 1.0) > PROBA_TOLERANCE
    if wrong.any():
        node = int(np.flatnonzero(leaf)[np.argmax(wrong)])
        shown = ", ".join(f"{v:.4g}" for v in value[node][:4])
        raise Malformed(
            f"tree 'value' of leaf {node} ([{shown}"
            f"{', ...' if value.shape[1] > 4 else ''}]) is not a probability "
            f"distribution (each in [0, 1], summing to 1)"
        )


def boosting_from_json(doc: dict, n_features: int, n_classes: int) -> BundleBoosting:
    import xgboost

    spec = get(doc, "boosted", dict)
    k = get(spec, "n_classes", int, "boosted ")
    need(k == n_classes, f"boosted n_classes is {k} for {n_classes} classes")
    base = np.asarray(get(spec, "base_margin", list, "boosted "), dtype=np.float64)
    need(
        base.shape == ((1,) if k == 2 else (k,)),
        f"boosted base_margin has {base.size} entries for {k} classes",
    )
    need(bool(np.isfinite(base).all()), "boosted base_margin is not finite")
    text = get(spec, "xgboost_model", str, "boosted ")
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(text.encode("utf-8")))
    except xgboost.core.XGBoostError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise Malformed(f"the xgboost model does not load ({first})") from None
    need(
        booster.num_features() == n_features,
        f"the xgboost model reads {booster.num_features()} features, the schema has "
        f"{n_features}",
    )
    return BundleBoosting(booster, base, k)
