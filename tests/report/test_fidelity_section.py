"""treedistill.report._fidelity_section: the fidelity table, confusion and calibration."""

from __future__ import annotations

import numpy as np
import pytest


def test_fidelity_table_rows_and_recomputed_agreement(report_binary):
    report, models = report_binary["report"], report_binary["models"]
    X_te, y_te = report_binary["X_te"], report_binary["y_te"]
    rows = report["fidelity"]["held_out"]
    assert [r["key"] for r in rows] == [
        "teacher",
        "truth_tree",
        "hard_surrogate",
        "tree",
        "boosted",
    ]
    tree = models["tree"]
    t = np.argmax(tree.teacher_proba(X_te), axis=1)
    for name in ("tree", "boosted"):
        s = np.argmax(models[name].predict_proba(X_te), axis=1)
        row = next(r for r in rows if r["key"] == name)
        assert row["agreement"] == pytest.approx(np.mean(s == t), abs=1e-6)
        assert row["n"] == 150
        lo, hi = row["agreement_ci"]
        assert 0 <= lo <= row["agreement"] <= hi <= 1
        assert row["kl"] >= 0 and 0 <= row["tv"] <= 1
        acc = np.mean(models[name].predict(X_te) == y_te.to_numpy())
        assert row["accuracy"] == pytest.approx(acc, abs=1e-6)
        assert 0.5 <= row["roc_auc"] <= 1
    teacher = rows[0]
    assert teacher["agreement"] is None and teacher["kl"] is None
    assert teacher["accuracy"] == pytest.approx(
        np.mean(tree.classes_[t] == y_te.to_numpy()), abs=1e-6
    )
    n_leaves = tree.student_.get_n_leaves()
    for key in ("truth_tree", "hard_surrogate"):
        row = next(r for r in rows if r["key"] == key)
        assert 2 <= row["n_leaves"] <= n_leaves
    syn = report["fidelity"]["synthetic"]
    assert [r["key"] for r in syn] == [
        "truth_tree",
        "hard_surrogate",
        "tree",
        "boosted",
    ]
    for row in syn:
        assert row["n"] == 800
        assert "accuracy" not in row
        assert 0 <= row["agreement"] <= 1 and row["kl"] >= 0


def test_confusion_and_calibration_are_consistent(report_binary):
    report = report_binary["report"]
    agreement = {r["key"]: r["agreement"] for r in report["fidelity"]["held_out"]}
    for name in ("tree", "boosted"):
        m = np.asarray(report["confusion"]["matrices"][name])
        assert m.shape == (2, 2) and m.sum() == 150
        assert np.trace(m) / m.sum() == pytest.approx(agreement[name], abs=1e-6)
    cal = report["calibration"]
    assert cal["kind"] == "positive" and cal["positive_class"] == "high"
    assert set(cal["curves"]) == {"teacher", "tree", "boosted"}
    for curve in cal["curves"].values():
        assert sum(b["n"] for b in curve["bins"]) == 150
        assert 0 <= curve["ece"] <= 1
        for b in curve["bins"]:
            assert b["low"] <= b["mean_predicted"] <= b["high"]
            assert 0 <= b["observed"] <= 1
