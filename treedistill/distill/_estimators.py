"""scikit-learn estimators that distil a teacher into a tree or boosted-tree student."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import get_tags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from treedistill.common._json import scalar
from treedistill.data._booleans import resolve_categorical
from treedistill.data._cleaning import clean_input_frame, input_copy
from treedistill.data._schema import TabularSchema, as_frame
from treedistill.data._screening import already_screened, screen_features
from treedistill.distill._choices import OBJECTIVES, RARE_PREVALENCE, SEARCHES
from treedistill.distill._rules import resolve_class_names
from treedistill.distill._sample_size import record_augment_factor
from treedistill.distill._students import BUILDERS, CRITERIA, SoftBoosting, SoftTree
from treedistill.distill._summary import fitted_summary
from treedistill.distill._tao import SearchedSoftTree
from treedistill.distill._transfer import AUGMENTERS, augment, augment_weights
from treedistill.exceptions import ParameterError
from treedistill.teachers._soften import (
    blend,
    decision_from_logits,
    logits_from_proba,
    margins_to_logits,
    soften,
)
from treedistill.teachers._teachers import is_fitted, resolve_teacher, teacher_logits

__all__ = ["DistilledTreeClassifier", "DistilledBoostingClassifier"]

_SEED_MAX = 2**31 - 1

#: ``max_leaf_nodes="auto"``: the leaf budgets tried, the share of the rows held
#: out to judge them, how far below the best agreement the chosen one may be,
#: and the random stream of the held-out rows.
AUTO_BUDGETS = (2, 4, 8, 16, 32, 64)
AUTO_HOLDOUT = 0.2
AUTO_TOLERANCE = 0.01
AUTO_STREAM = 104729
#: ``search="prune"``: the tree is grown best-first to this multiple of the leaf
#: budget before it is cut back to the budget.
GROW_FACTOR = 4


def _numeric_columns(schema: TabularSchema) -> set[str]:
    return {c.name for c in schema.columns if not c.is_categorical}


def _seed(random_state) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(_SEED_MAX))
    return int(random_state)


class _BaseDistiller(ClassifierMixin, BaseEstimator):
    """Shared fit: teacher → transfer set → soft labels → student."""

    _parameter_constraints: dict = {
        "teacher": "no_validation",
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "augmentation": [StrOptions({*AUGMENTERS, "none"})],
        "augment_factor": [
            Interval(Real, 0, 1000, closed="both"),
            StrOptions({"auto"}),
        ],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "categorical_features": ["array-like", str, None],
        "class_names": [dict, list, tuple, None],
        "monotone_constraints": [dict, None],
        "keep": ["array-like", str, None],
    }

    # ------------------------------------------------------------------ input
    def _check_X(self, X, *, reset: bool, codes: dict | None = None) -> pd.DataFrame:
        """Validate ``X`` and return it as a frame with the training columns
        (``codes``: see :func:`~treedistill.data._cleaning.clean_input_frame`)."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError(
                    "Found array with 0 sample(s) (shape=(0, "
                    f"{X.shape[1]})) while a minimum of 1 is required."
                )
            if X.shape[1] == 0:
                raise ValueError(
                    "Found array with 0 feature(s) (shape="
                    f"({X.shape[0]}, 0)) while a minimum of 1 is required."
                )
            frame = input_copy(X)
            frame.columns = [str(c) for c in frame.columns]
            # text cells as read_table reads them: '?' etc. missing, numbers as such
            numeric = None if reset else _numeric_columns(self.schema_)
            frame = clean_input_frame(frame, numeric=numeric, warn=reset, codes=codes)
            self._frame_input = True if reset else self._frame_input
            return frame
        allow_nan = get_tags(self).input_tags.allow_nan
        arr = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float64,
            ensure_all_finite="allow-nan" if allow_nan else True,
        )
        if reset:
            self._frame_input = False
        names = self.schema_.names if not reset and hasattr(self, "schema_") else None
        return as_frame(arr, names)

    def _screen(self, frame: pd.DataFrame, y) -> None:
        """Warn, as a run does before training, about identifier-like columns and
        possible target leaks (never leaving a column out), and refuse a column of
        dates; columns named in ``keep`` are used without a word. Skipped within
        a run, which screened its data once already."""
        if already_screened():
            return
        for text, category in screen_features(
            frame, y, keep=self.keep, random_state=_seed(self.random_state)
        ):
            warnings.warn(text, category, stacklevel=4)

    def _teacher_input(self, frame: pd.DataFrame):
        """What the teacher is given: a frame if it was fit on one, else an array."""
        if self._frame_input:
            return frame
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)

    # -------------------------------------------------------------------- fit
    # The teacher is an estimator parameter that fit may fit: validate it too.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher (unless prefit), build the transfer set, fit the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric columns, and (in a DataFrame) categorical columns of strings,
            ``category`` or bool dtype. Missing values are allowed.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights (survey, case-control or inverse-probability
            weights). A teacher the estimator fits gets them (its ``fit`` must
            take ``sample_weight``); each augmented row carries the weight of the
            row it was drawn from (``box`` rows the mean weight); the student's
            criterion and its leaf values are weighted. Rows of weight 0 are
            dropped before anything else. Not available with ``chunk_size``.

        Returns
        -------
        self
        """
        self._check_student_params()
        frame = self._check_X(X, reset=True)
        if isinstance(y, (pd.Series, pd.DataFrame)):
            y = y.to_numpy()
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(frame):
            raise ValueError(
                f"X has {len(frame)} rows but y has {len(y)}: they must match"
            )
        w = None
        if sample_weight is not None:
            frame, y, w = self._check_weights(frame, y, sample_weight)
        check_classification_targets(y)
        if pd.isna(y).any():
            raise ValueError("y contains missing labels")
        self._screen(frame, y)
        uniq = np.unique(y)
        if uniq.size < 2:
            raise ValueError(
                f"y needs at least 2 classes to distil a classifier; got 1 class "
                f"({scalar(uniq[0])!r})"
            )
        seed = _seed(self.random_state)
        rng = np.random.default_rng(seed)
        self.schema_ = TabularSchema.infer(
            frame,
            categorical_features=resolve_categorical(
                self.categorical_features, list(frame.columns)
            ),
            booleans=bool(getattr(self, "exact_rules", False)),
        )

        teacher_in = self._teacher_input(frame)
        if w is None:
            self.teacher_ = resolve_teacher(self.teacher, teacher_in, y, seed)
        else:
            self.teacher_ = _weighted_teacher(self.teacher, teacher_in, y, w, seed)
        self.classes_ = np.asarray(self.teacher_.classes_)
        self.class_names_, self.class_order_ = resolve_class_names(
            self.class_names, self.classes_
        )
        y_index = np.searchsorted(self.classes_, y)
        y_index = np.clip(y_index, 0, len(self.classes_) - 1)
        unknown = self.classes_[y_index] != y
        if unknown.any():
            raise ValueError(
                f"y holds label {scalar(y[unknown][0])!r}, which the teacher does not know "
                f"(its classes: {self.classes_.tolist()})"
            )
        self._resolve_objective(y_index, w)
        self.monotone_cst_ = self._monotone_cst()

        auto_size = self._auto_size()
        if getattr(self, "chunk_size", None) is not None:
            from treedistill.distill._streaming import fit_streamed

            fit_streamed(self, frame, y, y_index, rng, seed)
            return self
        if auto_size:
            self._choose_size(frame, y, y_index, w, seed)
        X_enc, q_train, q_true, w_all = self._transfer(frame, y, y_index, w, rng)
        self._fit_student(X_enc, q_train, q_true, w_all, seed)
        return self

    def _transfer(self, frame, y, y_index, w, rng):
        """The transfer set of ``frame``: its encoded rows, the softened labels
        the splits are chosen on, the teacher's own labels and the row weights."""
        teacher_in = self._teacher_input(frame)
        n_aug = record_augment_factor(self, len(frame))
        if w is None:
            extra = augment(frame, self.schema_, self.augmentation, n_aug, rng)
            w_all = None
        else:
            extra, w_extra = augment_weights(
                frame, self.schema_, self.augmentation, n_aug, rng, w
            )
            w_all = np.concatenate([w, w_extra])
        self.n_augmented_ = len(extra)
        self.n_transfer_ = len(frame) + len(extra)

        z = np.concatenate(
            [
                teacher_logits(self.teacher_, teacher_in, self.batch_size),
                teacher_logits(
                    self.teacher_, self._teacher_input(extra), self.batch_size
                ),
            ]
        )
        labels = np.concatenate([y_index, np.full(len(extra), -1)])
        q_train, q_true = self._split_targets(z, labels, self._split_logit_shift(y))
        X_enc = self.schema_.encode(
            pd.concat([frame, extra], ignore_index=True) if len(extra) else frame,
            warn_unseen=False,
        )
        return X_enc, q_train, q_true, w_all

    def _fit_student(self, X_enc, q_train, q_true, w_all, seed) -> None:
        self.student_ = self._make_student(seed)
        if w_all is None:
            self.student_.fit(X_enc, q_train)
            self._finish_student(X_enc, q_true)
        else:
            self.student_.fit(X_enc, q_train, sample_weight=w_all)
            self._finish_student(X_enc, q_true, w_all)

    def _split_targets(self, z, labels, shift) -> tuple[np.ndarray, np.ndarray]:
        """The labels the splits are chosen on and the teacher's own labels
        (temperature 1, for the leaves) of rows with teacher logits ``z``;
        ``labels`` holds the true class index of real rows (-1 elsewhere) and
        ``shift`` the split class weights as a logit shift."""
        q_true = blend(soften(z, 1.0), labels, self.alpha)
        if getattr(self, "objective_", None) == "agreement":
            # The teacher's class of every row: splits are chosen to predict it.
            q_train = np.zeros_like(q_true)
            q_train[np.arange(len(q_true)), np.argmax(q_true, axis=1)] = 1.0
            return q_train, q_true
        q_train = blend(soften(z + shift, self.temperature), labels, self.alpha)
        return q_train, q_true

    def _leaves_refit(self) -> bool:
        """Whether the leaves must be refit to the teacher's own distribution
        after the splits are chosen (the split labels differ from it)."""
        return (
            self.temperature != 1.0
            or getattr(self, "split_class_weight", None) is not None
            or getattr(self, "objective_", None) == "agreement"
        )

    def _resolve_objective(self, y_index, w) -> None:
        """Hook: set ``objective_`` and ``objective_reason_`` (what the
        student's splits are chosen for, and why)."""

    def _auto_size(self) -> bool:
        """Hook: whether ``fit`` chooses the student's size itself."""
        return False

    def _choose_size(self, frame, y, y_index, w, seed) -> None:
        """Hook: choose the student's size (see ``max_leaf_nodes="auto"``)."""

    def _check_weights(self, frame, y, sample_weight):
        """Checked weights; rows of weight 0 dropped from ``frame``, ``y`` and them."""
        if getattr(self, "chunk_size", None) is not None:
            raise ParameterError(
                "sample_weight is not available with chunk_size: fit in memory "
                "(chunk_size=None) to weight rows",
                parameter="sample_weight",
            )
        try:
            w = _check_sample_weight(
                sample_weight, frame, dtype=np.float64, ensure_non_negative=True
            )
        except ValueError as exc:
            raise ParameterError(
                f"sample_weight: {exc}", parameter="sample_weight"
            ) from None
        if not np.all(np.isfinite(w)):
            raise ParameterError(
                "sample_weight must be finite", parameter="sample_weight"
            )
        keep = w > 0
        if not keep.all():
            frame = frame.loc[keep].reset_index(drop=True)
            y, w = y[keep], w[keep]
        return frame, y, w

    def _monotone_cst(self) -> np.ndarray | None:
        """``monotone_constraints`` as one entry per encoded feature (or None)."""
        spec = getattr(self, "monotone_constraints", None)
        if not spec:
            return None
        param = "monotone_constraints"
        if len(self.classes_) != 2:
            raise ParameterError(
                f"monotone_constraints needs a binary outcome; the teacher has "
                f"{len(self.classes_)} classes",
                parameter=param,
            )
        if getattr(self, "chunk_size", None) is not None:
            raise ParameterError(
                "monotone_constraints is not available with chunk_size",
                parameter=param,
            )
        if getattr(self, "search", "greedy") not in ("greedy", "auto"):
            raise ParameterError(
                "monotone_constraints needs search='greedy'", parameter=param
            )
        names = self.schema_.names
        cst = np.zeros(len(self.schema_.features), dtype=np.int64)
        for column, direction in spec.items():
            if str(column) not in names:
                raise ParameterError(
                    f"monotone_constraints names column {column!r}, which is not "
                    f"one of the columns {names}",
                    parameter=param,
                )
            if self.schema_.column(str(column)).is_categorical:
                raise ParameterError(
                    f"monotone_constraints: column {column!r} is categorical; only "
                    "numeric columns can be constrained",
                    parameter=param,
                )
            if isinstance(direction, bool) or direction not in (-1, 0, 1):
                raise ParameterError(
                    f"monotone_constraints: the direction of {column!r} must be "
                    f"1 (risk rises with it), -1 (falls) or 0, got {direction!r}",
                    parameter=param,
                )
            j = next(
                i
                for i, f in enumerate(self.schema_.features)
                if f.column == str(column)
            )
            cst[j] = int(direction)
        return cst if cst.any() else None

    @property
    def monotone_class_(self) -> int:
        """Position in ``classes_`` of the class whose risk the constraints bound:
        the last class of the display order (see ``class_names``)."""
        return int(self.class_order_[-1])

    # ------------------------------------------------- hooks of the subclasses
    def _check_student_params(self) -> None:
        """Hook: refuse combinations of the student's parameters (after validation)."""

    def _make_student(self, seed):
        """Hook: the unfitted student (``SoftTree`` or ``SoftBoosting``)."""
        raise NotImplementedError

    def _student_logits(self, X_enc) -> np.ndarray:
        """Hook: the student's logits on the encoded rows, shape (n, K)."""
        raise NotImplementedError

    def _student_proba(self, X_enc) -> np.ndarray:
        """Hook: the student's class probabilities on the encoded rows."""
        raise NotImplementedError

    def _finish_student(self, X_enc, q_true, sample_weight=None) -> None:
        """Hook run after the student is fit (on the whole transfer set)."""

    def _split_logit_shift(self, y) -> np.ndarray | float:
        """``T * log(w)`` per class: added to the teacher's logits, it multiplies
        the softened labels the splits are chosen on by the class weights ``w``
        (``split_class_weight``); leaves still report the unweighted teacher."""
        weight = getattr(self, "split_class_weight", None)
        if weight is None:
            return 0.0
        if isinstance(weight, str):  # "balanced", as in scikit-learn
            counts = np.array([np.sum(y == c) for c in self.classes_], dtype=float)
            w = len(y) / (len(self.classes_) * np.maximum(counts, 1.0))
        else:
            known = {scalar(c) for c in self.classes_}
            unknown = [c for c in weight if scalar(c) not in known]
            if unknown:
                raise ParameterError(
                    f"split_class_weight names class {unknown[0]!r}, which is not "
                    f"one of the classes {self.classes_.tolist()}",
                    parameter="split_class_weight",
                )
            lookup = {scalar(c): float(v) for c, v in weight.items()}
            w = np.array([lookup.get(scalar(c), 1.0) for c in self.classes_])
            if not np.all(np.isfinite(w) & (w > 0)):
                raise ParameterError(
                    "split_class_weight values must be positive numbers",
                    parameter="split_class_weight",
                )
        return self.temperature * np.log(w)

    # ---------------------------------------------------------------- predict
    def _encode(self, X, order: str = "C") -> np.ndarray:
        check_is_fitted(self, "student_")
        codes: dict = {}  # text columns' distinct values, compared once
        frame = self._check_X(X, reset=False, codes=codes)
        return self.schema_.encode(frame, codes=codes, order=order)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from the student, shape (n_samples, n_classes)."""
        return self._student_proba(self._encode(X, order="F"))

    def predict(self, X) -> np.ndarray:
        """Class labels from the student."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def decision_function(self, X) -> np.ndarray:
        """Student logits: shape (n_samples,) for two classes, else (n, K)."""
        return decision_from_logits(self._student_logits(self._encode(X, order="F")))

    def teacher_proba(self, X) -> np.ndarray:
        """The teacher's own class probabilities (temperature 1) on ``X``."""
        check_is_fitted(self, "teacher_")
        frame = self._check_X(X, reset=False)
        return soften(
            teacher_logits(self.teacher_, self._teacher_input(frame), self.batch_size)
        )

    def encode(self, X) -> np.ndarray:
        """The numeric matrix the student sees (original units, one-hot categories)."""
        return self._encode(X)

    @property
    def feature_names_out_(self) -> list[str]:
        """Names of the student's input columns (``col=level`` for categories)."""
        check_is_fitted(self, "schema_")
        return self.schema_.feature_names_out

    def __repr__(self, N_CHAR_MAX=700) -> str:
        """scikit-learn's repr before ``fit``; after it, the fitted student in a
        few lines that fit a terminal (size, classes, objective, settings)."""
        if not hasattr(self, "student_"):
            return super().__repr__(N_CHAR_MAX=N_CHAR_MAX)
        return fitted_summary(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The students route missing values; whether the whole model accepts them
        # is up to the teacher (the default MLP teacher does).
        tags.input_tags.allow_nan = True
        if self.teacher is not None:
            try:
                tags.input_tags.allow_nan = get_tags(self.teacher).input_tags.allow_nan
            except (AttributeError, TypeError, ValueError):
                pass
        tags.non_deterministic = False
        return tags


class DistilledTreeClassifier(_BaseDistiller):
    """A decision tree distilled from a teacher's softened predictions.

    ``fit`` builds (or takes) the teacher, draws a transfer set of real and
    augmented rows, labels every row with ``q = softmax(z / T)`` (blended with the
    true label by ``alpha`` on real rows), and fits a tree to ``q`` with an exact
    soft criterion. The tree splits on the original feature values and reads
    categories as categories. Its leaves hold the mean of the teacher's own
    (temperature 1) distribution over the transfer rows that reach them.

    Parameters
    ----------
    teacher : classifier, default=None
        ``None`` trains a default :class:`MLPTeacher`. A fitted classifier (or a
        ``sklearn.frozen.FrozenEstimator``) is used as it is; an unfitted one is
        cloned and fit on ``(X, y)``. Any object with ``classes_`` and one of
        ``predict_logits``, ``decision_function``, ``predict_proba`` will do.
    objective : {"auto", "agreement", "ranking"}, default="auto"
        What the tree is built for. ``"agreement"``: to predict the teacher's
        class as often as possible; the splits are chosen on the teacher's class
        (argmax) of every transfer row, so ``temperature`` does not change the
        tree. ``"ranking"``: to rank risk and flag patients as the teacher does;
        the splits are chosen on the softened labels (``temperature``,
        ``split_class_weight``). ``"auto"``: ranking for a binary outcome whose
        rarer class is under 20% of the training rows (weighted with
        ``sample_weight``; the report's rare-outcome rule) or when
        ``split_class_weight`` is set, agreement otherwise. Either way the
        leaves report the teacher's own distribution. ``objective_`` and
        ``objective_reason_`` say which was used and why.
    temperature : float, default=1.0
        Softening temperature ``T > 0`` of the labels the splits are chosen on
        (the ranking objective).
        ``T < 1`` sharpens them, so the split search attends to where the
        teacher's argmax changes; ``T >= 1`` keeps the teacher's graded risk, so
        the tree ranks and flags patients more like the teacher (higher ``T``
        ranks better still, at some cost in agreement). The leaves always report
        the teacher's own (``T = 1``) distribution. The defaults ``T = 1``,
        ``criterion="entropy"``, ``augment_factor=20`` were chosen on validation
        splits of rare-outcome data for flag AUC, risk rank correlation and
        flagged-patient agreement among the settings within 0.3 points of the
        best agreement (``reports/benchmarks/tuning.md``).
    alpha : float, default=0.0
        Weight of the true label in the target of real rows, in [0, 1].
    augmentation : {"munge", "jitter", "box", "none"}, default="munge"
        How augmented rows are drawn.
    augment_factor : float or "auto", default="auto"
        Augmented rows as a multiple of the real rows. ``"auto"``: 20 from 400
        real rows up; below, as many as bring the transfer set to 20,000 rows,
        at most 200 per real row (see ``augment_factor_``). A number is used as
        given.
    criterion : {"entropy", "gini"}, default="entropy"
        Soft cross-entropy or soft Gini.
    split_class_weight : "balanced", dict or None, default=None
        Weights of the classes in the split search only: the softened labels are
        multiplied by them (and renormalised) before the splits are chosen, so a
        rare class's probability counts for more; ``"balanced"`` weights class
        ``k`` by ``n / (K * n_k)`` from the training labels, a dict maps class
        labels to weights (others 1). Unlike scikit-learn's ``class_weight`` it
        does not change what the model predicts: the leaves still report the
        teacher's own, unweighted distribution.
    max_depth : int, default=None
    max_leaf_nodes : int or "auto", default=16
        Size of the tree (best-first growth); set both or either. ``"auto"``
        chooses the size from the size curve: 20% of the rows (a seeded draw)
        are held out, trees of 2, 4, 8, 16, 32 and 64 leaves are grown on the
        others, and the smallest budget whose agreement with the teacher's class
        on the held-out rows (weighted with ``sample_weight``) is within 1 point
        of the best is chosen; the tree is then grown on all rows with that
        budget, exactly as ``max_leaf_nodes=<that budget>`` would grow it
        (``max_leaf_nodes_``, ``size_curve_``). Not with ``chunk_size``.
    min_samples_leaf : int, default=1
        Minimum rows of the transfer set in a leaf.
    builder : {"exact", "hist", "auto"}, default="auto"
        How splits are searched. ``"exact"`` tries every distinct value;
        ``"hist"`` bins each feature into at most 255 bins first (many times faster
        on large transfer sets; thresholds are still midpoints between values of
        the data); ``"auto"`` uses ``"hist"`` when the transfer set has at least
        50,000 rows.
    search : {"auto", "greedy", "prune", "tao"}, default="auto"
        ``"greedy"`` keeps the tree the builder grows. ``"tao"`` then refines it
        by tree alternating optimization: each node's split is re-optimised
        against the loss of the whole tree (the objective's: soft loss for
        ranking, the number of disagreements with the teacher's class for
        agreement), deepest nodes first, until no move lowers it (same leaves or
        fewer; the loss on the transfer set is never above the greedy tree's);
        for the agreement objective (``n_starts=1``) it refines the pruned tree
        of ``"prune"``: +0.1 points of agreement over it on fresh rows, for
        refits of the size curve (``reports/benchmarks/objective.md``).
        ``"prune"`` grows the tree best-first to ``GROW_FACTOR`` (4) times
        ``max_leaf_nodes``, cuts it back exactly (dynamic programming over the
        grown tree) to the subtree of at most ``max_leaf_nodes`` leaves with the
        least loss on the transfer set; the greedy tree of the budget is one of
        those subtrees, so the loss is never above it.
        ``"auto"``: ``"prune"`` for the agreement objective, ``"greedy"`` for
        ranking, and ``"greedy"`` with ``monotone_constraints`` or
        ``chunk_size``. See ``benchmarks/tree_search.py`` and
        ``benchmarks/objective.py``.
    n_starts : int, default=1
        With ``search="tao"``: greedy starts, the first the builder's own tree,
        the others rooted on the 2nd, 3rd, ... best column; the greedy tree and
        the two best others are refined and the tree with the lowest soft loss on
        the transfer set is kept. ``n_starts=8`` agreed with the teacher 0.1-0.4
        points more than the greedy tree for 3x its fit time
        (``reports/benchmarks/tree_search.md``).
    exact_rules : bool, default=True
        Make the printed rules say exactly what the tree does: after the search,
        every numeric threshold moves to the shortest decimal between the two
        training values it separates (whole numbers for integer columns) and
        rows are compared with it in float64; two-valued columns (0/1, yes/no,
        t/f, bool) become booleans that read "has hypertension" / "no
        hypertension". ``False`` keeps the grown midpoint thresholds (printed
        rounded, compared in float32 by scikit-learn's trees). See
        :func:`treedistill.rule_numbers` for rule ids.
    chunk_size : int or None, default=None
        Build the transfer set ``chunk_size`` rows at a time (drawn, labelled and
        encoded, then kept on disk) and grow the histogram tree from per-chunk
        histograms, so memory is bounded by the chunk, not the transfer set
        (see :mod:`treedistill.distill._streaming`); needs ``builder`` "hist" or "auto",
        ``search="greedy"`` (with ``exact_rules`` the thresholds are snapped to
        the real rows' values). ``None``: all in memory.
    categorical_features : array-like of str, int or bool, or str, default=None
        Columns to treat as categories whatever their dtype (coded columns such
        as ``thal`` or ``cp``): names, positions or a boolean mask, as in
        ``HistGradientBoostingClassifier``; a str is a comma-separated list of
        names. ``None`` infers the kinds from the dtypes.
    class_names : dict or list, default=None
        How the rules name and order the classes: ``{0: "no stroke", 1:
        "stroke"}`` (label -> display name, in display order) or an ordered list
        of labels (for ordinal classes, ``["high", "medium", "low"]``). A
        binary leaf then reads "stroke risk 2%" (the last class in the order).
    keep : array-like of str, or str, default=None
        Columns to use without the screening's warning. Before training, ``fit``
        warns about each column that looks like a record identifier
        (:class:`~treedistill.exceptions.IdentifierColumnWarning`) and each
        possible target leak (:class:`~treedistill.exceptions.LeakageWarning`),
        and refuses a text column of dates, as a run does; unlike a run it never
        leaves a column out (leave it out of ``X``, as
        :func:`~treedistill.prepare_data` does, or name it here to keep it).
    monotone_constraints : dict or None, default=None
        ``{column: 1 or -1}`` for a two-class problem: the student's risk (the
        probability of the last class in the display order, see
        ``class_names``) may only rise (1) or fall (-1) as that numeric column
        rises, every other column held fixed. The exact builder grows the tree
        under the constraints (scikit-learn's ``monotonic_cst``); for every
        builder the leaf values are then bounded by propagation
        (:func:`treedistill.distill._students.bound_monotone`). Needs
        ``search="greedy"``; not with ``chunk_size``.
    batch_size : int, default=16384
        Rows per teacher call while labelling.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    teacher_ : the fitted teacher
    student_ : SoftTree
        The fitted student; ``student_.tree_`` is a scikit-learn tree structure.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` was a DataFrame.
    schema_ : TabularSchema
        Column kinds, categories and ranges seen in training.
    n_transfer_ : int
        Rows in the transfer set (real + augmented).
    n_augmented_ : int
    search_ : str
        The search that built the tree: ``"greedy"``, ``"prune"``, ``"tao"`` or
        ``"tao-multistart"``.
    objective_ : str
        ``"agreement"`` or ``"ranking"``: what the splits were chosen for.
    objective_reason_ : str
        Why, in one sentence (the rule of ``objective="auto"`` and the share it
        read, or that the objective was set).
    class_names_ : list of str
        Display name of each class, in ``classes_`` order.
    class_order_ : ndarray of int
        Positions in ``classes_`` in display order.
    max_leaf_nodes_ : int
        With ``max_leaf_nodes="auto"``: the budget chosen.
    size_curve_ : dict
        With ``max_leaf_nodes="auto"``: the rule, the held-out agreement of each
        budget (``points``), the best and the chosen budget.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from treedistill import DistilledTreeClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = DistilledTreeClassifier(
    ...     LogisticRegression(max_iter=5000), max_leaf_nodes=8, random_state=0
    ... ).fit(X, y)
    >>> model.student_.get_n_leaves()
    8
    """

    _parameter_constraints: dict = {
        **_BaseDistiller._parameter_constraints,
        "criterion": [StrOptions(set(CRITERIA))],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "max_leaf_nodes": [
            Interval(Integral, 2, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "builder": [StrOptions(set(BUILDERS))],
        "objective": [StrOptions(set(OBJECTIVES))],
        "search": [StrOptions(set(SEARCHES))],
        "n_starts": [Interval(Integral, 1, None, closed="left")],
        "split_class_weight": [StrOptions({"balanced"}), dict, None],
        "exact_rules": ["boolean"],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        teacher=None,
        *,
        objective="auto",
        temperature=1.0,
        alpha=0.0,
        augmentation="munge",
        augment_factor="auto",
        criterion="entropy",
        max_depth=None,
        max_leaf_nodes=16,
        min_samples_leaf=1,
        builder="auto",
        search="auto",
        n_starts=1,
        split_class_weight=None,
        exact_rules=True,
        chunk_size=None,
        categorical_features=None,
        class_names=None,
        monotone_constraints=None,
        keep=None,
        batch_size=16384,
        random_state=None,
    ):
        self.teacher = teacher
        self.objective = objective
        self.temperature = temperature
        self.alpha = alpha
        self.augmentation = augmentation
        self.augment_factor = augment_factor
        self.criterion = criterion
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.builder = builder
        self.search = search
        self.n_starts = n_starts
        self.split_class_weight = split_class_weight
        self.exact_rules = exact_rules
        self.chunk_size = chunk_size
        self.categorical_features = categorical_features
        self.class_names = class_names
        self.monotone_constraints = monotone_constraints
        self.keep = keep
        self.batch_size = batch_size
        self.random_state = random_state

    def _check_student_params(self):
        if self.max_depth is None and self.max_leaf_nodes is None:
            raise ValueError(
                "set max_depth or max_leaf_nodes (or both): an unbounded tree is not "
                "a readable student"
            )

    def _resolve_objective(self, y_index, w) -> None:
        """``objective_`` and, in words, ``objective_reason_``."""
        if self.objective != "auto":
            if self.objective == "agreement" and self.split_class_weight is not None:
                raise ParameterError(
                    "split_class_weight weights the softened labels of the ranking "
                    "objective; objective='agreement' splits on the teacher's class "
                    "(leave split_class_weight unset, or use objective='ranking')",
                    parameter="split_class_weight",
                )
            self.objective_ = self.objective
            self.objective_reason_ = f"objective={self.objective!r} was set"
            return
        k = len(self.classes_)
        weights = np.ones(len(y_index)) if w is None else w
        share = np.bincount(y_index, weights=weights, minlength=k) / weights.sum()
        if self.split_class_weight is not None:
            self.objective_ = "ranking"
            self.objective_reason_ = (
                "auto: split_class_weight is set (it weights the ranking "
                "objective's softened labels)"
            )
        elif k == 2 and share.min() < RARE_PREVALENCE:
            rarer = int(np.argmin(share))
            self.objective_ = "ranking"
            self.objective_reason_ = (
                f"auto: the rarer class ({self.class_names_[rarer]}) is "
                f"{100 * share[rarer]:.1f}% of the training rows, under "
                f"{100 * RARE_PREVALENCE:g}%: a rare outcome"
            )
        else:
            what = (
                f"{k} classes"
                if k > 2
                else f"the rarer class ({self.class_names_[int(np.argmin(share))]}) "
                f"is {100 * share.min():.1f}% of the training rows, not under "
                f"{100 * RARE_PREVALENCE:g}%"
            )
            self.objective_ = "agreement"
            self.objective_reason_ = f"auto: {what}"

    def _resolved_search(self) -> str:
        """The search ``search="auto"`` stands for: ``"prune"`` for the
        agreement objective (a leaf budget set, no monotone constraints, not
        chunked), else ``"greedy"``."""
        if self.search != "auto":
            return self.search
        budget = self.max_leaf_nodes
        if (
            getattr(self, "objective_", None) == "agreement"
            and budget is not None
            and self.chunk_size is None
            and not self.monotone_constraints
        ):
            return "prune"
        return "greedy"

    def _make_student(self, seed):
        budget = self.max_leaf_nodes
        if budget == "auto":
            budget = self._budget
        common = dict(
            criterion=self.criterion,
            max_depth=self.max_depth,
            max_leaf_nodes=budget,
            min_samples_leaf=self.min_samples_leaf,
            random_state=seed,
            builder=self.builder,
        )
        if self.monotone_cst_ is not None:
            common.update(
                monotonic_cst=self.monotone_cst_, monotone_class=self.monotone_class_
            )
        search = self._resolved_search()
        loss = "error" if self.objective_ == "agreement" else None
        if search == "prune":
            if budget is None:
                raise ParameterError(
                    "search='prune' cuts the tree back to max_leaf_nodes: set it",
                    parameter="search",
                )
            return SearchedSoftTree(
                loss=loss, grow_leaves=GROW_FACTOR * int(budget), max_sweeps=0, **common
            )
        if search == "tao" and loss == "error" and self.n_starts == 1 and budget:
            # TAO refines the tree the agreement objective's own search builds.
            return SearchedSoftTree(
                loss=loss, grow_leaves=GROW_FACTOR * int(budget), **common
            )
        if search == "tao":
            return SearchedSoftTree(n_starts=self.n_starts, loss=loss, **common)
        return SoftTree(**common)

    def _auto_size(self) -> bool:
        if self.max_leaf_nodes != "auto":
            return False
        if self.chunk_size is not None:
            raise ParameterError(
                "max_leaf_nodes='auto' is not available with chunk_size",
                parameter="max_leaf_nodes",
            )
        return True

    def _choose_size(self, frame, y, y_index, w, seed) -> None:
        """``max_leaf_nodes="auto"``: the size curve on held-out rows, and the
        smallest budget within ``AUTO_TOLERANCE`` of the best agreement."""
        n = len(frame)
        n_hold = int(round(AUTO_HOLDOUT * n))
        if n_hold < 1 or n - n_hold < 2:
            raise ParameterError(
                f"max_leaf_nodes='auto' holds out {AUTO_HOLDOUT:.0%} of the rows to "
                f"choose the size; {n} rows are too few",
                parameter="max_leaf_nodes",
            )
        # Its own random stream: the tree fit afterwards is the one an integer
        # max_leaf_nodes of the chosen size gives.
        rng = np.random.default_rng(None if seed is None else [seed, AUTO_STREAM])
        order = rng.permutation(n)
        hold, grow = np.sort(order[:n_hold]), np.sort(order[n_hold:])
        held = frame.iloc[hold].reset_index(drop=True)
        t_cls = np.argmax(
            teacher_logits(self.teacher_, self._teacher_input(held), self.batch_size),
            axis=1,
        )
        X_held = self.schema_.encode(held, warn_unseen=False)
        w_held = np.ones(n_hold) if w is None else w[hold]
        transfer = self._transfer(
            frame.iloc[grow].reset_index(drop=True),
            y[grow],
            y_index[grow],
            None if w is None else w[grow],
            rng,
        )
        curve = []
        for budget in AUTO_BUDGETS:
            self._budget = budget
            self._fit_student(*transfer, seed)
            agree = np.argmax(self.student_.predict_proba(X_held), axis=1) == t_cls
            curve.append(
                {
                    "max_leaf_nodes": budget,
                    "n_leaves": self.student_.get_n_leaves(),
                    "agreement": float(np.average(agree, weights=w_held)),
                }
            )
        best = max(point["agreement"] for point in curve)
        chosen = next(p for p in curve if p["agreement"] >= best - AUTO_TOLERANCE)
        self._budget = self.max_leaf_nodes_ = chosen["max_leaf_nodes"]
        self.size_curve_ = {
            "rule": (
                f"the smallest leaf budget whose agreement with the teacher on "
                f"{n_hold} held-out rows ({AUTO_HOLDOUT:.0%}, not used to grow the "
                f"trees) is within {100 * AUTO_TOLERANCE:g} point of the best"
            ),
            "n_held_out": n_hold,
            "weighted": w is not None,
            "points": curve,
            "best": best,
            "chosen": chosen["max_leaf_nodes"],
        }

    def _finish_student(self, X_enc, q_true, sample_weight=None) -> None:
        self.search_ = str(getattr(self.student_, "search_", "greedy"))
        # The weighted sums of the split labels at every node, as grown: what a
        # pruning of this tree weighs (the size curve reads the pruned trees of
        # every budget off one growth with them).
        tree = self.student_.tree_
        self._split_sums = (
            np.asarray(self.student_.value_, dtype=np.float64)
            * (np.asarray(tree.weighted_n_node_samples, dtype=np.float64)[:, None])
        )
        # Leaves estimate the teacher's own distribution (temperature 1): the
        # temperature shapes which splits are chosen, not what a leaf reports.
        if self.exact_rules:
            # Thresholds at the data's own precision, compared in float64, so the
            # printed rules say exactly what the tree does; real rows keep their
            # sides, transfer rows are recounted (see treedistill.distill._thresholds).
            n_real = self.n_transfer_ - self.n_augmented_
            self.student_.snap_thresholds(
                X_enc[:n_real], self.schema_, X_transfer=X_enc
            )
            self.student_.refit_leaves(
                X_enc, q_true, recount=True, sample_weight=sample_weight
            )
        elif self._leaves_refit():
            self.student_.refit_leaves(X_enc, q_true, sample_weight=sample_weight)

    def _student_proba(self, X_enc):
        return self.student_.predict_proba(X_enc)

    def _student_logits(self, X_enc):
        return logits_from_proba(self.student_.predict_proba(X_enc))

    def apply(self, X) -> np.ndarray:
        """Index of the leaf (node id) each row falls in."""
        return self.student_.apply(self._encode(X, order="F"))


class DistilledBoostingClassifier(_BaseDistiller):
    """A few shallow boosted trees (xgboost) distilled from a teacher.

    The trees are fit to the softened teacher labels with the soft cross-entropy
    objective; the student's margins are multiplied by ``temperature`` at predict
    time, so its probabilities estimate the teacher's own (temperature 1).

    Parameters
    ----------
    teacher, temperature, alpha, augmentation, augment_factor, batch_size,
    random_state, categorical_features, class_names, keep :
        As in :class:`DistilledTreeClassifier`, with defaults ``temperature=1.0``
        and ``augment_factor=5.0``.
    n_estimators : int, default=10
        Boosting rounds (K trees a round when there are K > 2 classes).
    max_depth : int, default=2
    learning_rate : float, default=0.3
    n_jobs : int, default=None
        Threads for xgboost.
    monotone_constraints : dict or None, default=None
        As in :class:`DistilledTreeClassifier`, passed to xgboost's
        ``monotone_constraints`` (two classes).

    Attributes
    ----------
    teacher_, student_, classes_, n_features_in_, feature_names_in_, schema_,
    n_transfer_, n_augmented_ :
        As in :class:`DistilledTreeClassifier`; ``student_`` is a ``SoftBoosting``.
    """

    _parameter_constraints: dict = {
        **_BaseDistiller._parameter_constraints,
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        teacher=None,
        *,
        temperature=1.0,
        alpha=0.0,
        augmentation="munge",
        augment_factor=5.0,
        n_estimators=10,
        max_depth=2,
        learning_rate=0.3,
        n_jobs=None,
        categorical_features=None,
        class_names=None,
        monotone_constraints=None,
        keep=None,
        batch_size=16384,
        random_state=None,
    ):
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.augmentation = augmentation
        self.augment_factor = augment_factor
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.n_jobs = n_jobs
        self.categorical_features = categorical_features
        self.class_names = class_names
        self.monotone_constraints = monotone_constraints
        self.keep = keep
        self.batch_size = batch_size
        self.random_state = random_state

    def _make_student(self, seed):
        cst = self.monotone_cst_
        if cst is not None:
            # xgboost bounds the margin of classes_[1]
            cst = tuple(int(c) for c in (cst if self.monotone_class_ == 1 else -cst))
        return SoftBoosting(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            random_state=seed,
            n_jobs=self.n_jobs,
            monotone_constraints=cst,
        )

    def _student_logits(self, X_enc):
        return margins_to_logits(
            self.student_.decision_function(X_enc), self.temperature
        )

    def _student_proba(self, X_enc):
        from treedistill.teachers._soften import softmax

        return softmax(self._student_logits(X_enc), axis=1)


def _weighted_teacher(teacher, X, y, sample_weight, seed):
    """:func:`resolve_teacher` with row weights for the teacher the estimator fits."""
    if teacher is not None and (
        not hasattr(teacher, "fit") or is_fitted(teacher) or isinstance(teacher, str)
    ):
        return resolve_teacher(teacher, X, y, seed)  # used as it is (or refused)
    if teacher is None:
        from treedistill.teachers._mlp import MLPTeacher

        return MLPTeacher(random_state=seed).fit(X, y, sample_weight=sample_weight)
    if not has_fit_parameter(teacher, "sample_weight"):
        raise ParameterError(
            f"sample_weight: the teacher {type(teacher).__name__} is fit here but its "
            "fit takes no sample_weight; pass a fitted teacher or one that does",
            parameter="sample_weight",
        )
    from sklearn.base import clone

    fitted = clone(teacher)
    params = fitted.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None and seed is not None:
        fitted.set_params(random_state=seed)
    return fitted.fit(X, y, sample_weight=sample_weight)
