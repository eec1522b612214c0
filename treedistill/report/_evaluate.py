"""Evaluate distilled students against their teacher: every number of the report.

:func:`evaluate` returns one JSON-serialisable dict holding everything the renderers
draw (tables, curve points, the tree's nodes, calibration bins, SHAP summaries), so
a report can be re-rendered from ``report.json`` alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import get_tags

from treedistill._estimators import DistilledTreeClassifier
from treedistill._metrics import agreement_interval, fidelity
from treedistill._rules import extract_rules, format_number
from treedistill._schema import as_frame
from treedistill._teachers import teacher_logits
from treedistill._transfer import augment
from treedistill.exceptions import ParameterError
from treedistill.report._explain import student_importance, teacher_importance

__all__ = ["evaluate", "SCHEMA_VERSION"]

SCHEMA_VERSION = "1"
N_DISAGREEMENTS = 20
N_CALIBRATION_BINS = 10
N_SHAP_BACKGROUND = 50
MAX_SUBGROUP_VALUES = 10
_SIGNIFICANT = 6


# ---------------------------------------------------------------------------
# JSON hygiene
# ---------------------------------------------------------------------------
def _round(x: float) -> float | None:
    if not math.isfinite(x):
        return None
    return float(f"{x:.{_SIGNIFICANT}g}")


def clean(obj, *, round_floats: bool = True):
    """``obj`` as plain JSON types: rounded floats, ``None`` for NaN, str keys."""
    if isinstance(obj, Mapping):
        return {str(k): clean(v, round_floats=round_floats) for k, v in obj.items()}
    if isinstance(obj, (str, bool, type(None))):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Integral):
        return int(obj)
    if isinstance(obj, Real):
        x = float(obj)
        if round_floats:
            return _round(x)
        return x if math.isfinite(x) else None
    if isinstance(obj, np.ndarray):
        return [clean(v, round_floats=round_floats) for v in obj.tolist()]
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else obj
        return [clean(v, round_floats=round_floats) for v in items]
    if obj is pd.NA or obj is pd.NaT:
        return None
    return str(obj)


def _plain(v):
    """A single data value as a JSON-friendly Python value."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (str, bool, int, float)):
        return v
    return str(v)


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def _is_tree(model) -> bool:
    return hasattr(getattr(model, "student_", None), "tree_")


def _check_models(models) -> tuple[list[str], dict]:
    if not isinstance(models, Mapping) or not models:
        raise ValueError(
            "models must be a non-empty dict of name -> fitted distiller, e.g. "
            "{'tree': DistilledTreeClassifier(...).fit(X, y)}"
        )
    names = [str(n) for n in models]
    if len(set(names)) != len(names):
        raise ValueError("models has two names that read the same as text")
    out = {}
    for name, model in models.items():
        for attr in ("student_", "teacher_", "schema_", "classes_"):
            if not hasattr(model, attr):
                raise ValueError(
                    f"model {str(name)!r} is not a fitted treedistill distiller "
                    f"(it has no {attr})"
                )
        out[str(name)] = model
    first = out[names[0]]
    for name in names[1:]:
        other = out[name]
        if not np.array_equal(np.asarray(other.classes_), np.asarray(first.classes_)):
            raise ValueError(
                f"model {name!r} has classes {np.asarray(other.classes_).tolist()} "
                f"but model {names[0]!r} has {np.asarray(first.classes_).tolist()}"
            )
        if other.schema_.names != first.schema_.names:
            raise ValueError(
                f"model {name!r} was fit on different columns than model {names[0]!r}"
            )
    return names, out


def _label_index(y, classes: np.ndarray, what: str, n: int) -> np.ndarray:
    values = np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y, dtype=object)
    values = values.reshape(-1)
    if len(values) != n:
        raise ValueError(f"{what} has {len(values)} labels but X has {n} rows")
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        try:
            out[i] = lookup[v]
        except (KeyError, TypeError):
            raise ValueError(
                f"{what} holds label {v!r}, which the teacher does not know "
                f"(its classes: {classes.tolist()})"
            ) from None
    return out


def _as_frame(X, model, what: str) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
        frame.columns = [str(c) for c in frame.columns]
        missing = [c for c in model.schema_.names if c not in frame.columns]
        if missing:
            raise ValueError(f"{what} has no column {missing[0]!r}")
        frame = frame[model.schema_.names]
    else:
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(model.schema_.names):
            raise ValueError(
                f"{what} must have shape (n, {len(model.schema_.names)}), got "
                f"{arr.shape}"
            )
        frame = as_frame(arr, model.schema_.names)
    if len(frame) == 0:
        raise ValueError(f"{what} has no rows")
    return frame


def _model_input(model, frame: pd.DataFrame):
    """What the model's own methods take: a frame if it was fit on one."""
    if getattr(model, "_frame_input", hasattr(model, "feature_names_in_")):
        return frame
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _row_ids(X) -> list:
    if isinstance(X, pd.DataFrame):
        return [_plain(v) for v in X.index.tolist()]
    return list(range(len(X)))


# ---------------------------------------------------------------------------
# Descriptions
# ---------------------------------------------------------------------------
def _describe_teacher(teacher) -> str:
    inner = getattr(teacher, "estimator", None)
    if type(teacher).__name__ == "FrozenEstimator" and inner is not None:
        return _describe_teacher(inner)
    steps = getattr(teacher, "steps", None)
    if isinstance(steps, list) and steps:
        return " → ".join(_describe_teacher(step) for _, step in steps)
    members = getattr(teacher, "teachers_", None)
    if isinstance(members, list) and members:
        parts = ", ".join(_describe_teacher(t) for t in members)
        return f"{type(teacher).__name__}({parts})"
    return type(teacher).__name__


def _json_param(v) -> bool:
    return v is None or isinstance(v, (str, bool, Integral, Real))


def _model_info(name: str, model) -> dict:
    params = {
        k: v
        for k, v in model.get_params(deep=False).items()
        if k != "teacher" and _json_param(v)
    }
    info = {
        "name": name,
        "type": type(model).__name__,
        "student": "tree" if _is_tree(model) else "boosted",
        "params": params,
        "n_transfer": getattr(model, "n_transfer_", None),
        "n_augmented": getattr(model, "n_augmented_", None),
    }
    if _is_tree(model):
        info["n_leaves"] = model.student_.get_n_leaves()
        info["depth"] = model.student_.get_depth()
    else:
        info["n_trees"] = model.student_.n_trees()
        info["n_leaves"] = _boosted_leaves(model)
    return info


def _boosted_leaves(model) -> int:
    dump = model.student_.estimator_.get_booster().get_dump()
    return int(sum(tree.count("leaf=") for tree in dump))


def _model_label(name: str, model) -> str:
    if _is_tree(model):
        return f"treedistill {name} ({model.student_.get_n_leaves()} leaves)"
    return f"treedistill {name} ({model.student_.n_trees()} trees)"


def _columns_info(schema) -> list[dict]:
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


# ---------------------------------------------------------------------------
# Metrics pieces
# ---------------------------------------------------------------------------
def _fidelity_row(key, label, kind, p_teacher, p_model, y_idx, seed, n_leaves):
    fid = fidelity(p_teacher, p_model, y_idx, random_state=seed)
    row = {
        "key": key,
        "label": label,
        "kind": kind,
        "n_leaves": n_leaves,
        "n": fid["n"],
        "agreement": fid["agreement"],
        "agreement_ci": fid["agreement_ci"],
        "kl": fid["kl"],
        "tv": fid["tv"],
    }
    if y_idx is not None:
        row["accuracy"] = fid.get("student_accuracy")
        row["roc_auc"] = fid.get("student_roc_auc")
    return row


def _teacher_row(p_teacher, y_idx, seed) -> dict:
    fid = fidelity(p_teacher, p_teacher, y_idx, random_state=seed)
    return {
        "key": "teacher",
        "label": "Teacher",
        "kind": "teacher",
        "n_leaves": None,
        "n": fid["n"],
        "accuracy": fid.get("teacher_accuracy"),
        "roc_auc": fid.get("teacher_roc_auc"),
        "agreement": None,
        "agreement_ci": None,
        "kl": None,
        "tv": None,
    }


def _tree_baseline(X_enc, y_idx, k, n_leaves, criterion, seed):
    """A plain scikit-learn tree on hard labels; returns a (n, k) proba function."""
    est = DecisionTreeClassifier(
        max_leaf_nodes=max(2, int(n_leaves)), criterion=criterion, random_state=seed
    ).fit(X_enc, y_idx)
    cols = est.classes_.astype(int)

    def proba(Z):
        out = np.zeros((len(Z), k))
        out[:, cols] = est.predict_proba(Z)
        return out

    return est, proba


def _calibration(p: np.ndarray, y_idx: np.ndarray) -> dict:
    k = p.shape[1]
    if k == 2:
        conf = p[:, 1]
        hit = y_idx == 1
    else:
        conf = p.max(axis=1)
        hit = np.argmax(p, axis=1) == y_idx
    which = np.clip((conf * N_CALIBRATION_BINS).astype(int), 0, N_CALIBRATION_BINS - 1)
    bins = []
    ece = 0.0
    for b in range(N_CALIBRATION_BINS):
        mask = which == b
        n = int(mask.sum())
        if not n:
            continue
        mean_pred = float(conf[mask].mean())
        observed = float(hit[mask].mean())
        ece += n / len(conf) * abs(observed - mean_pred)
        bins.append(
            {
                "low": b / N_CALIBRATION_BINS,
                "high": (b + 1) / N_CALIBRATION_BINS,
                "n": n,
                "mean_predicted": mean_pred,
                "observed": observed,
            }
        )
    return {"bins": bins, "ece": ece}


def _confusion(t_cls: np.ndarray, s_cls: np.ndarray, k: int) -> list[list[int]]:
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (t_cls, s_cls), 1)
    return m.tolist()


def _rate_ci(agree: np.ndarray, seed) -> tuple[float | None, list | None]:
    if agree.size == 0:
        return None, None
    lo, hi = agreement_interval(agree, random_state=seed)
    return float(agree.mean()), [lo, hi]


# ---------------------------------------------------------------------------
# Subgroups
# ---------------------------------------------------------------------------
def _subgroup_levels(
    col, test: pd.Series, train: pd.Series
) -> list[tuple[str, np.ndarray]]:
    missing = test.isna().to_numpy()
    out = []
    if col.is_categorical:
        values = test.to_numpy(dtype=object)
        present = sorted({_key_str(v) for v in values[~missing]})
        text = np.array(
            [
                _key_str(v) if not m else ""
                for v, m in zip(values, missing, strict=True)
            ],
            dtype=object,
        )
        for level in present:
            out.append((level, (text == level) & ~missing))
    else:
        v = pd.to_numeric(test).to_numpy(dtype=np.float64, na_value=np.nan)
        ref = pd.to_numeric(train).to_numpy(dtype=np.float64, na_value=np.nan)
        ref = ref[~np.isnan(ref)]
        distinct = np.unique(np.concatenate([ref, v[~np.isnan(v)]]))
        if distinct.size <= MAX_SUBGROUP_VALUES:
            for x in np.unique(v[~np.isnan(v)]):
                out.append((format_number(float(x)), v == x))
        else:
            edges = np.unique(np.quantile(ref, [0.25, 0.5, 0.75])) if ref.size else []
            lows = [-np.inf, *edges]
            highs = [*edges, np.inf]
            for lo, hi in zip(lows, highs, strict=True):
                mask = (v > lo) & (v <= hi)
                if np.isinf(lo):
                    label = f"<= {format_number(float(hi))}"
                elif np.isinf(hi):
                    label = f"> {format_number(float(lo))}"
                else:
                    label = f"{format_number(float(lo))} – {format_number(float(hi))}"
                out.append((label, mask))
    if missing.any():
        out.append(("(missing)", missing))
    return out


def _key_str(v) -> str:
    return str(_plain(v))


def _subgroups(columns, schema, test_frame, train_frame, agree_by_model, seed):
    rows = []
    for name in columns:
        col = schema.column(name)
        for level, mask in _subgroup_levels(col, test_frame[name], train_frame[name]):
            n = int(mask.sum())
            if n == 0:
                continue
            entry = {"column": name, "level": level, "n": n, "models": {}}
            for model_name, agree in agree_by_model.items():
                rate, ci = _rate_ci(agree[mask], seed)
                entry["models"][model_name] = {"agreement": rate, "agreement_ci": ci}
            rows.append(entry)
    return rows


# ---------------------------------------------------------------------------
# Tree structure, rules, per-leaf audit
# ---------------------------------------------------------------------------
def _node_depths(tree) -> np.ndarray:
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
    if not np.isfinite(t):
        # scikit-learn's split on missingness alone: known values go left.
        question = f"{col.name} is known"
        left, right = "yes", "no"
        t = None
    elif feat.is_indicator:
        question = f"{col.name} is {feat.level}"
        left, right = "no", "yes"
    else:
        if col.kind == "integer":
            question = f"{col.name} <= {int(np.floor(t))}"
        else:
            question = f"{col.name} <= {format_number(t)}"
        left, right = "yes", "no"
    missing = None
    if col.has_missing:
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


def _tree_section(model, test_leaf: np.ndarray, rule_of_leaf: dict) -> dict:
    student = model.student_
    tree = student.tree_
    classes = np.asarray(model.classes_)
    depths = _node_depths(tree)
    n_test_node = np.zeros(tree.node_count, dtype=np.int64)
    # Held-out rows per node: a node holds the rows of the leaves below it.
    leaf_counts = np.bincount(test_leaf, minlength=tree.node_count)
    order = np.argsort(-depths, kind="stable")
    n_test_node[:] = leaf_counts
    for node in order:
        left, right = tree.children_left[node], tree.children_right[node]
        if left != -1:
            n_test_node[node] = n_test_node[left] + n_test_node[right]
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
            "prediction": _plain(classes[int(np.argmax(dist))]),
            "n_transfer": int(round(float(tree.weighted_n_node_samples[node]))),
            "n_test": int(n_test_node[node]),
            "rule": rule_of_leaf.get(node),
        }
        if left != -1:
            entry.update(_split_text(model, node))
        nodes.append(entry)
    used = student.features_used()
    names = model.schema_.feature_names_out
    columns_used = []
    for j in used:
        c = model.schema_.features[int(j)].column
        if c not in columns_used:
            columns_used.append(c)
    return {
        "nodes": nodes,
        "depth": student.get_depth(),
        "n_leaves": student.get_n_leaves(),
        "avg_path_length": float(depths[test_leaf].mean()) if len(test_leaf) else None,
        "features_used": [names[int(j)] for j in used],
        "columns_used": columns_used,
    }


def _rules_section(
    model, test_leaf, agree, hit, syn_leaf, syn_agree, seed
) -> tuple[list, list, dict]:
    rules = extract_rules(model)
    n = len(test_leaf)
    rule_of_leaf = {}
    out = []
    for i, rule in enumerate(rules, 1):
        rule_of_leaf[rule.leaf] = i
        mask = test_leaf == rule.leaf
        rate, ci = _rate_ci(agree[mask], seed)
        acc = float(hit[mask].mean()) if mask.any() else None
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
                "conditions": list(rule.conditions),
                "prediction": _plain(rule.prediction),
                "distribution": [float(p) for p in rule.distribution],
                "coverage_transfer": float(rule.coverage),
                "n_transfer": int(rule.n_samples),
                "n_test": int(mask.sum()),
                "coverage_test": float(mask.sum() / n) if n else None,
                "agreement": rate,
                "agreement_ci": ci,
                "student_accuracy": acc,
                "n_synthetic": syn_n,
                "agreement_synthetic": syn_rate,
            }
        )
    leaves = sorted(
        out,
        key=lambda r: (
            r["agreement"] is None,
            r["agreement"] if r["agreement"] is not None else 0.0,
            -r["n_test"],
            r["rule"],
        ),
    )
    leaf_rows = [
        {
            k: r[k]
            for k in (
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
            )
        }
        for r in leaves
    ]
    return out, leaf_rows, rule_of_leaf


# ---------------------------------------------------------------------------
# Size curve
# ---------------------------------------------------------------------------
_SHARED_PARAMS = (
    "temperature",
    "alpha",
    "augmentation",
    "augment_factor",
    "batch_size",
    "random_state",
)


class _MemoTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher whose logits are remembered per exact input.

    The refits of the size curve label the same transfer set at every leaf
    budget (same rows, same seed); the teacher is asked once.
    """

    def __init__(self, teacher=None):
        self.teacher = teacher

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def __sklearn_tags__(self):
        try:
            return get_tags(self.teacher)
        except (AttributeError, TypeError, ValueError):
            return super().__sklearn_tags__()

    @property
    def classes_(self):
        return self.teacher.classes_

    def predict_logits(self, X) -> np.ndarray:
        cache = self.__dict__.setdefault("_cache", {})
        key = _input_key(X)
        if key not in cache:
            cache[key] = teacher_logits(self.teacher, X)
        return cache[key]


def _input_key(X) -> str:
    digest = hashlib.sha256()
    if isinstance(X, pd.DataFrame):
        digest.update(repr([(str(c), str(t)) for c, t in X.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    else:
        arr = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
        digest.update(repr(arr.shape).encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _tree_params(model, seed: int) -> dict:
    """Parameters of a tree distiller equivalent to ``model`` (any kind)."""
    params = model.get_params(deep=False)
    if not isinstance(model, DistilledTreeClassifier):
        params = {k: params[k] for k in _SHARED_PARAMS if k in params}
    if params.get("random_state") is None:
        params["random_state"] = seed
    params["teacher"] = _MemoTeacher(model.teacher_)
    return params


def _size_curve(
    model,
    chosen: dict | None,
    grid,
    X_train,
    y_train,
    test_in,
    syn_in,
    p_test,
    p_syn,
    enc_train,
    enc_test,
    enc_syn,
    t_train,
    criterion,
    seed,
) -> dict:
    params = _tree_params(model, seed)
    k = p_test.shape[1]
    points = []
    for budget in grid:
        student = DistilledTreeClassifier(
            **{**params, "max_leaf_nodes": int(budget), "max_depth": None}
        ).fit(X_train, y_train)
        s_test = student.predict_proba(test_in)
        est, proba = _tree_baseline(enc_train, t_train, k, budget, criterion, seed)
        b_test = proba(enc_test)
        point = {
            "budget": int(budget),
            "student_leaves": student.student_.get_n_leaves(),
            "student_held_out": _agree(p_test, s_test),
            "student_held_out_kl": fidelity(p_test, s_test)["kl"],
            "surrogate_leaves": int(est.get_n_leaves()),
            "surrogate_held_out": _agree(p_test, b_test),
            "student_synthetic": None,
            "surrogate_synthetic": None,
        }
        if syn_in is not None:
            point["student_synthetic"] = _agree(p_syn, student.predict_proba(syn_in))
            point["surrogate_synthetic"] = _agree(p_syn, proba(enc_syn))
        points.append(point)
    return {"points": points, "chosen": chosen}


def _agree(p, q) -> float:
    return float(np.mean(np.argmax(p, axis=1) == np.argmax(q, axis=1)))


# ---------------------------------------------------------------------------
# SHAP
# ---------------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _shap_section(
    models, names, primary, test_frame, train_frame, rows_idx, bg_idx, seed
) -> dict:
    from scipy.stats import spearmanr

    schema = primary.schema_
    rows = test_frame.iloc[rows_idx]
    background = train_frame.iloc[bg_idx]
    out = {
        "columns": list(schema.names),
        "n_rows": int(len(rows)),
        "n_background": int(len(background)),
        "positive_class": (
            _plain(np.asarray(primary.classes_)[1])
            if len(primary.classes_) == 2
            else None
        ),
        "teacher": None,
        "students": {},
        "spearman": {},
    }
    if len(rows) == 0:
        out["teacher"] = {"status": "skipped", "reason": "no rows to explain"}
        return out
    try:
        teacher = teacher_importance(
            primary, rows, background, train_frame, np.random.default_rng(seed)
        )
        teacher["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a teacher SHAP cannot explain is reported
        teacher = {"status": "failed", "reason": _first_line(exc)}
    out["teacher"] = teacher
    enc = primary.schema_.encode(rows, warn_unseen=False)
    for name in names:
        try:
            result = student_importance(models[name], enc)
            result["status"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            result = {"status": "failed", "reason": _first_line(exc)}
        out["students"][name] = result
        rho = None
        if teacher.get("status") == "ok" and result["status"] == "ok":
            a = np.asarray(teacher["importance"])
            b = np.asarray(result["importance"])
            if a.size >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0:
                rho = float(spearmanr(a, b).statistic)
        out["spearman"][name] = rho
    return out


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------
def _check_options(size_grid, n_synthetic, shap_rows, subgroups, schema):
    if isinstance(size_grid, (str, bytes)) or not isinstance(size_grid, Sequence):
        raise ValueError(f"size_grid must be a list of leaf counts, got {size_grid!r}")
    grid = []
    for k in size_grid:
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 2:
            raise ValueError(
                f"size_grid must hold integers >= 2 (leaf budgets), got {k!r}"
            )
        grid.append(int(k))
    grid = sorted(set(grid))
    for name, v in (("n_synthetic", n_synthetic), ("shap_rows", shap_rows)):
        if isinstance(v, bool) or not isinstance(v, Integral) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    if subgroups is None:
        columns = [c.name for c in schema.columns if c.is_categorical]
    else:
        if isinstance(subgroups, str):
            subgroups = [subgroups]
        columns = []
        for name in subgroups:
            if str(name) not in schema.names:
                raise ValueError(
                    f"subgroup column {str(name)!r} is not a column of the data "
                    f"(columns: {', '.join(schema.names)})"
                )
            if str(name) not in columns:
                columns.append(str(name))
    return grid, columns


def _check_operating_points(positive_class, threshold, flag_rate, classes) -> None:
    if positive_class is not None and positive_class not in classes.tolist():
        raise ParameterError(
            f"positive_class {positive_class!r} is not a class of the teacher "
            f"(its classes: {classes.tolist()})",
            parameter="positive_class",
        )
    for name, v in (("threshold", threshold), ("flag_rate", flag_rate)):
        if v is None and name == "flag_rate":
            continue
        if isinstance(v, bool) or not isinstance(v, Real) or not 0 < v < 1:
            raise ParameterError(
                f"{name} must be a number strictly between 0 and 1, got {v!r}",
                parameter=name,
            )


def evaluate(
    models: Mapping,
    X_test,
    y_test,
    X_train,
    y_train,
    *,
    subgroups: Sequence[str] | None = None,
    size_grid: Sequence[int] = (2, 4, 8, 16, 32, 64),
    n_synthetic: int = 5000,
    include_values: bool = False,
    shap_rows: int = 200,
    random_state: int | None = 0,
    run_info: Mapping | None = None,
    positive_class=None,
    threshold: float = 0.5,
    flag_rate: float | None = None,
) -> dict:
    """Measure how faithfully distilled students reproduce their teacher.

    Parameters
    ----------
    models : dict of str -> fitted distiller
        e.g. ``{"tree": DistilledTreeClassifier, "boosted":
        DistilledBoostingClassifier}``, all distilled from the same teacher. The
        first tree student (``"tree"`` if present) is the one audited rule by rule
        and drawn.
    X_test, y_test : held-out real rows and their true labels
    X_train, y_train : the real rows the models were fit on
    subgroups : list of str, default=None
        Columns to audit level by level (numeric ones in quartiles when they have
        more than 10 values). ``None``: every categorical column.
    size_grid : sequence of int, default=(2, 4, 8, 16, 32, 64)
        Leaf budgets of the fidelity-against-size curve.
    n_synthetic : int, default=5000
        Rows of a fresh MUNGE draw from ``X_train`` labelled by the teacher.
    include_values : bool, default=False
        Show the raw feature values of the rows where student and teacher
        disagree most (otherwise only their row index).
    shap_rows : int, default=200
        Held-out rows explained by SHAP (a seeded subsample).
    random_state : int or None, default=0
    run_info : dict, default=None
        Passed through into ``report["run"]``.
    positive_class : class label, default=None
        The class whose patients are flagged in a binary problem; ``None``: the
        minority class of ``y_train``.
    threshold : float, default=0.5
        Operating point: a row is flagged when P(positive) >= ``threshold``.
    flag_rate : float, default=None
        Operating point: each model flags its own top ``flag_rate`` share of risk;
        ``None``: the prevalence of the positive class in ``y_train``.

    Returns
    -------
    dict
        JSON-serialisable; ``schema_version`` is ``"1"``. Floats are rounded to 6
        significant digits and NaN is ``None``.
    """
    names, models = _check_models(models)
    tree_names = [n for n in names if _is_tree(models[n])]
    if "tree" in tree_names:
        tree_names.remove("tree")
        tree_names.insert(0, "tree")
    tree_name = tree_names[0] if tree_names else None
    primary_name = tree_name or names[0]
    primary = models[primary_name]
    schema = primary.schema_
    classes = np.asarray(primary.classes_)
    k = len(classes)
    grid, subgroup_columns = _check_options(
        size_grid, n_synthetic, shap_rows, subgroups, schema
    )
    if run_info is not None and not isinstance(run_info, Mapping):
        raise ValueError(f"run_info must be a dict, got {type(run_info).__name__}")
    _check_operating_points(positive_class, threshold, flag_rate, classes)

    test_frame = _as_frame(X_test, primary, "X_test")
    train_frame = _as_frame(X_train, primary, "X_train")
    y_test_idx = _label_index(y_test, classes, "y_test", len(test_frame))
    y_train_idx = _label_index(y_train, classes, "y_train", len(train_frame))

    seeds = np.random.SeedSequence(random_state).generate_state(5)
    seed_boot, seed_syn, seed_tree, seed_shap, seed_pick = (int(s) for s in seeds)

    test_in = _model_input(primary, test_frame)
    train_in = _model_input(primary, train_frame)
    p_test = primary.teacher_proba(test_in)
    p_train = primary.teacher_proba(train_in)
    for name in names:
        if models[name].teacher_ is not primary.teacher_:
            other = models[name].teacher_proba(_model_input(models[name], test_frame))
            if not np.allclose(other, p_test, atol=1e-9):
                raise ValueError(
                    f"model {name!r} was distilled from a different teacher than "
                    f"model {primary_name!r}"
                )
    enc_train = primary.encode(train_in)
    enc_test = primary.encode(test_in)
    t_train = np.argmax(p_train, axis=1)
    t_test = np.argmax(p_test, axis=1)

    syn_frame = None
    syn_in = enc_syn = p_syn = None
    if n_synthetic > 0:
        syn_frame = augment(
            train_frame, schema, "munge", n_synthetic, np.random.default_rng(seed_syn)
        )
        syn_frame.index = pd.RangeIndex(len(syn_frame))
        syn_in = _model_input(primary, syn_frame)
        p_syn = primary.teacher_proba(syn_in)
        enc_syn = primary.encode(syn_in)

    # Model predictions.
    proba_test = {n: models[n].predict_proba(test_in) for n in names}
    proba_syn = (
        {n: models[n].predict_proba(syn_in) for n in names}
        if syn_in is not None
        else {}
    )

    # Baselines sized like the tree student (or the boosted student's leaves).
    if tree_name is not None:
        base_leaves = models[tree_name].student_.get_n_leaves()
        criterion = models[tree_name].student_.criterion
    else:
        base_leaves = _boosted_leaves(primary)
        criterion = "entropy"
    truth_est, truth_proba = _tree_baseline(
        enc_train, y_train_idx, k, base_leaves, criterion, seed_tree
    )
    hard_est, hard_proba = _tree_baseline(
        enc_train, t_train, k, base_leaves, criterion, seed_tree
    )
    baselines = [
        (
            "truth_tree",
            f"Tree on the true labels ({truth_est.get_n_leaves()} leaves)",
            truth_proba,
            int(truth_est.get_n_leaves()),
        ),
        (
            "hard_surrogate",
            f"Hard-label surrogate ({hard_est.get_n_leaves()} leaves)",
            hard_proba,
            int(hard_est.get_n_leaves()),
        ),
    ]

    held_out = [_teacher_row(p_test, y_test_idx, seed_boot)]
    synthetic = []
    for key, label, proba, leaves in baselines:
        held_out.append(
            _fidelity_row(
                key,
                label,
                "baseline",
                p_test,
                proba(enc_test),
                y_test_idx,
                seed_boot,
                leaves,
            )
        )
        if p_syn is not None:
            synthetic.append(
                _fidelity_row(
                    key,
                    label,
                    "baseline",
                    p_syn,
                    proba(enc_syn),
                    None,
                    seed_boot,
                    leaves,
                )
            )
    infos = {n: _model_info(n, models[n]) for n in names}
    for name in names:
        label = _model_label(name, models[name])
        leaves = infos[name]["n_leaves"]
        held_out.append(
            _fidelity_row(
                name,
                label,
                "student",
                p_test,
                proba_test[name],
                y_test_idx,
                seed_boot,
                leaves,
            )
        )
        if p_syn is not None:
            synthetic.append(
                _fidelity_row(
                    name,
                    label,
                    "student",
                    p_syn,
                    proba_syn[name],
                    None,
                    seed_boot,
                    leaves,
                )
            )

    # Agreement per row, per model.
    agree = {n: np.argmax(proba_test[n], axis=1) == t_test for n in names}

    # Size curve (tree students refit at each budget, same teacher).
    chosen = None
    if tree_name is not None:
        tree_model = models[tree_name]
        chosen = {
            "model": tree_name,
            "leaves": tree_model.student_.get_n_leaves(),
            "held_out": float(agree[tree_name].mean()),
            "synthetic": (
                _agree(p_syn, proba_syn[tree_name]) if p_syn is not None else None
            ),
        }
    curve = _size_curve(
        models[tree_name] if tree_name else primary,
        chosen,
        grid,
        X_train,
        y_train,
        test_in,
        syn_in,
        p_test,
        p_syn,
        enc_train,
        enc_test,
        enc_syn,
        t_train,
        criterion,
        seed_tree,
    )

    # Confusion and calibration.
    confusion = {
        n: _confusion(t_test, np.argmax(proba_test[n], axis=1), k) for n in names
    }
    calibration = {
        "kind": "positive" if k == 2 else "top_class",
        "positive_class": _plain(classes[1]) if k == 2 else None,
        "curves": {"teacher": _calibration(p_test, y_test_idx)},
    }
    for n in names:
        calibration["curves"][n] = _calibration(proba_test[n], y_test_idx)

    # Rules, per-leaf audit, tree drawing data.
    rules = leaves = tree = None
    test_leaf = None
    if tree_name is not None:
        tree_model = models[tree_name]
        test_leaf = tree_model.apply(test_in)
        hit = np.argmax(proba_test[tree_name], axis=1) == y_test_idx
        syn_leaf = syn_agree = None
        if syn_in is not None:
            syn_leaf = tree_model.apply(syn_in)
            syn_agree = np.argmax(proba_syn[tree_name], axis=1) == np.argmax(
                p_syn, axis=1
            )
        rules, leaves, rule_of_leaf = _rules_section(
            tree_model,
            test_leaf,
            agree[tree_name],
            hit,
            syn_leaf,
            syn_agree,
            seed_boot,
        )
        tree = _tree_section(tree_model, test_leaf, rule_of_leaf)

    # Subgroups.
    subgroup_rows = _subgroups(
        subgroup_columns, schema, test_frame, train_frame, agree, seed_boot
    )

    # Rows where the primary student and the teacher differ most.
    s_test = proba_test[primary_name]
    tv = 0.5 * np.abs(p_test - s_test).sum(axis=1)
    order = np.argsort(-tv, kind="stable")[:N_DISAGREEMENTS]
    ids = _row_ids(X_test)
    disagreements = []
    for i in order:
        if tv[i] <= 0:
            break
        entry = {
            "row": ids[i],
            "teacher_class": _plain(classes[t_test[i]]),
            "student_class": _plain(classes[int(np.argmax(s_test[i]))]),
            "classes_differ": bool(t_test[i] != np.argmax(s_test[i])),
            "teacher_proba": p_test[i].tolist(),
            "student_proba": s_test[i].tolist(),
            "tv": float(tv[i]),
            "true_class": _plain(classes[y_test_idx[i]]),
        }
        if test_leaf is not None and tree_name == primary_name:
            entry["rule"] = rule_of_leaf.get(int(test_leaf[i]))
        if include_values:
            entry["values"] = {c: _plain(test_frame.iloc[i][c]) for c in schema.names}
        disagreements.append(entry)

    # SHAP.
    pick = np.random.default_rng(seed_pick)
    n_rows = min(int(shap_rows), len(test_frame))
    rows_idx = np.sort(pick.choice(len(test_frame), size=n_rows, replace=False))
    n_bg = min(N_SHAP_BACKGROUND, len(train_frame))
    bg_idx = np.sort(pick.choice(len(train_frame), size=n_bg, replace=False))
    shap_section = _shap_section(
        models, names, primary, test_frame, train_frame, rows_idx, bg_idx, seed_shap
    )

    # Summary.
    summary = _summary(
        primary_name,
        infos[primary_name],
        agree[primary_name],
        held_out,
        synthetic,
        leaves,
        rules,
        subgroup_rows,
        seed_boot,
    )

    report = {
        "schema_version": SCHEMA_VERSION,
        "run": clean(dict(run_info) if run_info else {}, round_floats=False),
        "data": {
            "n_train": len(train_frame),
            "n_test": len(test_frame),
            "n_synthetic": 0 if syn_frame is None else len(syn_frame),
            "classes": [_plain(c) for c in classes],
            "positive_class": _plain(classes[1]) if k == 2 else None,
            "columns": _columns_info(schema),
            "test_class_counts": np.bincount(y_test_idx, minlength=k).tolist(),
            "include_values": bool(include_values),
            "random_state": random_state,
        },
        "teacher": {"description": _describe_teacher(primary.teacher_)},
        "models": infos,
        "model_order": names,
        "primary_model": primary_name,
        "tree_model": tree_name,
        "fidelity": {"held_out": held_out, "synthetic": synthetic},
        "size_curve": curve,
        "confusion": {"labels": [_plain(c) for c in classes], "matrices": confusion},
        "calibration": calibration,
        "rules": rules,
        "leaves": leaves,
        "tree": tree,
        "subgroups": {"columns": subgroup_columns, "rows": subgroup_rows},
        "disagreements": {
            "model": primary_name,
            "n_differ": int((~agree[primary_name]).sum()),
            "rows": disagreements,
        },
        "shap": shap_section,
        "summary": summary,
    }
    out = clean({k: v for k, v in report.items() if k != "run"})
    out["run"] = report["run"]
    return out


def _min_n(n: int) -> int:
    return max(5, int(math.ceil(0.02 * n)))


def _least_faithful(items, n, *, size, rate, tie):
    """The item with the lowest agreement, preferring ones with enough rows.

    Items with at least ``_min_n(n)`` rows are compared first, so that one row in a
    tiny leaf does not outrank a large group; when all of those agree fully, any
    item with a disagreement is named instead.
    """
    if not items:
        return None

    def key(r):
        return (rate(r), -size(r), *tie(r))

    big = [r for r in items if size(r) >= _min_n(n)]
    worst = min(big, key=key) if big else None
    if worst is None or rate(worst) >= 1.0:
        lowest = min(items, key=key)
        if worst is None or rate(lowest) < 1.0:
            worst = lowest
    return worst


def _summary(name, info, agree, held_out, synthetic, leaves, rules, subgroups, seed):
    n = int(agree.size)
    rate, ci = _rate_ci(agree, seed)
    by_key = {r["key"]: r for r in held_out}
    syn = {r["key"]: r for r in synthetic}
    out = {
        "model": name,
        "student": info["student"],
        "n_leaves": info.get("n_leaves"),
        "n_trees": info.get("n_trees"),
        "n": n,
        "agreement": rate,
        "agreement_ci": ci,
        "kl": by_key[name]["kl"],
        "accuracy": by_key[name].get("accuracy"),
        "teacher_accuracy": by_key["teacher"].get("accuracy"),
        "surrogate_agreement": by_key["hard_surrogate"]["agreement"],
        "surrogate_n_leaves": by_key["hard_surrogate"]["n_leaves"],
        "synthetic_agreement": syn[name]["agreement"] if name in syn else None,
        "surrogate_synthetic_agreement": (
            syn["hard_surrogate"]["agreement"] if "hard_surrogate" in syn else None
        ),
        "min_n": _min_n(n),
        "worst_rule": None,
        "worst_rule_synthetic": None,
        "worst_subgroup": None,
    }
    if leaves:
        seen = [r for r in leaves if r["n_test"] > 0]
        worst = _least_faithful(
            seen,
            n,
            size=lambda r: r["n_test"],
            rate=lambda r: r["agreement"],
            tie=lambda r: (r["rule"],),
        )
        if worst is not None:
            text = next(r["text"] for r in rules if r["rule"] == worst["rule"])
            out["worst_rule"] = {
                "rule": worst["rule"],
                "text": text,
                "n": worst["n_test"],
                "agreement": worst["agreement"],
            }
    if leaves and synthetic:
        n_syn = sum(r["n_synthetic"] or 0 for r in leaves)
        seen = [r for r in leaves if r["n_synthetic"]]
        worst = _least_faithful(
            seen,
            n_syn,
            size=lambda r: r["n_synthetic"],
            rate=lambda r: r["agreement_synthetic"],
            tie=lambda r: (r["rule"],),
        )
        if worst is not None:
            out["worst_rule_synthetic"] = {
                "rule": worst["rule"],
                "n": worst["n_synthetic"],
                "agreement": worst["agreement_synthetic"],
            }
    if subgroups:
        worst = _least_faithful(
            subgroups,
            n,
            size=lambda r: r["n"],
            rate=lambda r: r["models"][name]["agreement"],
            tie=lambda r: (r["column"], r["level"]),
        )
        out["worst_subgroup"] = {
            "column": worst["column"],
            "level": worst["level"],
            "n": worst["n"],
            "agreement": worst["models"][name]["agreement"],
            "agreement_ci": worst["models"][name]["agreement_ci"],
        }
    return out
