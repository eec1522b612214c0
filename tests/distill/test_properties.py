"""Property-based tests: softening, blending, augmentation bounds, the estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression

from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    TabularSchema,
    augment,
    blend,
    soften,
)

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
logits = st.integers(1, 20).flatmap(
    lambda n: st.integers(2, 6).flatmap(
        lambda k: arrays(np.float64, (n, k), elements=finite)
    )
)
temperatures = st.floats(0.05, 100.0, allow_nan=False)


@given(logits, temperatures)
def test_soften_gives_distributions_and_keeps_the_argmax(z, t):
    q = soften(z, t)
    assert q.shape == z.shape
    assert np.all(q >= 0) and np.all(q <= 1)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-9)
    top = z.max(axis=1, keepdims=True)
    # the argmax of q is a maximum of z (up to rounding of near-ties)
    chosen = z[np.arange(len(z)), q.argmax(axis=1)]
    assert np.all(chosen >= top[:, 0] - 1e-9 * max(1.0, t))


@given(logits, temperatures, st.floats(1.0, 10.0))
def test_higher_temperature_never_sharpens(z, t, factor):
    q1, q2 = soften(z, t), soften(z, t * factor)
    assert np.all(q2.max(axis=1) <= q1.max(axis=1) + 1e-9)


@given(logits, st.floats(0.0, 1.0), st.data())
def test_blend_stays_a_distribution_between_soft_and_hard(z, alpha, data):
    q = soften(z, 1.0)
    n, k = q.shape
    y = np.array(data.draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n)))
    out = blend(q, y, alpha)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-9)
    unlabeled = y < 0
    np.testing.assert_allclose(out[unlabeled], q[unlabeled])
    labeled = np.flatnonzero(~unlabeled)
    assert np.all(out[labeled, y[labeled]] >= q[labeled, y[labeled]] - 1e-12)


@st.composite
def mixed_frames(draw, min_rows=6, max_rows=40):
    n = draw(st.integers(min_rows, max_rows))
    cols = {}
    n_num = draw(st.integers(1, 3))
    for j in range(n_num):
        integer = draw(st.booleans())
        elems = st.integers(-1000, 1000) if integer else st.floats(-1e4, 1e4, width=32)
        values = np.array(draw(st.lists(elems, min_size=n, max_size=n)), dtype=float)
        holes = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        if draw(st.booleans()):
            values[holes & (np.arange(n) % 3 == 0)] = np.nan
        cols[f"num{j}"] = values
    n_cat = draw(st.integers(0, 2))
    for j in range(n_cat):
        levels = draw(
            st.lists(
                st.text("abcxyz <>&'\"", min_size=1, max_size=4),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        picks = draw(st.lists(st.sampled_from([*levels, None]), min_size=n, max_size=n))
        cols[f"cat{j}"] = pd.Series(picks, dtype=object)
    return pd.DataFrame(cols)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_frames(), st.sampled_from(["munge", "jitter", "box"]), st.integers(0, 60))
def test_augmentation_respects_every_column(frame, method, n):
    schema = TabularSchema.infer(frame)
    out = augment(frame, schema, method, n, np.random.default_rng(0))
    assert len(out) == n and list(out.columns) == list(frame.columns)
    for col in schema.columns:
        s = out[col.name]
        if col.is_categorical:
            assert set(s.dropna()) <= set(col.levels)
            if not col.has_missing:
                assert s.notna().all()
        else:
            v = s.to_numpy(dtype=float)
            if not col.has_missing:
                assert not np.isnan(v).any()
            v = v[~np.isnan(v)]
            if v.size:
                assert v.min() >= col.low and v.max() <= col.high
                if col.kind == "integer":
                    np.testing.assert_array_equal(v, np.round(v))
    # the student's encoding of augmented rows never fails
    assert schema.encode(out, warn_unseen=False).shape == (n, len(schema.features))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_frames(min_rows=12), st.sampled_from([2, 3]), st.integers(0, 2**16))
def test_estimators_fit_any_small_mixed_frame(frame, k, seed):
    y = np.array(["a", "b", "c"][:k])[np.arange(len(frame)) % k]
    teacher = _NaNTolerantTeacher()
    for cls in (DistilledTreeClassifier, DistilledBoostingClassifier):
        model = cls(teacher, augment_factor=1.0, random_state=seed).fit(frame, y)
        proba = model.predict_proba(frame)
        assert proba.shape == (len(frame), k)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
        assert set(model.predict(frame)) <= set(y)
        again = cls(teacher, augment_factor=1.0, random_state=seed).fit(frame, y)
        np.testing.assert_array_equal(again.predict_proba(frame), proba)


class _NaNTolerantTeacher(LogisticRegression):
    """A tiny teacher for property tests: logistic regression on the numeric columns,
    missing values and categories replaced by zeros."""

    def _numeric(self, X):
        frame = pd.DataFrame(X)
        num = frame.select_dtypes("number").to_numpy(dtype=float, na_value=0.0)
        return np.nan_to_num(num) / 1e4

    def fit(self, X, y):
        return super().fit(self._numeric(X), y)

    def decision_function(self, X):
        return super().decision_function(self._numeric(X))

    def predict_proba(self, X):
        return super().predict_proba(self._numeric(X))
