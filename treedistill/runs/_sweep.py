"""Choose the softening temperature and label weight on a validation split.

:func:`sweep_temperature_alpha` fits one student per (temperature, alpha) setting on
part of the training rows, scores it against the teacher on the rest (the validation
rows) and picks a setting by a stated objective (``objective``):

- ``"agreement"``: the highest agreement with the teacher, ties broken by the lower
  KL(teacher ‖ student);
- ``"risk"`` (for a rare binary outcome): among the settings whose agreement is
  within 0.3 points (at least one row) of the best, the highest mean of
  flagged-patient agreement (flag rate = the positive share of the fit rows) and
  Spearman correlation of teacher and student risk, then agreement, then KL;
- ``"auto"`` (default): the objective the tree student is built for
  (``objective`` of :class:`~treedistill.DistilledTreeClassifier`: ``"ranking"``
  chooses by ``"risk"``); with the student's own ``"auto"``, ``"risk"`` when there
  are two classes and the rarer one is under 20% of the rows
  (:data:`~treedistill.distill._choices.RARE_PREVALENCE`, the report's rule), else
  ``"agreement"``. A tree built for agreement splits on the teacher's class, so
  the temperature does not change it; the sweep then chooses ``alpha`` alone.

Test rows are never seen: the caller passes the training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from treedistill.distill._choices import RARE_PREVALENCE
from treedistill.exceptions import DataError, ParameterError, TeacherError
from treedistill.measures._metrics import fidelity
from treedistill.teachers._soften import soften
from treedistill.teachers._teachers import is_fitted, teacher_logits

__all__ = [
    "DEFAULT_ALPHAS",
    "DEFAULT_TEMPERATURES",
    "SWEEP_ROWS",
    "SweepResult",
    "split_validation",
    "sweep_temperature_alpha",
]

DEFAULT_TEMPERATURES = (0.25, 1.0, 2.0, 4.0)
DEFAULT_ALPHAS = (0.0, 0.3)
OBJECTIVES = ("auto", "agreement", "risk")
_CRITERIA = {
    "agreement": "highest validation agreement with the teacher, then lowest KL",
    "risk": (
        "rare binary outcome: among settings within 0.3 points of the best "
        "validation agreement, the highest mean of flagged-patient agreement (flag "
        "rate = training prevalence) and Spearman correlation of teacher and student "
        "risk; then agreement, then lowest KL"
    ),
}
# Below this many validation rows an agreement rate says too little to choose on.
_MIN_VALIDATION_ROWS = 10
#: Training rows the sweep uses at most (a seeded, stratified sample beyond): its
#: eight fits then cost the same at any size of data.
SWEEP_ROWS = 20_000


@dataclass
class SweepResult:
    """The outcome of a temperature / alpha sweep.

    Attributes
    ----------
    table : list of dict
        One row per setting, in grid order: ``temperature``, ``alpha``,
        ``agreement``, ``agreement_ci``, ``kl``, ``tv``, ``n_validation``.
    temperature, alpha : float
        The chosen setting.
    reason : str
        Why that setting was chosen, in one sentence.
    n_fit, n_validation : int
        Rows the students were fit on and rows they were scored on.
    """

    table: list[dict]
    temperature: float
    alpha: float
    reason: str
    n_fit: int
    n_validation: int
    criterion: str = "highest validation agreement with the teacher, then lowest KL"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-serialisable copy."""
        return {
            "table": [dict(row) for row in self.table],
            "chosen": {"temperature": self.temperature, "alpha": self.alpha},
            "reason": self.reason,
            "criterion": self.criterion,
            "n_fit": int(self.n_fit),
            "n_validation": int(self.n_validation),
            **self.extra,
        }


def split_validation(
    X: pd.DataFrame, y, *, validation_size: float = 0.25, random_state=0
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Split training rows into fit and validation rows, stratified when possible.

    Returns ``X_fit, X_val, y_fit, y_val``.
    """
    if not 0 < validation_size < 1:
        raise ParameterError(
            f"validation_size must be in (0, 1), got {validation_size!r}",
            parameter="validation_size",
        )
    y = np.asarray(y)
    n_val = int(np.ceil(validation_size * len(y)))
    if n_val < _MIN_VALIDATION_ROWS or len(y) - n_val < 2:
        raise DataError(
            f"the sweep needs at least {_MIN_VALIDATION_ROWS} validation rows carved "
            f"from the training rows; {len(y)} training rows give {n_val}"
        )
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 and n_val >= len(counts) else None
    X_fit, X_val, y_fit, y_val = train_test_split(
        X,
        y,
        test_size=validation_size,
        random_state=random_state,
        stratify=stratify,
    )
    return X_fit, X_val, np.asarray(y_fit), np.asarray(y_val)


def _sample_rows(X, y, n: int, random_state) -> tuple:
    """A seeded sample of ``n`` rows, stratified by ``y`` when every class allows."""
    y = np.asarray(y)
    _, counts = np.unique(y, return_counts=True)
    try:
        X, _, y, _ = train_test_split(
            X, y, train_size=n, random_state=random_state,
            stratify=y if counts.min() >= 2 else None,
        )  # fmt: skip
    except ValueError:  # too few rows of a class to stratify
        X, _, y, _ = train_test_split(X, y, train_size=n, random_state=random_state)
    return X, np.asarray(y)


def _with_params(estimator, **params):
    """A fresh copy of ``estimator`` with ``params`` set, sharing its teacher object.

    ``sklearn.base.clone`` would clone (and so unfit) a prefit teacher; this keeps it.
    """
    kwargs = estimator.get_params(deep=False)
    kwargs.update(params)
    return type(estimator)(**kwargs)


def _fmt(x: float) -> str:
    return f"{x:g}"


def sweep_temperature_alpha(
    estimator,
    X: pd.DataFrame,
    y,
    *,
    temperatures=DEFAULT_TEMPERATURES,
    alphas=DEFAULT_ALPHAS,
    validation_size: float = 0.25,
    random_state=0,
    objective: str = "auto",
    max_rows: int | None = SWEEP_ROWS,
) -> SweepResult:
    """Pick ``temperature`` and ``alpha`` for a distiller by validation agreement.

    Parameters
    ----------
    estimator : DistilledTreeClassifier or DistilledBoostingClassifier
        Its ``teacher`` must be fitted (it is used as it is, never refit); every
        other parameter is kept.
    X : DataFrame
        The training rows (never the test rows).
    y : array-like
        Their labels.
    temperatures, alphas : sequences of float
        The grid; every pair is tried, in order.
    validation_size : float, default=0.25
        Share of ``X`` held out to score the settings.
    random_state : int, default=0
        Seeds the split and every fit.
    objective : {"auto", "agreement", "risk"}, default="auto"
        How the setting is chosen (see the module docstring); the result states
        the objective used (``objective``, ``criterion``).
    max_rows : int or None, default=SWEEP_ROWS
        Use a seeded, stratified sample of this many training rows when ``X``
        has more (``n_fit + n_validation`` in the result); ``None``: every row.

    Returns
    -------
    SweepResult
        The table, the chosen setting and the reason.
    """
    teacher, temperatures, alphas = _check_sweep(
        estimator, temperatures, alphas, objective
    )

    if max_rows is not None and len(X) > int(max_rows):
        X, y = _sample_rows(X, y, int(max_rows), random_state)
    X_fit, X_val, y_fit, y_val = split_validation(
        X, y, validation_size=validation_size, random_state=random_state
    )
    teacher_in = X_val
    if not isinstance(X, pd.DataFrame):
        teacher_in = np.asarray(X_val, dtype=np.float64)
    p_teacher = soften(teacher_logits(teacher, teacher_in))
    if objective == "auto":
        built_for = estimator.get_params(deep=False).get("objective", "auto")
        objective = {"agreement": "agreement", "ranking": "risk"}.get(built_for, "auto")
    objective, positive, flag_rate = _resolve_objective(objective, teacher, y_fit)

    table = [
        _score(
            _with_params(estimator, temperature=t, alpha=a, random_state=random_state),
            X_fit,
            y_fit,
            X_val,
            p_teacher,
            objective=objective,
            positive=positive,
            flag_rate=flag_rate,
            seed=random_state,
        )
        for t in temperatures
        for a in alphas
    ]

    n_val = len(y_val)
    # Agreement is a count over the same rows: compare counts, not floats.
    counts = [round(row["agreement"] * n_val) for row in table]
    if objective == "risk":
        best, reason = _choose_by_risk(table, counts, n_val)
    else:
        best, reason = _choose_by_agreement(table, counts, n_val)
    chosen = table[best]
    for i, row in enumerate(table):
        row["chosen"] = i == best
    return SweepResult(
        table=table,
        temperature=chosen["temperature"],
        alpha=chosen["alpha"],
        reason=reason,
        n_fit=len(y_fit),
        n_validation=n_val,
        criterion=_CRITERIA[objective],
        extra={"objective": objective},
    )


def _check_sweep(estimator, temperatures, alphas, objective) -> tuple:
    """The fitted teacher and the grid as floats; refuse what cannot be swept."""
    teacher = estimator.get_params(deep=False)["teacher"]
    if teacher is None or not is_fitted(teacher):
        raise TeacherError(
            "the sweep needs a fitted teacher: fit or load it before sweeping"
        )
    temperatures = [float(t) for t in temperatures]
    alphas = [float(a) for a in alphas]
    if not temperatures or not alphas:
        raise ParameterError(
            "the sweep grid needs at least one temperature and one alpha",
            parameter="temperatures",
        )
    for t in temperatures:
        if not t > 0:
            raise ParameterError(
                f"sweep temperatures must be > 0, got {_fmt(t)}",
                parameter="temperatures",
            )
    for a in alphas:
        if not 0 <= a <= 1:
            raise ParameterError(
                f"sweep alphas must be in [0, 1], got {_fmt(a)}", parameter="alphas"
            )
    if objective not in OBJECTIVES:
        raise ParameterError(
            f"sweep objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}",
            parameter="objective",
        )
    return teacher, temperatures, alphas


def _score(
    model, X_fit, y_fit, X_val, p_teacher, *, objective, positive, flag_rate, seed
):
    """One row of the sweep table: the fitted setting scored against the teacher."""
    model.fit(X_fit, y_fit)
    fid = fidelity(
        p_teacher,
        model.predict_proba(X_val),
        positive=positive,
        flag_rate=flag_rate,
        n_boot=0,
        random_state=seed,
    )
    row = {
        "temperature": float(model.temperature),
        "alpha": float(model.alpha),
        "agreement": fid["agreement"],
        "agreement_ci": fid["agreement_ci"],
        "kl": fid["kl"],
        "tv": fid["tv"],
        "n_validation": fid["n"],
    }
    if objective == "risk":
        point = [p for p in fid["operating_points"] if p["kind"] == "flag_rate"][0]
        row["flagged_agreement"] = point["flagged_agreement"]["value"]
        row["spearman"] = fid["ranking"]["spearman"]["value"]
        row["flag_auc"] = fid["ranking"]["flag_auc"]["value"]
    return row


def _resolve_objective(objective: str, teacher, y_fit) -> tuple:
    """The objective to use, and the positive class index and flag rate for it."""
    labels, counts = np.unique(np.asarray(y_fit), return_counts=True)
    rare = labels.size == 2 and counts.min() / counts.sum() < RARE_PREVALENCE
    if objective == "auto":
        objective = "risk" if rare else "agreement"
    if objective == "risk" and labels.size != 2:
        raise ValueError(
            f"the risk objective needs a binary outcome; y has {labels.size} classes"
        )
    if objective != "risk":
        return objective, None, None
    minority = labels[np.argmin(counts)]
    where = np.flatnonzero(np.asarray(teacher.classes_) == minority)
    positive = int(where[0]) if where.size else None
    return objective, positive, float(counts.min() / counts.sum())


def _choose_by_agreement(table, counts, n_val) -> tuple[int, str]:
    top = max(counts)
    tied = [i for i, c in enumerate(counts) if c == top]
    best = min(tied, key=lambda i: (table[i]["kl"], i))
    chosen = table[best]
    setting = f"T={_fmt(chosen['temperature'])}, alpha={_fmt(chosen['alpha'])}"
    agree_txt = f"{chosen['agreement']:.1%} ({top} of {n_val} validation rows)"
    if len(tied) == 1:
        others = sorted({c for c in counts if c != top}, reverse=True)
        runner = f"; next best {others[0]} of {n_val}" if others else ""
        reason = (
            f"{setting} has the highest agreement with the teacher: {agree_txt}{runner}"
        )
    else:
        reason = (
            f"{len(tied)} settings tie at the highest agreement, {agree_txt}; "
            f"{setting} has the lowest KL(teacher || student) among them "
            f"({chosen['kl']:.4g} nats)"
        )
    return best, reason


def _risk_score(row) -> float:
    values = [v for v in (row["flagged_agreement"], row["spearman"]) if v is not None]
    return float(np.mean(values)) if values else float("-inf")


def _choose_by_risk(table, counts, n_val) -> tuple[int, str]:
    top = max(counts)
    slack = max(1, int(round(0.003 * n_val)))
    eligible = [i for i, c in enumerate(counts) if c >= top - slack]
    best = max(
        eligible,
        key=lambda i: (_risk_score(table[i]), counts[i], -table[i]["kl"], -i),
    )
    row = table[best]
    flagged = row["flagged_agreement"]
    rho = row["spearman"]
    setting = f"T={_fmt(row['temperature'])}, alpha={_fmt(row['alpha'])}"
    reason = (
        f"{setting} flags "
        + ("no comparable patients" if flagged is None else f"{flagged:.1%}")
        + " of the patients the teacher flags and ranks risk with Spearman "
        + ("-" if rho is None else f"{rho:.2f}")
        + f", the best mean of the two among the {len(eligible)} settings within "
        f"{slack} validation row(s) of the highest agreement ({top} of {n_val}); "
        f"it agrees on {counts[best]} of {n_val}"
    )
    return best, reason
