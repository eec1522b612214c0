"""Choose the softening temperature and label weight on a validation split.

:func:`sweep_temperature_alpha` fits one student per (temperature, alpha) setting on
part of the training rows, measures how often it agrees with the teacher on the rest
(the validation rows), and picks the setting with the highest agreement, breaking ties
by the lower KL(teacher ‖ student). Test rows are never seen: the caller passes the
training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from treedistill._metrics import fidelity
from treedistill._soften import soften
from treedistill._teachers import is_fitted, teacher_logits

__all__ = [
    "DEFAULT_ALPHAS",
    "DEFAULT_TEMPERATURES",
    "SweepResult",
    "split_validation",
    "sweep_temperature_alpha",
]

DEFAULT_TEMPERATURES = (0.25, 1.0, 2.0, 4.0)
DEFAULT_ALPHAS = (0.0, 0.3)
# Below this many validation rows an agreement rate says too little to choose on.
_MIN_VALIDATION_ROWS = 10


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
        raise ValueError(f"validation_size must be in (0, 1), got {validation_size!r}")
    y = np.asarray(y)
    n_val = int(np.ceil(validation_size * len(y)))
    if n_val < _MIN_VALIDATION_ROWS or len(y) - n_val < 2:
        raise ValueError(
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

    Returns
    -------
    SweepResult
        The table, the chosen setting and the reason.
    """
    teacher = estimator.get_params(deep=False)["teacher"]
    if teacher is None or not is_fitted(teacher):
        raise ValueError(
            "the sweep needs a fitted teacher: fit or load it before sweeping"
        )
    temperatures = [float(t) for t in temperatures]
    alphas = [float(a) for a in alphas]
    if not temperatures or not alphas:
        raise ValueError("the sweep grid needs at least one temperature and one alpha")
    for t in temperatures:
        if not t > 0:
            raise ValueError(f"sweep temperatures must be > 0, got {_fmt(t)}")
    for a in alphas:
        if not 0 <= a <= 1:
            raise ValueError(f"sweep alphas must be in [0, 1], got {_fmt(a)}")

    X_fit, X_val, y_fit, y_val = split_validation(
        X, y, validation_size=validation_size, random_state=random_state
    )
    teacher_in = X_val
    if not isinstance(X, pd.DataFrame):
        teacher_in = np.asarray(X_val, dtype=np.float64)
    p_teacher = soften(teacher_logits(teacher, teacher_in))

    table = []
    for t in temperatures:
        for a in alphas:
            model = _with_params(
                estimator, temperature=t, alpha=a, random_state=random_state
            )
            model.fit(X_fit, y_fit)
            p_student = model.predict_proba(X_val)
            fid = fidelity(p_teacher, p_student, random_state=random_state)
            table.append(
                {
                    "temperature": t,
                    "alpha": a,
                    "agreement": fid["agreement"],
                    "agreement_ci": fid["agreement_ci"],
                    "kl": fid["kl"],
                    "tv": fid["tv"],
                    "n_validation": fid["n"],
                }
            )

    n_val = len(y_val)
    # Agreement is a count over the same rows: compare counts, not floats.
    counts = [round(row["agreement"] * n_val) for row in table]
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
    for i, row in enumerate(table):
        row["chosen"] = i == best
    return SweepResult(
        table=table,
        temperature=chosen["temperature"],
        alpha=chosen["alpha"],
        reason=reason,
        n_fit=len(y_fit),
        n_validation=n_val,
    )
