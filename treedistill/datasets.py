"""Data sets that need no download.

:func:`make_clinical_cohort` simulates a cohort of patients whose outcome follows a
known small decision tree (depth 3, six leaves), so tests and examples can check that
a distilled tree recovers it. The cohort has integer, float and categorical columns,
and optionally missing values in columns the rule does not use; with ``prevalence``
its outcome is rare (e.g. 2-10% positives) and drawn from a risk that follows the
same rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "CLINICAL_COHORT_RULES",
    "CLINICAL_COHORT_DEPTH",
    "clinical_cohort_rule",
    "cohort_risk",
    "make_clinical_cohort",
]

CLINICAL_COHORT_DEPTH = 3

CLINICAL_COHORT_RULES = """\
binary (risk: low / high):
  glucose > 140 and bmi > 30                       -> high
  glucose > 140 and bmi <= 30 and age > 60         -> high
  glucose > 140 and bmi <= 30 and age <= 60        -> low
  glucose <= 140 and smoker is current and sbp > 150  -> high
  glucose <= 140 and smoker is current and sbp <= 150 -> low
  glucose <= 140 and smoker is not current         -> low
three classes (risk: low / medium / high): as above, except
  glucose > 140 and bmi <= 30 and age > 60         -> medium
  glucose <= 140 and smoker is current and sbp > 150  -> medium
"""


def clinical_cohort_rule(X: pd.DataFrame, n_classes: int = 2) -> np.ndarray:
    """The true (noise-free) risk class of each row of a clinical cohort."""
    if n_classes not in (2, 3):
        raise ValueError(f"n_classes must be 2 or 3, got {n_classes!r}")
    glucose = X["glucose"].to_numpy(dtype=float)
    bmi = X["bmi"].to_numpy(dtype=float)
    age = X["age"].to_numpy(dtype=float)
    sbp = X["sbp"].to_numpy(dtype=float)
    current = (X["smoker"].astype(object) == "current").to_numpy()
    mid = "high" if n_classes == 2 else "medium"
    out = np.full(len(X), "low", dtype=object)
    high_glucose = glucose > 140
    out[high_glucose & (bmi > 30)] = "high"
    out[high_glucose & (bmi <= 30) & (age > 60)] = mid
    out[~high_glucose & current & (sbp > 150)] = mid
    return out


def cohort_risk(X: pd.DataFrame, prevalence: float) -> np.ndarray:
    """P(high risk) of each row of a rare-outcome cohort (see ``prevalence`` in
    :func:`make_clinical_cohort`); its mean over ``X`` is ``prevalence``."""
    glucose = np.log(X["glucose"].to_numpy(dtype=float))
    age = X["age"].to_numpy(dtype=float)
    score = (
        3.0 * (clinical_cohort_rule(X, 2) == "high")
        + 0.8 * (glucose - glucose.mean()) / glucose.std()
        + 0.4 * (age - age.mean()) / age.std()
    )
    lo, hi = -30.0, 30.0
    for _ in range(100):  # bisection on the intercept: the mean risk is monotone
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(mid + score)))) < prevalence:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-((lo + hi) / 2 + score)))


def make_clinical_cohort(
    n_samples: int = 2000,
    *,
    n_classes: int = 2,
    label_noise: float = 0.03,
    missing_rate: float = 0.0,
    prevalence: float | None = None,
    random_state=None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Simulate a patient cohort whose risk follows a known depth-3 tree.

    Parameters
    ----------
    n_samples : int, default=2000
    n_classes : {2, 3}, default=2
        ``low``/``high`` risk, or ``low``/``medium``/``high``.
    label_noise : float, default=0.03
        Share of rows whose label is replaced by a random other class.
    missing_rate : float, default=0.0
        Share of missing values in ``creatinine``, ``cholesterol`` and ``ward``
        (columns the rule does not use).
    prevalence : float, default=None
        A rare outcome instead of the rule's labels (two classes only; e.g. 0.02
        to 0.10). Each patient is ``high`` risk with probability
        ``sigmoid(b + 3 * rule(x) + 0.8 * z(glucose) + 0.4 * z(age))``, where
        ``rule(x)`` is 1 where the depth-3 rule says ``high`` and ``z`` standardises
        a column; ``b`` is set so that the mean probability over the cohort is
        ``prevalence``. The outcome is already random, so ``label_noise`` is not
        applied. ``None`` keeps the rule's labels (and the output of earlier
        versions, row for row).
    random_state : int or None

    Returns
    -------
    X : DataFrame with columns ``age`` (int, years), ``sex``, ``smoker``
        (never/former/current), ``sbp`` (int, systolic blood pressure, mm Hg),
        ``glucose`` (mg/dL), ``bmi`` (kg/m²), ``creatinine`` (mg/dL), ``cholesterol``
        (int, mg/dL), ``ward`` (cardiology/general/renal).
    y : Series named ``risk`` of strings.
    """
    if not 0 <= label_noise < 1:
        raise ValueError(f"label_noise must be in [0, 1), got {label_noise!r}")
    if not 0 <= missing_rate < 1:
        raise ValueError(f"missing_rate must be in [0, 1), got {missing_rate!r}")
    if prevalence is not None:
        if not 0 < prevalence < 0.5:
            raise ValueError(f"prevalence must be in (0, 0.5), got {prevalence!r}")
        if n_classes != 2:
            raise ValueError(
                f"prevalence needs n_classes=2 (a binary outcome), got {n_classes!r}"
            )
    rng = np.random.default_rng(random_state)
    n = int(n_samples)
    age = np.clip(np.round(rng.normal(55, 15, n)), 18, 95).astype(int)
    sex = rng.choice(["female", "male"], size=n)
    smoker = rng.choice(["never", "former", "current"], size=n, p=[0.5, 0.25, 0.25])
    sbp = np.clip(np.round(rng.normal(132, 18, n)), 85, 220).astype(int)
    glucose = np.round(np.clip(rng.lognormal(np.log(118), 0.25, n), 60, 400), 1)
    bmi = np.round(np.clip(rng.normal(28, 5, n), 15, 55), 1)
    creatinine = np.round(np.clip(rng.lognormal(0.0, 0.3, n), 0.3, 6.0), 2)
    cholesterol = np.clip(np.round(rng.normal(200, 35, n)), 100, 350).astype(float)
    ward = rng.choice(["cardiology", "general", "renal"], size=n).astype(object)
    X = pd.DataFrame(
        {
            "age": age,
            "sex": pd.Series(sex, dtype=object),
            "smoker": pd.Series(smoker, dtype=object),
            "sbp": sbp,
            "glucose": glucose,
            "bmi": bmi,
            "creatinine": creatinine,
            "cholesterol": cholesterol,
            "ward": ward,
        }
    )
    if missing_rate > 0:
        for name in ("creatinine", "cholesterol", "ward"):
            mask = rng.random(n) < missing_rate
            X.loc[mask, name] = np.nan
    y = clinical_cohort_rule(X, n_classes)
    if prevalence is not None:
        risk = cohort_risk(X, prevalence)
        y = np.where(rng.random(n) < risk, "high", "low").astype(object)
    elif label_noise > 0:
        classes = np.array(
            ["low", "high"] if n_classes == 2 else ["low", "medium", "high"]
        )
        flip = rng.random(n) < label_noise
        for i in np.flatnonzero(flip):
            others = classes[classes != y[i]]
            y[i] = others[rng.integers(len(others))]
    return X, pd.Series(y, name="risk", dtype=object)
