"""The fidelity table, the hard-label baselines, confusion and calibration."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from treedistill.measures._fidelity import wilson
from treedistill.measures._metrics import fidelity, roc_auc
from treedistill.report._describe import boosted_leaves, model_label
from treedistill.report._inputs import Inputs
from treedistill.report._operating import MEASURE_KEYS, OperatingPoints

__all__ = [
    "Entry",
    "N_CALIBRATION_BINS",
    "CALIBRATION_MIN_ROWS",
    "baseline_size",
    "calibration_section",
    "confusion_section",
    "fidelity_tables",
    "rate_ci",
    "student_fidelity",
    "tree_baseline",
]

N_CALIBRATION_BINS = 10
#: Fewest held-out rows in a calibration bin (when there are that many rows).
CALIBRATION_MIN_ROWS = 20


def rate_ci(agree: np.ndarray) -> tuple[float | None, list | None]:
    """The agreement rate of a boolean array and its 95% Wilson interval (``None``
    if empty); never of zero width, not even for n of n."""
    if agree.size == 0:
        return None, None
    est = wilson(float(np.sum(agree)), float(agree.size))
    return est["value"], [est["low"], est["high"]]


def tree_baseline(X_enc, y_idx, k, n_leaves, criterion, seed):
    """A plain scikit-learn tree on hard labels; returns it and a (n, k) proba function."""
    est = DecisionTreeClassifier(
        max_leaf_nodes=max(2, int(n_leaves)), criterion=criterion, random_state=seed
    ).fit(X_enc, y_idx)
    cols = est.classes_.astype(int)

    def proba(Z):
        out = np.zeros((len(Z), k))
        out[:, cols] = est.predict_proba(Z)
        return out

    return est, proba


def baseline_size(inputs: Inputs) -> tuple[int, str]:
    """Leaves and criterion of the baselines: those of the tree student if any."""
    if inputs.tree_name is not None:
        student = inputs.models[inputs.tree_name].student_
        return student.get_n_leaves(), student.criterion
    return boosted_leaves(inputs.primary), "entropy"


@dataclass(frozen=True)
class Entry:
    """One row of the fidelity table: a model or baseline and its predictions."""

    key: str
    label: str
    kind: str
    n_leaves: int | None
    proba_test: np.ndarray
    proba_synthetic: np.ndarray | None


def _baseline_entries(inputs: Inputs, seed: int) -> list[Entry]:
    n_leaves, criterion = baseline_size(inputs)
    k = len(inputs.classes)
    train, syn = inputs.train, inputs.synthetic
    out = []
    for key, name, y in (
        ("truth_tree", "Tree on the true labels", train.y_idx),
        ("hard_surrogate", "Hard-label surrogate", train.teacher_class),
    ):
        est, proba = tree_baseline(train.encoded, y, k, n_leaves, criterion, seed)
        leaves = int(est.get_n_leaves())
        out.append(
            Entry(
                key=key,
                label=f"{name} ({leaves} leaves)",
                kind="baseline",
                n_leaves=leaves,
                proba_test=proba(inputs.test.encoded),
                proba_synthetic=proba(syn.encoded) if syn is not None else None,
            )
        )
    return out


def _row(entry: Entry, p_teacher, p_model, y_idx, seed, ops: OperatingPoints) -> dict:
    fid = fidelity(
        p_teacher, p_model, y_idx, random_state=seed, **ops.fidelity_kwargs()
    )
    row = {
        "key": entry.key,
        "label": entry.label,
        "kind": entry.kind,
        "n_leaves": entry.n_leaves,
        "n": fid["n"],
        "agreement": fid["agreement"],
        "agreement_ci": [
            fid["overall_agreement"]["low"],
            fid["overall_agreement"]["high"],
        ],
        "kl": fid["kl"],
        "tv": fid["tv"],
        "measures": {k: fid[k] for k in MEASURE_KEYS if k in fid},
    }
    if y_idx is not None:
        row["accuracy"] = fid.get("student_accuracy")
        row["roc_auc"] = fid.get("student_roc_auc")
    return row


def _teacher_row(p_teacher, y_idx) -> dict:
    """The teacher's accuracy and ROC AUC on the labelled rows (as
    :func:`treedistill.fidelity` computes them, without its intervals)."""
    accuracy = auc = None
    labeled = y_idx >= 0 if y_idx is not None else np.zeros(len(p_teacher), bool)
    if labeled.any():
        y = y_idx[labeled]
        accuracy = float(np.mean(np.argmax(p_teacher[labeled], axis=1) == y))
        auc = roc_auc(y, p_teacher[labeled])
    return {
        "key": "teacher",
        "label": "Teacher",
        "kind": "teacher",
        "n_leaves": None,
        "n": int(len(p_teacher)),
        "accuracy": accuracy,
        "roc_auc": auc,
        "agreement": None,
        "agreement_ci": None,
        "kl": None,
        "tv": None,
    }


def fidelity_tables(
    inputs: Inputs,
    proba_test: dict,
    proba_syn: dict,
    infos: dict,
    *,
    ops: OperatingPoints,
    seed: int,
    tree_seed: int,
) -> dict:
    """The held-out and synthetic fidelity tables: teacher, baselines, students.

    Each row but the teacher's carries the rare-outcome ``measures`` at ``ops``;
    ``seed`` draws the bootstrap intervals, ``tree_seed`` the baseline trees.
    """
    entries = _baseline_entries(inputs, tree_seed)
    for name in inputs.names:
        entries.append(
            Entry(
                key=name,
                label=model_label(name, inputs.models[name]),
                kind="student",
                n_leaves=infos[name]["n_leaves"],
                proba_test=proba_test[name],
                proba_synthetic=proba_syn.get(name),
            )
        )
    test, syn = inputs.test, inputs.synthetic
    held_out = [_teacher_row(test.teacher_proba, test.y_idx)]
    synthetic = []
    for entry in entries:
        held_out.append(
            _row(entry, test.teacher_proba, entry.proba_test, test.y_idx, seed, ops)
        )
        if syn is not None:
            synthetic.append(
                _row(entry, syn.teacher_proba, entry.proba_synthetic, None, seed, ops)
            )
    return {"held_out": held_out, "synthetic": synthetic}


def student_fidelity(tables: dict, names) -> dict:
    """Each student's held-out fidelity, read from :func:`fidelity_tables`'s
    ``held_out`` rows: the keys of :func:`treedistill.fidelity`'s result, with the
    numbers the report shows (``agreement_ci`` is the row's Wilson interval).

    The rows are computed once; a run records these numbers with its students.
    """
    rows = {row["key"]: row for row in tables["held_out"] if row["kind"] != "teacher"}
    teacher = next(row for row in tables["held_out"] if row["kind"] == "teacher")
    out = {}
    for name in names:
        row = rows[str(name)]
        fid = {key: row[key] for key in ("n", "agreement", "agreement_ci", "kl", "tv")}
        if row.get("accuracy") is not None:
            fid["student_accuracy"] = row["accuracy"]
            fid["teacher_accuracy"] = teacher["accuracy"]
            fid["student_roc_auc"] = row["roc_auc"]
            fid["teacher_roc_auc"] = teacher["roc_auc"]
        fid.update(row["measures"])
        out[name] = copy.deepcopy(fid)
    return out


def confusion_section(inputs: Inputs, proba_test: dict) -> dict:
    """Teacher class × student class counts on the held-out rows, per model."""
    k = len(inputs.classes)
    t_cls = inputs.test.teacher_class
    matrices = {}
    for name in inputs.names:
        m = np.zeros((k, k), dtype=np.int64)
        np.add.at(m, (t_cls, np.argmax(proba_test[name], axis=1)), 1)
        matrices[name] = m.tolist()
    return {"labels": list(inputs.classes), "matrices": matrices}


def _calibration(p: np.ndarray, y_idx: np.ndarray, positive: int | None) -> dict:
    """Reliability bins of equal row counts (at most :data:`N_CALIBRATION_BINS`,
    each of at least :data:`CALIBRATION_MIN_ROWS` rows when there are that many);
    rows with the same predicted value stay in one bin."""
    if positive is not None:
        conf = p[:, positive]
        hit = y_idx == positive
    else:
        conf = p.max(axis=1)
        hit = np.argmax(p, axis=1) == y_idx
    n_bins = max(1, min(N_CALIBRATION_BINS, len(conf) // CALIBRATION_MIN_ROWS))
    order = np.argsort(conf, kind="stable")
    ranked = conf[order]
    cuts = [len(conf) * k // n_bins for k in range(1, n_bins)]
    # A cut between equal values moves to where the value changes.
    cuts = sorted({int(np.searchsorted(ranked, ranked[c], side="left")) for c in cuts})
    bins = []
    ece = 0.0
    for chunk in _merge_small(np.split(order, cuts)):
        mean_pred = float(conf[chunk].mean())
        observed = float(hit[chunk].mean())
        ece += len(chunk) / len(conf) * abs(observed - mean_pred)
        bins.append(
            {
                "low": float(conf[chunk].min()),
                "high": float(conf[chunk].max()),
                "n": len(chunk),
                "mean_predicted": mean_pred,
                "observed": observed,
            }
        )
    return {"bins": bins, "ece": ece, "min_rows": CALIBRATION_MIN_ROWS}


def _merge_small(chunks: list) -> list:
    """Chunks of fewer than :data:`CALIBRATION_MIN_ROWS` joined to a neighbour."""
    out: list = []
    for chunk in chunks:
        if not len(chunk):
            continue
        small = min(len(out[-1]), len(chunk)) < CALIBRATION_MIN_ROWS if out else False
        if small:
            out[-1] = np.concatenate([out[-1], chunk])
        else:
            out.append(chunk)
    return out


def calibration_section(inputs: Inputs, proba_test: dict, positive) -> dict:
    """Reliability bins of the teacher and of each model on the held-out rows:
    of P(positive) for a binary problem (``positive`` its index), else of the
    confidence in the predicted class."""
    y_idx = inputs.test.y_idx
    curves = {"teacher": _calibration(inputs.test.teacher_proba, y_idx, positive)}
    for name in inputs.names:
        curves[name] = _calibration(proba_test[name], y_idx, positive)
    return {
        "kind": "top_class" if positive is None else "positive",
        "positive_class": None if positive is None else inputs.classes[positive],
        "curves": curves,
    }
