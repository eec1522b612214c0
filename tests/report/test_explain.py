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


def test_permutation_shap_asks_for_each_distinct_row_once():
    """Repeated coalition rows are scored once; the values are those of scoring
    every row (a row's output does not depend on the batch here)."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 2, size=(9, 5)).astype(float)
    X[0, 2] = np.nan
    bg = rng.integers(0, 2, size=(12, 5)).astype(float)
    seen = []

    def f(A):
        seen.append(len(A))
        a = np.nan_to_num(A, nan=0.5)
        return np.column_stack([a[:, 0] * a[:, 1] + a[:, 2], np.tanh(a.sum(axis=1))])

    phi = permutation_shap(f, X, bg, np.random.default_rng(1))
    rows_asked = sum(seen[2:])  # after the background and the explained rows
    assert rows_asked < 9 * 2 * 4 * 12  # fewer than every coalition row
    assert rows_asked <= 3 * 2**4  # at most the distinct 0/1 (and NaN) rows

    def f_every_row(A):
        return np.vstack([f(A[i : i + 1]) for i in range(len(A))])

    plain = permutation_shap(f_every_row, X, bg, np.random.default_rng(1))
    np.testing.assert_array_equal(phi, plain)
