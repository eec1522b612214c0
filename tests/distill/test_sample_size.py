"""augment_factor="auto": more synthetic rows when the real rows are few."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from tests.conftest import cohort_frame, invoke, trained_teacher, write_csv
from treedistill import DistilledTreeClassifier
from treedistill.distill._sample_size import (
    BASE_FACTOR,
    MAX_FACTOR,
    SMALL_SAMPLE_ROWS,
    TRANSFER_FLOOR,
    choose_augment_factor,
)


def test_the_rule_reaches_the_floor_between_the_base_and_the_cap():
    assert (BASE_FACTOR, TRANSFER_FLOOR, MAX_FACTOR, SMALL_SAMPLE_ROWS) == (
        20.0,
        20_000,
        200.0,
        400,
    )
    assert choose_augment_factor("auto", 50)[0] == 200.0  # capped
    assert choose_augment_factor("auto", 100)[0] == 199.0  # 100 * 200 = 20,000
    assert choose_augment_factor("auto", 200)[0] == 99.0
    assert choose_augment_factor("auto", 399)[0] == 50.0
    assert choose_augment_factor("auto", 400)[0] == 20.0
    assert choose_augment_factor("auto", 100_000)[0] == 20.0
    assert choose_augment_factor("auto", None)[0] == 20.0
    factor, why = choose_augment_factor("auto", 200)
    assert why == (
        "auto: only 200 real rows (fewer than 400), so 99 augmented rows per real "
        "row to reach 20,000 transfer rows"
    )
    assert "at most 200" in choose_augment_factor("auto", 50)[1]
    # a number is used as given, at any size
    assert choose_augment_factor(20.0, 50) == (
        20.0,
        "given: 20 augmented rows per real row",
    )
    assert choose_augment_factor(0, 10)[0] == 0.0


def _frame(n):
    frame = cohort_frame(n, missing_rate=0.0)
    return frame.drop(columns="risk"), frame["risk"].to_numpy()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_small_sample_gets_more_rows_and_records_why():
    X, y = _frame(150)
    X = X.select_dtypes("number").fillna(0.0)
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    auto = DistilledTreeClassifier(teacher, random_state=0).fit(X, y)
    assert auto.get_params()["augment_factor"] == "auto"
    assert auto.augment_factor_ == 133.0
    assert auto.n_augmented_ == 133 * 150
    assert auto.n_transfer_ == 134 * 150
    assert auto.augment_rule_.startswith("auto: only 150 real rows")
    # an explicit number is honoured exactly: the former fixed default
    fixed = DistilledTreeClassifier(teacher, augment_factor=20.0, random_state=0)
    fixed.fit(X, y)
    assert fixed.augment_factor_ == 20.0 and fixed.n_augmented_ == 3000
    assert fixed.augment_rule_ == "given: 20 augmented rows per real row"
    none = DistilledTreeClassifier(teacher, augmentation="none", random_state=0)
    none.fit(X, y)
    assert none.augment_factor_ == 0.0 and none.n_augmented_ == 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_from_the_threshold_up_auto_is_the_former_default_exactly():
    X, y = _frame(SMALL_SAMPLE_ROWS)
    X = X.select_dtypes("number").fillna(0.0)
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    auto = DistilledTreeClassifier(teacher, random_state=3).fit(X, y)
    fixed = DistilledTreeClassifier(teacher, augment_factor=20.0, random_state=3)
    fixed.fit(X, y)
    assert auto.augment_factor_ == 20.0
    assert auto.n_augmented_ == fixed.n_augmented_ == 20 * SMALL_SAMPLE_ROWS
    np.testing.assert_array_equal(auto.predict_proba(X), fixed.predict_proba(X))


def test_a_bad_factor_is_refused_by_name():
    X, y = _frame(60)
    X = X.select_dtypes("number").fillna(0.0)
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    with pytest.raises(ValueError, match="augment_factor"):
        DistilledTreeClassifier(teacher, augment_factor="many").fit(X, y)


def test_a_run_records_the_factor_it_chose(tmp_path):
    data = write_csv(cohort_frame(160, missing_rate=0.0), tmp_path / "small.csv")
    teacher = trained_teacher(data, tmp_path / "teacher.pt", max_epochs=3)
    out = tmp_path / "run"
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher, "--out", out,
        "--seed", "0", "--skip", "shap,size_curve", "--stability-refits", "0",
        "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["options"]["augment_factor"] is None  # left to the student
    resolved = config["resolved"]["tree"]
    assert resolved["augment_factor"] == "auto"
    assert resolved["augment_factor_used"] == 166.0
    assert resolved["augment_rule"].startswith("auto: only 120 real rows")
    report = json.loads((out / "report.json").read_text())
    tree = report["models"]["tree"]
    assert tree["params"]["augment_factor"] == "auto"
    assert tree["augment_factor"] == 166.0  # 120 training rows -> 20,000
    assert tree["augment_rule"].startswith("auto: only 120 real rows")
    assert tree["n_augmented"] == 166 * 120
    md = (out / "report.md").read_text()
    assert "augment factor auto: only 120 real rows" in md
