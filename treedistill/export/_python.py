"""A tree student as the source of one dependency-free Python function.

The function ``predict_proba(row)`` takes one row as a dict (column name -> value;
``None`` or NaN for a missing value) and returns ``{class: probability}``. It is a
nest of ``if`` / ``else`` in the tree's own order; every leaf carries a comment
with its rule number and rule text, as in :func:`treedistill.export_rules`, so it
can be read side by side with the rules. Split values are written with every
digit they need to read back as the same float64 (scikit-learn's float32 rounding
folded in, see ``_export_common``): the function returns exactly the
probabilities of ``predict_proba``.
"""

from __future__ import annotations

import numpy as np

from treedistill.exceptions import DataError
from treedistill.export._common import TreeSpec, comment_text, tree_spec
from treedistill.export._flag import resolve_flag

__all__ = ["to_python"]

_INDENT = "    "


def _literal(value, column: str | None = None) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and not np.isfinite(value):
            return f"float({repr(value)!r})"
        return repr(value)
    raise DataError(
        f"cannot write the value {value!r} ({type(value).__name__}) of column "
        f"{column!r} in Python source",
        column=column,
    )


def _is_number(value) -> bool:
    if isinstance(value, np.generic):
        value = value.item()
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Writer:
    def __init__(self, spec: TreeSpec):
        self.spec = spec
        used = sorted({int(f) for f in spec.feature[spec.left != -1]})
        columns: list[str] = []
        for j in used:
            col = spec.schema.features[j].column
            if col not in columns:
                columns.append(col)
        order = {c.name: i for i, c in enumerate(spec.schema.columns)}
        self.columns = sorted(columns, key=order.get)
        self.var = {c: f"x{i}" for i, c in enumerate(self.columns)}

    def header(self) -> list[str]:
        lines = []
        for col in self.columns:
            v = self.var[col]
            lines.append(f"{v} = row[{col!r}]")
            lines.append(f"{v}_missing = {v} is None or {v} != {v}")
            info = self.spec.schema.column(col)
            if not info.is_categorical:
                lines.append(f"{v} = 0.0 if {v}_missing else float({v})")
            elif any(_is_number(level) for level in info.levels):
                # a number-coded category given as text ("7", "7.0") is that number
                lines += [
                    f"if isinstance({v}, str):",
                    f"{_INDENT}try:",
                    f"{_INDENT * 2}{v} = float({v})",
                    f"{_INDENT}except ValueError:",
                    f"{_INDENT * 2}pass",
                ]
        return lines

    def goes_left(self, node: int) -> str:
        spec = self.spec
        feat = spec.schema.features[int(spec.feature[node])]
        v = self.var[feat.column]
        miss_left = bool(spec.missing_left[node])
        if feat.is_indicator:
            match_left, other_left = spec.sides(node)
            level = _literal(feat.level, feat.column)
            if match_left and other_left:
                present = "True"
            elif match_left:
                present = f"{v} == {level}"
            elif other_left:
                present = f"{v} != {level}"
            else:
                present = "False"
        else:
            cut = float(spec.cut[node])
            if cut == np.inf:
                present = "True"
            elif cut == -np.inf:
                present = "False"
            else:
                present = f"{v} <= {cut!r}"
        if miss_left:
            return f"{v}_missing or {present}"
        return f"not {v}_missing and {present}"

    def body(self, node: int, depth: int, out: list[str]) -> None:
        spec = self.spec
        pad = _INDENT * depth
        if spec.is_leaf(node):
            number = spec.rule[node]
            text = comment_text(spec.rule_text.get(node, ""))
            out.append(f"{pad}# Rule {number}: {text}")
            proba = ", ".join(
                f"{_literal(c, 'class')}: {float(p)!r}"
                for c, p in zip(spec.classes, spec.value[node], strict=True)
            )
            out.append(f"{pad}return {{{proba}}}")
            return
        out.append(f"{pad}if {self.goes_left(node)}:")
        self.body(int(spec.left[node]), depth + 1, out)
        out.append(f"{pad}else:")
        self.body(int(spec.right[node]), depth + 1, out)


def to_python(
    model,
    *,
    name: str = "predict_proba",
    flag_threshold: float | None = None,
    positive_class=None,
) -> str:
    """The source of a dependency-free function that scores one row.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier, or a saved tree student
        (``StudentBundle``)
    name : str, default="predict_proba"
        The function's name (a Python identifier).

    Returns
    -------
    str
        Python source defining ``def predict_proba(row: dict) -> dict``: ``row``
        maps column names to values (``None`` or NaN when missing; a category not
        seen in training goes where "not this category" goes), the result maps
        each class to its probability, equal to ``predict_proba``. Comments give
        each leaf's rule number and rule. With ``flag_threshold``, a second
        function ``flagged(row) -> int`` gives 1 where the probability of
        ``positive_class`` (default: the second of two classes) is at least
        the threshold, as ``treedistill predict`` flags at it.

    Examples
    --------
    >>> namespace = {}  # doctest: +SKIP
    >>> exec(to_python(model), namespace)  # doctest: +SKIP
    >>> namespace["predict_proba"]({"age": 71, "smoker": "current"})  # doctest: +SKIP
    """
    from treedistill.exceptions import ParameterError

    if not (isinstance(name, str) and name.isidentifier()):
        raise ParameterError(
            f"name must be a Python identifier, got {name!r}", parameter="name"
        )
    spec = tree_spec(model, "python")
    writer = _Writer(spec)
    classes = ", ".join(_literal(c, "class") for c in spec.classes)
    lines = [
        f"def {name}(row: dict) -> dict:",
        f'{_INDENT}"""Class probabilities of the distilled tree for one row.',
        "",
        f"{_INDENT}``row`` maps column names to values; None or NaN is a missing value.",
        f"{_INDENT}Classes: {classes}. The rule numbers are those of the tree's rules.",
        f'{_INDENT}"""',
    ]
    for col in writer.columns:
        kind = spec.schema.column(col).kind
        lines.append(f"{_INDENT}# {writer.var[col]}: {comment_text(col)} ({kind})")
    lines += [_INDENT + line for line in writer.header()]
    writer.body(0, 1, lines)
    flag = resolve_flag(spec.classes, flag_threshold, positive_class)
    if flag is not None:
        positive = _literal(spec.classes[flag.index], "class")
        lines += [
            "",
            "",
            "def flagged(row: dict) -> int:",
            f'{_INDENT}"""1 when the flagged class\'s probability is at least '
            f'{flag.threshold!r} for this row, else 0."""',
            f"{_INDENT}return int({name}(row)[{positive}] >= {flag.threshold!r})",
        ]
    return "\n".join(lines) + "\n"
