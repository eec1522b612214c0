"""The sweep's objective: agreement, or flagged agreement and risk ranking for a
rare binary outcome."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from treedistill import DistilledTreeClassifier
from treedistill.datasets import make_clinical_cohort
from treedistill.runs._sweep import sweep_temperature_alpha

NUMERIC = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]


@pytest.fixture(scope="module")
def rare():
    X, y = make_clinical_cohort(1200, prevalence=0.08, random_state=2)
    X = X[NUMERIC]
    y = y.to_numpy()
    teacher = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    return X, y, teacher


def _sweep(rare, **kw):
    X, y, teacher = rare
    est = DistilledTreeClassifier(
        teacher, augment_factor=1.0, max_leaf_nodes=8, random_state=0
    )
    return sweep_temperature_alpha(
        est, X, y, temperatures=(0.25, 1.0, 4.0), alphas=(0.0,), **kw
    )


def test_rare_binary_outcome_is_swept_on_flagged_agreement_and_ranking(rare):
    result = _sweep(rare)
    doc = result.to_dict()
    assert doc["objective"] == "risk"
    assert "flagged-patient agreement" in doc["criterion"]
    table = result.table
    for row in table:
        assert 0.0 <= row["flagged_agreement"] <= 1.0
        assert -1.0 <= row["spearman"] <= 1.0
    n = result.n_validation
    counts = [round(r["agreement"] * n) for r in table]
    slack = max(1, round(0.003 * n))
    eligible = [
        r for r, c in zip(table, counts, strict=True) if c >= max(counts) - slack
    ]
    best = max(eligible, key=lambda r: (r["flagged_agreement"] + r["spearman"]) / 2)
    assert result.temperature == best["temperature"]
    assert [r["chosen"] for r in table].count(True) == 1
    assert f"T={best['temperature']:g}" in result.reason
    assert "ranks risk with Spearman" in result.reason
    assert json.loads(json.dumps(doc)) == doc


def test_agreement_objective_keeps_the_old_rule(rare):
    result = _sweep(rare, objective="agreement")
    doc = result.to_dict()
    assert doc["objective"] == "agreement"
    assert doc["criterion"].startswith("highest validation agreement")
    n = result.n_validation
    counts = [round(r["agreement"] * n) for r in result.table]
    tied = [r for r, c in zip(result.table, counts, strict=True) if c == max(counts)]
    assert result.temperature == min(tied, key=lambda r: r["kl"])["temperature"]
    assert "flagged_agreement" not in result.table[0]


def test_objective_is_checked(rare):
    with pytest.raises(ValueError, match="sweep objective must be one of"):
        _sweep(rare, objective="auc")
    X, y, teacher = rare
    y3 = np.where(X["age"].to_numpy() > 70, "old", y)
    teacher3 = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y3)
    est = DistilledTreeClassifier(teacher3, augment_factor=1.0, max_leaf_nodes=4)
    with pytest.raises(ValueError, match="risk objective needs a binary outcome"):
        sweep_temperature_alpha(est, X, y3, temperatures=(1.0,), objective="risk")
