"""Choosing temperature and alpha on a validation split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import NUMERIC
from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill.runs._sweep import split_validation, sweep_temperature_alpha


# --------------------------------------------------------------------------- #
# Sweep
# --------------------------------------------------------------------------- #
def test_split_validation_is_stratified_and_seeded(cohort):
    X, y = cohort
    a = split_validation(X, y, validation_size=0.25, random_state=3)
    b = split_validation(X, y, validation_size=0.25, random_state=3)
    assert len(a[1]) == 100 and len(a[0]) == 300
    assert a[1].index.equals(b[1].index)
    share = np.mean(y == "high")
    assert abs(np.mean(a[3] == "high") - share) < 0.02
    with pytest.raises(ValueError, match="at least 10 validation rows"):
        split_validation(X.iloc[:20], y[:20])


@pytest.mark.parametrize("cls", [DistilledTreeClassifier, DistilledBoostingClassifier])
def test_sweep_picks_highest_agreement_then_lowest_kl(cohort, numeric_teacher, cls):
    X, y = cohort
    X = X[NUMERIC]
    estimator = cls(numeric_teacher, augment_factor=1.0, random_state=0)
    result = sweep_temperature_alpha(estimator, X, y, random_state=0)
    table = result.table
    assert [(r["temperature"], r["alpha"]) for r in table] == [
        (0.25, 0.0), (0.25, 0.3), (1.0, 0.0), (1.0, 0.3),
        (2.0, 0.0), (2.0, 0.3), (4.0, 0.0), (4.0, 0.3),
    ]  # fmt: skip
    assert result.n_fit + result.n_validation == len(X)
    counts = [round(r["agreement"] * result.n_validation) for r in table]
    best = [r for r, c in zip(table, counts, strict=True) if c == max(counts)]
    chosen = min(best, key=lambda r: r["kl"])
    assert (result.temperature, result.alpha) == (
        chosen["temperature"], chosen["alpha"],
    )  # fmt: skip
    assert [r["chosen"] for r in table].count(True) == 1
    assert f"T={chosen['temperature']:g}" in result.reason
    doc = result.to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["chosen"] == {"temperature": result.temperature, "alpha": result.alpha}
    # the teacher object is shared, not refit; the estimator itself is untouched
    assert estimator.temperature == cls().temperature
    assert not hasattr(estimator, "student_")
    again = sweep_temperature_alpha(estimator, X, y, random_state=0)
    assert again.to_dict() == doc


def test_sweep_refuses_bad_input(cohort, numeric_teacher):
    X, y = cohort
    with pytest.raises(ValueError, match="fitted teacher"):
        sweep_temperature_alpha(DistilledTreeClassifier(), X, y)
    est = DistilledTreeClassifier(numeric_teacher)
    with pytest.raises(ValueError, match="temperatures must be > 0"):
        sweep_temperature_alpha(est, X[NUMERIC], y, temperatures=[0])
    with pytest.raises(ValueError, match=r"alphas must be in \[0, 1\]"):
        sweep_temperature_alpha(est, X[NUMERIC], y, alphas=[1.5])
