"""A scikit-learn compatible PyTorch MLP classifier for raw tabular data.

:class:`MLPTeacher` is the default "teacher" that ``treedistill`` distils into a
small decision tree. It accepts raw numpy arrays or pandas DataFrames with mixed
numeric / categorical columns and missing values, does its own preprocessing,
trains with early stopping, and can be saved to / loaded from a single file
without pickle (``torch.load(..., weights_only=True)``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from treedistill.teachers._mlp_columns import (
    column_kind,
    fit_column,
    n_outputs,
    transform_column,
)
from treedistill.teachers._mlp_train import (
    build_network,
    torch_threads,
    train_network,
    validation_split,
)
from treedistill.teachers._soften import decision_from_logits

__all__ = ["FORMAT_TAG", "MLPTeacher", "torch_threads"]

#: The ``format`` entry of a saved MLPTeacher.
FORMAT_TAG = "treedistill.MLPTeacher"
_FORMAT_VERSION = 2
# Older file versions that load still reads (version 1 had no numeric encoding
# options and always standardised numeric columns only).
_READABLE_VERSIONS = (1, 2)
#: The values of ``numeric_encoding``.
NUMERIC_ENCODINGS = ("ple", "standard")
_PREDICT_BATCH = 8192


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


# --------------------------------------------------------------------------- #
# Estimator
# --------------------------------------------------------------------------- #
def _targets(y: Any, sample_weight: Any, first_column: Any):
    """Check ``y`` and ``sample_weight``; return (classes, y as indices, weights)."""
    y = column_or_1d(y, warn=True)
    if y.dtype == object and np.asarray(pd.isna(y), dtype=bool).any():
        raise ValueError("Input y contains missing values (NaN or None).")
    n_samples = len(first_column)
    check_consistent_length(first_column, y)
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
    return classes, y_enc, sw


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
    >>> from treedistill.teachers._mlp import MLPTeacher
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPTeacher(hidden_layer_sizes=(32,), random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> clf.decision_function(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "numeric_encoding": [StrOptions(set(NUMERIC_ENCODINGS))],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

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
        """``hidden_layer_sizes`` as a tuple, each width an integer >= 1."""
        hidden = self.hidden_layer_sizes
        if _is_int(hidden):
            hidden = (hidden,)
        if not all(_is_int(h) and h >= 1 for h in hidden):
            raise InvalidParameterError(
                "hidden_layer_sizes must be a sequence of positive integers, "
                f"got {self.hidden_layer_sizes!r}"
            )
        return tuple(int(h) for h in hidden)

    def _check_params(self) -> tuple[int, ...]:
        """What ``_parameter_constraints`` cannot say; return the hidden layer widths.

        scikit-learn's integer intervals accept ``True``, which is refused here,
        and each hidden layer width must be a positive integer.
        """
        for name in ("batch_size", "max_epochs", "patience", "n_bins"):
            if isinstance(getattr(self, name), bool):
                raise InvalidParameterError(
                    f"The {name!r} parameter of MLPTeacher must be an int, not a bool."
                )
        return self._validated_hidden()

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
            kinds = [column_kind(c, lab) for c, lab in zip(cols, labels, strict=True)]
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
            transform_column(c, s, lab)
            for c, s, lab in zip(cols, self._preprocessing, labels, strict=True)
        ]
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float64)

    # ------------------------------------------------------------------ #
    # Fit
    # ------------------------------------------------------------------ #
    @_fit_context(prefer_skip_nested_validation=True)
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
        hidden = self._check_params()
        self.__dict__.pop("training_rows_", None)  # a record of an earlier fit
        n_bins = self.n_bins if self.numeric_encoding == "ple" else None
        if y is None:
            raise ValueError(
                "This MLPTeacher estimator requires y to be passed, but the target "
                "y is None."
            )
        cols, labels, kinds = self._columns_fit(X)
        X_for_names = X if isinstance(X, pd.DataFrame) else np.empty((0, len(cols)))
        validate_data(self, X_for_names, skip_check_array=True)

        classes, y_enc, sw = _targets(y, sample_weight, cols[0])

        self._preprocessing = [
            fit_column(c, k, lab, n_bins)
            for c, k, lab in zip(cols, kinds, labels, strict=True)
        ]
        Z = self._design_matrix(cols, labels)

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        np_rng = np.random.default_rng(seed)
        split = validation_split(y_enc, sw, self.validation_fraction, np_rng)

        with torch_threads(1), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_network(Z.shape[1], hidden, len(classes), self.dropout)
            history = train_network(
                model,
                Z,
                y_enc,
                sw,
                split,
                seed,
                learning_rate=self.learning_rate,
                weight_decay=self.weight_decay,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                patience=self.patience,
            )

        self.classes_ = classes
        self.model_ = model.double().eval()
        self.n_iter_, self.best_epoch_, self.loss_curve_, val_curve = history
        self.validation_loss_curve_ = val_curve
        return self

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

        ``X`` is as for :meth:`predict_logits`. Two classes give shape
        (n_samples,), ``logit[1] - logit[0]`` (positive means ``classes_[1]``);
        more give the logits, shape (n_samples, n_classes).
        """
        return decision_from_logits(self.predict_logits(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: the softmax of :meth:`predict_logits`.

        ``X`` is as for :meth:`predict_logits`; shape (n_samples, n_classes),
        columns in the order of ``classes_``, rows summing to 1.
        """
        return softmax(self.predict_logits(X), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed from the logits directly."""
        return log_softmax(self.predict_logits(X), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (from ``classes_``) of the largest logit, shape (n_samples,)."""
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
        extra = {}
        if getattr(self, "training_rows_", None) is not None:
            # Which rows trained it (fingerprints, not the data): see
            # treedistill.teachers._provenance.
            extra["training_rows"] = copy.deepcopy(self.training_rows_)
        return {
            **extra,
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
        est._check_params()
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
        if payload.get("training_rows") is not None:
            est.training_rows_ = dict(payload["training_rows"])
        n_inputs = sum(n_outputs(s) for s in est._preprocessing)
        model = build_network(
            n_inputs, est._validated_hidden(), len(est.classes_), est.dropout
        )
        model.load_state_dict(payload["state_dict"])
        est.model_ = model.double().eval()
        if len(est._preprocessing) != est.n_features_in_:
            raise ValueError("preprocessing does not match n_features_in")
        return est
