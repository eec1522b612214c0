"""Where the student departs from the teacher: per rule, per subgroup, per row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from treedistill.common._json import scalar
from treedistill.distill._rules import (
    extract_rules,
    format_number,
    format_value,
    level_condition,
    missing_condition,
    range_condition,
)
from treedistill.report._fidelity_section import rate_ci
from treedistill.report._inputs import Inputs
from treedistill.report._lead import focus_counts, focus_misses

__all__ = [
    "MAX_SUBGROUP_VALUES",
    "MIN_N",
    "N_DISAGREEMENTS",
    "disagreements_section",
    "rules_section",
    "subgroups_section",
]

N_DISAGREEMENTS = 20
MAX_SUBGROUP_VALUES = 10
# Rules and subgroups with fewer held-out rows are marked "small": shown greyed
# out, listed after the others, and never named as the least faithful.
MIN_N = 10

_LEAF_KEYS = (
    "rule",
    "leaf",
    "prediction",
    "n_test",
    "coverage_test",
    "agreement",
    "agreement_ci",
    "student_accuracy",
    "n_synthetic",
    "agreement_synthetic",
    "small",
    "focus",
)


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------
def rules_section(
    model,
    test_leaf,
    agree,
    hit,
    syn_leaf,
    syn_agree,
    *,
    focus: dict | None = None,
    positive: int | None = None,
) -> tuple[list, list, dict]:
    """The rules with their held-out audit, the same rows least faithful first
    (rules with fewer than :data:`MIN_N` held-out rows last), and the rule number
    of each leaf id.

    ``focus`` (see :func:`~treedistill.report._lead.focus_rows`) adds each rule's
    flags or rare-class rows; with flags, the rules whose flags differ most from
    the teacher's come first. ``positive`` is the report's positive class (its
    risk is what a binary rule's outcome names).
    """
    rules = extract_rules(model, positive=positive)
    n = len(test_leaf)
    rule_of_leaf = {}
    out = []
    for rule in rules:
        i = rule.number  # the one rule numbering (treedistill.rule_numbers)
        rule_of_leaf[rule.leaf] = i
        mask = test_leaf == rule.leaf
        rate, ci = rate_ci(agree[mask])
        syn_n = syn_rate = None
        if syn_leaf is not None:
            syn_mask = syn_leaf == rule.leaf
            syn_n = int(syn_mask.sum())
            syn_rate = float(syn_agree[syn_mask].mean()) if syn_n else None
        out.append(
            {
                "rule": i,
                "leaf": int(rule.leaf),
                "text": rule.text,
                "label": rule.label,
                "summary": rule.summary,
                "conditions": list(rule.conditions),
                "prediction": scalar(rule.prediction),
                "distribution": [float(p) for p in rule.distribution],
                "coverage_transfer": float(rule.coverage),
                "n_transfer": int(rule.n_samples),
                "n_test": int(mask.sum()),
                "coverage_test": float(mask.sum() / n) if n else None,
                "agreement": rate,
                "agreement_ci": ci,
                "student_accuracy": float(hit[mask].mean()) if mask.any() else None,
                "n_synthetic": syn_n,
                "agreement_synthetic": syn_rate,
                "small": bool(mask.sum() < MIN_N),
                "focus": focus_counts(focus, mask),
            }
        )
    by_flags = focus is not None and focus["kind"] == "flags"
    leaves = sorted(
        out,
        key=lambda r: (
            r["small"],
            -focus_misses(r["focus"]) if by_flags else 0.0,
            r["agreement"] is None,
            r["agreement"] if r["agreement"] is not None else 0.0,
            -r["n_test"],
            r["rule"],
        ),
    )
    leaf_rows = [{k: r[k] for k in _LEAF_KEYS} for r in leaves]
    return out, leaf_rows, rule_of_leaf


# ---------------------------------------------------------------------------
# Subgroups
# ---------------------------------------------------------------------------
def _key_str(v) -> str:
    return format_value(scalar(v))


def _categorical_levels(col, test: pd.Series, missing: np.ndarray):
    values = test.to_numpy(dtype=object)
    present = sorted({_key_str(v) for v in values[~missing]})
    text = np.array(
        [_key_str(v) if not m else "" for v, m in zip(values, missing, strict=True)],
        dtype=object,
    )
    return [
        (level, level_condition(col.name, col, level), (text == level) & ~missing)
        for level in present
    ]


def band_edges(col, test: pd.Series, train: pd.Series) -> list[float] | None:
    """Where the per-subgroup table cuts a numeric column in bands: at the
    quartiles of the training rows, when the column has more than
    :data:`MAX_SUBGROUP_VALUES` distinct values (``None``: its values are its
    groups). The report's fairness section bands at the same edges."""
    if col.is_categorical or col.is_boolean:
        return None
    v = pd.to_numeric(test).to_numpy(dtype=np.float64, na_value=np.nan)
    ref = pd.to_numeric(train).to_numpy(dtype=np.float64, na_value=np.nan)
    ref = ref[~np.isnan(ref)]
    distinct = np.unique(np.concatenate([ref, v[~np.isnan(v)]]))
    if distinct.size <= MAX_SUBGROUP_VALUES:
        return None
    if not ref.size:
        return []
    return [float(e) for e in np.unique(np.quantile(ref, [0.25, 0.5, 0.75]))]


def _numeric_levels(col, test: pd.Series, train: pd.Series):
    v = pd.to_numeric(test).to_numpy(dtype=np.float64, na_value=np.nan)
    edges = band_edges(col, test, train)
    if edges is None:
        return [
            (format_value(float(x)), level_condition(col.name, col, float(x)), v == x)
            for x in np.unique(v[~np.isnan(v)])
        ]
    out = []
    for lo, hi in zip([-np.inf, *edges], [*edges, np.inf], strict=True):
        mask = (v > lo) & (v <= hi)
        low = None if np.isinf(lo) else float(lo)
        high = None if np.isinf(hi) else float(hi)
        if low is None:
            level = f"<= {format_number(high)}"
        elif high is None:
            level = f"> {format_number(low)}"
        else:
            level = f"{format_number(low)} – {format_number(high)}"
        out.append((level, range_condition(col.name, low, high), mask))
    return out


def _subgroup_levels(col, test: pd.Series, train: pd.Series):
    """``(level, label, mask)`` per subgroup: the level as the table shows it
    (``4``, ``<= 37``, ``(missing)``) and the subgroup worded as the rules word
    conditions (``cp is 4``, ``age <= 37``, ``sex = 1``, ``bmi is missing``)."""
    missing = test.isna().to_numpy()
    if col.is_categorical:
        out = _categorical_levels(col, test, missing)
    else:
        out = _numeric_levels(col, test, train)
    if missing.any():
        out.append(("(missing)", missing_condition(col.name), missing))
    return out


def subgroups_section(
    inputs: Inputs, columns, agree_by_model: dict, focus_by_model: dict | None = None
) -> list:
    """Agreement of each model per level of each audited column, and its focus
    (flags or rare-class rows, when ``focus_by_model`` gives one)."""
    focus_by_model = focus_by_model or {}
    schema = inputs.schema
    test_frame, train_frame = inputs.test.frame, inputs.train.frame
    rows = []
    for name in columns:
        col = schema.column(name)
        levels = _subgroup_levels(col, test_frame[name], train_frame[name])
        for level, label, mask in levels:
            n = int(mask.sum())
            if n == 0:
                continue
            entry = {
                "column": name,
                "level": level,
                "label": label,
                "n": n,
                "small": n < MIN_N,
                "models": {},
            }
            for model_name, agree in agree_by_model.items():
                rate, ci = rate_ci(agree[mask])
                entry["models"][model_name] = {
                    "agreement": rate,
                    "agreement_ci": ci,
                    "focus": focus_counts(focus_by_model.get(model_name), mask),
                }
            rows.append(entry)
    return rows


# ---------------------------------------------------------------------------
# Rows that differ most
# ---------------------------------------------------------------------------
def disagreements_section(
    inputs: Inputs, s_test, agree, rule_of_row, include_values: bool
) -> dict:
    """The held-out rows where the primary model and the teacher differ most (TV).

    ``rule_of_row`` gives each row's rule number, or is ``None``.
    """
    classes = inputs.classes
    test = inputs.test
    p_test, t_test = test.teacher_proba, test.teacher_class
    tv = 0.5 * np.abs(p_test - s_test).sum(axis=1)
    order = np.argsort(-tv, kind="stable")[:N_DISAGREEMENTS]
    rows = []
    for i in order:
        if tv[i] <= 0:
            break
        entry = {
            "row": inputs.row_ids[i],
            "teacher_class": scalar(classes[t_test[i]]),
            "student_class": scalar(classes[int(np.argmax(s_test[i]))]),
            "classes_differ": bool(t_test[i] != np.argmax(s_test[i])),
            "teacher_proba": p_test[i].tolist(),
            "student_proba": s_test[i].tolist(),
            "tv": float(tv[i]),
            "true_class": scalar(classes[test.y_idx[i]]),
        }
        if rule_of_row is not None:
            entry["rule"] = rule_of_row[i]
        if include_values:
            entry["values"] = {
                c: scalar(test.frame.iloc[i][c]) for c in inputs.schema.names
            }
        rows.append(entry)
    return {
        "model": inputs.primary_name,
        "n_differ": int((~agree).sum()),
        "rows": rows,
    }
