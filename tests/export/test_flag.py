"""The exports' ``flagged`` output and category spellings: what ``predict`` flags
at a threshold, and a number-coded category given as "7" or "7.0"."""

from __future__ import annotations

import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest

from tests._export_cases import fitted, make_rows
from treedistill import DistilledTreeClassifier, to_python, to_sql
from treedistill.exceptions import ParameterError

THRESHOLD = 0.4


def _expected(model, frame, threshold=THRESHOLD, index=1):
    return (model.predict_proba(frame)[:, index] >= threshold).astype(int)


def test_sql_flags_as_predict_at_the_threshold():
    model = fitted("tree", 2)
    frame = make_rows(400, 9)
    con = sqlite3.connect(":memory:")
    frame.astype(object).where(frame.notna(), None).to_sql("data", con, index=False)
    sql = to_sql(model, dialect="sqlite", flag_threshold=THRESHOLD)
    rows = con.execute(sql).fetchall()
    flagged = np.array([r[-1] for r in rows])
    assert flagged.tolist() == _expected(model, frame).tolist()
    assert 0 < flagged.sum() < len(frame)  # the threshold splits the rows


def test_python_flags_as_predict_at_the_threshold():
    model = fitted("tree", 2)
    frame = make_rows(300, 9)
    namespace: dict = {}
    exec(to_python(model, flag_threshold=THRESHOLD, positive_class="no"), namespace)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    flagged = [namespace["flagged"](row) for row in rows]
    assert flagged == _expected(model, frame, index=0).tolist()


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_onnx_flags_as_predict_at_the_threshold(kind):
    pytest.importorskip("onnxruntime")
    from tests.export.test_export_onnx import feeds, session
    from treedistill import to_onnx

    model = fitted(kind, 2)
    frame = make_rows(300, 9)
    import onnxruntime as ort

    sess = ort.InferenceSession(
        to_onnx(model, flag_threshold=THRESHOLD).SerializeToString(),
        providers=["CPUExecutionProvider"],
    )
    outputs = dict(
        zip(
            [o.name for o in sess.get_outputs()],
            sess.run(None, feeds(sess, frame)),
            strict=True,
        )
    )
    expected = _expected(model, frame)
    if kind == "tree":
        assert outputs["flagged"].tolist() == expected.tolist()
    else:  # float32 probabilities: only rows within 1e-6 of the cut may differ
        p = model.predict_proba(frame)[:, 1]
        far = np.abs(p - THRESHOLD) > 1e-6
        assert outputs["flagged"][far].tolist() == expected[far].tolist()
    # without flag_threshold the export has no flagged output
    assert "flagged" not in [o.name for o in session(model).get_outputs()]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"flag_threshold": 1.5}, "flag_threshold"),
        ({"flag_threshold": "0.4"}, "flag_threshold"),
        ({"flag_threshold": 0.4, "positive_class": "maybe"}, "positive_class"),
        ({"positive_class": "yes"}, "positive_class"),
    ],
)
def test_bad_flag_settings_are_refused(kwargs, parameter):
    with pytest.raises(ParameterError) as info:
        to_sql(fitted("tree", 2), **kwargs)
    assert info.value.parameter == parameter


def test_flagging_needs_two_classes():
    with pytest.raises(ParameterError, match="two classes"):
        to_python(fitted("tree", 3), flag_threshold=0.5)


@pytest.fixture(scope="module")
def coded():
    """A tree on a number-coded categorical column (cp 1-4, read as 1.0-4.0)."""
    rng = np.random.default_rng(0)
    n = 400
    cp = rng.integers(1, 5, n).astype(float)
    cp[:20] = np.nan
    age = rng.integers(30, 80, n)
    y = np.where((cp >= 3) | (age > 70), 1, 0)
    X = pd.DataFrame({"cp": cp, "age": age})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = DistilledTreeClassifier(
            categorical_features=["cp"], augment_factor=1, random_state=0
        ).fit(X, y)
    return model, X


@pytest.mark.parametrize("spelling", ["{:g}", "{:.1f}"])
def test_number_coded_categories_in_either_spelling(coded, spelling):
    """ "4" and "4.0" are the level 4 in ONNX and Python, as in ``predict``."""
    model, X = coded
    text = X["cp"].map(lambda v: "" if np.isnan(v) else spelling.format(v))
    as_text = X.assign(cp=text.where(text != "", None))
    expected = model.predict_proba(X)
    namespace: dict = {}
    exec(to_python(model), namespace)
    got = [namespace["predict_proba"](r) for r in as_text.to_dict("records")]
    assert np.array_equal(np.array([[g[0], g[1]] for g in got]), expected)
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from treedistill import to_onnx

    sess = ort.InferenceSession(
        to_onnx(model).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    feeds = {
        "cp": np.array(text.tolist(), dtype=object).reshape(-1, 1),
        "age": X[["age"]].to_numpy(dtype=np.float64),
    }
    feeds = {i.name: feeds[i.name] for i in sess.get_inputs()}
    label, proba, rule = sess.run(None, feeds)
    assert np.allclose(proba, expected, atol=1e-6)
    assert label.tolist() == model.predict(X).tolist()
