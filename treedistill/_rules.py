"""The rules of a fitted tree student, in original units and category names."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Rule", "extract_rules", "export_rules", "format_number", "rule_numbers"]


def format_number(x: float, digits: int = 4) -> str:
    """A threshold as a short readable number (``127.5``, ``0.0312``, ``2.5e+05``)."""
    if x == 0:
        return "0"
    if abs(x) >= 1e6 or abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}" if abs(x) < 10**digits else f"{x:.0f}"


@dataclass
class Rule:
    """One leaf of the tree as a conjunction of conditions."""

    leaf: int
    conditions: list[str]
    prediction: object
    distribution: list[float]
    coverage: float = float("nan")  # share of the transfer set reaching the leaf
    n_samples: int = 0
    extra: dict = field(default_factory=dict)
    number: int = 0  # 1-based position in left-to-right leaf order, see rule_numbers

    @property
    def text(self) -> str:
        cond = " AND ".join(self.conditions) if self.conditions else "always"
        return f"IF {cond} THEN {self.prediction}"

    def to_dict(self) -> dict:
        return {
            "number": int(self.number),
            "leaf": int(self.leaf),
            "conditions": list(self.conditions),
            "prediction": _plain(self.prediction),
            "distribution": [float(p) for p in self.distribution],
            "coverage": float(self.coverage),
            "n_samples": int(self.n_samples),
            "text": self.text,
            **self.extra,
        }


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


class _Bounds:
    """Accumulated constraints on one original column along a path."""

    def __init__(self):
        self.low = None  # value > low
        self.high = None  # value <= high
        self.is_level = None
        self.not_levels: list = []
        self.missing = None  # True: missing values also qualify; False: they do not
        self.present = False  # the path requires a value (a present/missing split)
        self.only_missing = False  # the path requires a missing value


def _path_conditions(tree, schema, leaf_path):
    """Turn a list of (node, went_left) into readable conditions per column."""
    bounds: dict[str, _Bounds] = {}
    order: list[str] = []
    for node, went_left in leaf_path:
        feat = schema.features[tree.feature[node]]
        col = schema.column(feat.column)
        b = bounds.get(col.name)
        if b is None:
            b = bounds[col.name] = _Bounds()
            order.append(col.name)
        missing_left = bool(tree.missing_go_to_left[node])
        missing_allowed = col.has_missing and (missing_left == went_left)
        if feat.is_indicator:
            # value <= 0.5 means "not this level"
            if went_left:
                b.not_levels.append(feat.level)
            else:
                b.is_level = feat.level
        elif not np.isfinite(tree.threshold[node]):
            # A split of present values (left, x <= inf) from missing ones (right).
            if went_left:
                b.present = True
            else:
                b.only_missing = True
            continue
        else:
            t = float(tree.threshold[node])
            if went_left:
                b.high = t if b.high is None else min(b.high, t)
            else:
                b.low = t if b.low is None else max(b.low, t)
        if col.has_missing:
            if not missing_allowed:
                b.missing = False
            elif b.missing is None:
                b.missing = True
    conditions = []
    for name in order:
        b = bounds[name]
        col = schema.column(name)
        text = _describe(name, col, b)
        if text:
            conditions.append(text)
    return conditions


def _describe(name, col, b: _Bounds) -> str:
    if b.only_missing:
        return f"{name} is missing"
    if col.is_categorical:
        if b.is_level is not None:
            text = f"{name} is {b.is_level}"
        elif b.not_levels:
            rest = [lv for lv in col.levels if lv not in b.not_levels]
            if len(rest) == 1:
                text = f"{name} is {rest[0]}"
            elif len(b.not_levels) == 1:
                text = f"{name} is not {b.not_levels[0]}"
            else:
                text = f"{name} is one of {{{', '.join(map(str, rest))}}}"
        else:
            text = ""
    else:
        text = _numeric_condition(name, col, b.low, b.high)
    if b.missing is True and not b.present:
        text = f"({text} or {name} is missing)" if text else ""
    elif not text and b.present:
        text = f"{name} is known"
    return text


def _numeric_condition(name, col, low, high) -> str:
    integer = col.kind == "integer"

    def lo_txt(v):
        return f">= {int(np.floor(v)) + 1}" if integer else f"> {format_number(v)}"

    def hi_txt(v):
        return f"<= {int(np.floor(v))}" if integer else f"<= {format_number(v)}"

    if low is not None and high is not None:
        if integer:
            return f"{int(np.floor(low)) + 1} <= {name} <= {int(np.floor(high))}"
        return f"{format_number(low)} < {name} <= {format_number(high)}"
    if low is not None:
        return f"{name} {lo_txt(low)}"
    if high is not None:
        return f"{name} {hi_txt(high)}"
    return ""


def _tree_arrays(obj):
    """The node arrays behind a model, a student or a tree structure."""
    for candidate in (obj, getattr(obj, "tree_", None)):
        if candidate is not None and hasattr(candidate, "children_left"):
            return candidate
    student = getattr(obj, "student_", None)
    tree = getattr(student, "tree_", None)
    if tree is not None and hasattr(tree, "children_left"):
        return tree
    raise TypeError(
        f"rule numbers need a fitted tree student, a saved tree bundle or a tree "
        f"structure; got {type(obj).__name__}"
    )


def leaf_order(tree) -> list[int]:
    """Leaf node ids in left-to-right order (the order of :func:`extract_rules`)."""
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    leaves: list[int] = []
    stack = [0]
    while stack:
        node = stack.pop()
        if left[node] == -1:
            leaves.append(node)
        else:
            stack.append(int(right[node]))
            stack.append(int(left[node]))
    return leaves


def rule_numbers(model_or_tree) -> dict[int, int]:
    """The rule number of every leaf: its 1-based position in left-to-right order.

    This is the one numbering of rules: ``Rule.number``, the ``rule_id`` that
    prediction writes, ``rules.txt``, the report and its JSON all use it.

    Parameters
    ----------
    model_or_tree : fitted DistilledTreeClassifier, StudentBundle of a tree, \
SoftTree, or a tree structure with ``children_left`` / ``children_right``

    Returns
    -------
    dict
        Leaf node id -> rule number (1 … number of leaves).

    Examples
    --------
    A root with two leaves (nodes 1 and 2) numbers them 1 and 2:

    >>> from types import SimpleNamespace
    >>> rule_numbers(SimpleNamespace(children_left=[1, -1, -1],
    ...                              children_right=[2, -1, -1]))
    {1: 1, 2: 2}
    """
    tree = _tree_arrays(model_or_tree)
    return {leaf: i for i, leaf in enumerate(leaf_order(tree), 1)}


def extract_rules(model) -> list[Rule]:
    """The rules (one per leaf) of a fitted :class:`DistilledTreeClassifier`.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier

    Returns
    -------
    list of Rule, in the tree's left-to-right leaf order. ``coverage`` is the
    share of the transfer set that reaches the leaf.
    """
    student = getattr(model, "student_", None)
    if student is None or not hasattr(student, "tree_"):
        raise ValueError("rules need a fitted DistilledTreeClassifier (a tree student)")
    tree = student.tree_
    schema = model.schema_
    classes = model.classes_
    weights = tree.weighted_n_node_samples
    total = weights[0]
    rules: list[Rule] = []

    def walk(node, path):
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            dist = student.value_[node]
            rules.append(
                Rule(
                    number=len(rules) + 1,
                    leaf=int(node),
                    conditions=_path_conditions(tree, schema, path),
                    prediction=_plain(classes[int(np.argmax(dist))]),
                    distribution=[float(p) for p in dist],
                    coverage=float(weights[node] / total),
                    # Every row carries weight 1 (its q sums to 1), so a node's
                    # weight is its number of transfer rows for both criteria.
                    n_samples=int(round(weights[node])),
                )
            )
            return
        walk(left, [*path, (node, True)])
        walk(right, [*path, (node, False)])

    walk(0, [])
    return rules


def export_rules(model, *, decimals: int = 2) -> str:
    """The rules of a fitted tree student as readable text, one rule per line.

    Each line reads ``IF <conditions> THEN <class>  [p = …; covers …% of the
    transfer set]``, conditions in the data's own units and category names.
    """
    rules = extract_rules(model)
    names = [str(c) for c in model.classes_]
    lines = []
    for i, r in enumerate(rules, 1):
        probs = ", ".join(
            f"{n}: {p:.{decimals}f}" for n, p in zip(names, r.distribution, strict=True)
        )
        lines.append(
            f"Rule {i} (leaf {r.leaf}): {r.text}  "
            f"[{probs}; covers {100 * r.coverage:.1f}% of the transfer set]"
        )
    return "\n".join(lines)
