"""Evaluate distilled students against their teacher: every number of the report.

:func:`evaluate` returns one JSON-serialisable dict holding everything the renderers
draw (tables, curve points, the tree's nodes, calibration bins, SHAP summaries), so
a report can be re-rendered from ``report.json`` alone. Each section is computed by
its own module; this one checks the arguments and puts the sections together.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from treedistill.common._json import SIGNIFICANT_DIGITS, plain
from treedistill.distill._options import (
    SKIPPABLE,
    check_operating_points,
    check_refits,
    check_skip,
)
from treedistill.report._audit import (
    MIN_N,
    band_edges,
    disagreements_section,
    rules_section,
    subgroups_section,
)
from treedistill.report._describe import columns_info, describe_teacher, model_info
from treedistill.report._fidelity_section import (
    baseline_size,
    calibration_section,
    confusion_section,
    fidelity_tables,
    student_fidelity,
)
from treedistill.report._headline import chosen_point, summary_section
from treedistill.report._inputs import (
    Inputs,
    Rows,
    check_models,
    check_options,
    prepare,
)
from treedistill.report._lead import focus_rows, student_leads
from treedistill.report._operating import (
    OperatingPoints,
    curve_measures,
    operating_points,
)
from treedistill.report._sentences import headline_sentences
from treedistill.report._shap_section import shap_section
from treedistill.report._size_curve import SizeCurveConfig, agreement_rate, size_curve
from treedistill.report._stability_section import (
    reasons_check,
    stability_section,
    warning_sentences,
)
from treedistill.report._subgroup_section import cut_points, fairness_section
from treedistill.report._tree_section import tree_section

__all__ = ["evaluate", "SCHEMA_VERSION", "SKIPPABLE"]


SCHEMA_VERSION = "2"


def evaluate(
    models: Mapping,
    X_test,
    y_test,
    X_train,
    y_train,
    *,
    subgroups: Sequence[str] | None = None,
    size_grid: Sequence[int] = (2, 4, 8, 16, 32, 64),
    n_synthetic: int = 5000,
    include_values: bool = False,
    shap_rows: int = 200,
    random_state: int | None = 0,
    run_info: Mapping | None = None,
    positive_class=None,
    threshold: float = 0.5,
    flag_rate: float | None = None,
    stability_refits: int = 20,
    skip: Sequence[str] = (),
    held_out_fidelity: dict | None = None,
) -> dict:
    """Measure how faithfully distilled students reproduce their teacher.

    Parameters
    ----------
    models : dict of str -> fitted distiller
        e.g. ``{"tree": DistilledTreeClassifier, "boosted":
        DistilledBoostingClassifier}``, all distilled from the same teacher. The
        first tree student (``"tree"`` if present) is the one audited rule by rule
        and drawn.
    X_test, y_test : held-out real rows and their true labels
    X_train, y_train : the real rows the models were fit on
    subgroups : list of str, default=None
        Columns to audit level by level (numeric ones in quartiles when they have
        more than 10 values). ``None``: every categorical column. When given and
        the outcome is binary, ``report["fairness"]`` holds performance and
        fairness per group of these columns (see :func:`fairness_section`).
    size_grid : sequence of int, default=(2, 4, 8, 16, 32, 64)
        Leaf budgets of the fidelity-against-size curve.
    n_synthetic : int, default=5000
        Rows of a fresh MUNGE draw from ``X_train`` (from a seeded sample of
        ``SYNTHETIC_SOURCE_ROWS`` of its rows when it has more;
        ``data["n_synthetic_source"]``) labelled by the teacher.
    include_values : bool, default=False
        Show the raw feature values of the rows where student and teacher
        disagree most (otherwise only their row index).
    shap_rows : int, default=200
        Held-out rows explained by SHAP (a seeded subsample).
    random_state : int or None, default=0
    run_info : dict, default=None
        Passed through into ``report["run"]``.
    positive_class : class label, default=None
        The class whose patients are flagged in a binary problem; ``None``: the
        minority class of ``y_train``.
    threshold : float, default=0.5
        Operating point: a row is flagged when P(positive) >= ``threshold``.
    flag_rate : float, default=None
        Operating point: each model flags its own top ``flag_rate`` share of risk;
        ``None``: the prevalence of the positive class in ``y_train``.
    stability_refits : int, default=20
        Bootstrap refits of the tree student behind the stability section
        (:func:`treedistill.stability`); 0 turns the section off.
    skip : sequence of str, default=()
        Expensive sections to leave out, any of :data:`SKIPPABLE` (``"shap"``,
        ``"size_curve"``, ``"stability"``; ``-`` for ``_`` is accepted). A skipped
        section is kept in the report, empty, with ``"skipped": True``; the names
        are listed in ``report["skipped"]``.
    held_out_fidelity : dict, default=None
        When given, filled with each model's held-out fidelity at full precision
        (the numbers of the report's fidelity table before rounding, keyed by
        model name, as :func:`treedistill.fidelity` returns them), for a caller
        that records them without computing them again.

    Returns
    -------
    dict
        JSON-serialisable; ``schema_version`` is ``"2"``. Floats are rounded to 6
        significant digits and NaN is ``None``. ``summary["sentences"]`` is the
        headline in words (what is degenerate about the teacher first);
        ``operating_points`` the positive class, threshold and flag rate used;
        every model's fidelity row carries ``measures`` (per class, at each
        operating point, ranking, probability, truth; see
        :func:`treedistill.fidelity`).
    """

    checked = check_models(models)
    primary = checked[1][checked[3]]
    grid, subgroup_columns = check_options(
        size_grid, n_synthetic, shap_rows, subgroups, primary.schema_
    )
    if run_info is not None and not isinstance(run_info, Mapping):
        raise ValueError(f"run_info must be a dict, got {type(run_info).__name__}")
    check_operating_points(
        positive_class, threshold, flag_rate, np.asarray(primary.classes_)
    )
    n_refits = check_refits(stability_refits)
    skipped = check_skip(skip)
    if "size_curve" in skipped:
        grid = []
    if "shap" in skipped:
        shap_rows = 0
    if "stability" in skipped:
        n_refits = 0
    seeds = _Seeds(*np.random.SeedSequence(random_state).generate_state(6).tolist())
    rows = (X_test, y_test, X_train, y_train)
    inputs = prepare(checked, *rows, n_synthetic=n_synthetic, seed=seeds.syn)
    ops = operating_points(
        positive_class,
        threshold,
        flag_rate,
        inputs.classes,
        inputs.train.y_idx,
        names=_class_names(inputs.primary, inputs.classes)["class_names"],
    )
    # The stability refits need nothing the other sections compute: they run
    # on a second thread beside them (each section draws from its own seed, so
    # the numbers are those of running them one after the other), with one
    # BLAS / OpenMP thread each so the two do not wait on each other's native
    # thread pools.
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=1) as side:
        stability = side.submit(
            contextvars.copy_context().run,
            stability_section,
            inputs,
            ops,
            n_refits=n_refits,
            seed=seeds.stability,
        )
        report = _sections(
            inputs,
            seeds,
            ops,
            grid=grid,
            subgroup_columns=subgroup_columns,
            include_values=include_values,
            shap_rows=shap_rows,
        )
        report["stability"] = stability.result()
    report["shap"]["reasons"] = reasons_check(report["shap"], inputs.primary_name)
    for name in skipped:
        if isinstance(report.get(name), dict):
            report[name]["skipped"] = True
    report["skipped"] = sorted(skipped)
    report["data"] = _data_section(inputs, include_values, random_state, ops)
    report["operating_points"] = ops.describe()
    if subgroups is not None:
        report["fairness"] = _fairness(inputs, report, subgroup_columns, ops)
    if held_out_fidelity is not None:
        held_out_fidelity.update(student_fidelity(report["fidelity"], inputs.names))
    out = plain(report, digits=SIGNIFICANT_DIGITS)
    sentences, n_alert = headline_sentences(
        out["summary"], out["data"], out["operating_points"]
    )
    warnings = warning_sentences(out["stability"], out["shap"].get("reasons"))
    sentences[n_alert:n_alert] = warnings
    n_alert += len(warnings)
    overlap = ((run_info or {}).get("teacher") or {}).get("held_out_overlap") or {}
    if overlap.get("status") == "overlap":  # first: every figure below is optimistic
        sentences.insert(0, overlap["text"][:1].upper() + overlap["text"][1:] + ".")
        n_alert += 1
    elif overlap.get("status") == "unknown":
        sentences.append(overlap["text"][:1].upper() + overlap["text"][1:] + ".")
    out["summary"].update(sentences=sentences, n_alert=n_alert)
    out["summary"]["students"] = student_leads(out)
    out["run"] = plain(dict(run_info) if run_info else {})
    return out


@dataclass(frozen=True)
class _Seeds:
    """One seed per use, all drawn from ``random_state``."""

    boot: int  # bootstrap intervals
    syn: int  # fresh synthetic rows
    tree: int  # size-curve refits and baseline trees
    shap: int  # the teacher's SHAP permutations
    pick: int  # rows explained by SHAP
    stability: int  # bootstrap refits of the tree student


def _on_rows(model, inputs: Inputs, rows: Rows, method: str) -> np.ndarray:
    """``model.predict_proba`` or ``model.apply`` of ``rows``.

    A model that shares the primary model's schema reads the rows' encoding
    (cleaned and encoded once), ``chunk_size`` rows at a time when it was fit in
    chunks; another model cleans and encodes them itself.
    """
    if model.schema_ != inputs.schema:
        return getattr(model, method)(rows.model_in)
    fn = model._student_proba if method == "predict_proba" else model.student_.apply
    size = getattr(model, "chunk_size", None) or len(rows.encoded)
    parts = [
        fn(rows.encoded[start : start + size])
        for start in range(0, len(rows.encoded), max(1, size))
    ]
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _predict(inputs: Inputs) -> tuple[dict, dict, dict]:
    """Each model's probabilities on the held-out and synthetic rows, and where
    it agrees with the teacher on the held-out rows."""
    names, models = inputs.names, inputs.models
    test, syn = inputs.test, inputs.synthetic
    proba_test = {n: _on_rows(models[n], inputs, test, "predict_proba") for n in names}
    proba_syn = {}
    if syn is not None:
        proba_syn = {
            n: _on_rows(models[n], inputs, syn, "predict_proba") for n in names
        }
    t_cls = inputs.test.teacher_class
    agree = {n: np.argmax(proba_test[n], axis=1) == t_cls for n in names}
    return proba_test, proba_syn, agree


def _sections(
    inputs: Inputs,
    seeds: _Seeds,
    ops: OperatingPoints,
    *,
    grid,
    subgroup_columns,
    include_values,
    shap_rows,
) -> dict:
    """Every section of the report but the data description and the run."""
    names, models = inputs.names, inputs.models
    proba_test, proba_syn, agree = _predict(inputs)
    infos = {n: model_info(n, models[n]) for n in names}
    seed, tree_seed = seeds.boot, seeds.tree
    fid = fidelity_tables(
        inputs, proba_test, proba_syn, infos, ops=ops, seed=seed, tree_seed=tree_seed
    )
    primary_row = next(r for r in fid["held_out"] if r["key"] == inputs.primary_name)
    point = chosen_point(primary_row["measures"]["operating_points"], ops)
    focus = {
        n: focus_rows(ops, point, inputs.test.teacher_proba, proba_test[n])
        for n in names
    }
    config = SizeCurveConfig(
        grid=tuple(grid),
        criterion=baseline_size(inputs)[1],
        seed=seeds.tree,
        ops=ops,
        point_kind=None if point is None else point["kind"],
    )
    curve = size_curve(
        models[inputs.tree_name] if inputs.tree_name else inputs.primary,
        inputs,
        config=config,
        chosen=_chosen(inputs, agree, proba_test, proba_syn, ops),
    )
    audit = _tree_audit(inputs, proba_test, proba_syn, agree, focus, ops.positive)
    subgroup_rows = subgroups_section(inputs, subgroup_columns, agree, focus)
    primary_name = inputs.primary_name
    summary = summary_section(
        primary_name,
        infos[primary_name],
        agree[primary_name],
        fid,
        audit,
        subgroup_rows,
        ops,
    )
    rule_of_row = audit.pop("rule_of_row")
    return {
        "schema_version": SCHEMA_VERSION,
        "teacher": {"description": describe_teacher(inputs.primary.teacher_)},
        "models": infos,
        "model_order": names,
        "primary_model": primary_name,
        "tree_model": inputs.tree_name,
        "fidelity": fid,
        "size_curve": curve,
        "confusion": confusion_section(inputs, proba_test),
        "calibration": calibration_section(inputs, proba_test, ops.positive),
        **audit,
        "subgroups": {"columns": subgroup_columns, "rows": subgroup_rows},
        "disagreements": disagreements_section(
            inputs,
            proba_test[primary_name],
            agree[primary_name],
            rule_of_row if inputs.tree_name == primary_name else None,
            include_values,
        ),
        "shap": shap_section(
            inputs,
            shap_rows=shap_rows,
            seed_pick=seeds.pick,
            seed=seeds.shap,
            positive=ops.positive,
        ),
        "summary": summary,
    }


def _fairness(inputs: Inputs, report: dict, columns, ops: OperatingPoints) -> dict:
    """Performance and fairness per subgroup of the held-out rows, for the
    model the report leads with and the teacher, at the report's operating
    points (binary outcomes only)."""
    if ops.positive is None:
        return {"columns": list(columns), "groups": [], "gaps": [],
                "note": "Measured for two classes only."}  # fmt: skip
    name = inputs.primary_name
    row = next(r for r in report["fidelity"]["held_out"] if r["key"] == name)
    pos = ops.positive
    proba = _on_rows(inputs.models[name], inputs, inputs.test, "predict_proba")
    # Bands where the per-subgroup table cuts (the training rows' quartiles).
    test, train = inputs.test.frame, inputs.train.frame
    bands = {}
    for column in columns:
        edges = band_edges(inputs.schema.column(column), test[column], train[column])
        if edges:
            bands[column] = edges
    return fairness_section(
        test,
        columns,
        inputs.test.y_idx == pos,
        inputs.test.teacher_proba[:, pos],
        proba[:, pos],
        cut_points(row),
        model=name,
        min_n=MIN_N,
        bands=bands,
    )


def _chosen(inputs: Inputs, agree, proba_test, proba_syn, ops) -> dict | None:
    """The fitted tree student's own point on the size curve."""
    name = inputs.tree_name
    if name is None:
        return None
    syn = inputs.synthetic
    model = inputs.models[name]
    return {
        "model": name,
        "leaves": model.student_.get_n_leaves(),
        "max_leaf_nodes": model.get_params().get("max_leaf_nodes"),
        "held_out": float(agree[name].mean()),
        "synthetic": (
            agreement_rate(syn.teacher_proba, proba_syn[name]) if syn else None
        ),
        "measures": curve_measures(ops, inputs.test.teacher_proba, proba_test[name]),
    }


def _tree_audit(
    inputs: Inputs, proba_test, proba_syn, agree, focus: dict, positive
) -> dict:
    """Rules, the per-leaf audit and the tree drawing of the tree student."""
    name = inputs.tree_name
    if name is None:
        return {"rules": None, "leaves": None, "tree": None, "rule_of_row": None}
    model = inputs.models[name]
    test, syn = inputs.test, inputs.synthetic
    test_leaf = _on_rows(model, inputs, test, "apply")
    hit = np.argmax(proba_test[name], axis=1) == test.y_idx
    syn_leaf = syn_agree = None
    if syn is not None:
        syn_leaf = _on_rows(model, inputs, syn, "apply")
        syn_agree = np.argmax(proba_syn[name], axis=1) == syn.teacher_class
    rules, leaves, rule_of_leaf = rules_section(
        model,
        test_leaf,
        agree[name],
        hit,
        syn_leaf,
        syn_agree,
        focus=focus[name],
        positive=positive,
    )
    return {
        "rules": rules,
        "leaves": leaves,
        "tree": tree_section(model, test_leaf, rule_of_leaf),
        "rule_of_row": [rule_of_leaf.get(int(leaf)) for leaf in test_leaf],
    }


def _data_section(inputs: Inputs, include_values: bool, random_state, ops) -> dict:
    classes = inputs.classes
    k = len(classes)
    return {
        "n_train": len(inputs.train.frame),
        "n_test": len(inputs.test.frame),
        "n_synthetic": (0 if inputs.synthetic is None else len(inputs.synthetic.frame)),
        "n_synthetic_source": inputs.n_synthetic_source,
        "classes": list(classes),
        **_class_names(inputs.primary, classes),
        "positive_class": None if ops.positive is None else classes[ops.positive],
        "columns": columns_info(inputs.schema),
        "test_class_counts": np.bincount(inputs.test.y_idx, minlength=k).tolist(),
        "include_values": bool(include_values),
        "random_state": random_state,
    }


def _class_names(model, classes) -> dict:
    """The classes' display names (in ``classes`` order) and display order, as
    the model's ``class_names`` gave them (the labels themselves otherwise)."""
    names = getattr(model, "class_names_", None)
    order = getattr(model, "class_order_", None)
    if names is None or order is None:
        names, order = [str(c) for c in classes], range(len(classes))
    return {
        "class_names": [str(n) for n in names],
        "class_order": [int(i) for i in order],
    }
