"""What :func:`~treedistill.report.evaluate` is given, checked and put in one shape.

The models, rows and options are validated here (each with a one-line error that
names the argument), and every set of rows the report measures on — held-out,
training, fresh synthetic — is prepared once: as a frame, as the models' own input,
encoded, and labelled by the teacher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Integral

import numpy as np
import pandas as pd

from treedistill.common._json import scalar
from treedistill.data._schema import as_frame
from treedistill.distill._transfer import munge, munge_neighbours
from treedistill.teachers._soften import soften
from treedistill.teachers._teachers import teacher_logits

__all__ = [
    "SYNTHETIC_SOURCE_ROWS",
    "Inputs",
    "Rows",
    "check_options",
    "is_tree",
    "prepare",
]


def is_tree(model) -> bool:
    """Whether ``model`` is a distiller with a single-tree student."""
    return hasattr(getattr(model, "student_", None), "tree_")


@dataclass(frozen=True)
class Rows:
    """One set of rows in every form the report needs."""

    frame: pd.DataFrame
    model_in: object  # what the models' own methods take (frame or array)
    encoded: np.ndarray
    teacher_proba: np.ndarray
    y_idx: np.ndarray | None  # true class index; None for synthetic rows
    # the rows as the model's methods clean them (cleaned once)
    cleaned: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def teacher_class(self) -> np.ndarray:
        """The teacher's class index on each row (argmax)."""
        return np.argmax(self.teacher_proba, axis=1)


@dataclass(frozen=True)
class Inputs:
    """The checked models and the prepared rows of one evaluation."""

    names: list[str]
    models: dict
    tree_name: str | None
    primary_name: str
    classes: np.ndarray
    test: Rows
    train: Rows
    synthetic: Rows | None
    X_train: object  # as given, for refits
    y_train: object
    row_ids: list
    # training rows the synthetic rows were drawn from (a sample above
    # SYNTHETIC_SOURCE_ROWS); None without synthetic rows
    n_synthetic_source: int | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def train_neighbours(self) -> np.ndarray | None:
        """MUNGE's neighbour of each training row (searched once and shared by the
        fresh synthetic rows and the stability refits); ``None`` below 2 rows."""
        if "neighbours" not in self._cache:
            frame = self.train.frame
            self._cache["neighbours"] = (
                munge_neighbours(frame, self.schema) if len(frame) >= 2 else None
            )
        return self._cache["neighbours"]

    def cleaned(self, which: str) -> pd.DataFrame:
        """The ``"test"`` or ``"synthetic"`` rows cleaned as the primary model's
        methods clean them (done once: cleaning text cells is slow on large data)."""
        key = f"cleaned_{which}"
        if key not in self._cache:
            rows = getattr(self, which)
            self._cache[key] = (
                rows.cleaned
                if rows.cleaned is not None
                else self.primary._check_X(rows.model_in, reset=False)
            )
        return self._cache[key]

    @property
    def primary(self):
        """The model audited rule by rule (the first tree student, else the first)."""
        return self.models[self.primary_name]

    @property
    def schema(self):
        """The primary model's column schema."""
        return self.primary.schema_


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
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


def check_options(size_grid, n_synthetic, shap_rows, subgroups, schema):
    """The sorted leaf budgets and the subgroup columns; raises on bad values."""
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
        return grid, [c.name for c in schema.columns if c.is_categorical]
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


def model_input(model, frame: pd.DataFrame):
    """What the model's own methods take: a frame if it was fit on one."""
    if getattr(model, "_frame_input", hasattr(model, "feature_names_in_")):
        return frame
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _row_ids(X) -> list:
    if isinstance(X, pd.DataFrame):
        return [scalar(v) for v in X.index.tolist()]
    return list(range(len(X)))


# ---------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------
def _order(names: list[str], models: dict) -> tuple[str | None, str]:
    tree_names = [n for n in names if is_tree(models[n])]
    if "tree" in tree_names:
        tree_names.remove("tree")
        tree_names.insert(0, "tree")
    tree_name = tree_names[0] if tree_names else None
    return tree_name, tree_name or names[0]


def check_models(models) -> tuple[list[str], dict, str | None, str]:
    """Model names in order, the models by name, the tree student's and primary name."""
    names, models = _check_models(models)
    tree_name, primary_name = _order(names, models)
    return names, models, tree_name, primary_name


def _rows(model, frame: pd.DataFrame, y_idx, *, keep_cleaned: bool = True) -> Rows:
    """The rows cleaned once, then encoded and labelled by the teacher as
    ``model.encode`` and ``model.teacher_proba`` would (each cleans its input);
    the cleaned frame is kept when asked (see :meth:`Inputs.cleaned`)."""
    model_in = model_input(model, frame)
    cleaned = model._check_X(model_in, reset=False)
    logits = teacher_logits(
        model.teacher_, model._teacher_input(cleaned), model.batch_size
    )
    return Rows(
        frame=frame,
        model_in=model_in,
        encoded=model.schema_.encode(cleaned),
        teacher_proba=soften(logits),
        y_idx=y_idx,
        cleaned=cleaned if keep_cleaned else None,
    )


def _check_same_teacher(names, models, primary_name, test: Rows) -> None:
    primary = models[primary_name]
    for name in names:
        if models[name].teacher_ is primary.teacher_:
            continue
        other = models[name].teacher_proba(model_input(models[name], test.frame))
        if not np.allclose(other, test.teacher_proba, atol=1e-9):
            raise ValueError(
                f"model {name!r} was distilled from a different teacher than "
                f"model {primary_name!r}"
            )


def prepare(
    checked, X_test, y_test, X_train, y_train, *, n_synthetic: int, seed: int
) -> Inputs:
    """Check the rows against the models and prepare every set of rows.

    ``checked`` is what :func:`check_models` returned; ``seed`` draws the fresh
    synthetic rows (MUNGE from ``X_train``).
    """
    names, models, tree_name, primary_name = checked
    primary = models[primary_name]
    classes = np.asarray(primary.classes_)
    test_frame = _as_frame(X_test, primary, "X_test")
    train_frame = _as_frame(X_train, primary, "X_train")
    y_test_idx = _label_index(y_test, classes, "y_test", len(test_frame))
    y_train_idx = _label_index(y_train, classes, "y_train", len(train_frame))
    test = _rows(primary, test_frame, y_test_idx)
    train = _rows(primary, train_frame, y_train_idx, keep_cleaned=False)
    _check_same_teacher(names, models, primary_name, test)
    inputs = Inputs(
        names=names,
        models=models,
        tree_name=tree_name,
        primary_name=primary_name,
        classes=classes,
        test=test,
        train=train,
        synthetic=None,
        X_train=X_train,
        y_train=y_train,
        row_ids=_row_ids(X_test),
    )
    if n_synthetic <= 0:
        return inputs
    source, neighbours = train_frame, None
    if len(train_frame) > SYNTHETIC_SOURCE_ROWS:
        pick = np.random.default_rng([seed, 2])
        rows = np.sort(pick.choice(len(train_frame), SYNTHETIC_SOURCE_ROWS, False))
        source = train_frame.iloc[rows]
    else:
        neighbours = inputs.train_neighbours()
    syn_frame = munge(
        source,
        primary.schema_,
        int(n_synthetic),
        np.random.default_rng(seed),
        neighbours=neighbours,
    )
    syn_frame.index = pd.RangeIndex(len(syn_frame))
    # the neighbour cache travels with the copy
    return replace(
        inputs,
        synthetic=_rows(primary, syn_frame, None),
        n_synthetic_source=len(source),
    )


#: The fresh synthetic rows are a MUNGE draw from at most this many training rows
#: (a seeded sample of larger sets: MUNGE's neighbour search grows with the rows
#: it pairs, not with the rows drawn).
SYNTHETIC_SOURCE_ROWS = 100_000
