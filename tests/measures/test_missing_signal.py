"""After the fit: leaves that hold mostly rows with a missing value."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.data.test_screening import FAST
from treedistill import DistillParams, run_distill
from treedistill.measures._missing_signal import missing_signal


def test_missing_signal_names_the_column_and_the_leaves():
    from sklearn.linear_model import LogisticRegression

    from treedistill import DistilledTreeClassifier

    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=n)
    bmi = rng.normal(27, 4, n)
    missing = rng.random(n) < 0.1
    y = np.where(missing, 1, (x > 0).astype(int))
    X = pd.DataFrame({"x": x, "bmi": np.where(missing, np.nan, bmi)})
    teacher = LogisticRegression().fit(
        X.assign(bmi_missing=missing.astype(float), bmi=np.nan_to_num(X["bmi"])), y
    )

    class Wrapped:
        classes_ = teacher.classes_

        def predict_proba(self, frame):
            f = frame.assign(
                bmi_missing=frame["bmi"].isna().astype(float),
                bmi=frame["bmi"].fillna(0.0),
            )
            p = teacher.predict_proba(f[["x", "bmi", "bmi_missing"]])
            return np.where(frame["bmi"].isna().to_numpy()[:, None], [0.0, 1.0], p)

    model = DistilledTreeClassifier(
        Wrapped(), max_leaf_nodes=4, augmentation="none", random_state=0
    ).fit(X, y)
    signal = missing_signal(model, X)
    assert signal is not None and signal["n_leaves"] == model.student_.get_n_leaves()
    assert [c["column"] for c in signal["columns"]] == ["bmi"]
    assert signal["columns"][0]["missing_share"] == pytest.approx(
        missing.mean(), abs=1e-4
    )
    assert signal["lines"][0].startswith("the tree treats missing bmi as a signal: ")
    assert f"of {signal['n_leaves']} leaves" in signal["lines"][0]


def test_missing_signal_is_none_for_boosted_students():
    class NoTree:
        student_ = object()

    assert missing_signal(NoTree(), pd.DataFrame({"a": [1.0]})) is None


def test_run_says_when_the_tree_treats_missingness_as_a_signal(tmp_path):
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(2)
    n = 400
    frame = pd.DataFrame({"age": rng.normal(60, 10, n), "bmi": rng.normal(27, 4, n)})
    missing = rng.random(n) < 0.3
    frame.loc[missing, "bmi"] = np.nan
    frame["stroke"] = np.where(missing | (frame["age"] > 75), "yes", "no")
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    teacher.fit(frame[["age", "bmi"]], frame["stroke"])
    sio.dump(teacher, tmp_path / "t.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_distill(
            DistillParams(
                data=path,
                target="stroke",
                out=tmp_path / "run",
                teacher=[tmp_path / "t.skops"],
                max_leaf_nodes=4,
                **{k: v for k, v in FAST.items() if not k.startswith("teacher")},
            )
        )
    signal = result.report["run"]["data_checks"]["missing_signal"]
    assert [c["column"] for c in signal["columns"]] == ["bmi"]
    assert signal["columns"][0]["rules"]
    html = (tmp_path / "run" / "report.html").read_text()
    head = html[: html.index('id="fidelity"')]
    assert "The tree treats missing bmi as a signal: " in head
