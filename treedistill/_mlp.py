"""A scikit-learn compatible PyTorch MLP classifier for raw tabular data.

:class:`MLPTeacher` is the default "teacher" that ``treedistill`` distils into a
small decision tree. It accepts raw numpy arrays or pandas DataFrames with mixed
numeric / categorical columns and missing values, does its own preprocessing,
trains with early stopping, and can be saved to / loaded from a single file
without pickle (``torch.load(..., weights_only=True)``).
"""

from __future__ import annotations

import copy
import math
import numbers
import os
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from torch import nn
from torch.nn import functional as F

__all__ = ["FORMAT_TAG", "MLPTeacher", "torch_threads"]

#: The ``format`` entry of a saved MLPTeacher.
FORMAT_TAG = "treedistill.MLPTeacher"
_FORMAT_VERSION = 2
# Older file versions that load still reads (version 1 had no numeric encoding
# options and always standardised numeric columns only).
_READABLE_VERSIONS = (1, 2)
_NUMERIC_ENCODINGS = ("ple", "standard")
_PREDICT_BATCH = 8192
# Hidden layers narrower than this get no LayerNorm: normalising 1 or 2 units
# destroys (almost) all information they carry.
_MIN_NORM_WIDTH = 4
# Minimum decrease of the validation loss that resets the patience counter.
_ES_TOL = 1e-4
# With a validation split, the learning rate is multiplied by _LR_FACTOR after
# more than _LR_PATIENCE epochs without improvement (by _ES_TOL): the smaller
# steps let the network sharpen thresholds that the initial rate overshoots.
_LR_FACTOR = 0.3
_LR_PATIENCE = 4
# Below this many rows there is no validation split / early stopping.
_MIN_ROWS_FOR_VALIDATION = 20

_INIT_PARAMS = (
    "hidden_layer_sizes",
    "dropout",
    "learning_rate",
    "weight_decay",
    "batch_size",
    "max_epochs",
    "patience",
    "validation_fraction",
    "numeric_encoding",
    "n_bins",
    "random_state",
)


# --------------------------------------------------------------------------- #
# Network
# --------------------------------------------------------------------------- #
def _build_network(
    n_inputs: int, hidden: Sequence[int], n_outputs: int, dropout: float
) -> nn.Sequential:
    layers: list[nn.Module] = []
    width_in = n_inputs
    for width in hidden:
        layers.append(nn.Linear(width_in, width))
        if width >= _MIN_NORM_WIDTH:
            # LayerNorm normalises each row on its own: no batch statistics, so it
            # trains fine with tiny (even size-1) batches and eval == train maths.
            layers.append(nn.LayerNorm(width))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width_in = width
    layers.append(nn.Linear(width_in, n_outputs))
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------- #
# Preprocessing helpers (state is kept as plain Python types)
# --------------------------------------------------------------------------- #
def _column_kind(dtype: Any, label: Any) -> str:
    """Return ``"numeric"`` or ``"categorical"`` for a DataFrame column dtype."""
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_complex_dtype(dtype):
        raise ValueError(f"Complex data not supported (column {label!r}).")
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    raise ValueError(
        f"Column {label!r} has unsupported dtype {dtype}; use numeric, bool, "
        "string, object or category columns."
    )


def _numeric_values(values: Any, label: Any) -> np.ndarray:
    """Convert one column to a float64 array (NaN for missing); reject inf."""
    try:
        if isinstance(values, pd.Series):
            if pd.api.types.is_numeric_dtype(
                values.dtype
            ) and not pd.api.types.is_bool_dtype(values.dtype):
                out = values.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                out = pd.to_numeric(values, errors="raise").to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
        else:
            out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Column {label!r} was numeric during fit but could not be converted "
            f"to numbers: {exc}"
        ) from exc
    out = np.array(out, dtype=np.float64, copy=True)
    if np.isinf(out).any():
        raise ValueError(
            f"Input X contains infinity in column {label!r}; only finite values "
            "and NaN (missing) are supported."
        )
    return out


def _category_keys(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return (missing mask, string keys of the non-missing values)."""
    obj = np.asarray(
        values.astype(object) if isinstance(values, pd.Series) else values,
        dtype=object,
    )
    missing = np.asarray(pd.isna(obj), dtype=bool)
    keys = np.array([str(v) for v in obj[~missing]], dtype=object)
    return missing, keys


def _ple_edges(x: np.ndarray, n_bins: int) -> list[float]:
    """Bin edges of the piecewise-linear encoding of one column's observed values.

    Quantile edges (duplicates dropped), or, when the column has at most
    ``n_bins + 1`` distinct values, the distinct values themselves, so that each
    observed value gets an exact thermometer code. An empty list (no encoding)
    when fewer than 2 bins would result: the standardised value already carries
    all the information of a constant or two-valued column.
    """
    distinct = np.unique(x)
    if len(distinct) <= n_bins + 1:
        edges = distinct
    else:
        edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1)))
    if len(edges) < 3:
        return []
    return [float(e) for e in edges]


def _fit_column(
    values: Any, kind: str, label: Any, n_bins: int | None
) -> dict[str, Any]:
    if kind == "numeric":
        x = _numeric_values(values, label)
        missing = np.isnan(x)
        observed = x[~missing]
        median = float(np.median(observed)) if observed.size else 0.0
        edges = _ple_edges(observed, n_bins) if n_bins and observed.size else []
        x[missing] = median
        mean = float(x.mean())
        scale = float(x.std())
        if not math.isfinite(scale) or scale <= 0.0:
            scale = 1.0
        if not math.isfinite(mean):
            mean = 0.0
        return {
            "name": str(label),
            "kind": "numeric",
            "median": median,
            "mean": mean,
            "scale": scale,
            "missing_indicator": bool(missing.any()),
            "edges": edges,
        }
    _, keys = _category_keys(values)
    categories = sorted(set(keys.tolist()))
    return {"name": str(label), "kind": "categorical", "categories": categories}


def _n_outputs(state: dict[str, Any]) -> int:
    if state["kind"] == "numeric":
        n_bins = max(len(state.get("edges", [])) - 1, 0)
        return 1 + n_bins + int(state["missing_indicator"])
    return len(state["categories"]) + 1


def _transform_column(values: Any, state: dict[str, Any], label: Any) -> np.ndarray:
    n = len(values)
    if state["kind"] == "numeric":
        x = _numeric_values(values, label)
        missing = np.isnan(x)
        x[missing] = state["median"]
        blocks = [((x - state["mean"]) / state["scale"])[:, None]]
        edges = state.get("edges", [])
        if len(edges) > 1:
            # Piecewise-linear encoding: for bin [lo, hi), clip((x - lo) / (hi - lo)).
            lo = np.asarray(edges[:-1], dtype=np.float64)
            width = np.diff(np.asarray(edges, dtype=np.float64))
            blocks.append(np.clip((x[:, None] - lo) / width, 0.0, 1.0))
        if state["missing_indicator"]:
            blocks.append(missing.astype(np.float64)[:, None])
        return np.hstack(blocks)
    categories = state["categories"]
    lookup = {c: i for i, c in enumerate(categories)}
    missing, keys = _category_keys(values)
    codes = np.full(n, len(categories), dtype=np.int64)  # the "missing" level
    # Unseen categories get -1, i.e. an all-zero one-hot row.
    codes[~missing] = np.fromiter(
        (lookup.get(k, -1) for k in keys), dtype=np.int64, count=len(keys)
    )
    out = np.zeros((n, len(categories) + 1), dtype=np.float64)
    seen = codes >= 0
    out[np.flatnonzero(seen), codes[seen]] = 1.0
    return out


def _check_param(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# --------------------------------------------------------------------------- #
# Estimator
# --------------------------------------------------------------------------- #
@contextmanager
def torch_threads(n: int = 1):
    """Run the block with ``n`` torch threads, then restore the previous count.

    The small MLP teachers train as fast on one thread as on several, much faster
    when the cores are busy, and give the same numbers on any machine (torch's
    results depend on its thread count).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class MLPTeacher(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier (PyTorch) for raw tabular data.

    The default teacher model of ``treedistill``. It takes raw numeric arrays or
    mixed-type pandas DataFrames and handles preprocessing itself:

    * numeric columns: median imputation, a 0/1 missing-indicator input for every
      column that had missing values during fit, then standardisation; with
      ``numeric_encoding="ple"`` also a piecewise-linear encoding of the value
      (see ``numeric_encoding``);
    * categorical columns (``object``, ``str``, ``category`` or ``bool`` dtype):
      one-hot encoding of the categories seen during fit plus a "missing" level;
      categories unseen during fit are encoded as all zeros.

    The network is a stack of ``Linear -> LayerNorm -> ReLU -> Dropout`` blocks
    followed by a linear head with one output per class, trained with AdamW on
    the (sample-weighted) cross-entropy, with early stopping on a held-out
    validation split. The learning rate is multiplied by 0.3 after every 5
    consecutive epochs without improvement of the validation loss (by more than
    1e-4), and the weights with the best validation loss are kept.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(256, 128, 64)
        Widths of the hidden layers. An empty sequence gives a multinomial
        logistic regression. Layers narrower than 4 units get no LayerNorm.
    dropout : float, default=0.1
        Dropout probability after each hidden block, in ``[0, 1)``.
    learning_rate : float, default=1e-3
        AdamW learning rate, > 0.
    weight_decay : float, default=1e-4
        AdamW (decoupled) weight decay, >= 0.
    batch_size : int, default=128
        Mini-batch size, >= 1.
    max_epochs : int, default=200
        Maximum number of passes over the training data, >= 1.
    patience : int, default=15
        Stop when the validation loss has not improved (by more than 1e-4) for
        this many consecutive epochs, >= 1.
    validation_fraction : float, default=0.15
        Fraction of the rows held out for early stopping, in ``[0, 1)``. The
        split is stratified when every class has at least 2 rows. With 0, or
        fewer than 20 rows, all rows are used for training for ``max_epochs``
        epochs without early stopping.
    numeric_encoding : {"ple", "standard"}, default="ple"
        How numeric columns enter the network. ``"standard"``: the standardised
        value only. ``"ple"``: the standardised value plus its piecewise-linear
        encoding (Gorishniy et al., 2022, "On Embeddings for Numerical Features
        in Tabular Deep Learning"): with bin edges ``b_0 < ... < b_T`` taken
        from the training values, bin ``t`` contributes the input
        ``clip((x - b_{t-1}) / (b_t - b_{t-1}), 0, 1)``. The encoding lets the
        network place sharp thresholds, which makes it a teacher that a small
        tree can follow closely. Missing values are encoded as the imputed
        median (the missing indicator tells them apart).
    n_bins : int, default=24
        Maximum number of bins ``T`` per numeric column for
        ``numeric_encoding="ple"``, >= 2 (validated, but unused, with
        ``"standard"``). The edges are the training quantiles of the observed
        values, with duplicates dropped; a column with at most ``n_bins + 1``
        distinct values uses those values as edges (an exact thermometer code
        of each value). Columns with fewer than 3 distinct values get no
        encoding beyond the standardised value. Each encoded column adds up to
        ``n_bins`` network inputs.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation split.
        The same integer gives identical weights and predictions (on the same
        machine and thread count). The global torch RNG state is left unchanged.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (sorted unique values of ``y``).
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during fit. Only defined when ``X`` was a DataFrame
        with string column names. DataFrames passed to the prediction methods
        are matched to these names (column order may differ).
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch (1-based) whose weights were kept.
    loss_curve_ : list of float
        Training loss (weighted mean cross-entropy) per epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, or None when no validation split was used.
    model_ : torch.nn.Sequential
        The fitted network (in evaluation mode, float64 for inference).

    See Also
    --------
    sklearn.neural_network.MLPClassifier : NumPy MLP without categorical support.

    Notes
    -----
    Training uses float32; the fitted network is converted to float64 for
    inference, so that predictions depend on how rows are batched only at
    float64 round-off level (about 1e-15).
    Use :meth:`save` / :meth:`load` for safe, pickle-free persistence.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from treedistill._mlp import MLPTeacher
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPTeacher(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> clf.decision_function(X[:2]).shape
    (2, 3)
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (256, 128, 64),
        dropout: float = 0.1,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 128,
        max_epochs: int = 200,
        patience: int = 15,
        validation_fraction: float = 0.15,
        numeric_encoding: str = "ple",
        n_bins: int = 24,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.numeric_encoding = numeric_encoding
        self.n_bins = n_bins
        self.random_state = random_state

    # ------------------------------------------------------------------ #
    # Parameter validation
    # ------------------------------------------------------------------ #
    def _validated_hidden(self) -> tuple[int, ...]:
        hidden = self.hidden_layer_sizes
        if _is_int(hidden):
            hidden = (hidden,)
        ok = isinstance(hidden, (Sequence, np.ndarray)) and not isinstance(
            hidden, (str, bytes)
        )
        ok = ok and all(_is_int(h) and h >= 1 for h in hidden)
        _check_param(
            ok,
            "hidden_layer_sizes must be a sequence of positive integers, "
            f"got {self.hidden_layer_sizes!r}",
        )
        return tuple(int(h) for h in hidden)

    def _validate_params(self) -> None:
        self._validated_hidden()
        d = self.dropout
        _check_param(
            _is_real(d) and 0.0 <= d < 1.0, f"dropout must be in [0, 1), got {d!r}"
        )
        lr = self.learning_rate
        _check_param(
            _is_real(lr) and math.isfinite(lr) and lr > 0,
            f"learning_rate must be a positive finite float, got {lr!r}",
        )
        wd = self.weight_decay
        _check_param(
            _is_real(wd) and math.isfinite(wd) and wd >= 0,
            f"weight_decay must be a finite float >= 0, got {wd!r}",
        )
        for name in ("batch_size", "max_epochs", "patience"):
            value = getattr(self, name)
            _check_param(
                _is_int(value) and value >= 1,
                f"{name} must be a positive integer, got {value!r}",
            )
        vf = self.validation_fraction
        _check_param(
            _is_real(vf) and 0.0 <= vf < 1.0,
            f"validation_fraction must be in [0, 1), got {vf!r}",
        )
        enc = self.numeric_encoding
        _check_param(
            isinstance(enc, str) and enc in _NUMERIC_ENCODINGS,
            f"numeric_encoding must be 'ple' or 'standard', got {enc!r}",
        )
        nb = self.n_bins
        _check_param(
            _is_int(nb) and nb >= 2,
            f"n_bins must be an integer >= 2, got {nb!r}",
        )
        rs = self.random_state
        _check_param(
            rs is None or _is_int(rs) or isinstance(rs, np.random.RandomState),
            f"random_state must be None, an int or a numpy RandomState, got {rs!r}",
        )

    # ------------------------------------------------------------------ #
    # Input handling
    # ------------------------------------------------------------------ #
    def _columns_fit(self, X: Any) -> tuple[list[Any], list[Any], list[str]]:
        """Validate X in fit; return (column values, labels, kinds)."""
        if isinstance(X, pd.DataFrame):
            n_rows, n_cols = X.shape
            if n_rows < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required by MLPTeacher."
                )
            if n_cols < 1:
                raise ValueError(
                    f"Found array with 0 feature(s) (shape={X.shape}) while a "
                    "minimum of 1 is required by MLPTeacher."
                )
            if not X.columns.is_unique:
                dup = X.columns[X.columns.duplicated()].tolist()
                raise ValueError(f"X has duplicated column names: {dup!r}")
            labels = list(X.columns)
            cols = [X.iloc[:, j] for j in range(n_cols)]
            kinds = [
                _column_kind(c.dtype, lab) for c, lab in zip(cols, labels, strict=True)
            ]
            return cols, labels, kinds
        X = check_array(
            X,
            dtype=np.float64,
            ensure_all_finite=False,
            ensure_min_samples=1,
            estimator=self,
            input_name="X",
        )
        labels = list(range(X.shape[1]))
        return [X[:, j] for j in range(X.shape[1])], labels, ["numeric"] * len(labels)

    def _columns_predict(self, X: Any) -> tuple[list[Any], list[Any]]:
        """Validate X at predict time; return column values in training order."""
        states = self._preprocessing
        fitted_names = getattr(self, "feature_names_in_", None)
        if isinstance(X, pd.DataFrame):
            if (
                fitted_names is not None
                and X.shape[1] == len(fitted_names)
                and X.columns.is_unique
                and set(X.columns) == set(fitted_names)
            ):
                X = X[list(fitted_names)]  # reorder columns by name
            # Raises (naming them) for missing / unseen columns, checks the count.
            validate_data(self, X, reset=False, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required by MLPTeacher."
                )
            cols = [X.iloc[:, j] for j in range(X.shape[1])]
        else:
            all_numeric = all(s["kind"] == "numeric" for s in states)
            X = check_array(
                X,
                dtype=np.float64 if all_numeric else None,
                ensure_all_finite=False,
                estimator=self,
                input_name="X",
            )
            validate_data(self, X, reset=False, skip_check_array=True)
            cols = [X[:, j] for j in range(X.shape[1])]
        labels = (
            list(fitted_names)
            if fitted_names is not None
            else [s["name"] for s in states]
        )
        return cols, labels

    def _design_matrix(self, cols: list[Any], labels: list[Any]) -> np.ndarray:
        blocks = [
            _transform_column(c, s, lab)
            for c, s, lab in zip(cols, self._preprocessing, labels, strict=True)
        ]
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float64)

    # ------------------------------------------------------------------ #
    # Fit
    # ------------------------------------------------------------------ #
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
    ) -> MLPTeacher:
        """Fit the network.

        Parameters
        ----------
        X : array-like or pandas DataFrame of shape (n_samples, n_features)
            Training data. Numeric arrays may contain NaN. DataFrames may mix
            numeric and categorical (object, str, category, bool) columns, with
            missing values.
        y : array-like of shape (n_samples,)
            Class labels (integers or strings); at least 2 classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-row weights of the cross-entropy loss.

        Returns
        -------
        self : MLPTeacher
            The fitted estimator.
        """
        self._validate_params()
        hidden = self._validated_hidden()
        n_bins = self.n_bins if self.numeric_encoding == "ple" else None
        if y is None:
            raise ValueError(
                "This MLPTeacher estimator requires y to be passed, but the target "
                "y is None."
            )
        cols, labels, kinds = self._columns_fit(X)
        X_for_names = X if isinstance(X, pd.DataFrame) else np.empty((0, len(cols)))
        validate_data(self, X_for_names, skip_check_array=True)

        y = column_or_1d(y, warn=True)
        if y.dtype == object and np.asarray(pd.isna(y), dtype=bool).any():
            raise ValueError("Input y contains missing values (NaN or None).")
        n_samples = len(cols[0])
        check_consistent_length(cols[0], y)
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "MLPTeacher needs samples of at least 2 classes in the data, but "
                f"the data contains only 1 class: {classes[0]!r}"
            )
        sw = _check_sample_weight(
            sample_weight,
            np.empty((n_samples, 0)),
            dtype=np.float64,
            ensure_non_negative=True,
        )
        if not np.all(np.isfinite(sw)):
            raise ValueError("sample_weight must be finite")
        if np.count_nonzero(np.bincount(y_enc, weights=sw) > 0) < 2:
            raise ValueError(
                "MLPTeacher needs samples of at least 2 classes with positive "
                "sample_weight."
            )

        self._preprocessing = [
            _fit_column(c, k, lab, n_bins)
            for c, k, lab in zip(cols, kinds, labels, strict=True)
        ]
        Z = self._design_matrix(cols, labels)

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        np_rng = np.random.default_rng(seed)
        train_idx, val_idx = self._split(y_enc, sw, np_rng)

        with torch_threads(1), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = _build_network(Z.shape[1], hidden, len(classes), self.dropout)
            history = self._train(model, Z, y_enc, sw, train_idx, val_idx, seed)

        self.classes_ = classes
        self.model_ = model.double().eval()
        self.n_iter_, self.best_epoch_, self.loss_curve_, val_curve = history
        self.validation_loss_curve_ = val_curve
        return self

    def _split(
        self, y_enc: np.ndarray, sw: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        n = len(y_enc)
        all_idx = np.arange(n)
        if self.validation_fraction == 0 or n < _MIN_ROWS_FOR_VALIDATION:
            return all_idx, None
        counts = np.bincount(y_enc)
        if counts.min() >= 2:
            val_parts = []
            for c in range(len(counts)):
                members = rng.permutation(np.flatnonzero(y_enc == c))
                n_val_c = min(
                    len(members) - 1,
                    int(round(self.validation_fraction * len(members))),
                )
                val_parts.append(members[:n_val_c])
            val_idx = np.sort(np.concatenate(val_parts))
        else:
            n_val = min(n - 1, max(1, int(round(self.validation_fraction * n))))
            val_idx = np.sort(rng.permutation(n)[:n_val])
        if len(val_idx) == 0 or sw[val_idx].sum() <= 0:
            return all_idx, None
        mask = np.ones(n, dtype=bool)
        mask[val_idx] = False
        train_idx = all_idx[mask]
        if sw[train_idx].sum() <= 0:
            return all_idx, None
        return train_idx, val_idx

    def _train(
        self,
        model: nn.Module,
        Z: np.ndarray,
        y_enc: np.ndarray,
        sw: np.ndarray,
        train_idx: np.ndarray,
        val_idx: np.ndarray | None,
        seed: int,
    ) -> tuple[int, int, list[float], list[float] | None]:
        X_all = torch.from_numpy(np.array(Z, dtype=np.float32, copy=True))
        y_all = torch.from_numpy(np.array(y_enc, dtype=np.int64, copy=True))
        w_all = torch.from_numpy(np.array(sw, dtype=np.float32, copy=True))

        X_tr, y_tr = X_all[train_idx], y_all[train_idx]
        # Normalise so that the loss is a weighted mean of the per-row losses
        # (exactly the plain mean when all weights are equal).
        w_tr = w_all[train_idx]
        w_tr = w_tr / w_tr.mean()
        if val_idx is not None:
            X_va, y_va, w_va = X_all[val_idx], y_all[val_idx], w_all[val_idx]
            w_va_sum = w_va.sum()

        optimizer = torch.optim.AdamW(
            model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        scheduler = None
        if val_idx is not None:
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer,
                factor=_LR_FACTOR,
                patience=_LR_PATIENCE,
                threshold=_ES_TOL,
                threshold_mode="abs",
            )
        gen = torch.Generator().manual_seed(seed)
        n_train = len(train_idx)
        bs = min(self.batch_size, n_train)

        best_state = None
        best_loss = math.inf
        patience_ref = math.inf
        best_epoch = 0
        stale = 0
        loss_curve: list[float] = []
        val_curve: list[float] | None = [] if val_idx is not None else None
        epoch = 0
        for epoch in range(1, self.max_epochs + 1):
            model.train()
            perm = torch.randperm(n_train, generator=gen)
            epoch_loss = 0.0
            for start in range(0, n_train, bs):
                batch = perm[start : start + bs]
                logits = model(X_tr[batch])
                losses = F.cross_entropy(logits, y_tr[batch], reduction="none")
                loss = (losses * w_tr[batch]).sum() / len(batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                epoch_loss += float(loss.detach()) * len(batch)
            loss_curve.append(epoch_loss / n_train)
            if not math.isfinite(loss_curve[-1]):
                raise FloatingPointError(
                    f"MLPTeacher training diverged (loss {loss_curve[-1]}) at epoch "
                    f"{epoch}; try a smaller learning_rate."
                )
            if val_idx is None:
                continue
            model.eval()
            with torch.inference_mode():
                v_losses = F.cross_entropy(model(X_va), y_va, reduction="none")
                v_loss = float((v_losses * w_va).sum() / w_va_sum)
            val_curve.append(v_loss)
            if scheduler is not None:
                scheduler.step(v_loss)
            if v_loss < best_loss:
                best_loss = v_loss
                best_epoch = epoch
                best_state = copy.deepcopy(model.state_dict())
            if v_loss < patience_ref - _ES_TOL:
                patience_ref = v_loss
                stale = 0
            else:
                stale += 1
                if stale >= self.patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        else:
            best_epoch = epoch
        model.eval()
        return epoch, best_epoch, loss_curve, val_curve

    # ------------------------------------------------------------------ #
    # Prediction
    # ------------------------------------------------------------------ #
    def _logits_from_matrix(self, Z: np.ndarray) -> np.ndarray:
        model = self.model_
        model.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, Z.shape[0], _PREDICT_BATCH):
                chunk = torch.from_numpy(
                    np.array(Z[start : start + _PREDICT_BATCH], copy=True)
                )
                out.append(model(chunk).numpy())
        return np.asarray(np.concatenate(out, axis=0), dtype=np.float64)

    def predict_logits(self, X: Any) -> np.ndarray:
        """Raw logits of every class.

        Parameters
        ----------
        X : array-like or pandas DataFrame of shape (n_samples, n_features)
            Input data, in the same format as during fit.

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes)
            Unnormalised class scores (float64), also for binary problems.
        """
        check_is_fitted(self)
        cols, labels = self._columns_predict(X)
        return self._logits_from_matrix(self._design_matrix(cols, labels))

    def decision_function(self, X: Any) -> np.ndarray:
        """Decision scores following the scikit-learn convention.

        Parameters
        ----------
        X : array-like or pandas DataFrame of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For binary problems ``logit[1] - logit[0]`` (positive means
            ``classes_[1]``); otherwise the logits.
        """
        logits = self.predict_logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (softmax of :meth:`predict_logits`).

        Parameters
        ----------
        X : array-like or pandas DataFrame of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return softmax(self.predict_logits(X), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of the class probabilities.

        Parameters
        ----------
        X : array-like or pandas DataFrame of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        return log_softmax(self.predict_logits(X), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : array-like or pandas DataFrame of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_logits(X), axis=1)]

    def __sklearn_tags__(self):
        """Estimator tags: NaN allowed in X, no sparse input."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ #
    # Persistence (no pickle)
    # ------------------------------------------------------------------ #
    def to_payload(self) -> dict[str, Any]:
        """The fitted estimator as a dict of tensors and plain Python values.

        This is what :meth:`save` writes; ``torch.load(..., weights_only=True)``
        reads it back and :meth:`from_payload` rebuilds the estimator from it.

        Returns
        -------
        dict
        """
        check_is_fitted(self)
        rs = self.random_state
        params = self.get_params(deep=False)
        params["hidden_layer_sizes"] = list(self._validated_hidden())
        params["random_state"] = int(rs) if _is_int(rs) else None
        for key in ("dropout", "learning_rate", "weight_decay", "validation_fraction"):
            params[key] = float(params[key])
        for key in ("batch_size", "max_epochs", "patience", "n_bins"):
            params[key] = int(params[key])
        params["numeric_encoding"] = str(params["numeric_encoding"])
        classes = self.classes_.tolist()
        if not all(isinstance(c, (str, int, float, bool)) for c in classes):
            raise ValueError(
                "Cannot save MLPTeacher: class labels must be str, int, float or bool."
            )
        names = getattr(self, "feature_names_in_", None)
        return {
            "format": FORMAT_TAG,
            "version": _FORMAT_VERSION,
            "params": params,
            "preprocessing": copy.deepcopy(self._preprocessing),
            "classes": classes,
            "classes_dtype": self.classes_.dtype.str,
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
            "n_iter": int(self.n_iter_),
            "best_epoch": int(self.best_epoch_),
            "loss_curve": [float(v) for v in self.loss_curve_],
            "validation_loss_curve": (
                None
                if self.validation_loss_curve_ is None
                else [float(v) for v in self.validation_loss_curve_]
            ),
            "state_dict": {
                k: v.detach().to(torch.float32).clone()
                for k, v in self.model_.state_dict().items()
            },
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted estimator to one file, without pickling objects.

        The file holds the dict of :meth:`to_payload` (tensors and plain Python
        containers, scalars and strings), so :meth:`load` can read it with
        ``torch.load(..., weights_only=True)``.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.
        """
        torch.save(self.to_payload(), path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MLPTeacher:
        """Load an estimator written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            File written by :meth:`save`.

        Returns
        -------
        estimator : MLPTeacher
            A fitted estimator whose predictions are identical to the saved one.

        Raises
        ------
        ValueError
            If the file is not a valid saved MLPTeacher.
        """
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise ValueError(
                f"{os.fspath(path)!r} is not a valid saved MLPTeacher file: {exc}"
            ) from exc
        try:
            return cls.from_payload(payload)
        except ValueError as exc:
            raise ValueError(f"{os.fspath(path)!r} {exc}") from exc

    @classmethod
    def from_payload(cls, payload: Any) -> MLPTeacher:
        """Rebuild a fitted estimator from the dict of :meth:`to_payload`.

        Parameters
        ----------
        payload : dict
            As written by :meth:`save` (read with ``torch.load``).

        Returns
        -------
        estimator : MLPTeacher

        Raises
        ------
        ValueError
            If ``payload`` is not a valid saved MLPTeacher; the message starts
            with "is not a valid saved MLPTeacher file" or "has unsupported".
        """
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_TAG:
            raise ValueError(
                "is not a valid saved MLPTeacher file (missing format tag)."
            )
        version = payload.get("version")
        if version not in _READABLE_VERSIONS:
            raise ValueError(
                f"has unsupported MLPTeacher format version {version!r} "
                f"(expected {_FORMAT_VERSION})."
            )
        try:
            return cls._rebuild(payload, version)
        except Exception as exc:
            raise ValueError(f"is not a valid saved MLPTeacher file: {exc}") from exc

    @classmethod
    def _rebuild(cls, payload: dict[str, Any], version: int) -> MLPTeacher:
        params = dict(payload["params"])
        if version == 1:
            params["numeric_encoding"] = "standard"
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        est = cls(**params)
        est._validate_params()
        est._preprocessing = list(payload["preprocessing"])
        est.classes_ = np.asarray(
            payload["classes"], dtype=np.dtype(payload["classes_dtype"])
        )
        est.n_features_in_ = int(payload["n_features_in"])
        if payload["feature_names_in"] is not None:
            est.feature_names_in_ = np.asarray(
                payload["feature_names_in"], dtype=object
            )
        est.n_iter_ = int(payload["n_iter"])
        est.best_epoch_ = int(payload["best_epoch"])
        est.loss_curve_ = list(payload["loss_curve"])
        vc = payload["validation_loss_curve"]
        est.validation_loss_curve_ = None if vc is None else list(vc)
        n_inputs = sum(_n_outputs(s) for s in est._preprocessing)
        model = _build_network(
            n_inputs, est._validated_hidden(), len(est.classes_), est.dropout
        )
        model.load_state_dict(payload["state_dict"])
        est.model_ = model.double().eval()
        if len(est._preprocessing) != est.n_features_in_:
            raise ValueError("preprocessing does not match n_features_in")
        return est
