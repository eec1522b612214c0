"""The tree student as data for its drawing: nodes, split questions, sizes."""

from __future__ import annotations

import numpy as np

from treedistill.common._json import scalar
from treedistill.distill._rules import split_question

__all__ = ["node_depths", "tree_section"]


#: How each tree search is described in the report.
SEARCH_TEXT = {
    "greedy": "grown greedily (best-first split search on the soft labels)",
    "tao": "grown greedily, then refined by TAO (each split re-optimised for the "
    "soft loss of the whole tree)",
    "tao-multistart": "the best of several greedy starts, each refined by TAO "
    "(lowest soft loss on the transfer set)",
    "prune": "grown best-first to four times the leaf budget, cut back exactly to "
    "the subtree of that budget with the lowest soft loss on the transfer set",
}
#: The same for the agreement objective (splits chosen on the teacher's class).
AGREEMENT_SEARCH_TEXT = {
    "greedy": "grown greedily (best-first split search on the teacher's class)",
    "tao": "grown best-first on the teacher's class to four times the leaf budget, "
    "cut back exactly to the subtree of that budget that disagrees least with the "
    "teacher on the transfer set, then refined by TAO (each split re-optimised for "
    "the whole tree's disagreement with the teacher)",
    "tao-multistart": "the best of several greedy starts on the teacher's class, "
    "each refined by TAO (fewest disagreements on the transfer set)",
    "prune": "grown best-first on the teacher's class to four times the leaf "
    "budget, cut back exactly to the subtree of that budget that disagrees least "
    "with the teacher on the transfer set",
}
#: What each objective builds the tree for, in the report's words.
OBJECTIVE_TEXT = {
    "agreement": "to predict the teacher's class as often as possible (splits "
    "chosen on the teacher's class; each leaf still reports the teacher's average "
    "probabilities)",
    "ranking": "to rank risk as the teacher does (splits chosen on the teacher's "
    "softened probabilities)",
}


def search_text(model) -> str:
    """How the report describes the search that built ``model``'s tree."""
    search = getattr(model, "search_", "greedy")
    if getattr(model, "objective_", None) == "agreement":
        return AGREEMENT_SEARCH_TEXT.get(search, "")
    return SEARCH_TEXT.get(search, "")


def node_depths(tree) -> np.ndarray:
    """Depth of every node of a scikit-learn ``tree_`` (the root is 0)."""
    depth = np.zeros(tree.node_count, dtype=np.int64)
    stack = [0]
    while stack:
        node = stack.pop()
        for child in (tree.children_left[node], tree.children_right[node]):
            if child != -1:
                depth[child] = depth[node] + 1
                stack.append(child)
    return depth


def _split_text(model, node: int) -> dict:
    tree = model.student_.tree_
    schema = model.schema_
    feat = schema.features[int(tree.feature[node])]
    col = schema.column(feat.column)
    t = float(tree.threshold[node])
    # Worded as the rules are (scikit-learn's split on missingness alone: known
    # values go left, threshold None).
    question, left, right = split_question(model, node)
    t = t if np.isfinite(t) else None
    # Every split sends a missing value one way, also on a column that had no
    # missing values in training; the drawing says which.
    # ("bmi is known" asks about missingness itself: its "no" is the missing side.)
    missing = None
    if t is not None:
        missing = "left" if bool(tree.missing_go_to_left[node]) else "right"
    return {
        "question": question,
        "left_label": left,
        "right_label": right,
        "column": col.name,
        "feature": feat.name,
        "threshold": t,
        "missing_goes": missing,
    }


def _held_out_per_node(tree, depths: np.ndarray, test_leaf: np.ndarray) -> np.ndarray:
    """Held-out rows per node: a node holds the rows of the leaves below it."""
    counts = np.bincount(test_leaf, minlength=tree.node_count).astype(np.int64)
    for node in np.argsort(-depths, kind="stable"):
        left, right = tree.children_left[node], tree.children_right[node]
        if left != -1:
            counts[node] = counts[left] + counts[right]
    return counts


def _columns_used(schema, used) -> list[str]:
    out = []
    for j in used:
        c = schema.features[int(j)].column
        if c not in out:
            out.append(c)
    return out


def tree_section(model, test_leaf: np.ndarray, rule_of_leaf: dict) -> dict:
    """Every node of the tree student (split question or leaf distribution)."""
    student = model.student_
    tree = student.tree_
    classes = np.asarray(model.classes_)
    depths = node_depths(tree)
    n_test_node = _held_out_per_node(tree, depths, test_leaf)
    nodes = []
    for node in range(tree.node_count):
        left, right = int(tree.children_left[node]), int(tree.children_right[node])
        dist = student.value_[node]
        entry = {
            "id": node,
            "depth": int(depths[node]),
            "leaf": left == -1,
            "left": left if left != -1 else None,
            "right": right if right != -1 else None,
            "distribution": [float(p) for p in dist],
            "prediction": scalar(classes[int(np.argmax(dist))]),
            "n_transfer": int(round(float(tree.weighted_n_node_samples[node]))),
            "n_test": int(n_test_node[node]),
            "rule": rule_of_leaf.get(node),
        }
        if left != -1:
            entry.update(_split_text(model, node))
        nodes.append(entry)
    used = student.features_used()
    names = model.schema_.feature_names_out
    return {
        "nodes": nodes,
        "depth": student.get_depth(),
        "n_leaves": student.get_n_leaves(),
        "avg_path_length": float(depths[test_leaf].mean()) if len(test_leaf) else None,
        "features_used": [names[int(j)] for j in used],
        "columns_used": _columns_used(model.schema_, used),
        "search": getattr(model, "search_", "greedy"),
        "search_text": search_text(model),
        "objective": getattr(model, "objective_", None),
        "objective_reason": getattr(model, "objective_reason_", None),
        "objective_text": OBJECTIVE_TEXT.get(getattr(model, "objective_", None), ""),
    }
