"""Which rows trained a teacher (fingerprints saved with it) and its schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from treedistill import load_teacher, save_teacher
from treedistill.teachers._provenance import (
    held_out_overlap,
    row_fingerprints,
    schema_mismatches,
    training_rows,
)
from treedistill.teachers._train import train_teacher


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "bmi": np.round(rng.normal(27, 4, n), 1),
            "smoker": rng.choice(["never", "former", "current"], n),
        }
    )
    X.loc[3, "bmi"] = np.nan
    y = np.where(X["age"] > 60, 2, 1)
    return X, y


def test_fingerprints_depend_on_the_values_only(frame):
    X, _ = frame
    prints = row_fingerprints(X)
    assert len(prints) == len(X) and all(len(p) == 16 for p in prints)
    assert row_fingerprints(X.iloc[[5, 3]]) == [prints[5], prints[3]]
    as_float = X.assign(age=X["age"].astype(float))
    assert row_fingerprints(as_float) == prints  # 70 and 70.0 are the same value
    changed = X.copy()
    changed.loc[5, "bmi"] += 0.1
    assert row_fingerprints(changed)[5] != prints[5]


@pytest.mark.parametrize("members", [1, 2])
def test_a_trained_teacher_records_its_rows_through_save_and_load(
    frame, tmp_path, members
):
    X, y = frame
    teacher = train_teacher(
        X.iloc[:80], y[:80], n_members=members, hidden_layer_sizes=(8,), max_epochs=3
    )
    path = save_teacher(teacher, tmp_path / "t.pt")
    loaded = load_teacher(path)
    record = training_rows(loaded)
    assert record["columns"] == ["age", "bmi", "smoker"]
    assert len(record["fingerprints"]) == 80
    overlap = held_out_overlap(loaded, X.iloc[60:])
    assert (overlap["status"], overlap["n_overlap"], overlap["n_test"]) == (
        "overlap",
        20,
        60,
    )
    assert "trained on 20 of the 60 held-out rows" in overlap["text"]
    unseen = held_out_overlap(loaded, X.iloc[80:])
    assert (unseen["status"], unseen["n_overlap"]) == ("none", 0)


def test_refitting_forgets_the_earlier_record(frame):
    X, y = frame
    teacher = train_teacher(X, y, hidden_layer_sizes=(8,), max_epochs=2)
    assert training_rows(teacher) is not None
    teacher.fit(X.iloc[:50], y[:50])
    assert training_rows(teacher) is None


def test_a_model_without_a_record_is_overlap_unknown(frame):
    X, y = frame
    model = LogisticRegression().fit(X[["age", "bmi"]].fillna(0), y)
    overlap = held_out_overlap(model, X)
    assert overlap["status"] == "unknown" and overlap["n_overlap"] is None
    assert overlap["text"].startswith("overlap with the held-out rows unknown")


def test_schema_mismatches_name_the_column_and_the_share(frame):
    X, y = frame
    teacher = train_teacher(X, y, hidden_layer_sizes=(8,), max_epochs=2)
    assert schema_mismatches(teacher, X) == []
    codes = X.assign(smoker=X["smoker"].map({"never": 0, "former": 1, "current": 2}))
    (bad,) = schema_mismatches(teacher, codes)
    assert (bad["column"], bad["kind"], bad["share"]) == ("smoker", "categorical", 1.0)
    assert bad["examples"] == ["0", "1", "2"]
    some = X.copy()
    some.loc[:11, "smoker"] = "unknown"
    (bad,) = schema_mismatches(teacher, some)
    assert bad["share"] == pytest.approx(12 / 120)
