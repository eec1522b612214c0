"""Descriptions for the report's header: the teacher, each model, each column."""

from __future__ import annotations

from numbers import Integral, Real

from treedistill.report._inputs import is_tree

__all__ = [
    "boosted_leaves",
    "columns_info",
    "describe_teacher",
    "model_info",
    "model_label",
]


def describe_teacher(teacher) -> str:
    """The teacher's class name, looking through wrappers, pipelines and ensembles."""
    inner = getattr(teacher, "estimator", None)
    if type(teacher).__name__ == "FrozenEstimator" and inner is not None:
        return describe_teacher(inner)
    steps = getattr(teacher, "steps", None)
    if isinstance(steps, list) and steps:
        return " → ".join(describe_teacher(step) for _, step in steps)
    members = getattr(teacher, "teachers_", None)
    if isinstance(members, list) and members:
        parts = ", ".join(describe_teacher(t) for t in members)
        return f"{type(teacher).__name__}({parts})"
    return type(teacher).__name__


def _json_param(v) -> bool:
    return v is None or isinstance(v, (str, bool, Integral, Real))


def boosted_leaves(model) -> int:
    """Total leaves over the boosted student's trees."""
    dump = model.student_.estimator_.get_booster().get_dump()
    return int(sum(tree.count("leaf=") for tree in dump))


def model_info(name: str, model) -> dict:
    """A model's type, student kind, plain parameters and size."""
    params = {
        k: v
        for k, v in model.get_params(deep=False).items()
        if k != "teacher" and _json_param(v)
    }
    info = {
        "name": name,
        "type": type(model).__name__,
        "student": "tree" if is_tree(model) else "boosted",
        "params": params,
        "n_transfer": getattr(model, "n_transfer_", None),
        "n_augmented": getattr(model, "n_augmented_", None),
        "augment_factor": getattr(model, "augment_factor_", None),
        "augment_rule": getattr(model, "augment_rule_", None),
    }
    if is_tree(model):
        info["n_leaves"] = model.student_.get_n_leaves()
        info["depth"] = model.student_.get_depth()
        info["objective"] = getattr(model, "objective_", None)
        info["objective_reason"] = getattr(model, "objective_reason_", None)
    else:
        info["n_trees"] = model.student_.n_trees()
        info["n_leaves"] = boosted_leaves(model)
    return info


def model_label(name: str, model) -> str:
    """The model's row label in the fidelity table."""
    if is_tree(model):
        return f"treedistill {name} ({model.student_.get_n_leaves()} leaves)"
    return f"treedistill {name} ({model.student_.n_trees()} trees)"


def columns_info(schema) -> list[dict]:
    """Each column's kind, missing rate and levels or range."""
    out = []
    for col in schema.columns:
        entry = {
            "name": col.name,
            "kind": col.kind,
            "missing_rate": col.missing_rate,
        }
        if col.is_categorical:
            entry["levels"] = [str(v) for v in col.levels]
        else:
            entry["low"] = col.low
            entry["high"] = col.high
        out.append(entry)
    return out
