"""treedistill.stability: bootstrap refits of a tree student."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier, stability
from treedistill.exceptions import ParameterError
from treedistill.measures._stability import split_columns, spread


def _data(n=300, twin=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    X = pd.DataFrame(
        {
            "a": a,
            "b": a + rng.normal(scale=0.02, size=n) if twin else rng.normal(size=n),
            "c": rng.normal(size=n),
        }
    )
    score = X["a"] + X["b"] if twin else 3 * X["a"]
    y = (score + rng.normal(scale=0.3, size=n) > 0).astype(int).to_numpy()
    return X, y


def _tree(X, y, **kw):
    teacher = LogisticRegression().fit(X, y)
    params = {"max_leaf_nodes": 4, "augment_factor": 2.0, "random_state": 0, **kw}
    return DistilledTreeClassifier(teacher, **params).fit(X, y)


def test_a_dominant_column_is_a_stable_root():
    X, y = _data()
    model = _tree(X, y)
    out = stability(model, X, y, n_refits=8)
    assert out["n_refits"] == 8 and out["n_train"] == 300
    assert out["n_augmented"] == 600 and out["n_test"] == 300
    root = dict(out["root"])
    low, high = root.pop("low"), root.pop("high")
    assert root == {
        "column": "a",
        "n_same": 8,
        "share": 1.0,
        "stable": True,
        "threshold": 0.7,
    }
    assert (low, high) == (pytest.approx(8 / (8 + 1.959964**2)), 1.0)  # Wilson
    first = out["columns"][0]
    assert first["column"] == "a" and first["root"] == 1.0 and first["main_root"]
    assert out["agreement"]["main"] == pytest.approx(
        np.mean(model.predict(X) == np.argmax(model.teacher_proba(X), axis=1))
    )
    assert len(out["agreement"]["values"]) == 8
    assert out["agreement"]["min"] <= out["agreement"]["median"] <= 1.0
    assert 0.9 <= out["same_prediction"]["median"] <= 1.0
    assert out["n_leaves"]["max"] <= 4


def test_two_interchangeable_columns_make_the_root_unstable():
    X, y = _data(twin=True)
    # Soft labels: the twins' root gains are close on every resample.
    model = _tree(X, y, objective="ranking")
    out = stability(model, X, n_refits=12, random_state=3)
    root = out["root"]
    roots = {c["column"]: c["root"] for c in out["columns"]}
    assert roots["a"] > 0 and roots["b"] > 0
    assert roots["a"] + roots["b"] == pytest.approx(1.0)
    assert root["share"] == roots[root["column"]] < 1.0
    assert root["stable"] == (root["share"] >= 0.7)


def test_refits_are_seeded_and_measured_on_the_given_rows():
    X, y = _data()
    model = _tree(X, y)
    one = stability(model, X, X_test=X.iloc[:50], n_refits=3, random_state=1)
    two = stability(model, X, X_test=X.iloc[:50], n_refits=3, random_state=1)
    assert one == two and one["n_test"] == 50
    assert one["flagged_threshold"] is not None  # binary: the flag measures


def test_split_columns_breadth_first():
    X, y = _data()
    model = _tree(X, y, max_leaf_nodes=8)
    top = split_columns(model, 2)
    assert top[0] == "a" and set(top) <= set(split_columns(model))
    assert split_columns(model, 1) == ["a"]


def test_spread_summarises_and_skips_missing_values():
    s = spread([0.9, None, 1.0, 0.8], main=0.85)
    assert s["n"] == 3 and s["median"] == 0.9 and s["min"] == 0.8 and s["max"] == 1.0
    assert s["main"] == 0.85 and s["sd"] == pytest.approx(0.1)
    assert spread([None]) is None


def test_refusals_name_the_parameter():
    X, y = _data(n=120)
    model = _tree(X, y)
    with pytest.raises(ParameterError, match="n_refits must be at least 2") as e:
        stability(model, X, n_refits=1)
    assert e.value.parameter == "n_refits"
    with pytest.raises(ParameterError, match="DistilledTreeClassifier") as e:
        boosted = DistilledBoostingClassifier(
            LogisticRegression().fit(X, y), n_estimators=2, n_jobs=1
        ).fit(X, y)
        stability(boosted, X)
    with pytest.raises(ParameterError, match="y is needed") as e:
        stability(_tree(X, y, alpha=0.5), X, n_refits=2)
    assert e.value.parameter == "y"
    with pytest.raises(ParameterError, match="positive_class 7") as e:
        stability(model, X, n_refits=2, positive_class=7)


def test_more_classes_have_no_flag_measures():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=240), "b": rng.normal(size=240)})
    y = np.digitize(X["a"] + 0.2 * rng.normal(size=240), [-0.5, 0.5])
    out = stability(_tree(X, y), X, n_refits=2)
    assert out["flagged_threshold"] is None and out["flagged_flag_rate"] is None
    assert out["root"]["column"] == "a" and out["agreement"]["n"] == 2


def test_a_model_fit_in_chunks_is_refused():
    X, y = _data(n=200)
    model = _tree(X, y, chunk_size=100, builder="hist")
    with pytest.raises(ParameterError, match="fit in chunks"):
        stability(model, X, n_refits=2)


def test_a_weighted_refit_is_the_tree_of_the_draw_with_its_repeats():
    import copy

    from treedistill.measures import _stability

    X, y = _data(n=200)
    model = _tree(X, y, max_leaf_nodes=6)
    pool = _stability._pool(model, X, y, np.random.default_rng(0))
    X_enc, q_train, q_true, n_real, n_aug = pool
    for seed in (0, 1):
        weighted = _stability._refit(model, pool, np.random.default_rng(seed), seed)
        rng = np.random.default_rng(seed)
        idx = np.concatenate(
            [rng.integers(0, n_real, n_real), n_real + rng.integers(0, n_aug, n_aug)]
        )
        repeats = copy.copy(model)
        repeats.n_transfer_, repeats.n_augmented_ = idx.size, n_aug
        repeats.student_ = repeats._make_student(seed)
        repeats.student_.fit(X_enc[idx], q_train[idx])
        repeats._finish_student(X_enc[idx], q_true[idx])
        a, b = weighted.student_.tree_, repeats.student_.tree_
        assert np.array_equal(a.feature, b.feature)
        assert np.array_equal(a.threshold, b.threshold)
        np.testing.assert_array_equal(
            weighted.predict_proba(X), repeats.predict_proba(X)
        )


def _args(model, X, y, **kw):
    """refit_stability's arguments for ``X`` as the evaluation rows too."""
    return dict(
        model=model, X=X, y=y, test_in=X, teacher_proba=model.teacher_proba(X),
        n_refits=3, positive=1, threshold=0.5, flag_rate=0.5, random_state=4, **kw,
    )  # fmt: skip


def test_shared_neighbours_give_the_same_refits():
    from treedistill.distill._transfer import munge_neighbours
    from treedistill.measures._stability import refit_stability

    X, y = _data(n=250)
    model = _tree(X, y)
    own = refit_stability(**_args(model, X, y))
    shared = refit_stability(
        **_args(model, X, y, neighbours=munge_neighbours(X, model.schema_))
    )
    assert shared == own
    assert own["sampled"] is False and own["n_train_total"] == 250


def test_histogram_refits_share_one_binning_of_the_pool(monkeypatch):
    from treedistill.distill import _hist_tree
    from treedistill.measures import _stability

    X, y = _data(n=400)
    model = _tree(X, y, builder="hist", search="greedy")
    calls = []
    real = _hist_tree.bin_features

    def spy(X, *a, **kw):
        calls.append(len(X))
        return real(X, *a, **kw)

    monkeypatch.setattr(_hist_tree, "bin_features", spy)
    monkeypatch.setattr(_stability, "bin_features", spy)
    out = _stability.refit_stability(**_args(model, X, y))
    assert calls == [400 * 3]  # the pool (real + 2x augmented rows), once
    assert out["n_leaves"]["n"] == 3
    assert out["agreement"]["min"] > 0.8  # the refits are working trees


def test_a_bounded_pool_samples_the_real_rows_and_says_so():
    from treedistill.measures._stability import refit_stability

    X, y = _data(n=400)
    model = _tree(X, y)
    out = refit_stability(**_args(model, X, y, max_transfer_rows=300))
    assert (out["n_train"], out["n_augmented"], out["n_train_total"]) == (100, 200, 400)
    assert out["sampled"] is True
    assert out["n_test"] == 400
    assert refit_stability(**_args(model, X, y, max_transfer_rows=300)) == out
    assert refit_stability(**_args(model, X, y, max_transfer_rows=1200))[
        "sampled"
    ] is False  # fmt: skip


def test_a_model_fit_in_chunks_is_refit_in_memory_on_a_bounded_pool():
    from treedistill.measures._stability import refit_stability

    X, y = _data(n=200)
    model = _tree(X, y, chunk_size=100, builder="hist")
    out = refit_stability(**_args(model, X, y, max_transfer_rows=450))
    assert out["n_train"] == 150 and out["sampled"] is True
    assert out["root"]["column"] == "a"


def test_a_tree_grown_from_given_bins_is_the_tree_that_bins_itself():
    from treedistill.distill._hist_tree import HistTree, bin_features

    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 4))
    Q = np.column_stack([1 / (1 + np.exp(-3 * X[:, 0])), 1 / (1 + np.exp(3 * X[:, 0]))])
    own = HistTree(max_leaf_nodes=6, random_state=0).fit(X, Q)
    given = HistTree(max_leaf_nodes=6, random_state=0).fit(
        X, Q, bins=bin_features(X, 255, random_state=0)
    )
    for name in ("children_left", "feature", "threshold"):
        np.testing.assert_array_equal(
            getattr(own.tree_, name), getattr(given.tree_, name)
        )
    np.testing.assert_array_equal(own.value_, given.value_)
    coarse = HistTree(max_leaf_nodes=6).fit(X, Q, bins=bin_features(X, 4))
    assert coarse.n_bins_ == 5 and len(coarse.bin_cuts_[0]) == 3


@pytest.mark.parametrize("options", [{}, {"builder": "hist", "exact_rules": True}])
def test_refits_on_several_cores_are_the_refits_on_one(monkeypatch, options):
    from treedistill.measures import _stability

    X, y = _data(twin=True)
    model = _tree(X, y, max_leaf_nodes=6, **options)
    monkeypatch.setattr(_stability.os, "cpu_count", lambda: 1)
    one = stability(model, X, y, n_refits=6, random_state=3)
    monkeypatch.setattr(_stability.os, "cpu_count", lambda: 4)
    several = stability(model, X, y, n_refits=6, random_state=3)
    assert one == several
    assert len(set(one["agreement"]["values"])) > 1  # the refits differ


def _root_shares(out) -> dict:
    return {c["column"]: c["root"] for c in out["columns"] if c["root"] > 0}


def test_refits_stop_once_the_root_shares_settle():
    X, y = _data()
    model = _tree(X, y)
    early = stability(model, X, y, n_refits=20)
    full = stability(model, X, y, n_refits=20, stop_when_settled=False)
    # a dominant column: the second batch of 5 leaves its share at 100%
    assert (early["n_refits"], early["n_refits_max"], early["stopped_early"]) == (
        10,
        20,
        True,
    )
    assert early["settle"] == {"batch": 5, "min_refits": 10, "max_change": 0.05}
    assert (full["n_refits"], full["stopped_early"], full["settle"]) == (
        20,
        False,
        None,
    )
    # the refits run are the full run's first ten, tree for tree
    assert early["agreement"]["values"] == full["agreement"]["values"][:10]
    assert early["n_leaves"]["values"] == full["n_leaves"]["values"][:10]
    # within the stated sampling error of the full run's root share
    assert early["root"]["low"] <= full["root"]["share"] <= early["root"]["high"]


def test_unsettled_root_shares_run_more_refits_by_the_stated_rule():
    X, y = _data(twin=True)
    model = _tree(X, y, objective="ranking")
    # the first k refits of every run are the same trees: their root shares
    shares = {
        k: _root_shares(
            stability(model, X, n_refits=k, random_state=3, stop_when_settled=False)
        )
        for k in (5, 10, 15, 20)
    }

    def moved(a, b):
        return max(abs(a.get(c, 0) - b.get(c, 0)) for c in set(a) | set(b))

    expected = next(
        (k for k in (10, 15) if moved(shares[k - 5], shares[k]) <= 0.05), 20
    )
    early = stability(model, X, n_refits=20, random_state=3)
    assert early["n_refits"] == expected
    assert _root_shares(early) == pytest.approx(shares[expected])
    assert early["stopped_early"] == (expected < 20)
