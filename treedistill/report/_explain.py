"""SHAP global importance of the teacher and of the students, per original column.

- Teacher: model-agnostic permutation SHAP over the raw columns. Each explained row
  gets one random feature ordering, walked forward (adding the row's values to a
  background row one column at a time) and backward (removing them), and the
  two passes are averaged — the antithetic scheme of ``shap.PermutationExplainer``.
  It is exact for additive models and always satisfies local accuracy (the values
  of a row sum to ``f(x) - E_background[f]``). It is vectorised over many rows at
  once, so the teacher sees a few large batches instead of thousands of small ones,
  and each distinct coalition row once (on clinical data with yes/no columns about
  a quarter of them are distinct).
- Tree student: exact TreeSHAP on the student's own tree structure with its leaf
  distributions ``value_`` (:func:`tree_shap`, the path-dependent algorithm of
  ``shap.TreeExplainer`` in numpy, vectorised over rows; no shap import).
- Boosted student: exact TreeSHAP on its xgboost model (in margin units).

Values on the student's one-hot columns are summed back to their original column
before taking ``mean |SHAP|``. Binary problems explain the probability (or margin)
of the positive class (``classes_[1]``); multi-class problems average ``|SHAP|``
over the classes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "permutation_shap",
    "teacher_importance",
    "student_importance",
    "tree_shap",
]

_MAX_BATCH = 50_000


def permutation_shap(
    f,
    X: np.ndarray,
    background: np.ndarray,
    rng: np.random.Generator,
    *,
    max_batch: int = _MAX_BATCH,
) -> np.ndarray:
    """Permutation SHAP values of ``f`` (one antithetic ordering per row).

    Parameters
    ----------
    f : callable
        Maps an (m, d) float array to outputs of shape (m, K).
    X : ndarray of shape (n, d)
        Rows to explain.
    background : ndarray of shape (b, d)
        Rows whose values stand in for "absent" columns.
    rng : numpy Generator
        Draws the column orderings.
    max_batch : int, default=50000
        Upper bound on the rows passed to ``f`` in one call.

    Returns
    -------
    ndarray of shape (n, d, K)
        ``values[i].sum(axis=0) == f(X[i]) - mean(f(background))``.
    """
    X = np.asarray(X, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    n, d = X.shape
    b = len(background)
    base = np.asarray(f(background), dtype=np.float64).mean(axis=0)
    k = base.shape[0]
    fx = np.asarray(f(X), dtype=np.float64).reshape(n, k)
    phi = np.zeros((n, d, k))
    if n == 0 or d == 0:
        return phi
    orders = np.argsort(rng.random((n, d)), axis=1)
    n_mid = d - 1  # coalitions strictly between "none" and "all", per pass
    if n_mid == 0:
        phi[:, 0, :] = fx - base
        return phi
    per_row = 2 * n_mid * b
    chunk = max(1, max_batch // per_row)
    steps = np.arange(1, d)
    for start in range(0, n, chunk):
        rows = slice(start, min(n, start + chunk))
        order = orders[rows]
        r = order.shape[0]
        # rank[i, j]: position of column j in row i's ordering
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(d)[None, :], axis=1)
        # forward coalition s holds the first s columns of the ordering; the
        # backward coalition s holds all but the first s.
        fwd = rank[:, None, :] < steps[None, :, None]  # (r, d-1, d)
        masks = np.concatenate([fwd, ~fwd], axis=1)  # (r, 2(d-1), d)
        data = np.where(
            masks[:, :, None, :],
            X[rows][:, None, None, :],
            background[None, None, :, :],
        ).reshape(-1, d)
        # Many coalition rows repeat (a background row that already holds the
        # explained row's values, two-valued columns): f sees each distinct row once.
        distinct, where = _distinct_rows(data)
        out = np.asarray(f(distinct), dtype=np.float64)[where]
        out = out.reshape(r, 2 * n_mid, b, k)
        values = out.mean(axis=2)
        fwd_v = np.concatenate(
            [np.broadcast_to(base, (r, 1, k)), values[:, :n_mid], fx[rows][:, None]],
            axis=1,
        )  # value after adding 0..d columns
        bwd_v = np.concatenate(
            [fx[rows][:, None], values[:, n_mid:], np.broadcast_to(base, (r, 1, k))],
            axis=1,
        )  # value after removing 0..d columns
        gain_f = np.diff(fwd_v, axis=1)  # adding order[:, s]
        gain_b = -np.diff(bwd_v, axis=1)  # removing order[:, s]
        contrib = 0.5 * (gain_f + gain_b)  # (r, d, k), by position in the ordering
        idx = np.arange(r)[:, None]
        block = np.zeros((r, d, k))
        block[idx, order] = contrib
        phi[rows] = block
    return phi


def _distinct_rows(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``data`` (equal bit for bit) and, for every row, the
    index of its distinct row: ``distinct[where]`` is ``data``."""
    data = np.ascontiguousarray(data)
    keys = data.view(np.dtype((np.void, data.dtype.itemsize * data.shape[1]))).ravel()
    _, first, where = np.unique(keys, return_index=True, return_inverse=True)
    return data[first], where.reshape(-1)


# ---------------------------------------------------------------------------
# Raw columns <-> a float matrix shap-style explainers can mix
# ---------------------------------------------------------------------------
class _ColumnCodec:
    """Codes a raw frame as floats (numbers as they are, categories as indices)."""

    def __init__(self, schema, frames: list[pd.DataFrame], template: pd.DataFrame):
        self.schema = schema
        self.template = template
        self.tables: dict[str, np.ndarray] = {}
        for col in schema.columns:
            if not col.is_categorical:
                continue
            seen: dict[str, object] = {}
            for frame in frames:
                for v in frame[col.name].to_numpy(dtype=object):
                    key = _key(v)
                    if key not in seen:
                        seen[key] = np.nan if pd.isna(v) else v
            table = np.empty(len(seen), dtype=object)
            table[:] = [seen[key] for key in sorted(seen)]
            self.tables[col.name] = table

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.schema.columns)), dtype=np.float64)
        for j, col in enumerate(self.schema.columns):
            values = frame[col.name]
            if col.is_categorical:
                table = self.tables[col.name]
                lookup = {_key(v): i for i, v in enumerate(table)}
                out[:, j] = [lookup[_key(v)] for v in values.to_numpy(dtype=object)]
            else:
                out[:, j] = pd.to_numeric(values).to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
        return out

    def decode(self, codes: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, col in enumerate(self.schema.columns):
            if col.is_categorical:
                values = self.tables[col.name][codes[:, j].astype(np.int64)]
            else:
                values = codes[:, j]
            data[col.name] = _restore(values, self.template[col.name].dtype)
        return pd.DataFrame(data)


def _key(v) -> str:
    return "\x00missing" if pd.isna(v) else f"{type(v).__name__}:{v}"


def _restore(values: np.ndarray, dtype) -> pd.Series:
    """Values as a Series of the training column's dtype where that is possible."""
    s = pd.Series(values)
    has_nan = bool(pd.isna(values).any())
    try:
        if isinstance(dtype, pd.CategoricalDtype):
            return s.astype(dtype)
        if pd.api.types.is_bool_dtype(dtype):
            return s if has_nan else s.astype(bool)
        if pd.api.types.is_integer_dtype(dtype):
            return s.astype("float64") if has_nan else s.astype(dtype)
        if pd.api.types.is_float_dtype(dtype):
            return s.astype(dtype)
        if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(
            dtype
        ):
            return s.astype(dtype)
    except (TypeError, ValueError):
        return s
    return s


def _reduce(values: np.ndarray, k: int) -> np.ndarray:
    """mean |SHAP| per column from (n, d[, K]) values (positive class if binary)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 2:
        return np.abs(v).mean(axis=0)
    if k == 2 and v.shape[2] == 2:
        return np.abs(v[:, :, 1]).mean(axis=0)
    return np.abs(v).mean(axis=(0, 2))


def _group(values: np.ndarray, schema) -> np.ndarray:
    """Sum per-row SHAP values of the one-hot columns back to original columns."""
    v = np.asarray(values, dtype=np.float64)
    names = schema.names
    index = {name: i for i, name in enumerate(names)}
    out = np.zeros((v.shape[0], len(names)) + v.shape[2:])
    for j, feat in enumerate(schema.features):
        out[:, index[feat.column]] += v[:, j]
    return out


def teacher_importance(
    model,
    rows: pd.DataFrame,
    background: pd.DataFrame,
    template: pd.DataFrame,
    rng: np.random.Generator,
) -> dict:
    """Permutation SHAP importance of the teacher on ``rows``, per raw column."""
    schema = model.schema_
    codec = _ColumnCodec(schema, [rows, background], template)
    frame_input = getattr(model, "_frame_input", hasattr(model, "feature_names_in_"))
    k = len(model.classes_)

    def f(codes: np.ndarray) -> np.ndarray:
        frame = codec.decode(codes)
        if not frame_input:
            frame = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        return model.teacher_proba(frame)

    values = permutation_shap(f, codec.encode(rows), codec.encode(background), rng)
    return {
        "importance": _reduce(values, k).tolist(),
        "unit": "probability",
        "method": (
            "permutation SHAP over the raw columns (one antithetic ordering per "
            f"row, background of {len(background)} training rows)"
        ),
    }


def _tree_shap_model(student) -> dict:
    tree = student.tree_
    left = np.asarray(tree.children_left)
    right = np.asarray(tree.children_right)
    missing_left = np.asarray(tree.missing_go_to_left).astype(bool)
    return {
        "children_left": left,
        "children_right": right,
        "children_default": np.where(missing_left, left, right),
        "features": np.asarray(tree.feature),
        "thresholds": np.asarray(tree.threshold, dtype=np.float64),
        "values": np.asarray(student.value_, dtype=np.float64),
        "node_sample_weight": np.asarray(tree.weighted_n_node_samples, float),
    }


def tree_shap(tree: dict, X: np.ndarray) -> np.ndarray:
    """Exact path-dependent TreeSHAP values of one tree (``shap.TreeExplainer``'s
    ``tree_path_dependent`` algorithm), vectorised over the rows.

    ``tree`` holds the arrays of :func:`_tree_shap_model`. A row goes to
    ``children_default`` where its value is missing, left where it is ``<=`` the
    threshold. For every leaf, the path's distinct columns each have a zero
    fraction (the share of the training weight that follows the path at that
    column's splits) and a one fraction (whether the row follows it); a
    column's value is the Shapley value of the product game they define, the
    leaf's value times ``(one - zero)`` times the Shapley-weighted elementary
    symmetric sums of the other columns' factors ``zero + one * t``.

    Returns
    -------
    ndarray of shape (n, d, K)
        Each row's values sum to its leaf value minus the cover-weighted mean
        leaf value (local accuracy).
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    left, right = tree["children_left"], tree["children_right"]
    default, features = tree["children_default"], tree["features"]
    thresholds = tree["thresholds"]
    values = np.asarray(tree["values"], dtype=np.float64)
    values = values.reshape(len(values), -1)
    cover = np.asarray(tree["node_sample_weight"], dtype=np.float64)
    phi = np.zeros((n, d, values.shape[1]))
    # paths[node]: the (column, zero fraction, row follows) steps to it
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        if left[node] < 0:
            _leaf_shap(phi, path, values[node])
            continue
        col = int(features[node])
        x = X[:, col]
        go_left = np.where(
            np.isnan(x), default[node] == left[node], x <= thresholds[node]
        )
        for child, follows in ((left[node], go_left), (right[node], ~go_left)):
            step = (col, cover[child] / cover[node], follows)
            stack.append((child, path + [step]))
    return phi


def _leaf_shap(phi: np.ndarray, path: list, value: np.ndarray) -> None:
    """Add one leaf's contribution to ``phi`` (n, d, K)."""
    if not path:
        return
    cols: list[int] = []
    zero: dict[int, float] = {}
    one: dict[int, np.ndarray] = {}
    for col, z, follows in path:  # a column split on twice: fractions multiply
        if col in zero:
            zero[col] *= z
            one[col] = one[col] & follows
        else:
            cols.append(col)
            zero[col], one[col] = z, follows
    m = len(cols)
    z = np.array([zero[c] for c in cols])  # (m,)
    o = np.array([one[c] for c in cols], dtype=np.float64)  # (m, n)
    n = o.shape[1]
    # poly[i, s]: coefficient of t**s in prod over j != i of (z_j + o_j t)
    poly = np.zeros((m, m, n))
    poly[:, 0] = 1.0
    eye = np.eye(m, dtype=bool)
    for j in range(m):
        zj = np.where(eye[j], 1.0, z[j])[:, None, None]  # i == j: factor 1
        oj = np.where(eye[j][:, None], 0.0, o[j][None, :])[:, None, :]
        shifted = np.zeros_like(poly)
        shifted[:, 1:] = poly[:, :-1]
        poly = poly * zj + shifted * oj
    s = np.arange(m)
    weight = np.array(
        [math.factorial(k) * math.factorial(m - 1 - k) for k in s], dtype=np.float64
    ) / math.factorial(m)
    w = np.einsum("isn,s->in", poly, weight)  # (m, n)
    contrib = w * (o - z[:, None])  # (m, n)
    for i, col in enumerate(cols):
        phi[:, col, :] += contrib[i][:, None] * value[None, :]


def student_importance(model, X_enc: np.ndarray) -> dict:
    """Exact TreeSHAP importance of a tree or boosted student, per raw column."""
    student = model.student_
    k = len(model.classes_)
    if hasattr(student, "tree_"):
        values = tree_shap(_tree_shap_model(student), X_enc)
        unit = "probability"
        method = "exact TreeSHAP on the tree's leaf distributions"
    else:
        with warnings.catch_warnings():
            # shap's plotting colours use matplotlib calls pending removal.
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap

        explainer = shap.TreeExplainer(student.estimator_)
        unit = "margin (log-odds)"
        method = "exact TreeSHAP on the boosted trees (margin units)"
        values = np.asarray(explainer.shap_values(X_enc, check_additivity=False))
        if values.ndim == 3 and values.shape[0] == k and values.shape[1] == len(X_enc):
            values = np.moveaxis(values, 0, -1)  # older list-of-classes layout
    grouped = _group(values, model.schema_)
    return {
        "importance": _reduce(grouped, k).tolist(),
        "unit": unit,
        "method": method,
    }
