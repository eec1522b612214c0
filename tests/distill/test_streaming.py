"""Bounded-memory distillation: the streamed histogram tree and the chunked fit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from treedistill import DistilledTreeClassifier
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._hist_tree import HistTree, bin_features
from treedistill.distill._streaming import ChunkSpill, StreamedHistTree
from treedistill.exceptions import ParameterError

TREE_FIELDS = (
    "children_left",
    "children_right",
    "feature",
    "threshold",
    "missing_go_to_left",
    "n_node_samples",
    "node_depth",
)


def _data(n=6000, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    X[:, 1] = rng.integers(0, 5, n)  # few values: one bin each
    X[rng.random(n) < 0.15, 2] = np.nan  # missing values routed
    X[:, 4] = np.round(X[:, 4] * 3) / 3  # repeated values
    z = np.column_stack([X[:, 0], np.nan_to_num(X[:, 2], nan=1.5) * 2, X[:, 1] - 2])
    Q = np.exp(z - z.max(axis=1, keepdims=True))
    return X, Q / Q.sum(axis=1, keepdims=True)


def _chunks(X, Q, size):
    return lambda: ((X[s : s + size], Q[s : s + size]) for s in range(0, len(X), size))


def _assert_same_tree(a, b):
    for field in TREE_FIELDS:
        np.testing.assert_array_equal(
            getattr(a.tree_, field), getattr(b.tree_, field), err_msg=field
        )
    np.testing.assert_allclose(a.value_, b.value_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(a.split_order_, b.split_order_)


@pytest.mark.parametrize(
    ("params", "size"),
    [
        ({"criterion": "gini", "max_leaf_nodes": 16}, 997),
        ({"criterion": "entropy", "max_leaf_nodes": 30, "max_depth": 5}, 250),
        ({"criterion": "gini", "max_depth": 3, "min_samples_leaf": 40}, 6000),
        ({"criterion": "entropy", "max_leaf_nodes": 8, "max_bins": 16}, 1024),
    ],
)
def test_streamed_tree_is_the_in_memory_tree(params, size):
    X, Q = _data()
    a = HistTree(random_state=0, **params).fit(X, Q)
    b = StreamedHistTree(random_state=0, **params).fit_chunks(_chunks(X, Q, size))
    _assert_same_tree(a, b)
    assert b.n_passes_ <= b.tree_.max_depth + 4
    np.testing.assert_array_equal(a.apply(X), b.apply(X))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-12)


def test_bin_edges_from_the_same_row_sample():
    X, Q = _data(n=3000)
    tree = StreamedHistTree(max_leaf_nodes=4, random_state=7)
    tree.bin_subsample = 500
    tree.fit_chunks(_chunks(X, Q, 333))
    _, cuts, n_bins = bin_features(X, 255, subsample=500, random_state=7)
    assert tree.n_bins_ == n_bins
    for mine, theirs in zip(tree.bin_cuts_, cuts, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_streamed_tree_refuses_bad_chunks():
    X, Q = _data(n=100)
    tree = StreamedHistTree(max_leaf_nodes=4)
    with pytest.raises(ValueError, match="0 rows"):
        tree.fit_chunks(lambda: iter(()))
    with pytest.raises(ValueError, match="same columns"):
        tree.fit_chunks(lambda: iter([(X[:50], Q[:50]), (X[50:, :3], Q[50:])]))
    with pytest.raises(ValueError, match="same number of rows"):
        tree.fit_chunks(lambda: iter([(X[:50], Q[:40])]))


def test_chunk_spill_round_trip_and_removal():
    rng = np.random.default_rng(0)
    spill = ChunkSpill({"X": 3, "Q": 2})
    parts = [(rng.random((n, 3)), rng.random((n, 2))) for n in (5, 1, 7)]
    for X, Q in parts:
        spill.append(X=X, Q=Q)
    assert spill.n_rows == 13
    assert spill.nbytes() == 13 * 5 * 8
    for (X, Q), (x, q) in zip(parts, spill.chunks("X", "Q"), strict=True):
        np.testing.assert_array_equal(X, x)
        np.testing.assert_array_equal(Q, q)
    with pytest.raises(ValueError, match="shape"):
        spill.append(X=np.zeros((2, 4)), Q=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="fields"):
        spill.append(X=np.zeros((2, 3)))
    folder = spill.path
    spill.close()
    assert not folder.exists()


@pytest.fixture(scope="module")
def cohort():
    X, y = make_clinical_cohort(1500, missing_rate=0.05, random_state=3)
    num = X.select_dtypes("number").fillna(0)
    teacher = LogisticRegression(max_iter=500).fit(num, y)
    return num, y, teacher


def _fit(X, y, teacher, **kw):
    params = dict(builder="hist", max_leaf_nodes=12, augment_factor=3.0, random_state=0)
    return DistilledTreeClassifier(teacher, **{**params, **kw}).fit(X, y)


def test_chunked_fit_with_one_draw_equals_the_in_memory_fit(cohort):
    X, y, teacher = cohort
    # A chunked fit grows greedily (search "auto" stands for "greedy" there).
    memory = _fit(X, y, teacher, search="greedy")
    chunked = _fit(X, y, teacher, chunk_size=10_000)
    assert chunked.search_ == "greedy"
    assert chunked.n_transfer_ == memory.n_transfer_ == 6000
    assert chunked.n_augmented_ == memory.n_augmented_ == 4500
    _assert_same_tree(memory.student_.estimator_, chunked.student_.estimator_)
    np.testing.assert_allclose(
        chunked.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-12
    )


def test_chunked_fit_in_many_chunks(cohort):
    X, y, teacher = cohort
    model = _fit(X, y, teacher, chunk_size=700)
    assert model.n_transfer_ == 6000 and model.n_augmented_ == 4500
    assert model.student_.get_n_leaves() == 12
    assert model.transfer_bytes_ == 6000 * (X.shape[1] + 2 * 2) * 8
    agree = np.mean(model.predict(X) == teacher.predict(X))
    assert agree > 0.9
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("kw", "parameter"),
    [
        ({"builder": "exact"}, "builder"),
        ({"search": "tao"}, "search"),
    ],
)
def test_chunked_fit_refuses_what_it_cannot_do(cohort, kw, parameter):
    X, y, teacher = cohort
    with pytest.raises(ParameterError) as info:
        _fit(X, y, teacher, chunk_size=500, **kw)
    assert info.value.parameter == parameter
    assert "chunk_size" in str(info.value)


def test_chunked_fit_snaps_thresholds_to_the_real_rows(cohort):
    X, y, teacher = cohort
    model = _fit(X, y, teacher, chunk_size=500, exact_rules=True)
    tree = model.student_.tree_
    assert model.student_.split_precision_ == "float64"
    schema = model.schema_
    for node in np.flatnonzero(tree.children_left != -1):
        t = float(tree.threshold[node])
        col = schema.column(schema.features[tree.feature[node]].column)
        if not np.isfinite(t):
            continue
        if col.kind == "integer":
            assert t == int(t)
        assert len(repr(t).partition(".")[2]) <= 2  # the data have <= 2 decimals
    # node counts describe the snapped tree: every transfer row is counted once
    assert tree.weighted_n_node_samples[0] == model.n_transfer_
    leaves = tree.children_left == -1
    assert tree.weighted_n_node_samples[leaves].sum() == model.n_transfer_


def test_chunk_size_is_validated(cohort):
    X, y, teacher = cohort
    with pytest.raises(ValueError, match="chunk_size"):
        _fit(X, y, teacher, chunk_size=0)


def test_command_line_chunk_size(tmp_path, cohort):
    import json

    import skops.io as sio

    from tests.conftest import invoke, refused

    X, y, teacher = cohort
    data = tmp_path / "cohort.csv"
    X.assign(risk=y).to_csv(data, index=False)
    sio.dump(teacher, tmp_path / "t.skops")
    common = ["distill", data, "--target", "risk", "--teacher", tmp_path / "t.skops"]
    result = invoke(
        *common, "--chunk-size", "800", "--augment-factor", "2",
        "--max-leaf-nodes", "6", "--out", tmp_path / "run", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["options"]["chunk_size"] == 800
    assert config["resolved"]["tree"]["chunk_size"] == 800
    tree = json.loads((tmp_path / "run" / "report.json").read_text())["models"]["tree"]
    assert (tree["n_leaves"], tree["n_transfer"], tree["n_augmented"]) == (
        6,
        3375,
        2250,
    )
    bad = invoke(*common, "--chunk-size", "0", "--out", tmp_path / "bad")
    refused(bad, "--chunk-size")


def test_munge_with_neighbours_found_once_draws_the_same_rows(cohort):
    import pandas as pd

    from treedistill.data._schema import TabularSchema
    from treedistill.distill._transfer import augment, munge, munge_neighbours

    X = cohort[0]
    schema = TabularSchema.infer(X)
    a = augment(X, schema, "munge", 300, np.random.default_rng(5))
    b = munge(
        X, schema, 300, np.random.default_rng(5), neighbours=munge_neighbours(X, schema)
    )
    pd.testing.assert_frame_equal(a, b)
