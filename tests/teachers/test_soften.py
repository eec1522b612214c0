"""Softening teacher logits and blending in the true labels."""

from __future__ import annotations

import numpy as np
import pytest

from treedistill import (
    blend,
    soften,
)

RNG = np.random.default_rng(0)
Z = RNG.normal(size=(50, 4)) * 3


# ---------------------------------------------------------------- softening
def test_soften_temperature_one_is_softmax():
    q = soften(Z, 1.0)
    np.testing.assert_allclose(q, np.exp(Z) / np.exp(Z).sum(1, keepdims=True))
    np.testing.assert_allclose(q.sum(axis=1), 1.0)


def test_large_temperature_gives_uniform():
    q = soften(Z, 1e6)
    np.testing.assert_allclose(q, 0.25, atol=1e-5)


def test_small_temperature_gives_one_hot():
    q = soften(Z, 1e-3)
    np.testing.assert_allclose(q.max(axis=1), 1.0, atol=1e-9)
    assert np.array_equal(q.argmax(axis=1), Z.argmax(axis=1))


def test_temperature_keeps_argmax_and_raises_entropy():
    def entropy(q):
        return -(q * np.log(q)).sum(axis=1)

    q1, q4 = soften(Z, 1.0), soften(Z, 4.0)
    assert np.array_equal(q1.argmax(1), q4.argmax(1))
    assert np.all(entropy(q4) >= entropy(q1) - 1e-12)


def test_soften_is_stable_for_huge_logits():
    q = soften(np.array([[1000.0, 0.0], [-1000.0, 1000.0]]), 1.0)
    assert np.all(np.isfinite(q))
    np.testing.assert_allclose(q, [[1, 0], [0, 1]])


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "2", True])
def test_soften_rejects_bad_temperature(bad):
    with pytest.raises(ValueError, match="temperature"):
        soften(Z, bad)


def test_blend_mixes_true_labels_only_where_known():
    q = np.full((3, 2), 0.5)
    out = blend(q, np.array([0, 1, -1]), 0.3)
    np.testing.assert_allclose(out, [[0.65, 0.35], [0.35, 0.65], [0.5, 0.5]])
    np.testing.assert_allclose(blend(q, np.array([0, 1, -1]), 0.0), q)
    np.testing.assert_allclose(blend(q, np.array([1, 1, 1]), 1.0), [[0, 1]] * 3)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_blend_rejects_alpha_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
        blend(np.full((2, 2), 0.5), np.array([0, 1]), bad)


def test_decision_from_logits_margin_for_two_classes_logits_otherwise():
    from treedistill.teachers._soften import decision_from_logits

    two = np.array([[0.5, 2.0], [1.0, -1.0]])
    np.testing.assert_allclose(decision_from_logits(two), [1.5, -2.0])
    np.testing.assert_array_equal(decision_from_logits(Z), Z)
