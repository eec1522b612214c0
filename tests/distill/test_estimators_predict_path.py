"""Predicting from a frame: the fast path gives, bit for bit, what encoding cell
by cell gives, with the same warnings (categorical, bool, 0/1, missing values,
unseen categories, untidy text)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.data.test_cleaning import _clean_cell_by_cell
from tests.data.test_schema import _encode_row_by_row
from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    load_student,
    save_student,
)
from treedistill.exceptions import UnseenCategoryWarning


class _Teacher:
    """A fitted, deterministic teacher over four of the columns."""

    classes_ = np.array(["high", "low"], dtype=object)

    def predict_logits(self, X):
        glucose = pd.to_numeric(X["glucose"], errors="coerce").to_numpy(float)
        smoker = (X["smoker"].astype(object) == "current").to_numpy(float)
        htn = pd.to_numeric(X["htn"], errors="coerce").to_numpy(float)
        flag = (X["flag"].astype(object) == True).to_numpy(float)  # noqa: E712
        score = np.nan_to_num((glucose - 140) / 15 + smoker + htn - flag / 2)
        return np.column_stack([score, -score])


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "glucose": np.round(rng.normal(140, 25, n), 1),
            "smoker": rng.choice(["never", "former", "current"], n).astype(object),
            "ward": rng.choice(["general", "renal", "cardiology"], n).astype(object),
            "htn": rng.integers(0, 2, n).astype(float),
            "flag": rng.random(n) < 0.4,
            "grade": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        }
    )
    X.loc[rng.random(n) < 0.1, "glucose"] = np.nan
    X.loc[rng.random(n) < 0.1, "htn"] = np.nan
    X.loc[rng.random(n) < 0.1, "ward"] = None
    return X


def _untidy(X):
    """New rows: unseen categories, missing markers, stray spaces, missing cells."""
    X = X.copy()
    X.loc[:11, "smoker"] = [" current", "?", "NA", None, "vaper", "vaper ", "never"] + [
        "exotic",
        " never ",
        "",
        np.nan,
        "former",
    ]
    X.loc[:3, "ward"] = ["icu", " renal", "N/A", "general"]
    X.loc[:2, "htn"] = [2.0, np.nan, 1.0]  # neither 0 nor 1: scored as missing
    return X


def _cleaned_by_cell(X):
    out = X.copy()
    for name in ("smoker", "ward"):
        out[name] = pd.Series(_clean_cell_by_cell(X[name])[0], dtype=object)
    return out


@pytest.fixture(scope="module")
def models():
    X = _frame(500, 0)
    y = np.where(np.arange(len(X)) % 2, "high", "low")
    tree = DistilledTreeClassifier(_Teacher(), augment_factor=1.0, random_state=0)
    boosted = DistilledBoostingClassifier(
        _Teacher(), augment_factor=1.0, random_state=0
    )
    boosted.set_params(n_estimators=5, max_depth=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"tree": tree.fit(X, y), "boosted": boosted.fit(X, y)}


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_predictions_are_those_of_the_rows_encoded_cell_by_cell(models, kind, tmp_path):
    model = models[kind]
    new = _untidy(_frame(300, 1))
    given = new.copy()
    expected_X = _encode_row_by_row(model.schema_, _cleaned_by_cell(new))
    expected = model.student_.predict_proba(expected_X)
    with pytest.warns(UnseenCategoryWarning) as record:
        proba = model.predict_proba(new)
    assert proba.tobytes() == np.ascontiguousarray(expected).tobytes()
    messages = [str(w.message) for w in record]
    assert messages[:2] == [
        "column 'smoker' has 3 value(s) not seen in training (e.g. exotic, vaper); "
        "they match no category",
        "column 'ward' has 1 value(s) not seen in training (e.g. icu); they match "
        "no category",
    ]
    if kind == "tree":  # 0/1 read as a boolean: another value is missing
        assert messages[2] == (
            "column 'htn' holds 1 value(s) that are neither 0 nor 1 (e.g. 2.0); "
            "they are scored as missing"
        )
        assert np.array_equal(model.apply(new), model.student_.apply(expected_X))
    assert len(messages) == 3 if kind == "tree" else 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(model.encode(new), expected_X)
        assert np.array_equal(
            model.predict(new), model.classes_[np.argmax(expected, axis=1)]
        )
        # a saved student scores the cleaned rows the same, bit for bit
        bundle = load_student(save_student(model, tmp_path / "student.json"))
        saved = bundle.predict_proba(_cleaned_by_cell(new))
    assert saved.tobytes() == proba.tobytes()
    pd.testing.assert_frame_equal(new, given)  # the caller's frame is unchanged
