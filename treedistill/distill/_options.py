"""The parameters of a distillation run, by their Python names, validated in one place.

:class:`DistillParams` holds every setting of :func:`treedistill.run_distill`. Its
:meth:`~DistillParams.validate` checks the run-level parameters (the split, the seed,
the student kind, the teacher's size...) itself and the students' parameters against
the estimators' own ``_parameter_constraints``, so that each range is written once.
Errors are :class:`~treedistill.exceptions.ParameterError` naming the parameter.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from numbers import Integral, Real
from pathlib import Path

from treedistill.distill._choices import (
    AUGMENTATIONS,
    CRITERIA,
    ENSEMBLE_METHODS,
    STUDENT_KINDS,
)
from treedistill.exceptions import ParameterError

# numpy, scikit-learn and the estimators are imported where they are used, so
# that the command line builds its options (and prints its help) without them.

__all__ = [
    "AUGMENTATIONS",
    "CRITERIA",
    "ENSEMBLE_METHODS",
    "SKIPPABLE",
    "STUDENT_KINDS",
    "DistillParams",
    "check_operating_points",
    "check_refits",
    "check_skip",
    "student_class",
    "student_defaults",
]


def student_class(kind: str):
    """The estimator class of a student kind (``"tree"`` or ``"boosted"``)."""
    from treedistill.distill._estimators import (
        DistilledBoostingClassifier,
        DistilledTreeClassifier,
    )

    return {"tree": DistilledTreeClassifier, "boosted": DistilledBoostingClassifier}[
        kind
    ]


# Run parameter -> estimator parameter, per student kind (the rest share names).
_RENAMED = {"boosted": {"boost_depth": "max_depth"}}
_SHARED = ("temperature", "alpha", "augmentation", "augment_factor")
_CAST = {
    "temperature": float,
    "alpha": float,
    "augment_factor": lambda v: v if isinstance(v, str) else float(v),  # "auto"
    "n_estimators": int,
    "boost_depth": int,
}
_OWN = {
    "tree": (
        "objective",
        "search",
        "criterion",
        "max_depth",
        "max_leaf_nodes",
        "chunk_size",
    ),
    "boosted": ("n_estimators", "boost_depth"),
}


#: Parameters left out of :meth:`DistillParams.to_dict` while unset.
_RECORDED_WHEN_SET = ("weight_column", "monotone_constraints", "teacher_classes")


@cache
def student_defaults(kind: str) -> dict:
    """The constructor defaults of a student class, read once from its signature."""
    return student_class(kind)().get_params(deep=False)


def _default(kind: str, name: str):
    return student_defaults(kind)[name]


@dataclass
class DistillParams:
    """Every setting of a distillation run.

    Field names are Python parameter names. ``None`` for a student parameter means
    the student's own default (see :class:`~treedistill.DistilledTreeClassifier` and
    :class:`~treedistill.DistilledBoostingClassifier`).

    Parameters
    ----------
    data, target, out :
        The table to read, the column to predict, the run directory to write.
    teacher : sequence of path
        Fitted teacher files (several make an ensemble); empty: train the default
        MLP teacher on the training rows (of size ``teacher_hidden`` and
        ``teacher_max_epochs`` when given).
    ensemble_method, classes, trust_pickle :
        How several teachers are combined; the class labels in the order of a
        teacher's outputs; whether pickle files may be loaded.
    teacher_classes :
        The data label each of the teacher's outputs means, in output order, for a
        teacher trained on other codes (``[1, 2]`` for an xgboost model trained on
        0/1 used on a target coded 1/2); see :func:`treedistill.load_teacher`.
    temperature, alpha, augmentation, augment_factor :
        The students' distillation parameters.
    student : {"tree", "boosted", "both"}
    objective, search :
        What the tree student is built for (``"agreement"``, ``"ranking"`` or
        ``"auto"``) and how it is searched for; see
        :class:`~treedistill.DistilledTreeClassifier`.
    max_leaf_nodes, max_depth, criterion :
        The tree student's size (``max_leaf_nodes="auto"``: chosen from the size
        curve, see :class:`~treedistill.DistilledTreeClassifier`) and split
        criterion.
    chunk_size :
        Build the tree student's transfer set this many rows at a time, in
        bounded memory (``None``: all at once).
    weight_column :
        A column of non-negative row weights (survey, case-control or
        inverse-probability weights): not a feature; the teacher the run trains,
        the students' criterion and leaves and the report's weighted fidelity
        table use it. Not with ``chunk_size``, ``sweep`` or ``dask``.
    monotone_constraints :
        ``{column: 1 or -1}``: the students' risk (of the last class in the
        display order) may only rise (1) or fall (-1) along each numeric column
        named; two classes only; not with ``chunk_size`` or ``dask``.
    n_estimators, boost_depth :
        Rounds and tree depth of the boosted student.
    test_size, seed :
        Share of rows held out for the report; the seed of every random step.
    drop, subgroup :
        Columns to leave out; columns to audit agreement by.
    categorical_features :
        Columns the students treat as categories whatever their type (``thal``).
    class_names, class_order :
        Display names of the classes (label -> name) and their display order
        (labels), for the rules; see ``class_names`` of the students.
    keep :
        Identifier-like columns to keep as features (left out by default).
    row_id :
        A column of unique row identifiers: the held-out rows are listed by it
        (``held_out_rows.csv``) and it is not a feature. ``None``: rows are
        numbered from 1 in data order.
    many_classes :
        Accept a target with many classes for its rows (see
        :func:`treedistill.prepare_data`), which is otherwise refused as a number to
        predict rather than class labels.
    sweep :
        Choose temperature and alpha on a validation split of the training rows.
    include_values :
        Show raw feature values of disagreeing rows in the report.
    positive_class, threshold, flag_rate :
        The report's operating points (see :func:`treedistill.report.evaluate`): the
        class whose rows are flagged (``None``: the minority class of the training
        rows; a label given as text matches the class it names), the probability
        cut, and the share of rows each model flags (``None``: the training
        prevalence of the positive class).
    force :
        Replace an existing run directory that treedistill wrote.
    copy_data :
        Keep a copy of the data file in the run directory (``inputs/``).
    skip :
        Expensive report sections to leave out (see
        :data:`treedistill.report.SKIPPABLE`: ``shap``, ``size_curve``,
        ``stability``).
    stability_refits :
        Bootstrap refits of the tree student behind the report's stability
        section (see :func:`treedistill.stability`); 0 turns it off.
    dask :
        Run on a Dask cluster: ``"local"`` (a ``distributed.LocalCluster`` the run
        starts and closes) or a scheduler address (``"tcp://host:8786"``);
        ``data`` may then be a Parquet file, a Parquet dataset folder or a glob
        of Parquet or CSV files (see :func:`treedistill.runs._dask_run.run_distill_dask`).
        ``None``: in memory on this machine.
    """

    data: str | Path
    target: str
    out: str | Path
    teacher: Sequence[str | Path] = ()
    ensemble_method: str = "arithmetic"
    classes: Sequence[str] | None = None
    teacher_classes: Sequence[str] | None = None
    trust_pickle: bool = False
    temperature: float | None = None
    alpha: float = 0.0
    augmentation: str = "munge"
    augment_factor: float | None = None
    student: str = "tree"
    max_leaf_nodes: int | str | None = 16
    max_depth: int | None = None
    objective: str = "auto"
    search: str = "auto"
    criterion: str = "entropy"
    chunk_size: int | None = None
    weight_column: str | None = None
    monotone_constraints: dict[str, int] | None = None
    n_estimators: int = 10
    boost_depth: int = 2
    test_size: float = 0.25
    seed: int = 0
    drop: Sequence[str] = ()
    keep: Sequence[str] = ()
    row_id: str | None = None
    many_classes: bool = False
    subgroup: Sequence[str] = ()
    categorical_features: Sequence[str] = ()
    class_names: dict[str, str] | None = None
    class_order: Sequence[str] | None = None
    sweep: bool = False
    include_values: bool = False
    positive_class: object = None
    threshold: float = 0.5
    flag_rate: float | None = None
    force: bool = False
    teacher_hidden: Sequence[int] | None = None
    teacher_max_epochs: int | None = None
    copy_data: bool = False
    skip: Sequence[str] = ()
    stability_refits: int = 20
    dask: str | None = None

    # ---------------------------------------------------------------- checks
    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first parameter with a bad value."""
        import numpy as np

        if not isinstance(self.target, str) or not self.target.strip():
            raise ParameterError(
                f"target must name a column, got {self.target!r}", parameter="target"
            )
        _choice("student", self.student, STUDENT_KINDS)
        _choice("ensemble_method", self.ensemble_method, ENSEMBLE_METHODS)
        _real("test_size", self.test_size)
        if not 0 < self.test_size < 1:
            raise ParameterError(
                f"test_size must be a share of the rows in (0, 1), got {_g(self.test_size)}",
                parameter="test_size",
            )
        _integer("seed", self.seed, 0)
        if self.seed > MAX_SEED:  # what numpy and scikit-learn seed with
            raise ParameterError(
                f"seed must be at most {MAX_SEED} (2**32 - 1), got {self.seed}",
                parameter="seed",
            )
        check_refits(self.stability_refits)

        try:
            check_skip(list(self.skip))
        except ValueError as exc:
            raise ParameterError(str(exc), parameter="skip") from None
        check_operating_points(None, self.threshold, self.flag_rate, np.array([]))
        for kind in ("tree", "boosted"):  # both, as the options are given together
            self._check_student(kind)
        self._check_teacher()
        self._check_controls()
        if self.dask is not None and (
            not isinstance(self.dask, str) or not self.dask.strip()
        ):
            raise ParameterError(
                f"dask must be 'local' or a scheduler address, got {self.dask!r}",
                parameter="dask",
            )

    def _check_student(self, kind: str) -> None:
        cls = student_class(kind)
        renamed = _RENAMED.get(kind, {})
        for name in (*_SHARED, *_OWN[kind]):
            value = getattr(self, name)
            if value is None and name in ("temperature", "augment_factor"):
                continue
            check_parameter(cls, renamed.get(name, name), value, parameter=name)
        if kind == "tree" and self.max_leaf_nodes is None and self.max_depth is None:
            raise ParameterError(
                "max_leaf_nodes must be set when max_depth is not: an unbounded tree "
                "is not a readable student",
                parameter="max_leaf_nodes",
            )

    def _check_teacher(self) -> None:
        if self.teacher_max_epochs is not None:
            _integer("teacher_max_epochs", self.teacher_max_epochs, 1)
        for width in self.teacher_hidden or ():
            _integer("teacher_hidden", width, 1)
        if self.teacher and (self.teacher_hidden or self.teacher_max_epochs):
            raise ParameterError(
                "teacher_hidden and teacher_max_epochs size the default teacher and "
                "apply only when no teacher file is given",
                parameter="teacher_hidden"
                if self.teacher_hidden
                else "teacher_max_epochs",
            )
        for name in ("classes", "teacher_classes"):
            labels = getattr(self, name)
            if labels is not None and len(labels) < 2:
                raise ParameterError(
                    f"{name} must list at least 2 classes, got {list(labels)}",
                    parameter=name,
                )
        if self.teacher_classes is not None and not self.teacher:
            raise ParameterError(
                "teacher_classes names the outputs of a teacher file; give teacher "
                "(the run's own teacher is trained on the data's labels)",
                parameter="teacher_classes",
            )
        if self.teacher_classes is not None and self.classes is not None:
            raise ParameterError(
                "give either classes (the teacher's own labels) or teacher_classes "
                "(the data label of each of its outputs), not both",
                parameter="teacher_classes",
            )

    def _check_controls(self) -> None:
        """``weight_column`` and ``monotone_constraints``: values, and the paths
        that cannot carry them."""
        w = self.weight_column
        if w is not None:
            if not isinstance(w, str) or not w.strip():
                raise ParameterError(
                    f"weight_column must name a column, got {w!r}",
                    parameter="weight_column",
                )
            if w.strip() in {self.target.strip(), *map(str, self.keep)}:
                raise ParameterError(
                    f"weight_column {w!r} cannot also be the target or a kept feature",
                    parameter="weight_column",
                )
            for name in ("chunk_size", "dask", "sweep"):
                if getattr(self, name) not in (None, False):
                    raise ParameterError(
                        f"weight_column is not available with {name}: that path "
                        "does not carry row weights",
                        parameter="weight_column",
                    )
        spec = self.monotone_constraints
        if spec:
            if not isinstance(spec, dict):
                raise ParameterError(
                    f"monotone_constraints must map columns to 1 or -1, got {spec!r}",
                    parameter="monotone_constraints",
                )
            for column, direction in spec.items():
                if isinstance(direction, bool) or direction not in (1, -1):
                    raise ParameterError(
                        f"monotone_constraints: the direction of {column!r} must be "
                        f"1 (risk rises with it) or -1 (falls), got {direction!r}",
                        parameter="monotone_constraints",
                    )
            for name in ("chunk_size", "dask"):
                if getattr(self, name) is not None:
                    raise ParameterError(
                        f"monotone_constraints is not available with {name}",
                        parameter="monotone_constraints",
                    )
        if self.max_leaf_nodes == "auto":
            for name in ("chunk_size", "dask"):
                if getattr(self, name) is not None:
                    raise ParameterError(
                        f"max_leaf_nodes 'auto' is not available with {name}",
                        parameter="max_leaf_nodes",
                    )

    # ---------------------------------------------------------------- derived
    def positive_label(self, classes: Sequence):
        """``positive_class`` as one of ``classes`` (text ``"1"`` names the class ``1``).

        Raises :class:`ParameterError` when it names none of them.
        """
        import numpy as np

        if self.positive_class is None:
            return None
        labels = list(np.asarray(classes).tolist())
        if self.positive_class in labels:
            return self.positive_class
        named = [c for c in labels if str(c) == str(self.positive_class)]
        if len(named) == 1:
            return named[0]
        raise ParameterError(
            f"positive_class {self.positive_class!r} is not a class of the teacher "
            f"(its classes: {labels})",
            parameter="positive_class",
        )

    def student_kinds(self) -> list[str]:
        """``["tree"]``, ``["boosted"]`` or both."""
        return ["tree", "boosted"] if self.student == "both" else [self.student]

    def student_params(self, kind: str) -> dict:
        """The estimator parameters of one student (unset ones: its own default)."""
        renamed = _RENAMED.get(kind, {})
        params = {"random_state": int(self.seed)}
        for name in (*_SHARED, *_OWN[kind]):
            value = getattr(self, name)
            if value is None and name in ("temperature", "augment_factor"):
                value = _default(kind, name)
            if name in _CAST:
                value = _CAST[name](value)
            params[renamed.get(name, name)] = value
        if self.categorical_features:
            params["categorical_features"] = [str(c) for c in self.categorical_features]
        display = self.class_display()
        if display is not None:
            params["class_names"] = display
        if self.monotone_constraints:
            params["monotone_constraints"] = {
                str(k): int(v) for k, v in self.monotone_constraints.items()
            }
        return params

    def class_display(self):
        """``class_names`` / ``class_order`` as the students' ``class_names``."""
        names = {str(k): str(v) for k, v in (self.class_names or {}).items()}
        if not self.class_order:
            return names or None
        order = [str(label) for label in self.class_order]
        if not names:
            return order
        return {**{label: names.get(label, label) for label in order}, **names}

    def make_student(self, kind: str, teacher):
        """An unfitted student of ``kind`` with this run's parameters."""
        return student_class(kind)(teacher, **self.student_params(kind))

    def to_dict(self) -> dict:
        """The parameters as plain JSON values (paths as given, sequences as lists)."""
        from treedistill.common._json import plain

        out = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for name in _RECORDED_WHEN_SET:  # runs without them record what they did
            if not out[name]:
                del out[name]
        return out


# --------------------------------------------------------------------------- #
# Checks with one-line messages
# --------------------------------------------------------------------------- #
def _g(x) -> str:
    try:
        return f"{float(x):g}"
    except (TypeError, ValueError):
        return repr(x)


def _choice(name: str, value, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ParameterError(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}", parameter=name
        )


def _real(name: str, value) -> None:
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (Real, np.number)):
        raise ParameterError(f"{name} must be a number, got {value!r}", parameter=name)
    if not math.isfinite(float(value)):
        raise ParameterError(
            f"{name} must be a finite number, got {_g(value)}", parameter=name
        )


#: The largest seed: numpy's and scikit-learn's random states take 32 bits.
MAX_SEED = 2**32 - 1


def _integer(name: str, value, low: int) -> None:
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise ParameterError(
            f"{name} must be a whole number, got {value!r}", parameter=name
        )
    if value < low:
        raise ParameterError(f"{name} must be >= {low}, got {value}", parameter=name)


def check_parameter(cls, name: str, value, *, parameter: str | None = None) -> None:
    """Check one estimator parameter against ``cls._parameter_constraints``.

    Raises :class:`ParameterError` naming ``parameter`` (default ``name``) with a
    one-line message written from the constraint (``alpha must be in [0, 1], got 2``).
    Non-finite numbers are refused even where the range is open.
    """
    import numpy as np
    from sklearn.utils._param_validation import Interval, validate_parameter_constraints

    parameter = parameter or name
    constraints = cls._parameter_constraints[name]
    intervals = [c for c in constraints if isinstance(c, Interval)]
    if value is None and None in constraints:
        return
    if (
        intervals
        and not isinstance(value, (bool, np.bool_))
        and isinstance(value, (Real, np.number))
        and not math.isfinite(float(value))
    ):
        raise ParameterError(
            f"{parameter} must be a finite number, got {_g(value)}", parameter=parameter
        )
    try:
        validate_parameter_constraints({name: constraints}, {name: value}, cls.__name__)
    except ValueError:
        raise ParameterError(
            _constraint_message(parameter, value, constraints), parameter=parameter
        ) from None


def _constraint_message(parameter: str, value, constraints) -> str:
    import numpy as np
    from sklearn.utils._param_validation import Interval, StrOptions

    for c in constraints:
        if isinstance(c, StrOptions) and (
            isinstance(value, str)
            or not any(isinstance(i, Interval) for i in constraints)
        ):
            allowed = ", ".join(sorted(c.options))
            return f"{parameter} must be one of {allowed}; got {value!r}"
    interval = next(c for c in constraints if isinstance(c, Interval))
    if interval.type is Integral and (
        isinstance(value, bool) or not isinstance(value, (Integral, np.integer))
    ):
        return f"{parameter} must be a whole number, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, (Real, np.number)):
        return f"{parameter} must be a number, got {value!r}"
    return f"{parameter} must be {_describe(interval)}, got {_g(value)}"


def _describe(interval) -> str:
    lo, hi, closed = interval.left, interval.right, interval.closed
    if lo is not None and hi is not None:
        left = "[" if closed in ("left", "both") else "("
        right = "]" if closed in ("right", "both") else ")"
        return f"in {left}{_g(lo)}, {_g(hi)}{right}"
    if lo is not None:
        return f"{'>=' if closed in ('left', 'both') else '>'} {_g(lo)}"
    return f"{'<=' if closed in ('right', 'both') else '<'} {_g(hi)}"


# --------------------------------------------------------------------------- #
# The report's options, checked here so that a run checks them before any work
# --------------------------------------------------------------------------- #
#: Sections ``evaluate(skip=...)`` can leave out (the expensive ones).
SKIPPABLE = ("shap", "size_curve", "stability")


def check_skip(skip) -> list[str]:
    """The section names of ``skip`` (``-`` read as ``_``), checked."""
    if isinstance(skip, str):
        skip = [skip]
    if not isinstance(skip, Sequence | set | frozenset):
        raise ValueError(f"skip must be a list of section names, got {skip!r}")
    out = []
    for name in skip:
        key = str(name).strip().replace("-", "_")
        if key not in SKIPPABLE:
            raise ValueError(
                f"skip: unknown section {name!r}; choose from {', '.join(SKIPPABLE)}"
            )
        if key not in out:
            out.append(key)
    return out


def check_refits(n_refits) -> int:
    """``stability_refits`` as an int: 0 (off) or at least 2."""
    import numpy as np

    ok = isinstance(n_refits, (int, np.integer)) and not isinstance(n_refits, bool)
    if not ok or n_refits == 1 or n_refits < 0:
        raise ParameterError(
            f"stability_refits must be 0 (off) or a whole number of at least 2, "
            f"got {n_refits!r}",
            parameter="stability_refits",
        )
    return int(n_refits)


def check_operating_points(positive_class, threshold, flag_rate, classes) -> None:
    """Raise :class:`ParameterError` on a positive class or cut the data cannot have."""
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
