"""After the fit: leaves of a tree student that hold mostly rows with a missing value.

:func:`missing_signal` says when the tree treats missingness as a signal; a run
puts its lines in the report's "Data checks" block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MISSING_LEAF_SHARE", "missing_signal"]

#: A leaf "comes from missing values" when at least this share of its rows miss a
#: value the leaf's path tests.
MISSING_LEAF_SHARE = 0.5


# --------------------------------------------------------------------------- #
# After the fit
# --------------------------------------------------------------------------- #
def _leaf_columns(tree, schema) -> dict[int, set[str]]:
    """The original columns each leaf's path tests."""
    out: dict[int, set[str]] = {}
    stack = [(0, frozenset())]
    while stack:
        node, cols = stack.pop()
        left = int(tree.children_left[node])
        if left == -1:
            out[node] = set(cols)
            continue
        column = schema.features[tree.feature[node]].column
        cols = cols | {column}
        stack += [(left, cols), (int(tree.children_right[node]), cols)]
    return out


def missing_signal(model, X: pd.DataFrame) -> dict | None:
    """Leaves of a tree student that hold mostly rows with a missing value.

    A leaf counts for column ``c`` when its path tests ``c`` and at least
    :data:`MISSING_LEAF_SHARE` of the rows of ``X`` reaching it miss ``c``.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier
    X : pandas.DataFrame
        Rows to count (the training rows give the most).

    Returns
    -------
    dict or None
        ``None`` for a model without a single tree. Otherwise ``n_leaves``,
        ``columns`` (``{"column", "rules", "missing_share"}``: the rule numbers of
        its leaves and the share of rows missing it), ``n_signal_leaves``,
        ``many`` (at least a third of the leaves) and ``lines``.
    """
    from treedistill.distill._rules import rule_numbers

    tree = getattr(getattr(model, "student_", None), "tree_", None)
    if tree is None or not hasattr(tree, "children_left"):
        return None
    numbers = rule_numbers(model)
    leaves = np.asarray(model.apply(X))
    missing = {str(c): X[c].isna().to_numpy() for c in X.columns if X[c].isna().any()}
    by_column: dict[str, list[int]] = {}
    signal_leaves = set()
    for leaf, cols in _leaf_columns(tree, model.schema_).items():
        rows = leaves == leaf
        if not rows.any():
            continue
        for col in sorted(cols & set(missing)):
            if missing[col][rows].mean() >= MISSING_LEAF_SHARE:
                by_column.setdefault(col, []).append(numbers[leaf])
                signal_leaves.add(leaf)
    n_leaves = len(numbers)
    columns = [
        {
            "column": col,
            "rules": sorted(rules),
            "missing_share": round(float(missing[col].mean()), 4),
        }
        for col, rules in sorted(by_column.items(), key=lambda kv: -len(kv[1]))
    ]
    lines = [
        f"the tree treats missing {c['column']} as a signal: {len(c['rules'])} of "
        f"{n_leaves} leaves (rule{'s' if len(c['rules']) > 1 else ''} "
        f"{_numbers(c['rules'])}) hold mostly rows with {c['column']} missing, "
        f"which is {100 * c['missing_share']:.1f}% of the training rows"
        for c in columns
    ]
    return {
        "n_leaves": n_leaves,
        "n_signal_leaves": len(signal_leaves),
        "many": len(signal_leaves) * 3 >= n_leaves and bool(signal_leaves),
        "columns": columns,
        "lines": lines,
    }


def _numbers(values: Sequence[int]) -> str:
    shown = ", ".join(str(v) for v in values[:8])
    return shown + (f" and {len(values) - 8} more" if len(values) > 8 else "")
