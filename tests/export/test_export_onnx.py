"""ONNX export of tree and boosted students, scored by onnxruntime."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from tests._export_cases import (
    AGE,
    GLUCOSE,
    SMOKER,
    UNSEEN,
    fitted,
    scoring_rows,
    split_values,
    student_outputs,
)
from treedistill import to_onnx
from treedistill.distill._bundle import load_student, save_student
from treedistill.exceptions import DataError

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is a test dependency")
onnx = pytest.importorskip("onnx", reason="onnx is a test dependency")

CASES = [(kind, k) for kind in ("tree", "tree-hist", "boosted") for k in (2, 3)]


def session(model):
    proto = to_onnx(model)
    return ort.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def feeds(sess, frame: pd.DataFrame) -> dict:
    """One (N, 1) array per input: doubles with NaN, or text with "" for missing."""
    out = {}
    for inp in sess.get_inputs():
        col = frame[inp.name]
        if inp.type == "tensor(string)":
            text = ["" if pd.isna(v) else str(v) for v in col.astype(object)]
            out[inp.name] = np.array(text, dtype=object).reshape(-1, 1)
        else:
            out[inp.name] = col.to_numpy(dtype=np.float64, na_value=np.nan)[:, None]
    return out


@pytest.mark.parametrize(("kind", "k"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_onnxruntime_matches_the_student(kind, k):
    model = fitted(kind, k)
    frame = scoring_rows(model)
    proba, pred, rules = student_outputs(model, frame)
    sess = session(model)
    names = [o.name for o in sess.get_outputs()]
    got = dict(zip(names, sess.run(None, feeds(sess, frame)), strict=True))
    assert got["probabilities"].shape == proba.shape
    np.testing.assert_allclose(got["probabilities"], proba, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got["label"], pred)
    if kind == "boosted":
        assert names == ["label", "probabilities"]
    else:
        assert names == ["label", "probabilities", "rule_id"]
        np.testing.assert_array_equal(got["rule_id"], rules)


@pytest.mark.parametrize("kind", ["tree", "boosted"])
def test_values_next_to_a_split_go_the_students_way(kind):
    """The student rounds to float32 before comparing; the ONNX model must agree
    on values that only that rounding sends to the other side."""
    model = fitted(kind, 2)
    frame = scoring_rows(model)
    edge = frame.iloc[3000:]  # rows on and next to every split value
    splits = split_values(model)
    tricky = 0
    for col, thresholds in splits.items():
        v = edge[col].to_numpy(dtype=float)
        for t in thresholds:
            f32 = v.astype(np.float32).astype(float)
            if kind == "boosted":  # xgboost: float32(x) < split goes left
                tricky += np.sum((v < t) != (f32 < t))
            else:  # scikit-learn: float32(x) <= threshold goes left
                tricky += np.sum((v <= t) != (f32 <= t))
    assert tricky > 0  # the rows do hold values where the rounding matters
    proba, pred, rules = student_outputs(model, edge)
    sess = session(model)
    got = sess.run(None, feeds(sess, edge))
    np.testing.assert_allclose(got[1], proba, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got[0], pred)
    if rules is not None:
        np.testing.assert_array_equal(got[2], rules)


def test_inputs_are_named_and_typed_as_the_columns():
    model = fitted("tree", 3)
    proto = to_onnx(model)
    onnx.checker.check_model(proto)
    inputs = {i.name: i.type for i in session(model).get_inputs()}
    assert inputs[SMOKER] == "tensor(string)"
    assert inputs[GLUCOSE] == inputs[AGE] == "tensor(double)"
    ops = {n.op_type for n in proto.graph.node}
    assert {"TreeEnsembleClassifier", "LabelEncoder"} <= ops
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["classes"] == '["high", "low", "mid"]'


def test_unseen_and_missing_categories():
    model = fitted("tree", 3)
    sess = session(model)
    frame = scoring_rows(model).iloc[:200].copy()
    frame.loc[:99, SMOKER] = UNSEEN
    frame.loc[100:, SMOKER] = None
    proba, _, rules = student_outputs(model, frame)
    got = sess.run(None, feeds(sess, frame))
    np.testing.assert_allclose(got[1], proba, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got[2], rules)


@pytest.mark.parametrize("kind", ["tree-hist", "boosted"])
def test_saved_student_exports_the_same_model(kind, tmp_path):
    model = fitted(kind, 3)
    bundle = load_student(save_student(model, tmp_path / "student.json"))
    frame = scoring_rows(model).iloc[:500]
    a, b = session(model), session(bundle)
    for x, y in zip(
        a.run(None, feeds(a, frame)), b.run(None, feeds(b, frame)), strict=True
    ):
        np.testing.assert_array_equal(x, y)


def test_empty_text_category_is_refused():
    """ "" is the ONNX model's missing category, so it cannot also be a level.

    (Tables read by treedistill already treat empty text as missing; a frame
    built by hand may still hold it.)"""
    model = copy.deepcopy(fitted("tree", 3))
    info = model.schema_.column(SMOKER)
    old = info.levels[0]
    info.levels[0] = ""
    for feat in model.schema_.features:
        if feat.column == SMOKER and feat.level == old:
            feat.level = ""
    with pytest.raises(DataError, match="empty text"):
        to_onnx(model)
