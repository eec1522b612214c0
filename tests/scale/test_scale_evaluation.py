"""Evaluation that scales: the size curve refits on a bounded, stated sample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import treedistill.report._size_curve as size_curve_module
from treedistill import DistilledTreeClassifier
from treedistill.datasets import make_clinical_cohort
from treedistill.report import evaluate, render_html, render_markdown


@pytest.fixture(scope="module")
def fitted():
    X, y = make_clinical_cohort(1000, random_state=4)
    X = X.select_dtypes("number")
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    X_tr, X_te, y_tr, y_te = X.iloc[:700], X.iloc[700:], y[:700], y[700:]
    model = DistilledTreeClassifier(
        teacher, augment_factor=1.0, max_leaf_nodes=4, random_state=0
    ).fit(X_tr, y_tr)
    return model, X_tr, X_te, y_tr, y_te


def _report(fitted, monkeypatch, limit):
    model, X_tr, X_te, y_tr, y_te = fitted
    monkeypatch.setattr(size_curve_module, "CURVE_ROWS", limit)
    seen = []
    real_fit = DistilledTreeClassifier.fit

    def spy(self, X, y):
        seen.append(len(X))
        return real_fit(self, X, y)

    monkeypatch.setattr(DistilledTreeClassifier, "fit", spy)
    report = evaluate(
        {"tree": model}, X_te, y_te, X_tr, y_tr, size_grid=(2, 4), shap_rows=5,
        n_synthetic=100,
    )  # fmt: skip
    return report, seen


def test_size_curve_refits_on_a_bounded_sample(fitted, monkeypatch):
    report, seen = _report(fitted, monkeypatch, 250)
    assert seen == [250]  # one growth to the largest budget, cut back for the other
    assert report["size_curve"]["method"] == "one growth"
    curve = report["size_curve"]
    assert curve["n_train_rows"] == 250
    assert report["data"]["n_train"] == 700
    assert [p["budget"] for p in curve["points"]] == [2, 4]
    assert report["fidelity"]["held_out"]  # held-out measures still on all rows
    sentence = "seeded sample of 250 of the 700 training rows"
    assert sentence in render_markdown(report)
    assert "seeded sample of 250\nof the 700 training rows" in render_html(report)


def test_size_curve_uses_every_row_below_the_bound(fitted, monkeypatch):
    report, seen = _report(fitted, monkeypatch, 5000)
    assert seen == [700]
    assert report["size_curve"]["n_train_rows"] == 700
    assert "of the 700 training rows" not in render_markdown(report)


def test_curve_sample_is_seeded_and_aligned(fitted):
    from treedistill.report._size_curve import curve_rows

    class Inputs:  # the fields curve_rows reads
        def __init__(self, X, y, enc, cls):
            self.X_train, self.y_train = X, y
            self.train = type(
                "Rows", (), {"frame": X, "encoded": enc, "teacher_class": cls}
            )()

    _, X_tr, _, y_tr, _ = fitted
    enc = X_tr.to_numpy(dtype=float)
    cls = np.arange(len(X_tr))
    inputs = Inputs(X_tr, y_tr, enc, cls)
    a = curve_rows(inputs, 100, seed=3)
    b = curve_rows(inputs, 100, seed=3)
    assert a[4] == 100
    np.testing.assert_array_equal(a[3], b[3])
    np.testing.assert_array_equal(a[2], enc[a[3]])
    np.testing.assert_array_equal(a[0].to_numpy(dtype=float), enc[a[3]])
    np.testing.assert_array_equal(a[1], np.asarray(y_tr)[a[3]])


def test_sweep_uses_a_bounded_stratified_sample(fitted):
    from treedistill.runs._sweep import sweep_temperature_alpha

    model, X_tr, _, y_tr, _ = fitted
    result = sweep_temperature_alpha(
        model, X_tr, y_tr, temperatures=(1.0,), alphas=(0.0,), max_rows=300
    )
    assert result.n_fit + result.n_validation == 300
    full = sweep_temperature_alpha(
        model, X_tr, y_tr, temperatures=(1.0,), alphas=(0.0,), max_rows=None
    )
    assert full.n_fit + full.n_validation == 700


def test_the_training_rows_neighbours_are_searched_once(fitted, monkeypatch):
    """The fresh synthetic rows and the stability pool share one MUNGE search."""
    import treedistill.distill._transfer as transfer
    import treedistill.report._inputs as inputs_module
    from treedistill.report._inputs import check_models, prepare

    model, X_tr, X_te, y_tr, y_te = fitted
    sizes = []
    real = transfer.munge_neighbours

    def spy(X, *a, **kw):
        sizes.append(len(X))
        return real(X, *a, **kw)

    monkeypatch.setattr(transfer, "munge_neighbours", spy)
    monkeypatch.setattr(inputs_module, "munge_neighbours", spy)
    report = evaluate(
        {"tree": model}, X_te, y_te, X_tr, y_tr, shap_rows=5, n_synthetic=100,
        stability_refits=2, skip=["size_curve"],  # its refits search their own
    )  # fmt: skip
    assert report["stability"]["status"] == "ok"
    assert report["data"]["n_synthetic"] == 100
    assert sizes.count(len(X_tr)) == 1
    # the synthetic rows are the MUNGE draw augment() makes from the same seed
    from treedistill.distill._transfer import augment

    checked = check_models({"tree": model})
    got = prepare(checked, X_te, y_te, X_tr, y_tr, n_synthetic=50, seed=9)
    want = augment(X_tr, model.schema_, "munge", 50, np.random.default_rng(9))
    np.testing.assert_array_equal(
        got.synthetic.frame.to_numpy(dtype=float), want.to_numpy(dtype=float)
    )


def test_curve_refits_predict_from_rows_cleaned_once(fitted, monkeypatch):
    """The refits read the held-out and synthetic rows as the primary model cleaned
    them once: the same points as cleaning them again for every refit."""
    model, X_tr, X_te, y_tr, y_te = fitted
    kw = dict(size_grid=(2, 3, 4), shap_rows=0, n_synthetic=80, stability_refits=0)
    calls = []
    real = DistilledTreeClassifier._check_X

    def spy(self, X, *, reset, **kw):
        calls.append(reset)
        return real(self, X, reset=reset, **kw)

    monkeypatch.setattr(DistilledTreeClassifier, "_check_X", spy)
    fast = evaluate({"tree": model}, X_te, y_te, X_tr, y_tr, **kw)["size_curve"]
    n_fast = calls.count(False)
    calls.clear()
    # a refit whose columns are cleaned differently is asked directly
    monkeypatch.setattr(size_curve_module, "_numeric_columns", lambda s: object())
    slow = evaluate({"tree": model}, X_te, y_te, X_tr, y_tr, **kw)["size_curve"]
    assert slow == fast
    assert n_fast == 3  # the held-out, training and synthetic rows, once each
    assert calls.count(False) == n_fast + 2 * 3  # two more per refit


def test_held_out_predictions_from_the_encoding_in_chunks(fitted, monkeypatch):
    """Models sharing the primary's schema predict from the rows encoded once, in
    chunks of ``chunk_size`` rows for a model fit in chunks: the same numbers."""
    import copy

    from treedistill.report._evaluate import _on_rows
    from treedistill.report._inputs import check_models, prepare

    model, X_tr, X_te, y_tr, y_te = fitted
    chunked = copy.copy(model)
    chunked.chunk_size = 70
    inputs = prepare(
        check_models({"tree": model}), X_te, y_te, X_tr, y_tr, n_synthetic=0, seed=0
    )
    sizes = []
    real = type(model)._student_proba

    def spy(self, X_enc):
        sizes.append(len(X_enc))
        return real(self, X_enc)

    monkeypatch.setattr(type(model), "_student_proba", spy)
    proba = _on_rows(chunked, inputs, inputs.test, "predict_proba")
    assert sizes == [70] * 4 + [20]
    np.testing.assert_array_equal(proba, model.predict_proba(X_te))
    leaves = _on_rows(chunked, inputs, inputs.test, "apply")
    np.testing.assert_array_equal(leaves, model.apply(X_te))
    sizes.clear()
    assert _on_rows(model, inputs, inputs.test, "predict_proba").shape == (300, 2)
    assert sizes == [300]


def test_synthetic_rows_are_drawn_from_a_stated_sample_of_large_data(
    fitted, monkeypatch
):
    import treedistill.report._inputs as inputs_module

    model, X_tr, X_te, y_tr, y_te = fitted
    kw = dict(size_grid=(), shap_rows=0, n_synthetic=120, stability_refits=0)
    full = evaluate({"tree": model}, X_te, y_te, X_tr, y_tr, **kw)
    assert full["data"]["n_synthetic_source"] == 700
    assert "A MUNGE draw from a seeded sample" not in render_markdown(full)
    monkeypatch.setattr(inputs_module, "SYNTHETIC_SOURCE_ROWS", 200)
    small = evaluate({"tree": model}, X_te, y_te, X_tr, y_tr, **kw)
    assert small["data"]["n_synthetic"] == 120
    assert small["data"]["n_synthetic_source"] == 200
    assert small["fidelity"]["synthetic"] != full["fidelity"]["synthetic"]
    said = "seeded sample of 200 of the 700 training rows"
    assert f"A MUNGE draw from a {said}." in render_markdown(small)
    assert f"from a {said})" in " ".join(render_html(small).split())
    again = evaluate({"tree": model}, X_te, y_te, X_tr, y_tr, **kw)
    assert again["fidelity"]["synthetic"] == small["fidelity"]["synthetic"]
