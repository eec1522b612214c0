"""MUNGE's neighbour search on large data: the nearest row within a cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import NearestNeighbors

import treedistill.distill._transfer as transfer
from treedistill import TabularSchema
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._transfer import _cells, munge, munge_neighbours


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    X, _ = make_clinical_cohort(n, missing_rate=0.05, random_state=seed)
    return X


def _space(X: pd.DataFrame) -> np.ndarray:
    """The standardised space the search runs in (numeric columns only)."""
    Z = X.select_dtypes("number").to_numpy(dtype=float)
    Z = np.where(np.isnan(Z), np.nanmedian(Z, axis=0), Z)
    return (Z - Z.mean(axis=0)) / Z.std(axis=0)


def test_cells_cover_every_row_once_within_the_size_bounds():
    Z = np.random.default_rng(0).standard_normal((5_000, 6))
    cells = _cells(Z, 700)
    rows = np.sort(np.concatenate(cells))
    assert np.array_equal(rows, np.arange(5_000))
    sizes = [len(c) for c in cells]
    assert max(sizes) <= 700
    assert min(sizes) >= 350
    # a median split on the widest column: the two halves of the first cut do not
    # overlap on that column
    widest = int(np.argmax(Z.var(axis=0)))
    halves = _cells(Z, 2_500)
    assert len(halves) == 2
    lo, hi = sorted(halves, key=lambda c: Z[c, widest].mean())
    assert Z[lo, widest].max() <= Z[hi, widest].min()


def test_small_data_keeps_the_exact_nearest_neighbour():
    X = _frame(400)
    schema = TabularSchema.infer(X.select_dtypes("number"))
    numeric = X.select_dtypes("number")
    got = munge_neighbours(numeric, schema)
    Z = _space(numeric)
    exact = NearestNeighbors(n_neighbors=2).fit(Z).kneighbors(Z)[1][:, 1]
    assert np.array_equal(got, exact)


def test_large_data_pairs_each_row_with_a_near_row_of_its_cell(monkeypatch):
    monkeypatch.setattr(transfer, "EXACT_NEIGHBOUR_ROWS", 500)
    monkeypatch.setattr(transfer, "NEIGHBOUR_CELL_ROWS", 512)
    numeric = _frame(4_000).select_dtypes("number")
    schema = TabularSchema.infer(numeric)
    got = munge_neighbours(numeric, schema)
    assert np.array_equal(got, munge_neighbours(numeric, schema))  # no randomness
    n = len(numeric)
    assert np.all(got != np.arange(n))
    Z = _space(numeric)
    cell_of = np.empty(n, dtype=int)
    for i, cell in enumerate(_cells(Z, 512)):
        cell_of[cell] = i
    assert np.array_equal(cell_of[got], cell_of)
    dist, exact = NearestNeighbors(n_neighbors=2).fit(Z).kneighbors(Z)
    near = np.linalg.norm(Z - Z[got], axis=1)
    assert np.all(near >= dist[:, 1] - 1e-12)
    assert 0.3 < np.mean(got == exact[:, 1]) < 1.0
    assert np.mean(near) < 1.3 * np.mean(dist[:, 1])


def test_munge_draws_from_the_cell_neighbours_above_the_exact_limit(monkeypatch):
    X = _frame(2_000)
    schema = TabularSchema.infer(X)
    exact = munge(X, schema, 3_000, np.random.default_rng(1))
    monkeypatch.setattr(transfer, "EXACT_NEIGHBOUR_ROWS", 100)
    monkeypatch.setattr(transfer, "NEIGHBOUR_CELL_ROWS", 256)
    cells = munge(X, schema, 3_000, np.random.default_rng(1))
    pd.testing.assert_frame_equal(
        cells,
        munge(
            X, schema, 3_000, np.random.default_rng(1),
            neighbours=munge_neighbours(X, schema),
        ),
    )  # fmt: skip
    assert not cells.equals(exact)
    numeric = [c.name for c in schema.columns if not c.is_categorical]
    spread = cells[numeric].std() / exact[numeric].std()
    assert spread.between(0.8, 1.25).all(), spread.to_dict()


@pytest.mark.parametrize("n", [2, 3])
def test_tiny_frames_still_pair_rows(n):
    X = _frame(50).iloc[:n].reset_index(drop=True)
    got = munge_neighbours(X, TabularSchema.infer(X))
    assert got.shape == (n,)
    assert np.all(got != np.arange(n))
