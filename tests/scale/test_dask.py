"""Dask: the streamed tree's passes and the snapping of its thresholds as
map-reduce on a 2-worker LocalCluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from tests.distill.test_exact_rules import assert_exact
from tests.distill.test_streaming import _assert_same_tree, _data
from treedistill import DistilledTreeClassifier
from treedistill.data._schema import TabularSchema
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._hist_tree import HistTree
from treedistill.distill._streaming import StreamedHistTree, snap_chunked
from treedistill.distill._students import SoftTree
from treedistill.distill._thresholds import snappable_nodes, split_bounds
from treedistill.exceptions import DataError, ParameterError

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
distributed = pytest.importorskip("distributed")

from treedistill.scale._dask import (  # noqa: E402
    STAGES,
    DaskPasses,
    distill_tree,
    refit_on_cluster,
    snap_on_cluster,
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit="1GiB",
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_tree_from_partitions_on_the_cluster_is_the_in_memory_tree(client):
    X, Q = _data(n=4000)
    params = dict(criterion="entropy", max_leaf_nodes=20, random_state=0)
    bounds = [0, 900, 2500, 4000]
    parts = client.scatter(
        [(X[a:b], Q[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )
    streamed = StreamedHistTree(**params).fit_passes(DaskPasses(client, parts))
    _assert_same_tree(HistTree(**params).fit(X, Q), streamed)
    assert len(client.scheduler_info()["workers"]) == 2


@pytest.fixture(scope="module")
def cohort():
    X, y = make_clinical_cohort(2400, missing_rate=0.05, random_state=8)
    teacher = LogisticRegression(max_iter=500).fit(
        X.select_dtypes("number").fillna(0), y
    )
    frame = X.select_dtypes("number").fillna(0).assign(risk=y)
    return frame, teacher


def _model(teacher, **kw):
    params = dict(builder="hist", max_leaf_nodes=10, random_state=0)
    return DistilledTreeClassifier(teacher, **{**params, **kw})


def _decimals(t: float) -> int:
    return len(repr(float(t)).partition(".")[2].rstrip("0"))


@pytest.mark.parametrize("exact_rules", [True, False])
def test_distill_tree_on_a_dask_frame_matches_the_in_memory_fit(
    client, cohort, exact_rules
):
    frame, teacher = cohort
    X, y = frame.drop(columns="risk"), frame["risk"].to_numpy()
    ddf = dd.from_pandas(frame, npartitions=3)
    # No augmented rows: the transfer set is the data itself on both paths.
    kw = dict(augment_factor=0.0, exact_rules=exact_rules, temperature=2.0)
    remote = distill_tree(_model(teacher, **kw), ddf, "risk")
    local = _model(teacher, **kw).fit(X, y)
    # Node by node: thresholds bit for bit, node counts, values to rounding.
    _assert_same_tree(local.student_.estimator_, remote.student_.estimator_)
    a, b = local.student_, remote.student_
    assert a.snapped_ is b.snapped_ is exact_rules
    np.testing.assert_array_equal(a.tree_.threshold, b.tree_.threshold)
    np.testing.assert_array_equal(
        a.tree_.weighted_n_node_samples, b.tree_.weighted_n_node_samples
    )
    np.testing.assert_allclose(a.value_, b.value_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(remote.apply(X), local.apply(X))
    np.testing.assert_allclose(
        remote.predict_proba(X), local.predict_proba(X), rtol=0, atol=1e-12
    )
    assert remote.n_transfer_ == len(frame) and remote.n_augmented_ == 0
    inner = b.tree_.children_left != -1
    # The data have at most 2 decimals: snapped thresholds never have more.
    longest = max(_decimals(t) for t in b.tree_.threshold[inner])
    assert longest <= 2 if exact_rules else longest > 2
    if exact_rules:
        assert assert_exact(remote, X) == len(X)


def test_distill_tree_with_augmentation_per_partition(client, cohort):
    frame, teacher = cohort
    ddf = dd.from_pandas(frame, npartitions=4)
    told = []
    model = distill_tree(
        _model(teacher, augment_factor=2.0),
        ddf,
        "risk",
        progress=lambda *stage: told.append(stage),
    )
    assert told == [(name, i, 5) for i, name in enumerate(STAGES)]
    assert model.augment_factor == 2.0 and model.chunk_size is None
    assert model.n_transfer_ == 3 * len(frame)
    assert model.n_augmented_ == 2 * len(frame)
    assert model.student_.get_n_leaves() == 10
    X = frame.drop(columns="risk")
    assert np.mean(model.predict(X) == teacher.predict(X)) > 0.9
    # Exact rules by default: every real row satisfies its printed rule, and the
    # node counts are those of the snapped tree on every transfer row.
    tree = model.student_.tree_
    assert model.student_.snapped_
    assert assert_exact(model, X) == len(X)
    assert tree.weighted_n_node_samples[0] == model.n_transfer_
    assert tree.weighted_n_node_samples[tree.children_left == -1].sum() == (
        model.n_transfer_
    )


def test_snapping_on_the_cluster_is_the_in_memory_snap(client):
    """Bounds gathered by partition (or by chunk), including a side with no real
    rows (where the transfer rows decide), snap every threshold as
    ``snap_thresholds`` does in memory."""
    rng = np.random.default_rng(4)
    n = 3000
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "dose": np.round(rng.gamma(2.0, 3.0, n), 2),
            "score": np.round(rng.standard_normal(n), 3),
        }
    )
    frame.loc[rng.random(n) < 0.1, "score"] = np.nan
    schema = TabularSchema.infer(frame)
    E = schema.encode(frame)
    z = np.column_stack([E[:, 0] / 20 - 2.5, np.nan_to_num(E[:, 2]) + E[:, 1] / 10])
    Q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    grown = SoftTree(builder="hist", max_leaf_nodes=16, random_state=0).fit(E, Q)
    bounds = [0, 700, 1900, 3000]
    # The first 40 rows of each partition are its real rows, and only patients
    # of 60 and over are real: splits below 60 have no real row on the left.
    old = np.flatnonzero(E[:, 0] >= 60)
    young = np.setdiff1d(np.arange(n), old[:120])
    pieces, real, rows = [], [], []
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        mine = np.concatenate([old[40 * i : 40 * (i + 1)], young[a:b]])
        pieces.append((E[mine], Q[mine], Q[mine], 40))
        real.append(E[mine[:40]])
        rows.append(E[mine])
    real, rows = np.concatenate(real), np.concatenate(rows)
    labels = np.concatenate([piece[2] for piece in pieces])
    nodes = snappable_nodes(grown.tree_, schema)
    lacking = np.isnan(split_bounds(grown.tree_, real, nodes)[nodes]).any(axis=1)
    assert lacking.any() and not lacking.all()  # both cases are exercised
    local = SoftTree(builder="hist", max_leaf_nodes=16, random_state=0).fit(E, Q)
    local.snap_thresholds(real, schema, X_transfer=rows)
    unsnapped = grown.tree_.threshold.copy()
    parts = client.scatter(pieces)
    snap_on_cluster(client, parts, grown, schema)
    assert grown.snapped_
    np.testing.assert_array_equal(grown.tree_.threshold, local.tree_.threshold)
    assert not np.array_equal(grown.tree_.threshold, unsnapped)
    # The chunked fit's snap (transfer set read chunk by chunk) agrees too.
    chunked = SoftTree(builder="hist", max_leaf_nodes=16, random_state=0).fit(E, Q)
    snap_chunked(chunked, schema, real, ((piece[0],) for piece in pieces))
    np.testing.assert_array_equal(chunked.tree_.threshold, local.tree_.threshold)
    on_age = (grown.tree_.children_left != -1) & (grown.tree_.feature == 0)
    assert on_age.any() and np.all(grown.tree_.threshold[on_age] % 1 == 0)
    # Node counts and values recounted on every partition, as in memory.
    before = grown.tree_.weighted_n_node_samples.copy()
    refit_on_cluster(client, parts, grown, recount=True)
    local.refit_leaves(rows, labels, recount=True)
    np.testing.assert_array_equal(
        grown.tree_.weighted_n_node_samples, local.tree_.weighted_n_node_samples
    )
    assert not np.array_equal(grown.tree_.weighted_n_node_samples, before)
    np.testing.assert_allclose(grown.value_, local.value_, rtol=0, atol=1e-12)


def test_partitions_are_cleaned_as_the_in_memory_fit_cleans(client):
    # Text columns of pandas' string dtype with missing values (pd.NA), as
    # dd.read_parquet gives them: MUNGE on each partition sees them cleaned.
    X, y = make_clinical_cohort(1200, missing_rate=0.0, random_state=2)
    numeric = list(X.select_dtypes("number").columns)
    text = [c for c in X.columns if c not in numeric]
    X = X.astype({c: "string" for c in text})
    X.loc[X.index[::7], text[0]] = pd.NA
    teacher = make_pipeline(
        ColumnTransformer([("num", "passthrough", numeric)]),
        LogisticRegression(max_iter=500),
    ).fit(X, y)
    frame = X.assign(risk=y)
    ddf = dd.from_pandas(frame, npartitions=3)
    model = distill_tree(_model(teacher, augment_factor=1.0), ddf, "risk")
    assert model.n_transfer_ == 2 * len(frame) and model.n_augmented_ == len(frame)
    assert assert_exact(model, X) == len(X)
    for row in (5, 1100):  # in the sample rows, in a later partition
        gap = frame.assign(risk=frame["risk"].where(frame.index != row))
        with pytest.raises(DataError, match="'risk' has missing labels") as info:
            distill_tree(
                _model(teacher),
                dd.from_pandas(gap, npartitions=3),
                "risk",
                sample_rows=300,
            )
        assert info.value.column == "risk"


def test_distill_tree_refuses_before_any_work(client, cohort):
    frame, teacher = cohort
    ddf = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(ParameterError, match="'outcome' is not in the Dask") as info:
        distill_tree(_model(teacher), ddf, "outcome")
    assert info.value.parameter == "target"
    with pytest.raises(ParameterError, match="fitted teacher"):
        distill_tree(_model(None), ddf, "risk")
    with pytest.raises(ParameterError, match="Dask DataFrame"):
        distill_tree(_model(teacher), pd.DataFrame(frame), "risk")
    with pytest.raises(ParameterError) as info:
        distill_tree(_model(teacher, builder="exact"), ddf, "risk")
    assert info.value.parameter == "builder"
