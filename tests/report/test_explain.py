"""treedistill.report._explain: permutation SHAP."""

from __future__ import annotations

import numpy as np

from treedistill.report import permutation_shap


def test_permutation_shap_is_exact_for_an_additive_model():
    rng = np.random.default_rng(0)
    w = np.array([1.5, -2.0, 0.5, 0.0])

    def f(A):
        return np.column_stack([A @ w, np.sin(A[:, 0]) + A[:, 1] * A[:, 2]])

    X = rng.normal(size=(7, 4))
    bg = rng.normal(size=(11, 4))
    phi = permutation_shap(f, X, bg, np.random.default_rng(1), max_batch=30)
    assert phi.shape == (7, 4, 2)
    expected = (X - bg.mean(axis=0)) * w
    np.testing.assert_allclose(phi[:, :, 0], expected, atol=1e-12)
    # Local accuracy holds for any model.
    np.testing.assert_allclose(phi.sum(axis=1), f(X) - f(bg).mean(axis=0), atol=1e-12)
