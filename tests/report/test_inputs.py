"""treedistill.report._inputs: checking the models, rows and options evaluate() is given."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests import _report_cases as cases
from tests._report_cases import FAST
from treedistill import DistilledTreeClassifier
from treedistill.report import (
    evaluate,
    render_html,
)


def test_bad_inputs_are_one_line_value_errors(report_binary):
    b = report_binary
    tree = b["models"]["tree"]
    args = (b["X_te"], b["y_te"], b["X_tr"], b["y_tr"])
    with pytest.raises(ValueError, match="non-empty dict"):
        evaluate({}, *args)
    with pytest.raises(ValueError, match="model 'raw' is not a fitted"):
        evaluate({"raw": DistilledTreeClassifier()}, *args)
    with pytest.raises(ValueError, match="y_test holds label 'unknown'"):
        evaluate(
            {"tree": tree},
            b["X_te"],
            ["unknown"] * len(b["X_te"]),
            b["X_tr"],
            b["y_tr"],
        )
    with pytest.raises(ValueError, match="y_test has 3 labels"):
        evaluate({"tree": tree}, b["X_te"], ["low"] * 3, b["X_tr"], b["y_tr"])
    with pytest.raises(ValueError, match="X_test has no column 'glucose'"):
        evaluate({"tree": tree}, b["X_te"].drop(columns="glucose"), *args[1:])
    with pytest.raises(ValueError, match="size_grid must hold integers >= 2"):
        evaluate({"tree": tree}, *args, size_grid=(1, 4))
    with pytest.raises(ValueError, match="n_synthetic must be an integer >= 0"):
        evaluate({"tree": tree}, *args, n_synthetic=-1)
    with pytest.raises(ValueError, match="schema_version"):
        render_html({"schema_version": "0"})


def test_numeric_arrays_and_integer_labels():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(
        X_tr, y_tr
    )
    tree = cases.tree(teacher).fit(X_tr, y_tr)
    report = evaluate({"tree": tree}, X_te, y_te, X_tr, y_tr, **FAST)
    assert report["data"]["classes"] == [0, 1]
    assert report["subgroups"]["columns"] == []
    assert report["shap"]["teacher"]["status"] == "ok"
    assert len(report["shap"]["columns"]) == 30
    rows = [r["row"] for r in report["disagreements"]["rows"]]
    assert all(isinstance(r, int) and 0 <= r < len(X_te) for r in rows)
    assert report["summary"]["agreement"] > 0.85


def test_operating_points_are_checked(report_binary):
    from treedistill.exceptions import ParameterError

    b = report_binary
    args = ({"tree": b["models"]["tree"]}, b["X_te"], b["y_te"], b["X_tr"], b["y_tr"])
    with pytest.raises(ParameterError, match="positive_class 'medium' is not a class"):
        evaluate(*args, positive_class="medium")
    with pytest.raises(ParameterError, match="threshold must be a number strictly"):
        evaluate(*args, threshold=1.0)
    with pytest.raises(
        ParameterError, match="flag_rate must be a number strictly"
    ) as err:
        evaluate(*args, flag_rate=0)
    assert err.value.parameter == "flag_rate"
    report = evaluate(
        *args,
        positive_class="low",
        threshold=0.3,
        flag_rate=0.25,
        **cases.QUICK,
    )
    ops = report["operating_points"]
    assert ops["positive_class"] == "low" and ops["threshold"] == 0.3
    assert ops["flag_rate"] == 0.25 and ops["flag_rate_source"] == "given"
    assert not ops["rare"]  # "low" is most of the rows
    point = report["summary"]["operating_point"]
    assert point["kind"] == "flag_rate" and point["value"] == 0.25
    assert point["teacher_flagged"] == round(0.25 * 150)
