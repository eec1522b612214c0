"""The rules of a fitted tree student, in original units and category names.

With ``exact_rules=True`` (see :class:`~treedistill.DistilledTreeClassifier`) the
printed conditions say exactly what the tree does, for every possible value:

- thresholds are printed as stored (shortest repr, ``age <= 70``,
  ``glucose > 75.85``), and rows are compared with them in float64; an integer
  column reads ``age > 70``, not ``age >= 71``, so a value of 70.5 fits too;
- a condition on a value (``x <= t``, ``x > t``, ``smoker is not current``) is
  false for a missing value; the rules that missing values follow say
  ``(... or x is missing)``, for every column: also where the column had no
  missing values in training (the tree still sends a missing value one way);
- a category never seen in training matches no level: it reads as ``smoker is not
  current`` or ``smoker is none of {current, former}`` (never "is never");
- two-valued columns read ``has hypertension`` / ``no hypertension`` (0/1 and
  bool columns whose name reads as a property), ``sex = 1`` / ``sex = 0`` (other
  0/1 columns) or ``smoker is yes`` / ``smoker is no``;
- values read as the data has them: a coded category ``cp is 4``, never ``4.0``.

:func:`condition_text`, :func:`level_condition` and :func:`range_condition` are
the one formatter of conditions: rules, split questions of the drawing and
subgroup labels all use them.

Rules are numbered 1..n in left-to-right leaf order (:func:`rule_numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from treedistill.data._booleans import reads_as_has, reads_as_property
from treedistill.distill._thresholds import format_threshold
from treedistill.exceptions import ParameterError

__all__ = [
    "Rule",
    "condition_text",
    "format_value",
    "level_condition",
    "missing_condition",
    "range_condition",
    "extract_rules",
    "export_rules",
    "format_number",
    "resolve_class_names",
    "rule_numbers",
    "split_question",
]


def format_number(x: float, digits: int = 4) -> str:
    """A threshold as a short readable number (``127.5``, ``0.0312``, ``2.5e+05``)."""
    if x == 0:
        return "0"
    if abs(x) >= 1e6 or abs(x) < 1e-3:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}" if abs(x) < 10**digits else f"{x:.0f}"


def format_value(v) -> str:
    """A category level or data value as the data has it: ``4.0`` reads ``4``."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def missing_condition(name: str) -> str:
    """The condition of a missing value: ``bmi is missing``."""
    return f"{name} is missing"


def condition_text(text: str, name: str, missing: bool) -> str:
    """A condition on a value, saying whether missing values also meet it.

    ``condition_text("age <= 37", "age", True)`` is
    ``"(age <= 37 or age is missing)"``; without ``missing`` the text is kept
    (a condition on a value is false for a missing value).
    """
    if missing and text:
        return f"({text} or {missing_condition(name)})"
    return text


def level_condition(name: str, col, level) -> str:
    """A column equal to one value: ``has hypertension``, ``sex = 1``,
    ``smoker is current``, ``cp is 4`` (categories), ``parity = 2`` (numbers)."""
    if col is not None and col.is_boolean:
        for candidate in col.levels:
            if format_value(candidate) == format_value(level):
                return _boolean_text(name, col, candidate)
    if col is not None and col.is_categorical:
        return f"{name} is {format_value(level)}"
    return f"{name} = {format_value(level)}"


def range_condition(name: str, low=None, high=None) -> str:
    """A numeric column in ``(low, high]``: ``age <= 37``, ``37 < age <= 50``,
    ``age > 50`` (short readable numbers, see :func:`format_number`)."""
    lo = None if low is None else format_number(float(low))
    hi = None if high is None else format_number(float(high))
    if lo is not None and hi is not None:
        return f"{lo} < {name} <= {hi}"
    if lo is not None:
        return f"{name} > {lo}"
    return f"{name} <= {hi}" if hi is not None else ""


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
    label: str = ""  # display name of the predicted class
    summary: str = ""  # the leaf in words: "stroke risk 2%", "high 60% · low 10%"

    @property
    def text(self) -> str:
        cond = " AND ".join(self.conditions) if self.conditions else "always"
        return f"IF {cond} THEN {self.label or self.prediction}"

    def to_dict(self) -> dict:
        return {
            "number": int(self.number),
            "label": self.label,
            "summary": self.summary,
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


def _path_conditions(tree, schema, leaf_path, exact=False):
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
        # Every column: one without missing values in training still sends a
        # missing value one way, and the rule says which.
        missing_left = bool(tree.missing_go_to_left[node])
        missing_allowed = missing_left == went_left
        if feat.is_indicator and np.isfinite(tree.threshold[node]):
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
        if not missing_allowed:
            b.missing = False
        elif b.missing is None:
            b.missing = True
    conditions = []
    for name in order:
        b = bounds[name]
        col = schema.column(name)
        text = _describe(name, col, b, exact)
        if text:
            conditions.append(text)
    return conditions


def _describe(name, col, b: _Bounds, exact: bool = False) -> str:
    if b.only_missing:
        return missing_condition(name)
    if col.is_boolean:
        text = _boolean_condition(name, col, b)
    elif col.is_categorical:
        text = _categorical_condition(name, col, b, exact)
    else:
        text = _numeric_condition(name, col, b.low, b.high, exact)
    if b.missing is True and not b.present:
        text = condition_text(text, name, True)
    elif not text and b.present:
        text = f"{name} is known"
    return text


def _categorical_condition(name, col, b: _Bounds, exact: bool) -> str:
    if b.is_level is not None:
        return level_condition(name, col, b.is_level)
    if not b.not_levels:
        return ""
    rest = [lv for lv in col.levels if lv not in b.not_levels]
    if exact:
        # Exact for unseen categories too: they match no level, so they reach
        # the "not" side; "is <the remaining level>" would not cover them.
        if len(b.not_levels) == 1:
            return f"{name} is not {format_value(b.not_levels[0])}"
        return f"{name} is none of {{{', '.join(map(format_value, b.not_levels))}}}"
    if len(rest) == 1:
        return level_condition(name, col, rest[0])
    if len(b.not_levels) == 1:
        return f"{name} is not {format_value(b.not_levels[0])}"
    return f"{name} is one of {{{', '.join(map(format_value, rest))}}}"


def _boolean_condition(name, col, b: _Bounds) -> str:
    """A two-valued column on one side of its split(s): the value it must have.

    Text columns split on one level's indicator, numeric 0/1 columns at a
    threshold in [0, 1); a value that is neither level is scored as missing.
    """
    false_level, true_level = _boolean_pair(col)
    if b.is_level is not None:
        level = b.is_level
    elif b.not_levels:
        rest = [lv for lv in (false_level, true_level) if lv not in b.not_levels]
        if len(rest) != 1:
            return ""
        level = rest[0]
    elif b.low is not None:  # x > t with 0 <= t < 1
        level = true_level
    elif b.high is not None:
        level = false_level
    else:
        return ""
    return _boolean_text(name, col, level)


def _boolean_pair(col) -> tuple:
    true_level = col.true_level
    false_level = col.levels[0] if col.levels[1] == true_level else col.levels[1]
    return false_level, true_level


def _boolean_text(name, col, level) -> str:
    if not reads_as_has(col.true_level):
        return f"{name} is {format_value(level)}"
    if not reads_as_property(name):
        # 0/1 codes of what a patient is (sex, group): the value, not "has sex"
        return f"{name} = {format_value(_as_number(level))}"
    return f"has {name}" if level == col.true_level else f"no {name}"


def _as_number(level):
    return int(level) if isinstance(level, (bool, np.bool_)) else level


def _numeric_condition(name, col, low, high, exact: bool = False) -> str:
    if exact:
        lo = None if low is None else format_threshold(low)
        hi = None if high is None else format_threshold(high)
        if lo is not None and hi is not None:
            return f"{lo} < {name} <= {hi}"
        if lo is not None:
            return f"{name} > {lo}"
        return f"{name} <= {hi}" if hi is not None else ""
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


def split_question(model, node: int) -> tuple[str, str, str]:
    """The question a split node asks, and the answers of its left and right branch.

    ``("age <= 70", "yes", "no")``, ``("has hypertension", "no", "yes")``,
    ``("smoker is current", "no", "yes")``, ``("bmi is known", "yes", "no")``;
    worded as the rules are (exact thresholds with ``exact_rules``).
    """
    tree = model.student_.tree_
    schema = model.schema_
    feat = schema.features[int(tree.feature[node])]
    col = schema.column(feat.column)
    t = float(tree.threshold[node])
    if not np.isfinite(t):
        # A split on missingness alone: known values go left.
        return f"{col.name} is known", "yes", "no"
    if col.is_boolean:
        level = feat.level if feat.is_indicator else col.true_level
        return _boolean_text(col.name, col, level), "no", "yes"
    if feat.is_indicator:
        return level_condition(col.name, col, feat.level), "no", "yes"
    if _is_exact(model):
        return f"{col.name} <= {format_threshold(t)}", "yes", "no"
    if col.kind == "integer":
        return f"{col.name} <= {int(np.floor(t))}", "yes", "no"
    return f"{col.name} <= {format_number(t)}", "yes", "no"


def resolve_class_names(spec, classes) -> tuple[list[str], np.ndarray]:
    """Display names (in ``classes`` order) and display order of the classes.

    Parameters
    ----------
    spec : None, dict or list
        ``{label: name}`` in display order, or an ordered list of labels; labels
        match exactly or by their text (``"0"`` names the class ``0``). Classes
        left out follow in their own order, under their own names.
    classes : array-like
        The model's ``classes_``.

    Returns
    -------
    names : list of str
    order : ndarray of int
        Positions in ``classes`` in display order.
    """
    classes = list(np.asarray(classes).tolist())
    names = [str(c) for c in classes]
    if spec is None:
        return names, np.arange(len(classes))
    items = list(spec.items()) if isinstance(spec, dict) else [(v, None) for v in spec]
    order: list[int] = []
    for label, name in items:
        pos = _class_position(label, classes)
        if pos in order:
            raise ParameterError(
                f"class_names: class {classes[pos]!r} is given twice",
                parameter="class_names",
            )
        order.append(pos)
        if name is not None:
            names[pos] = str(name)
    order += [i for i in range(len(classes)) if i not in order]
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice is not None:
        raise ParameterError(
            f"class_names: the name {twice!r} is given to two classes",
            parameter="class_names",
        )
    return names, np.asarray(order, dtype=np.intp)


def _class_position(label, classes: list) -> int:
    for i, c in enumerate(classes):
        if c == label and isinstance(c, bool) == isinstance(label, bool):
            return i
    for i, c in enumerate(classes):
        if str(c) == str(label).strip():
            return i
    raise ParameterError(
        f"class_names: {label!r} is not a class (the classes are "
        f"{', '.join(map(str, classes))})",
        parameter="class_names",
    )


def _percent(p: float) -> str:
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 <= p < 1:
        return ">99%"
    return f"{100 * p:.0f}%"


def leaf_summary(
    distribution, names, order, *, risk: bool, positive: int | None = None
) -> str:
    """A leaf in words: ``"stroke risk 2%"`` or ``"high 60% · medium 30% · low 10%"``.

    ``risk`` (two classes with names given) names the class at index
    ``positive`` (a report's positive class), else the last class in ``order``.
    """
    if (risk or positive is not None) and len(order) == 2:
        pos = int(order[-1]) if positive is None else int(positive)
        return f"{names[pos]} risk {_percent(float(distribution[pos]))}"
    return " · ".join(
        f"{names[int(i)]} {_percent(float(distribution[int(i)]))}" for i in order
    )


def _is_exact(model) -> bool:
    """Whether the model's rules are exact (see the module notes)."""
    value = getattr(model, "exact_rules", None)
    if value is None:
        value = (getattr(model, "params", None) or {}).get("exact_rules", False)
    return bool(value)


def _class_display(model) -> tuple[list[str], np.ndarray, bool]:
    names = getattr(model, "class_names_", None)
    order = getattr(model, "class_order_", None)
    k = len(model.classes_)
    if names is None or order is None:
        return (
            [str(c) for c in np.asarray(model.classes_).tolist()],
            np.arange(k),
            False,
        )
    given = [str(c) for c in np.asarray(model.classes_).tolist()] != list(names) or (
        list(order) != list(range(k))
    )
    return list(names), np.asarray(order), given


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


def extract_rules(model, *, positive: int | None = None) -> list[Rule]:
    """The rules (one per leaf) of a fitted :class:`DistilledTreeClassifier`.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier, or the StudentBundle of a saved one
    positive : int, default=None
        Index of the positive class of a binary problem: each rule's summary then
        reads as its risk (``"die risk 9%"``), as the report's rules do.

    Returns
    -------
    list of Rule, in the tree's left-to-right leaf order; ``Rule.number`` is the
    position in that order (1 … n). ``coverage`` is the share of the transfer set
    (real and augmented rows) that reaches the leaf.
    """
    student = getattr(model, "student_", None)
    if student is None or not hasattr(student, "tree_"):
        raise ValueError("rules need a fitted DistilledTreeClassifier (a tree student)")
    tree = student.tree_
    schema = model.schema_
    classes = model.classes_
    exact = _is_exact(model)
    names, order, given = _class_display(model)
    weights = tree.weighted_n_node_samples
    total = weights[0]
    rules: list[Rule] = []
    stack = [(0, [])]
    while stack:  # depth first, left child first: left-to-right leaf order
        node, path = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left != -1:
            stack.append((int(right), [*path, (node, False)]))
            stack.append((int(left), [*path, (node, True)]))
            continue
        dist = student.value_[node]
        pos = int(np.argmax(dist))
        rules.append(
            Rule(
                number=len(rules) + 1,
                leaf=int(node),
                conditions=_path_conditions(tree, schema, path, exact),
                prediction=_plain(classes[pos]),
                distribution=[float(p) for p in dist],
                coverage=float(weights[node] / total),
                # Every row carries weight 1 (its q sums to 1), so a node's
                # weight is its number of transfer rows for both criteria.
                n_samples=int(round(weights[node])),
                label=names[pos],
                summary=leaf_summary(dist, names, order, risk=given, positive=positive),
            )
        )
    return rules


def export_rules(model, *, decimals: int = 2, positive: int | None = None) -> str:
    """The rules of a fitted tree student as readable text, one rule per line.

    Each line reads ``Rule <n>: IF <conditions> THEN <class>  [<leaf>; covers …%
    of the transfer set]``, conditions in the data's own units and category
    names; ``<n>`` is the rule number of :func:`rule_numbers`. Coverage is
    counted on the transfer set (real and augmented rows), not on held-out rows.
    ``positive`` (index of a binary problem's positive class, as in
    :func:`extract_rules`) is the class whose risk each leaf names.
    """
    rules = extract_rules(model, positive=positive)
    names, order, _ = _class_display(model)
    exact = _is_exact(model)
    lines = []
    for r in rules:
        cover = f"covers {100 * r.coverage:.1f}% of the transfer set"
        if exact:
            lines.append(
                f"Rule {r.number}: {r.text}  [{r.summary}; {cover} "
                f"({r.n_samples} real and augmented rows)]"
            )
            continue
        probs = ", ".join(
            f"{names[int(i)]}: {r.distribution[int(i)]:.{decimals}f}" for i in order
        )
        lines.append(f"Rule {r.number} (leaf {r.leaf}): {r.text}  [{probs}; {cover}]")
    return "\n".join(lines)
