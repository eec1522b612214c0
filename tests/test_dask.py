"""Dask: the streamed tree's passes as map-reduce on a 2-worker LocalCluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests.test_streaming import _assert_same_tree, _data
from treedistill import DistilledTreeClassifier
from treedistill._hist_tree import HistTree
from treedistill._streaming import StreamedHistTree
from treedistill.datasets import make_clinical_cohort
from treedistill.exceptions import ParameterError

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
distributed = pytest.importorskip("distributed")

from treedistill._dask import DaskPasses, distill_tree  # noqa: E402


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
    params = dict(builder="hist", max_leaf_nodes=10, random_state=0, exact_rules=False)
    return DistilledTreeClassifier(teacher, **{**params, **kw})


def test_distill_tree_on_a_dask_frame_matches_the_in_memory_fit(client, cohort):
    frame, teacher = cohort
    X, y = frame.drop(columns="risk"), frame["risk"].to_numpy()
    ddf = dd.from_pandas(frame, npartitions=3)
    # No augmented rows: the transfer set is the data itself on both paths.
    remote = distill_tree(_model(teacher, augment_factor=0.0), ddf, "risk")
    local = _model(teacher, augment_factor=0.0).fit(X, y)
    _assert_same_tree(local.student_.estimator_, remote.student_.estimator_)
    np.testing.assert_allclose(
        remote.predict_proba(X), local.predict_proba(X), rtol=0, atol=1e-12
    )
    assert remote.n_transfer_ == len(frame) and remote.n_augmented_ == 0


def test_distill_tree_with_augmentation_per_partition(client, cohort):
    frame, teacher = cohort
    ddf = dd.from_pandas(frame, npartitions=4)
    model = distill_tree(_model(teacher, augment_factor=2.0), ddf, "risk")
    assert model.n_transfer_ == 3 * len(frame)
    assert model.n_augmented_ == 2 * len(frame)
    assert model.student_.get_n_leaves() == 10
    X = frame.drop(columns="risk")
    assert np.mean(model.predict(X) == teacher.predict(X)) > 0.9


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
    with pytest.raises(ParameterError) as info:
        distill_tree(_model(teacher, exact_rules=True), ddf, "risk")
    assert info.value.parameter == "exact_rules"
