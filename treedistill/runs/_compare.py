"""Compare two finished runs: where and how much their teachers disagree, the
rules of their trees that changed, and how fidelity, calibration and flag rates
moved per subgroup.

Both runs are read through :func:`read_report` and the run's own files
(``config.json``, ``held_out_rows.csv``, the saved students and teachers); the
data file is read again from the path each run recorded and must still have the
recorded sha256. Runs on different data or targets are refused unless
``allow_different``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._files import atomic_write_text
from treedistill.common._json import dumps, plain
from treedistill.common._version import __version__
from treedistill.exceptions import ParameterError, SavedRunError
from treedistill.measures._fidelity import wilson
from treedistill.measures._metrics import fidelity
from treedistill.report._format import pct
from treedistill.report._render import _environment
from treedistill.report._subgroup_section import band_start as _band_start
from treedistill.report._subgroup_section import group_labels as _groups
from treedistill.runs._outdir import Staging, check_out_dir
from treedistill.runs._saved import load_run_student, read_report, run_json
from treedistill.runs._verify import recorded_input

__all__ = ["COMPARE_VERSION", "compare_runs", "render_compare", "write_compare"]

#: Version of compare.json's layout.
COMPARE_VERSION = 1
#: Groups with fewer held-out rows than this are greyed out and never named.
MIN_GROUP_ROWS = 10
#: Rules whose covered rows overlap at least this much (Jaccard) are "the same
#: region" in both trees.
SAME_REGION = 0.8
#: Real rows the disagreement tree is fit on (a seeded sample above this).
MAX_DISAGREEMENT_ROWS = 20_000


def _q(path) -> str:
    return repr(os.fspath(path))


@dataclass
class _Run:
    path: Path
    report: dict
    config: dict
    data_path: Path
    student: object
    teacher: object
    features: list[str]
    tree: object | None


def _config(run: Path) -> dict:
    return run_json(run, "config.json", "config")


def _data_path(run: Path, config: dict) -> Path:
    return recorded_input(
        run,
        config.get("data") or {},
        what="data",
        own_copy=bool((config.get("options") or {}).get("copy_data")),
    )


def _teacher(run: Path, config: dict, features: list[str]):
    from treedistill.teachers._teacher_files import load_teacher

    if config.get("teacher_file"):
        return load_teacher(run / config["teacher_file"])
    paths = [
        recorded_input(run, item, what="teacher")
        for item in config.get("teachers") or []
    ]
    if not paths:
        raise SavedRunError(
            f"{_q(run / 'config.json')} records no teacher", path=run / "config.json"
        )
    options = config.get("options") or {}
    exported = any(p.suffix.lower() == ".pt2" for p in paths)
    return load_teacher(
        paths,
        trust_pickle=bool(options.get("trust_pickle")),
        ensemble=options.get("ensemble_method") or "arithmetic",
        classes=options.get("classes"),
        feature_names=features if exported else None,
    )


def _load(run_dir) -> _Run:
    run = Path(run_dir)
    report = read_report(run)
    config = _config(run)
    kind = report["summary"].get("model") or None
    student = load_run_student(run, kind if kind in ("tree", "boosted") else None)
    tree = student if student.kind == "tree" else None
    features = [str(c) for c in student.feature_names_in_]
    return _Run(
        path=run,
        report=report,
        config=config,
        data_path=_data_path(run, config),
        student=student,
        teacher=_teacher(run, config, features),
        features=features,
        tree=tree,
    )


def _differences(a: _Run, b: _Run) -> list[str]:
    out = []
    da, db = a.config.get("data") or {}, b.config.get("data") or {}
    if da.get("sha256") != db.get("sha256"):
        out.append(
            f"data: {da.get('given') or da.get('path')} (sha256 "
            f"{str(da.get('sha256'))[:12]}…) vs {db.get('given') or db.get('path')} "
            f"(sha256 {str(db.get('sha256'))[:12]}…)"
        )
    ta, tb = a.report["run"]["data"]["target"], b.report["run"]["data"]["target"]
    if ta != tb:
        out.append(f"target: {ta!r} vs {tb!r}")
    return out


def _held_out(run: _Run, frame: pd.DataFrame) -> np.ndarray:
    """Positions (from 0, in data order) of the run's held-out rows."""
    from treedistill.data._tables import read_table

    file = run.path / (run.config.get("held_out_rows") or {}).get(
        "file", "held_out_rows.csv"
    )
    if not file.is_file():
        raise SavedRunError(f"{_q(run.path)} has no {file.name}", path=run.path)
    rows = read_table(file)
    key = str(rows.columns[0])
    if key == "row":
        pos = rows["row"].to_numpy(dtype=np.int64) - 1
    else:
        if key not in frame.columns:
            raise SavedRunError(
                f"{_q(file)} lists rows by the column {key!r}, which the data lacks",
                path=file,
            )
        pos = pd.Index(frame[key]).get_indexer(rows[key])
    if len(pos) and (pos.min() < 0 or pos.max() >= len(frame)):
        raise SavedRunError(f"{_q(file)} names rows the data does not have", path=file)
    return pos


def _proba(run: _Run, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from treedistill.teachers._soften import soften
    from treedistill.teachers._teachers import teacher_logits

    rows = X[run.features]
    teacher = soften(teacher_logits(run.teacher, rows))
    student = np.asarray(run.student.predict_proba(rows), dtype=np.float64)
    return teacher, student


class _DisagreementTeacher:
    """A fitted 'classifier' whose class is whether two teachers' predicted
    classes differ on a row (its logits are those of a near one-hot)."""

    classes_ = np.array(["differ", "same"], dtype=object)

    def __init__(self, a: _Run, b: _Run):
        self.a, self.b = a, b

    def predict_logits(self, X):
        from treedistill.teachers._soften import soften
        from treedistill.teachers._teachers import teacher_logits

        X = pd.DataFrame(X)
        pa = soften(teacher_logits(self.a.teacher, X[self.a.features]))
        pb = soften(teacher_logits(self.b.teacher, X[self.b.features]))
        differ = np.argmax(pa, axis=1) != np.argmax(pb, axis=1)
        logits = np.zeros((len(X), 2))
        logits[:, 0] = np.where(differ, 30.0, -30.0)
        return logits


def _disagreement_tree(a, b, frame, columns, held, differ_held, leaves, seed):
    """A small tree on the disagreement indicator: its rules and, per rule, the
    held-out rows it covers and how many of them the teachers disagree on."""
    from treedistill.distill._estimators import DistilledTreeClassifier
    from treedistill.distill._rules import extract_rules, rule_numbers

    if not differ_held.any():
        return {"skipped": True, "reason": "the teachers agree on every held-out row"}
    rows = frame[columns]
    if len(rows) > MAX_DISAGREEMENT_ROWS:
        pick = np.random.default_rng([seed, 7]).choice(
            len(rows), MAX_DISAGREEMENT_ROWS, replace=False
        )
        rows = rows.iloc[np.sort(pick)]
    teacher = _DisagreementTeacher(a, b)
    labels = np.where(teacher.predict_logits(rows)[:, 0] > 0, "differ", "same")
    if len(set(labels)) < 2:
        return {"skipped": True, "reason": "the teachers agree on every row"}
    model = DistilledTreeClassifier(
        teacher=teacher,
        max_leaf_nodes=int(leaves),
        min_samples_leaf=max(5, len(rows) // 100),
        augment_factor=1.0,
        split_class_weight="balanced",
        class_names={"differ": "teachers differ", "same": "teachers agree"},
        random_state=seed,
    )
    model.fit(rows, labels)
    numbers = rule_numbers(model)
    held_rules = np.array(
        [numbers[int(v)] for v in model.apply(frame.iloc[held][columns])]
    )
    n_differ = int(differ_held.sum())
    out = []
    for rule in extract_rules(model, positive=0):
        mask = held_rules == rule.number
        n, k = int(mask.sum()), int(differ_held[mask].sum())
        out.append(
            {
                "rule": rule.number,
                "text": rule.text,
                "where": " AND ".join(rule.conditions) or "every row",
                "disagreement_fit": float(rule.distribution[0]),
                "n_held_out": n,
                "n_differ": k,
                "rate": None if n == 0 else k / n,
                "share_of_disagreements": k / n_differ,
                "small": n < MIN_GROUP_ROWS,
            }
        )
    out.sort(key=lambda r: (-(r["disagreement_fit"]), r["rule"]))
    return {
        "skipped": False,
        "n_leaves": len(out),
        "n_fit_rows": int(len(rows)),
        "rules": out,
    }


def _rule_changes(a: _Run, b: _Run, X: pd.DataFrame) -> dict:
    """Match each rule of A's tree to the rule of B's tree that covers the most
    nearly the same rows (Jaccard overlap of the rows they cover)."""
    from treedistill.distill._rules import rule_numbers

    if a.tree is None or b.tree is None:
        return {"skipped": True, "reason": "both runs need a tree student"}

    def numbered(run):
        numbers = rule_numbers(run.tree)
        leaves = run.tree.apply(X[run.features])
        return np.array([numbers[int(v)] for v in leaves])

    ra, rb = numbered(a), numbered(b)
    text_a = {r["rule"]: r for r in a.report.get("rules") or []}
    text_b = {r["rule"]: r for r in b.report.get("rules") or []}
    matched_b = set()
    rows = []
    for i in sorted(text_a):
        in_a = ra == i
        best, best_j = 0.0, None
        for j in sorted(text_b):
            in_b = rb == j
            union = int((in_a | in_b).sum())
            if union == 0:
                continue
            jac = int((in_a & in_b).sum()) / union
            if jac > best:
                best, best_j = jac, j
        ta = text_a[i]
        if best_j is None:
            # A rule no compared row reaches: matched by its text, if B has it.
            best_j = next(
                (j for j in sorted(text_b) if text_b[j]["text"] == ta["text"]), None
            )
        tb = text_b.get(best_j) if best_j is not None else None
        if best_j is not None:
            matched_b.add(best_j)
        if tb is None:
            status = "no rows"
        elif ta["text"] == tb["text"]:
            status = "same"
        elif best >= SAME_REGION and ta.get("prediction") == tb.get("prediction"):
            status = "moved"
        else:
            status = "changed"
        rows.append(
            {
                "rule_a": i,
                "text_a": ta["text"],
                "rule_b": best_j,
                "text_b": None if tb is None else tb["text"],
                "overlap": best,
                "n_rows_a": int(in_a.sum()),
                "status": status,
            }
        )
    new = [
        {"rule_b": j, "text_b": text_b[j]["text"], "n_rows_b": int((rb == j).sum())}
        for j in sorted(text_b)
        if j not in matched_b
    ]
    counts = {
        s: sum(r["status"] == s for r in rows)
        for s in ("same", "moved", "changed", "no rows")
    }
    return {"skipped": False, "rules": rows, "new_in_b": new, "counts": counts,
            "n_rows": int(len(X))}  # fmt: skip


def _subgroups(columns, frame, held, y_idx, probs, positive, thresholds, bands):
    """Per group of each column: rows, and for each run its tree's agreement
    with its teacher, calibration in the large and flag rates; and the change."""
    out = []
    rows = frame.iloc[held]
    for column in columns:
        if column not in frame.columns:
            raise ParameterError(
                f"subgroup column {column!r} is not a column of the data",
                parameter="subgroup",
            )
        groups, how = _groups(rows, column, bands.get(column) if bands else None)
        groups = groups.to_numpy()
        levels = sorted({str(v) for v in groups} - {"(missing)"})
        if how == "bands":
            levels = [str(v) for v in pd.unique(groups) if str(v) != "(missing)"]
            levels.sort(key=lambda v: _band_start(v))
        if "(missing)" in set(map(str, groups)):
            levels.append("(missing)")
        groups = np.array([str(v) for v in groups], dtype=object)
        for level in levels:
            mask = groups == level
            n = int(mask.sum())
            label = str(level) if how == "bands" else f"{column} = {level}"
            entry = {"column": column, "level": str(level), "label": label,
                     "n": n, "grouping": how,
                     "small": n < MIN_GROUP_ROWS, "runs": {}}  # fmt: skip
            for name, (pt, ps) in probs.items():
                agree = np.argmax(pt[mask], axis=1) == np.argmax(ps[mask], axis=1)
                item = {"agreement": wilson(float(agree.sum()), n)}
                if positive is not None:
                    observed = float(np.mean(y_idx[mask] == positive))
                    item["outcome_rate"] = observed
                    item["calibration_in_the_large"] = float(
                        np.mean(pt[mask, positive]) - observed
                    )
                    item["teacher_flag_rate"] = float(
                        np.mean(pt[mask, positive] >= thresholds[name])
                    )
                    item["tree_flag_rate"] = float(
                        np.mean(ps[mask, positive] >= thresholds[name])
                    )
                entry["runs"][name] = item
            a, b = entry["runs"]["a"], entry["runs"]["b"]
            entry["change"] = {
                key: b[key] - a[key]
                for key in ("calibration_in_the_large", "teacher_flag_rate",
                            "tree_flag_rate")
                if key in a
            }  # fmt: skip
            entry["change"]["agreement"] = (
                None
                if a["agreement"]["value"] is None
                else b["agreement"]["value"] - a["agreement"]["value"]
            )
            out.append(entry)
    return out


def _teacher_section(pa, pb, y_idx, positive, threshold, flag_rate, seed, classes):
    measures = fidelity(
        pa,
        pb,
        y_idx,
        positive=positive,
        threshold=threshold,
        flag_rate=flag_rate,
        random_state=seed,
        class_names=classes,
    )
    out = {
        "n": int(len(pa)),
        "agreement": measures["overall_agreement"],
        "n_differ": int(np.sum(np.argmax(pa, axis=1) != np.argmax(pb, axis=1))),
    }
    if positive is not None and len(classes) == 2:
        out["operating_points"] = [
            {
                "kind": op["kind"],
                "value": op["value"],
                "a_flagged": op["teacher_flagged"],
                "b_flagged": op["student_flagged"],
                "flagged_by_a_also_by_b": op["flagged_agreement"],
                "overlap": op["overlap"],
            }
            for op in measures["operating_points"]
        ]
    return out


def compare_runs(
    run_a: str | os.PathLike,
    run_b: str | os.PathLike,
    *,
    allow_different: bool = False,
    subgroup: list[str] | None = None,
    bands: dict[str, list[float]] | None = None,
    n_synthetic: int = 5000,
    disagreement_leaves: int = 6,
    random_state: int = 0,
) -> dict:
    """Compare two finished runs; a JSON-serialisable dict (see the module).

    ``subgroup`` lists data columns (default: both reports' subgroup columns);
    a numeric column with more than 12 values is cut into bands at ``bands[col]``
    (default: its quartiles on the held-out rows). Runs on different data or
    targets are refused (a ``ParameterError`` naming ``allow_different`` and what
    differs) unless ``allow_different``; runs whose classes differ always are.
    """
    from treedistill.data._tables import read_table
    from treedistill.distill._transfer import munge

    if int(disagreement_leaves) < 2:
        raise ParameterError(
            f"disagreement_leaves must be at least 2; got {disagreement_leaves!r}",
            parameter="disagreement_leaves",
        )
    if int(n_synthetic) < 0:
        raise ParameterError(
            f"n_synthetic must be at least 0; got {n_synthetic!r}",
            parameter="n_synthetic",
        )
    a, b = _load(run_a), _load(run_b)
    differences = _differences(a, b)
    if differences and not allow_different:
        raise ParameterError(
            f"runs {_q(a.path)} and {_q(b.path)} differ in "
            + "; ".join(differences)
            + " (allow_different compares them on the first run's data and target)",
            parameter="allow_different",
        )
    classes = [str(c) for c in a.report["data"]["classes"]]
    if classes != [str(c) for c in b.report["data"]["classes"]]:
        raise SavedRunError(
            f"runs {_q(a.path)} and {_q(b.path)} have different classes "
            f"({', '.join(classes)} vs "
            f"{', '.join(map(str, b.report['data']['classes']))}): their teachers "
            "cannot be compared",
            path=b.path,
        )
    frame = read_table(a.data_path)
    target = a.report["run"]["data"]["target"]
    held_a, held_b = _held_out(a, frame), _held_out(b, frame)
    common = held_a[np.isin(held_a, held_b)]
    if len(common) == 0:
        raise SavedRunError(
            f"runs {_q(a.path)} and {_q(b.path)} hold out no row in common",
            path=b.path,
        )
    missing_cols = [c for c in b.features if c not in frame.columns]
    if missing_cols:
        raise SavedRunError(
            f"the data of run {_q(a.path)} lacks the column {missing_cols[0]!r} that "
            f"run {_q(b.path)} reads",
            path=a.data_path,
        )
    labels = frame[target].astype(object)
    labelled = labels.notna().to_numpy()
    lookup = {c: i for i, c in enumerate(classes)}
    y_all = np.array([lookup.get(str(v), -1) for v in labels], dtype=np.int64)
    ops = a.report["operating_points"]
    positive = (
        ops.get("positive_index") if ops.get("positive_class") is not None else None
    )
    threshold = float(ops.get("threshold") or 0.5)  # None for 3+ classes
    flag_rate = ops.get("flag_rate")
    held_rows = frame.iloc[common]
    y_held = y_all[common]
    ta, sa = _proba(a, held_rows)
    tb, sb = _proba(b, held_rows)
    teachers = {"held_out": _teacher_section(
        ta, tb, y_held, positive, threshold, flag_rate, random_state, classes)}  # fmt: skip
    columns = list(dict.fromkeys([*a.features, *b.features]))
    same_features = set(a.features) == set(b.features)
    synthetic = None
    if n_synthetic and same_features:
        train = np.setdiff1d(np.flatnonzero(labelled), held_a)
        source = frame.iloc[train][a.features]
        if len(source) > 100_000:
            pick = np.random.default_rng([random_state, 2]).choice(
                len(source), 100_000, replace=False
            )
            source = source.iloc[np.sort(pick)]
        synthetic = munge(
            source, a.student.schema_, int(n_synthetic),
            np.random.default_rng([random_state, 3]),
        )  # fmt: skip
        synthetic.index = pd.RangeIndex(len(synthetic))
        syn_ta, _ = _proba(a, synthetic)
        syn_tb, _ = _proba(b, synthetic)
        teachers["synthetic"] = _teacher_section(
            syn_ta, syn_tb, None, positive, threshold, flag_rate, random_state, classes
        )
    else:
        teachers["synthetic"] = {
            "skipped": True,
            "reason": "not asked for"
            if not n_synthetic
            else "the two runs read different columns",
        }
    differ_held = np.argmax(ta, axis=1) != np.argmax(tb, axis=1)
    fit_rows = frame.iloc[np.flatnonzero(labelled)]
    region = _disagreement_tree(
        a, b, fit_rows, columns,
        np.searchsorted(np.flatnonzero(labelled), common), differ_held,
        disagreement_leaves, random_state,
    )  # fmt: skip
    rule_rows = (
        held_rows
        if synthetic is None
        else pd.concat(
            [held_rows[a.features].reset_index(drop=True), synthetic], ignore_index=True
        )
    )
    rules = _rule_changes(a, b, rule_rows)
    subgroups = subgroup
    if subgroups is None:
        subgroups = list(dict.fromkeys(
            [*a.report["subgroups"].get("columns", []),
             *b.report["subgroups"].get("columns", [])]))  # fmt: skip
    thresholds = {
        "a": threshold,
        "b": float(b.report["operating_points"].get("threshold") or 0.5),
    }
    groups = _subgroups(
        subgroups, frame, common, y_held, {"a": (ta, sa), "b": (tb, sb)},
        positive, thresholds, bands,
    )  # fmt: skip
    doc = {
        "compare_version": COMPARE_VERSION,
        "treedistill": __version__,
        "runs": {
            "a": _run_line(a),
            "b": _run_line(b),
        },
        "differences": differences,
        "target": target,
        "classes": classes,
        "positive_class": ops.get("positive_class"),
        "threshold": threshold,
        "flag_rate": flag_rate,
        "rare": bool(ops.get("rare")),
        "n_held_out": int(len(common)),
        "n_synthetic": 0 if synthetic is None else int(len(synthetic)),
        "seed": int(random_state),
        "teachers": teachers,
        "students": {
            "a": wilson(
                float(np.sum(np.argmax(ta, 1) == np.argmax(sa, 1))), len(common)
            ),
            "b": wilson(
                float(np.sum(np.argmax(tb, 1) == np.argmax(sb, 1))), len(common)
            ),
        },
        "disagreement": region,
        "rule_changes": rules,
        "subgroups": groups,
        "min_group_rows": MIN_GROUP_ROWS,
    }
    doc = plain(doc)
    doc["summary"] = compare_sentences(doc)
    return doc


def _run_line(run: _Run) -> dict:
    return {
        "path": run.path.name,
        "teacher": run.report["teacher"]["description"],
        "student": run.student.kind,
        "n_leaves": (run.report.get("tree") or {}).get("n_leaves"),
        "agreement": run.report["summary"]["agreement"],
        "data_sha256": (run.config.get("data") or {}).get("sha256"),
    }


def compare_sentences(doc: dict) -> list[str]:
    """The comparison's headline, in sentences."""
    held = doc["teachers"]["held_out"]
    agree = held["agreement"]
    out = [
        f"The two teachers predict the same class for {pct(agree['value'])} of "
        f"{held['n']} held-out rows (95% CI {pct(agree['low'])}–{pct(agree['high'])};"
        f" they differ on {held['n_differ']})."
    ]
    syn = doc["teachers"].get("synthetic") or {}
    if not syn.get("skipped"):
        s = syn["agreement"]
        out.append(
            f"On {syn['n']} fresh synthetic rows they agree on {pct(s['value'])} "
            f"(95% CI {pct(s['low'])}–{pct(s['high'])})."
        )
    for op in held.get("operating_points") or []:
        if op["kind"] != "threshold":
            continue
        fa = op["flagged_by_a_also_by_b"]
        if fa.get("n"):
            out.append(
                f"At threshold {op['value']:g} on P({doc['positive_class']}), teacher A "
                f"flags {op['a_flagged']} held-out rows and teacher B {op['b_flagged']}; "
                f"B flags {pct(fa['value'])} of A's (overlap of the two sets "
                f"{pct(op['overlap']['value'])})."
            )
    region = doc["disagreement"]
    if not region.get("skipped"):
        top = region["rules"][0]
        out.append(
            f"They disagree most where {top['where']}"
            f" ({top['n_differ']} of {top['n_held_out']} held-out rows there differ;"
            f" {pct(top['share_of_disagreements'])} of all disagreements)."
        )
    rules = doc["rule_changes"]
    if not rules.get("skipped"):
        c = rules["counts"]
        out.append(
            f"Of the {len(rules['rules'])} rules of tree A, {c['same']} are unchanged "
            f"in tree B, {c['moved']} cover nearly the same rows with other "
            f"thresholds, {c['changed']} changed and {c['no rows']} cover none of "
            "these rows; "
            f"{len(rules['new_in_b'])} rules of B match no rule of A."
        )
    gaps = [
        g
        for g in doc["subgroups"]
        if not g["small"] and g["change"].get("teacher_flag_rate") is not None
    ]
    if gaps:
        g = max(
            gaps,
            key=lambda g: (
                abs(g["change"]["teacher_flag_rate"]),
                g["column"],
                g["level"],
            ),
        )
        out.append(
            f"The largest move in the teacher's flag rate is in {g['label']}: from {pct(g['runs']['a']['teacher_flag_rate'])} to "
            f"{pct(g['runs']['b']['teacher_flag_rate'])} of {g['n']} rows."
        )
    return out


def render_compare(doc: dict, *, html: bool) -> str:
    """compare.html (self-contained, escaped) or compare.md."""
    env = _environment(autoescape=html)
    template = env.get_template("compare.html.j2" if html else "compare.md.j2")
    return template.render(c=doc)


def write_compare(doc: dict, out, *, force: bool = False, keep=()) -> list[Path]:
    """Write compare.html, compare.md and compare.json into the new folder ``out``
    (new or empty, or with ``force`` a folder treedistill wrote; whole or not at
    all)."""
    target = check_out_dir(out, force, keep=keep)
    staging = Staging(target, force=force)
    names = ["compare.html", "compare.md", "compare.json"]
    try:
        atomic_write_text(staging.path / names[0], render_compare(doc, html=True))
        atomic_write_text(staging.path / names[1], render_compare(doc, html=False))
        atomic_write_text(staging.path / names[2], dumps(doc))
        staging.publish()
    except BaseException:
        staging.discard()
        raise
    return [target / n for n in names]


def read_compare(path) -> dict:
    """A compare.json written by :func:`write_compare`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
