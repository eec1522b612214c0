"""The simulated clinical cohort: the rule, and the rare-outcome variant."""

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from treedistill.datasets import (
    CLINICAL_COHORT_DEPTH,
    clinical_cohort_rule,
    cohort_risk,
    make_clinical_cohort,
)


@pytest.mark.parametrize("prevalence", [0.02, 0.05, 0.10])
def test_prevalence_sets_the_share_of_positives(prevalence):
    X, y = make_clinical_cohort(20_000, prevalence=prevalence, random_state=1)
    risk = cohort_risk(X, prevalence)
    assert risk.mean() == pytest.approx(prevalence, rel=1e-6)
    share = float((y == "high").mean())
    # Binomial sd of the share is at most 0.0022 here: 4 sd either side.
    assert abs(share - prevalence) < 4 * np.sqrt(prevalence * (1 - prevalence) / 20_000)
    assert set(y) == {"low", "high"} and y.name == "risk"


def test_rare_outcome_follows_the_rule_and_is_seeded():
    X, y = make_clinical_cohort(20_000, prevalence=0.05, random_state=0)
    rule_high = (X["glucose"] > 140) & (X["bmi"] > 30)
    # The rule's high-risk region holds many times the base rate.
    assert (y[rule_high] == "high").mean() > 4 * (y[~rule_high] == "high").mean()
    X2, y2 = make_clinical_cohort(20_000, prevalence=0.05, random_state=0)
    pd.testing.assert_frame_equal(X, X2)
    pd.testing.assert_series_equal(y, y2)


def test_default_output_is_unchanged_by_the_prevalence_option():
    X, y = make_clinical_cohort(500, missing_rate=0.05, random_state=3)
    X2, y2 = make_clinical_cohort(
        500, missing_rate=0.05, prevalence=None, random_state=3
    )
    pd.testing.assert_frame_equal(X, X2)
    pd.testing.assert_series_equal(y, y2)
    # Same features with a rare outcome: only the labels differ.
    X3, y3 = make_clinical_cohort(
        500, missing_rate=0.05, prevalence=0.05, random_state=3
    )
    pd.testing.assert_frame_equal(X, X3)
    assert (y3 == "high").mean() < (y == "high").mean()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prevalence": 0.0}, r"prevalence must be in \(0, 0.5\), got 0.0"),
        ({"prevalence": 0.7}, r"prevalence must be in \(0, 0.5\), got 0.7"),
        ({"prevalence": 0.05, "n_classes": 3}, "prevalence needs n_classes=2"),
    ],
)
def test_bad_prevalence_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_clinical_cohort(100, **kwargs)


# ------------------------------------------------------------- the cohort data
def test_clinical_cohort_follows_its_rule():
    X, y = make_clinical_cohort(3000, label_noise=0.0, random_state=0)
    np.testing.assert_array_equal(y.to_numpy(), clinical_cohort_rule(X))
    assert set(y) == {"low", "high"}
    assert 0.15 < (y == "high").mean() < 0.5
    X3, y3 = make_clinical_cohort(3000, n_classes=3, label_noise=0.1, random_state=0)
    assert set(y3) == {"low", "medium", "high"}
    assert 0.85 < np.mean(y3.to_numpy() == clinical_cohort_rule(X3, 3)) < 0.95
    tree = DecisionTreeClassifier(max_depth=CLINICAL_COHORT_DEPTH).fit(
        pd.get_dummies(X), y
    )
    assert tree.score(pd.get_dummies(X), y) == 1.0


def test_clinical_cohort_missing_values_only_in_unused_columns():
    X, _ = make_clinical_cohort(2000, missing_rate=0.1, random_state=1)
    assert (
        X[["creatinine", "cholesterol", "ward"]].isna().mean().between(0.07, 0.13).all()
    )
    assert X.drop(columns=["creatinine", "cholesterol", "ward"]).notna().all().all()
