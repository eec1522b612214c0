"""What the exporters share: the student's splits as exact float64 comparisons.

Every exporter (SQL, ONNX, Python) writes the same thing: the encoded features of
``_schema`` (a numeric column in its own units; one 0/1 indicator per category level,
NaN where the value is missing, 0 for an unseen level) and the student's splits
``x <= threshold`` with a learned side for missing values.

One subtlety is made exact here. scikit-learn's trees round ``x`` to float32 before
comparing it with a float64 threshold ``t``. Since rounding to float32 never
reverses order, ``float32(x) <= t`` holds exactly for the float64 values
``x <= cut`` for one float64 ``cut`` (:func:`float32_cut`); the exporters compare
with that cut, so the exported model routes every value, however close to a
threshold, as the student does.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from treedistill.exceptions import ParameterError

__all__ = [
    "EXPORTABLE",
    "BoostedSpec",
    "TreeSpec",
    "boosted_spec",
    "comment_text",
    "float32_cut",
    "student_kind",
    "tree_spec",
]

#: Which student kinds each format takes.
EXPORTABLE = {"sql": ("tree",), "onnx": ("tree", "boosted"), "python": ("tree",)}
WHAT = "tree students export to sql, onnx and python; boosted students to onnx"


def student_kind(model) -> str:
    """``"tree"`` or ``"boosted"`` for a fitted estimator or a loaded student."""
    from sklearn.utils.validation import check_is_fitted

    from treedistill.distill._estimators import (
        DistilledBoostingClassifier,
        DistilledTreeClassifier,
    )

    kind = getattr(model, "kind", None)
    if kind in ("tree", "boosted") and hasattr(model, "schema_"):
        return kind
    if isinstance(model, DistilledTreeClassifier):
        check_is_fitted(model, "student_")
        return "tree"
    if isinstance(model, DistilledBoostingClassifier):
        check_is_fitted(model, "student_")
        return "boosted"
    raise ParameterError(
        f"cannot export a {type(model).__name__}: export takes a fitted "
        "DistilledTreeClassifier or DistilledBoostingClassifier, or a saved student "
        f"({WHAT})",
        parameter="model",
    )


def check_exportable(model, fmt: str) -> str:
    """The student's kind, or a :class:`ParameterError` saying what is exportable."""
    kind = student_kind(model)
    if kind not in EXPORTABLE[fmt]:
        raise ParameterError(
            f"{fmt} export needs a tree student and this one is {kind} ({WHAT})",
            parameter="model",
        )
    return kind


def float32_cut(threshold) -> np.ndarray:
    """The float64 cuts ``c`` with ``float32(x) <= t`` exactly when ``x <= c``.

    Parameters
    ----------
    threshold : array-like of float
        Thresholds ``t`` (float64; infinities kept as they are).

    Returns
    -------
    ndarray of float64
        For each ``t``: the largest float64 whose float32 rounding is ``<= t``.
    """
    t = np.atleast_1d(np.asarray(threshold, dtype=np.float64))
    out = t.copy()
    fin = np.isfinite(t)
    with np.errstate(over="ignore"):
        m = t[fin].astype(np.float32)  # nearest float32
        # m: the largest float32 <= t (-inf when t is below every float32)
        above = m.astype(np.float64) > t[fin]
        m[above] = np.nextafter(m[above], np.float32(-np.inf))
        up = np.nextafter(m, np.float32(np.inf)).astype(np.float64)
    low = m.astype(np.float64)
    # float32 rounding overflows to +-inf from halfway past the largest float32,
    # as if the next value were 2**128
    up[np.isposinf(up)] = 2.0**128
    low[np.isneginf(low)] = -(2.0**128)
    mid = low / 2 + up / 2  # exact: both are float32 values (or 2**128)
    # a value halfway rounds to the float32 with an even last bit (inf: even)
    even = (m.view(np.uint32) & 1) == 0
    out[fin] = np.where(even, mid, np.nextafter(mid, -np.inf))
    return out


def comment_text(text: str) -> str:
    """``text`` safe inside a one-line comment: control and line-break characters
    are written as escapes."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if cat.startswith("C") or cat in ("Zl", "Zp"):
            out.append(ascii(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class TreeSpec:
    """A tree student as plain arrays, thresholds made exact float64 cuts.

    ``left`` / ``right`` are child ids (-1 at leaves), ``feature`` indexes
    ``schema.features``, a row goes left when ``x <= cut`` or when ``x`` is missing
    and ``missing_left``. ``rule`` maps a leaf id to its rule number.
    """

    schema: object
    classes: list
    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    cut: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    rule: dict
    rule_text: dict = field(default_factory=dict)

    def is_leaf(self, node: int) -> bool:
        return int(self.left[node]) == -1

    def prediction(self, node: int):
        return self.classes[int(np.argmax(self.value[node]))]

    def leaves(self) -> list[int]:
        """Leaf ids in rule-number order."""
        return sorted(self.rule, key=self.rule.get)

    def sides(self, node: int) -> tuple[bool, bool]:
        """For an indicator split: (a matching row goes left, another goes left)."""
        c = float(self.cut[node])
        return 1.0 <= c, 0.0 <= c


def _split_precision(student) -> str:
    precision = getattr(student, "split_precision", None)  # a saved tree
    if precision not in ("float32", "float64"):  # a live SoftTree (after snapping)
        precision = getattr(student, "split_precision_", None)
    if precision in ("float32", "float64"):
        return precision
    from sklearn.tree import BaseDecisionTree

    est = getattr(student, "estimator_", None)
    return "float32" if isinstance(est, BaseDecisionTree) else "float64"


def _classes(model) -> list:
    from treedistill.common._json import scalar

    return [scalar(c) for c in np.asarray(model.classes_, dtype=object)]


def tree_spec(model, fmt: str) -> TreeSpec:
    """The :class:`TreeSpec` of a fitted tree estimator or a loaded tree student."""
    from treedistill.distill._rules import extract_rules, rule_numbers

    check_exportable(model, fmt)
    student = model.student_
    tree = student.tree_
    n = int(tree.node_count)
    threshold = np.asarray(tree.threshold, dtype=np.float64)[:n]
    if _split_precision(student) == "float32":
        cut = float32_cut(threshold)
    else:
        cut = threshold.copy()
    numbers = rule_numbers(model)
    texts = {r.leaf: r.text for r in extract_rules(model)}
    return TreeSpec(
        schema=model.schema_,
        classes=_classes(model),
        left=np.asarray(tree.children_left, dtype=np.int64)[:n],
        right=np.asarray(tree.children_right, dtype=np.int64)[:n],
        feature=np.asarray(tree.feature, dtype=np.int64)[:n],
        cut=cut,
        missing_left=np.asarray(tree.missing_go_to_left, dtype=bool)[:n],
        value=np.asarray(student.value_, dtype=np.float64)[:n],
        rule={int(k): int(v) for k, v in numbers.items()},
        rule_text=texts,
    )


@dataclass
class BoostedSpec:
    """A boosted student as xgboost trees (``x < split`` goes left, float32).

    ``trees`` holds one dict per tree with ``left``, ``right``, ``feature``,
    ``split`` (float32 values; the leaf value at leaves), ``default_left`` and
    ``group`` (the class whose margin the tree adds to).
    """

    schema: object
    classes: list
    trees: list
    base_margin: np.ndarray
    temperature: float
    n_classes: int


def _booster(model):
    student = model.student_
    booster = getattr(student, "booster_", None)
    if booster is None:
        booster = student.estimator_.get_booster()
    return booster


def boosted_spec(model) -> BoostedSpec:
    """The :class:`BoostedSpec` of a fitted boosting estimator or a loaded one."""
    import json

    check_exportable(model, "onnx")
    raw = bytes(_booster(model).save_raw("json")).decode("utf-8")
    doc = json.loads(raw, parse_float=np.float32)
    gbm = doc["learner"]["gradient_booster"]
    if gbm.get("name") != "gbtree":
        raise ParameterError(
            f"cannot export a boosted student of kind {gbm.get('name')!r} (gbtree only)",
            parameter="model",
        )
    groups = gbm["model"]["tree_info"]
    trees = []
    for tree, group in zip(gbm["model"]["trees"], groups, strict=True):
        if any(int(s) != 0 for s in tree.get("split_type", [])):
            raise ParameterError(
                "cannot export a boosted tree with categorical splits",
                parameter="model",
            )
        trees.append(
            {
                "left": np.asarray(tree["left_children"], dtype=np.int64),
                "right": np.asarray(tree["right_children"], dtype=np.int64),
                "feature": np.asarray(tree["split_indices"], dtype=np.int64),
                "split": np.asarray(tree["split_conditions"], dtype=np.float32),
                "default_left": np.asarray(tree["default_left"], dtype=bool),
                "group": int(group),
            }
        )
    student = model.student_
    return BoostedSpec(
        schema=model.schema_,
        classes=_classes(model),
        trees=trees,
        base_margin=np.asarray(student.base_margin_, dtype=np.float64),
        temperature=float(model.temperature),
        n_classes=int(student.n_classes_),
    )
