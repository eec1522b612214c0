"""Dask: the boosted student with xgboost.dask on a 2-worker LocalCluster.

Tolerances. xgboost's histogram cuts come from quantile sketches; on a cluster
each worker sketches its own rows and the sketches are merged, so the cuts can
differ from those sketched on one machine. On one partition (one worker) the
booster is the in-memory one, byte for byte. On several partitions the cuts are
still the same when no feature has more distinct values than bins (256): every
distinct value is a cut, so the model predicts exactly the same. With more
distinct values a threshold can land on a neighbouring cut; that moves the rows
between the two cuts, and the model is another, equally faithful fit: on 20,000
rows in 4 partitions the mean |difference| of the probabilities was 0.004 (two
classes) and 0.011 (three), the predicted class the same for 98.7% and 97.7% of
held-out rows. The test allows 0.03 and 95%, and asks both fits to agree with
the teacher equally well (within 2 points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    load_student,
    save_student,
)
from treedistill.exceptions import DataError, ParameterError

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
pytest.importorskip("distributed", reason="the dask extra is not installed")
pytest.importorskip("xgboost.dask", reason="xgboost.dask is not available")

from treedistill.scale._dask_boost import distill_boosted  # noqa: E402


def _case(n: int, k: int, *, decimals: int | None = None, seed: int = 0):
    """Training frame (column ``label``), held-out features and a fitted teacher."""
    X, y = make_classification(
        n + 1000,
        n_features=6,
        n_informative=4,
        n_classes=k,
        random_state=seed,
    )
    if decimals is not None:
        X = np.round(X, decimals)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]).assign(label=y)
    train, held_out = frame.iloc[:n], frame.iloc[n:].drop(columns="label")
    teacher = LogisticRegression(max_iter=500).fit(
        train.drop(columns="label"), train["label"]
    )
    return train, held_out, teacher


def _model(teacher, **kw):
    params = dict(augment_factor=0.0, random_state=0)
    return DistilledBoostingClassifier(teacher, **{**params, **kw})


def _both(train, teacher, npartitions, **kw):
    """The model fitted on the cluster and in memory, on the same transfer rows."""
    ddf = dd.from_pandas(train, npartitions=npartitions)
    remote = distill_boosted(_model(teacher, **kw), ddf, "label")
    local = _model(teacher, **kw).fit(
        train.drop(columns="label"), train["label"].to_numpy()
    )
    return remote, local


def _raw(model) -> bytes:
    return bytes(model.student_.estimator_.get_booster().save_raw("json"))


@pytest.mark.parametrize("k", [2, 3])
def test_one_partition_gives_the_in_memory_booster(client, tmp_path, k):
    train, held_out, teacher = _case(2000, k)
    remote, local = _both(train, teacher, 1)
    assert _raw(remote) == _raw(local)
    np.testing.assert_array_equal(
        remote.student_.base_margin_, local.student_.base_margin_
    )
    np.testing.assert_array_equal(
        remote.predict_proba(held_out), local.predict_proba(held_out)
    )
    assert remote.predict_proba(held_out).shape == (len(held_out), k)
    # A normal fitted estimator: a plain XGBRegressor with the same parameters.
    est = remote.student_.estimator_
    assert type(est).__name__ == "XGBRegressor"
    assert type(est.get_booster()).__module__ == "xgboost.core"
    mine, theirs = est.get_params(), local.student_.estimator_.get_params()
    assert mine.keys() == theirs.keys()
    assert all(
        mine[p] == theirs[p] or (mine[p] != mine[p] and theirs[p] != theirs[p])
        for p in mine
    )
    assert remote.get_params()["n_estimators"] == 10
    assert remote.get_params()["augment_factor"] == 0.0
    assert remote.student_.n_trees() == 10 * (1 if k == 2 else k)
    # Saved, the two students are the same file.
    a = save_student(remote, tmp_path / "remote.json")
    b = save_student(local, tmp_path / "local.json")
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("k", [2, 3])
def test_partitions_predict_the_same_when_every_value_is_a_cut(client, k):
    # At most ~130 distinct values per feature: the merged cuts are the values.
    train, held_out, teacher = _case(20_000, k, decimals=1)
    assert train.drop(columns="label").nunique().max() < 256
    remote, local = _both(train, teacher, 4)
    np.testing.assert_allclose(
        remote.student_.base_margin_, local.student_.base_margin_, rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(
        remote.predict_proba(held_out), local.predict_proba(held_out)
    )


@pytest.mark.parametrize("k", [2, 3])
def test_partitions_with_many_values_are_close(client, k):
    train, held_out, teacher = _case(20_000, k)
    remote, local = _both(train, teacher, 4)
    diff = np.abs(remote.predict_proba(held_out) - local.predict_proba(held_out))
    assert diff.mean() <= 0.03
    same = np.mean(remote.predict(held_out) == local.predict(held_out))
    assert same >= 0.95
    truth = teacher.predict(held_out)
    fid_remote = np.mean(remote.predict(held_out) == truth)
    fid_local = np.mean(local.predict(held_out) == truth)
    assert abs(fid_remote - fid_local) <= 0.02


def test_augmented_rows_per_partition_and_a_saved_round_trip(client, tmp_path):
    train, held_out, teacher = _case(1500, 3, seed=1)
    # Three partitions and an empty one (dropped before boosting).
    empty = dd.from_pandas(train.iloc[:0], npartitions=1)
    ddf = dd.concat([dd.from_pandas(train, npartitions=3), empty])
    assert ddf.npartitions == 4
    stages = []
    model = distill_boosted(
        _model(teacher, augment_factor=2.0),
        ddf,
        "label",
        progress=lambda *stage: stages.append(stage),
    )
    assert stages == [("sample", 0, 3), ("transfer", 1, 3), ("boost", 2, 3)]
    assert model.n_transfer_ == 3 * len(train)
    assert model.n_augmented_ == 2 * len(train)
    assert model.get_params()["augment_factor"] == 2.0
    assert np.mean(model.predict(held_out) == teacher.predict(held_out)) > 0.85
    path = save_student(model, tmp_path / "student.json")
    loaded = load_student(path)
    assert loaded.kind == "boosted"
    np.testing.assert_allclose(
        loaded.predict_proba(held_out), model.predict_proba(held_out), atol=1e-12
    )
    np.testing.assert_array_equal(loaded.predict(held_out), model.predict(held_out))


def _explode(frame):
    raise RuntimeError("a partition was computed")


def test_refusals_come_before_any_work(client):
    train, _, teacher = _case(300, 2)
    # Computing any partition of this frame fails: a refusal must come first.
    ddf = dd.from_pandas(train, npartitions=2).map_partitions(_explode, meta=train)

    def refused(exc, match, parameter, model=None, data=ddf, target="label", **kw):
        with pytest.raises(exc, match=match) as info:
            distill_boosted(
                _model(teacher) if model is None else model, data, target, **kw
            )
        assert "\n" not in str(info.value)
        if parameter is not None:
            assert info.value.parameter == parameter

    refused(ParameterError, "'outcome' is not in the Dask", "target", target="outcome")
    refused(ParameterError, "fitted teacher", "teacher", model=_model(None))
    unfitted = _model(LogisticRegression())
    refused(ParameterError, "fitted teacher", "teacher", model=unfitted)
    refused(ParameterError, "Dask DataFrame, got DataFrame", "ddf", data=train)
    tree = DistilledTreeClassifier(teacher)
    refused(
        ParameterError,
        "needs a DistilledBoostingClassifier, got DistilledTreeClassifier",
        "model",
        model=tree,
    )
    refused(ParameterError, "sample_rows must be", "sample_rows", sample_rows=0)
    refused(ParameterError, "sample_rows must be", "sample_rows", sample_rows=2.5)
    empty = dd.from_pandas(train.iloc[:0], npartitions=1)
    refused(DataError, "has no rows", None, data=empty)
