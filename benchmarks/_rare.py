"""The rare-outcome suite of the fidelity benchmark (``fidelity.py --rare``).

Does the tree flag the same patients as the teacher and rank risk the same way?
For every data set and seed: a stratified 60/20/20 split, a teacher fit on the
training rows, and at equal leaf budgets, on the same student encoding:

- ``td``: ``DistilledTreeClassifier`` with the settings in ``TD_METHODS`` (spelled
  out, so a run does not depend on the defaults of the day);
- ``b``: ``DecisionTreeClassifier(max_leaf_nodes=k)`` on the *same* transfer set
  as ``td`` (real training rows + 20x MUNGE rows) with the teacher's hard labels;
- ``c``: ``DecisionTreeRegressor(max_leaf_nodes=k)`` on the teacher's
  probabilities over the real training rows only (P(positive) for two classes,
  the whole distribution, multi-output, for more).

Every model is scored with :func:`treedistill.fidelity` on the held-out test rows
and on a fresh MUNGE draw from the training rows labelled by the teacher. The
positive class of a binary set is its minority class; the flag rate is the
training prevalence (per class for K > 2, one-vs-rest).

``--tune`` scores the candidate settings in ``TUNE_GRID`` on the validation rows
instead (the test rows are not looked at).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from _common import (
    RARE_DATASETS,
    command_line,
    limit_threads,
    load_dataset,
    make_teacher,
    markdown_table,
    split_60_20_20,
    text_table,
    versions,
    write_json,
    write_text,
)

# The settings of DistilledTreeClassifier scored as ``td`` rows.
PREVIOUS = {"criterion": "gini", "temperature": 0.25, "augment_factor": 20.0}
# ``td``: the settings --tune chose (tuning_rare.md), now the estimator's defaults.
CHOSEN = {"criterion": "entropy", "temperature": 1.0, "augment_factor": 20.0}
TD_METHODS: dict[str, dict] = {"td_prev": PREVIOUS, "td": CHOSEN}
BASELINES = ("b", "c")

TUNE_GRID: dict[str, dict] = {
    "T=0.25 (previous)": PREVIOUS,
    "T=1": {**PREVIOUS, "temperature": 1.0},
    "T=4": {**PREVIOUS, "temperature": 4.0},
    "T=16": {**PREVIOUS, "temperature": 16.0},
    "T=1 entropy": {**PREVIOUS, "temperature": 1.0, "criterion": "entropy"},
    "T=0.25 balanced": {**PREVIOUS, "split_class_weight": "balanced"},
    "T=1 balanced": {**PREVIOUS, "temperature": 1.0, "split_class_weight": "balanced"},
    "T=4 balanced": {**PREVIOUS, "temperature": 4.0, "split_class_weight": "balanced"},
}

# Measures kept per (model, split); "higher" says which way is better.
MEASURES = {
    "agreement": "higher",
    "flagged": "higher",
    "overlap": "higher",
    "threshold_flagged": "higher",
    "spearman": "higher",
    "flag_auc": "higher",
    "worst_recall": "higher",
    "mad": "lower",
    "kl": "lower",
    "accuracy": "higher",
    "roc_auc": "higher",
}


@dataclass
class RareSettings:
    datasets: tuple
    teachers: tuple
    seeds: tuple
    leaves: tuple = (8, 16)
    n_synthetic: int = 20_000
    augment_factor: float = 20.0
    tune: bool = False
    methods: dict = field(default_factory=dict)


class CachedTeacher:
    """A fitted teacher whose logits are computed once per distinct input.

    Every ``DistilledTreeClassifier`` fit with one seed draws the same transfer
    set, so the teacher labels it once per cell, not once per setting.
    """

    def __init__(self, teacher):
        self.teacher = teacher
        self.classes_ = teacher.classes_
        self._cache: dict[str, np.ndarray] = {}

    def predict_logits(self, X) -> np.ndarray:
        from treedistill.teachers._teachers import raw_logits

        if isinstance(X, pd.DataFrame):
            data = pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes()
        else:
            data = np.ascontiguousarray(X).tobytes()
        key = hashlib.sha1(data + str(np.shape(X)).encode()).hexdigest()
        if key not in self._cache:
            self._cache[key] = raw_logits(self.teacher, X)
        return self._cache[key]


# ----------------------------------------------------------------------------- cell
def _measures(f: dict) -> dict:
    """The numbers kept from one :func:`treedistill.fidelity` result."""
    rate = [p for p in f["operating_points"] if p["kind"] == "flag_rate"]
    thr = [p for p in f["operating_points"] if p["kind"] == "threshold"]

    def mean(values):
        v = [x for x in values if x is not None]
        return float(np.mean(v)) if v else None

    recalls = [c["recall"]["value"] for c in f["per_class"] if c["teacher_n"] >= 5]
    out = {
        "agreement": f["agreement"],
        "flagged": mean(p["flagged_agreement"]["value"] for p in rate),
        "overlap": mean(p["overlap"]["value"] for p in rate),
        "threshold_flagged": thr[0]["flagged_agreement"]["value"] if thr else None,
        "threshold_degenerate": bool(thr[0]["degenerate"]) if thr else None,
        "spearman": f["ranking"]["spearman"]["value"],
        "flag_auc": f["ranking"]["flag_auc"]["value"],
        "worst_recall": min(recalls) if recalls else None,
        "mad": f["probability"]["mean_abs_diff"]["value"],
        "kl": f["probability"]["kl"]["value"],
        "n_degenerate_facts": len(f["degenerate"]),
    }
    if "truth" in f:
        out["accuracy"] = f["truth"]["student"]["accuracy"]["value"]
        out["roc_auc"] = f["truth"]["student"]["roc_auc"]["value"]
        out["teacher_roc_auc"] = f["truth"]["teacher"]["roc_auc"]["value"]
    return out


def _baseline_b(E, hard, k, seed, n_classes):
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_leaf_nodes=k, random_state=seed).fit(E, hard)

    def proba(F):
        out = np.zeros((len(F), n_classes))
        out[:, tree.classes_.astype(int)] = tree.predict_proba(F)
        return out

    return proba


def _baseline_c(E, p_teacher, k, seed, positive):
    from sklearn.tree import DecisionTreeRegressor

    target = p_teacher[:, positive] if positive is not None else p_teacher
    tree = DecisionTreeRegressor(max_leaf_nodes=k, random_state=seed).fit(E, target)

    def proba(F):
        pred = np.clip(tree.predict(F), 0.0, 1.0)
        if positive is None:
            return pred / pred.sum(axis=1, keepdims=True)
        out = np.empty((len(F), 2))
        out[:, positive] = pred
        out[:, 1 - positive] = 1.0 - pred
        return out

    return proba


def run_rare_cell(name: str, seed: int, teacher_kind: str, s: RareSettings) -> dict:
    """Fit one teacher on one split and score every method on it."""
    limit_threads(1)
    from treedistill import DistilledTreeClassifier, augment, fidelity, soften
    from treedistill import teacher_logits as logits_of
    from treedistill.data._schema import TabularSchema

    start = time.perf_counter()
    X, y, classes = load_dataset(name)
    n_classes = len(classes)
    tr, va, te = split_60_20_20(y, seed)
    Xtr = X.iloc[tr].reset_index(drop=True)
    ytr = y[tr]
    t0 = time.perf_counter()
    teacher = CachedTeacher(make_teacher(teacher_kind, seed).fit(Xtr, ytr))
    teacher_s = time.perf_counter() - t0
    schema = TabularSchema.infer(Xtr)
    prevalence = np.bincount(ytr, minlength=n_classes) / len(ytr)
    positive = int(np.argmin(prevalence)) if n_classes == 2 else None
    flag_rate = float(prevalence[positive]) if positive is not None else prevalence

    def encode(frame):
        return schema.encode(frame, warn_unseen=False)

    def proba_of(frame):
        return soften(logits_of(teacher, frame))

    synthetic = augment(
        Xtr, schema, "munge", s.n_synthetic, np.random.default_rng(10_000 + seed)
    )
    held_out = ("validation", va) if s.tune else ("test", te)
    frames = {
        held_out[0]: X.iloc[held_out[1]].reset_index(drop=True),
        "synthetic": synthetic,
    }
    labels = {held_out[0]: y[held_out[1]], "synthetic": None}
    teacher_p = {k: proba_of(f) for k, f in frames.items()}
    encoded = {k: encode(f) for k, f in frames.items()}

    # The transfer set DistilledTreeClassifier draws for this seed (same rows).
    n_aug = int(round(s.augment_factor * len(Xtr)))
    extra = augment(Xtr, schema, "munge", n_aug, np.random.default_rng(seed))
    transfer = pd.concat([Xtr, extra], ignore_index=True)
    E_transfer = encode(transfer)
    hard_transfer = np.argmax(proba_of(transfer), axis=1)
    E_train = E_transfer[: len(Xtr)]
    p_train = proba_of(Xtr)
    del extra, transfer

    records = []

    def score(method, k, proba_fn, frame_input=False, fit_s=None):
        for split, frame in frames.items():
            p = proba_fn(frame if frame_input else encoded[split])
            f = fidelity(
                teacher_p[split],
                p,
                labels[split],
                positive=positive,
                flag_rate=flag_rate,
                n_boot=0,
            )
            rec = {
                "dataset": name,
                "teacher": teacher_kind,
                "seed": seed,
                "method": method,
                "leaves": int(k),
                "split": split,
                "n": f["n"],
                **_measures(f),
            }
            if fit_s is not None:
                rec["fit_s"] = fit_s
            records.append(rec)

    for k in s.leaves:
        score("b", k, _baseline_b(E_transfer, hard_transfer, k, seed, n_classes))
        score("c", k, _baseline_c(E_train, p_train, k, seed, positive))
        for label, params in s.methods.items():
            t0 = time.perf_counter()
            model = DistilledTreeClassifier(
                teacher, max_leaf_nodes=k, random_state=seed, **params
            ).fit(Xtr, ytr)
            fit_s = time.perf_counter() - t0
            score(label, k, model.predict_proba, frame_input=True, fit_s=fit_s)
    return {
        "records": records,
        "dataset": name,
        "teacher": teacher_kind,
        "seed": seed,
        "n_train": int(len(tr)),
        "n_classes": n_classes,
        "prevalence": [float(p) for p in prevalence],
        "positive": None if positive is None else classes[positive],
        "teacher_fit_s": teacher_s,
        "seconds": time.perf_counter() - start,
    }


# ------------------------------------------------------------------------ tables
def _mean(frame, method, split, measure, leaves=None) -> float:
    sel = frame[(frame.method == method) & (frame.split == split)]
    if leaves is not None:
        sel = sel[sel.leaves == leaves]
    if measure not in sel:
        return float("nan")
    v = pd.to_numeric(sel[measure], errors="coerce").dropna()
    return float(v.mean()) if len(v) else float("nan")


def _fmt(measure, value) -> str:
    if not np.isfinite(value):
        return "-"
    if measure in ("agreement", "flagged", "overlap", "threshold_flagged"):
        return f"{100 * value:.1f}"
    if measure in ("worst_recall", "accuracy"):
        return f"{100 * value:.1f}"
    return f"{value:.3f}"


SHOWN = (
    "agreement",
    "flagged",
    "overlap",
    "threshold_flagged",
    "spearman",
    "flag_auc",
    "worst_recall",
    "mad",
    "kl",
    "roc_auc",
)


def method_table(frame, methods, split, datasets, teachers, leaves):
    headers = ["data", "teacher", "leaves", "method", *SHOWN]
    rows = []
    for d in datasets:
        for t in teachers:
            sub = frame[(frame.dataset == d) & (frame.teacher == t)]
            for k in leaves:
                for m in methods:
                    row = [d, t, k, m]
                    row += [_fmt(x, _mean(sub, m, split, x, k)) for x in SHOWN]
                    rows.append(row)
    return headers, rows


def _paired(frame, a: str, b: str, split: str, measure: str) -> tuple:
    """Mean and 95% t-interval of ``a - b``, paired by cell and leaves."""
    keys = ["dataset", "teacher", "seed", "leaves"]
    sel = frame[frame.split == split]
    left = sel[sel.method == a].set_index(keys)[measure]
    right = sel[sel.method == b].set_index(keys)[measure]
    diff = pd.to_numeric(left - right, errors="coerce").dropna()
    if len(diff) < 2:
        return float("nan"), float("nan"), float("nan")
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)


# (measure, margin over the best baseline, scale for display, wording)
TARGETS = (
    ("flag_auc", 0.03, 1.0, "flag AUC ≥ best baseline + 0.03"),
    ("spearman", 0.10, 1.0, "risk rank correlation ≥ best baseline + 0.1"),
    ("flagged", 0.03, 100.0, "flagged-patient agreement ≥ best baseline + 3 points"),
    ("agreement", -0.003, 100.0, "overall agreement ≥ best baseline − 0.3 points"),
)


def target_rows(frame, method: str, split: str):
    """Targets of the issue, mean over data sets, teachers, seeds and leaves."""
    rows, verdicts = [], []
    for measure, margin, scale, text in TARGETS:
        td = _mean(frame, method, split, measure)
        base = {b: _mean(frame, b, split, measure) for b in BASELINES}
        best = max(base, key=lambda b: base[b] if np.isfinite(base[b]) else -1e9)
        need = base[best] + margin
        met = bool(td >= need - 1e-12)
        diff, lo, hi = _paired(frame, method, best, split, measure)
        verdicts.append(
            {
                "target": text,
                "split": split,
                "value": td,
                "best_baseline": best,
                "baseline_value": base[best],
                "needed": need,
                "met": met,
                "diff": diff,
                "diff_low": lo,
                "diff_high": hi,
            }
        )
        rows.append(
            [
                text,
                split,
                f"{scale * td:.3f}" if scale == 1 else f"{scale * td:.1f}",
                f"({best}) {scale * base[best]:.3f}"
                if scale == 1
                else f"({best}) {scale * base[best]:.1f}",
                f"{scale * diff:+.3f} [{scale * lo:+.3f}, {scale * hi:+.3f}]"
                if scale == 1
                else f"{scale * diff:+.1f} [{scale * lo:+.1f}, {scale * hi:+.1f}]",
                "met" if met else "not met",
            ]
        )
    kl_td = _mean(frame, method, split, "kl")
    kl_b = _mean(frame, "b", split, "kl")
    met = bool(kl_td <= 0.5 * kl_b)
    verdicts.append(
        {
            "target": "KL ≤ half of (b)'s",
            "split": split,
            "value": kl_td,
            "best_baseline": "b",
            "baseline_value": kl_b,
            "needed": 0.5 * kl_b,
            "met": met,
            "ratio": kl_td / kl_b if kl_b > 0 else None,
        }
    )
    rows.append(
        [
            "KL ≤ half of (b)'s",
            split,
            f"{kl_td:.3f}",
            f"(b) {kl_b:.3f}",
            f"ratio {kl_td / kl_b:.2f}" if kl_b > 0 else "-",
            "met" if met else "not met",
        ]
    )
    return rows, verdicts


TARGET_HEADERS = [
    "target",
    "rows",
    "td",
    "best baseline",
    "td − baseline [95% CI]",
    "verdict",
]


# -------------------------------------------------------------------------- main
def run(args, out: Path) -> int:
    """Run the suite (``args`` from fidelity.py's parser) and write its tables."""
    from _common import shared_datasets_present
    from joblib import Parallel, delayed

    t_start = time.perf_counter()
    datasets = list(
        args.datasets or (("rare_cohort",) if args.quick else RARE_DATASETS)
    )
    skipped = [d for d in datasets if not shared_datasets_present([d])]
    datasets = [d for d in datasets if d not in skipped]
    n_seeds = args.seeds or (2 if args.quick else 5)
    teachers = tuple(args.teachers or ("mlp", "xgb"))
    settings = RareSettings(
        datasets=tuple(datasets),
        teachers=teachers,
        seeds=tuple(range(n_seeds)),
        n_synthetic=4_000 if args.quick else args.n_synthetic,
        tune=args.tune,
        methods=dict(TUNE_GRID if args.tune else TD_METHODS),
    )
    if args.quick:
        settings.leaves = (8,)
    notes = [
        f"SKIPPED {d}: its CSV file is not present in the shared datasets folder."
        for d in skipped
    ]
    for n in notes:
        print(n, flush=True)
    cells = [(d, sd, t) for d in datasets for sd in settings.seeds for t in teachers]
    print(f"{len(cells)} cells on {args.jobs} worker(s)", flush=True)
    results = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_rare_cell)(d, sd, t, settings) for d, sd, t in cells
    )
    records, cell_info = [], []
    for res in results:
        records.extend(res.pop("records"))
        cell_info.append(res)
        print(
            f"  done {res['dataset']:<12} seed {res['seed']} {res['teacher']:<4} "
            f"{res['seconds']:6.1f} s (teacher {res['teacher_fit_s']:.1f} s)",
            flush=True,
        )
    meta = {
        "command": command_line(),
        "versions": versions(),
        "seeds": list(settings.seeds),
        "settings": asdict(settings),
        "skipped": skipped,
        "notes": notes,
        "cells": cell_info,
        "wall_seconds": time.perf_counter() - t_start,
    }
    name = "tuning_rare" if args.tune else "fidelity_rare"
    write_json(out / f"{name}.json", {**meta, "records": records})
    if args.tune:
        return finish_tune(out, records, meta, settings)
    return finish(out, records, meta, settings)


def _header(title, meta, settings) -> list[str]:
    return [
        f"# {title}",
        "",
        f"Command: `{meta['command']}`  ",
        f"Seeds: {meta['seeds']} (each: a new stratified 60/20/20 split and a new "
        "teacher fit on the training rows)  ",
        f"Data sets: {', '.join(settings.datasets) or 'none'}; teachers: "
        f"{', '.join(settings.teachers)}; leaves: {list(settings.leaves)}  ",
        f"Synthetic evaluation draw: {settings.n_synthetic:,} MUNGE rows per seed  ",
        f"Wall time: {meta['wall_seconds']:.0f} s  ",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "platform"),
        "",
        *[f"**{n}**\n" for n in meta["notes"]],
    ]


LEGEND = (
    "Measures (mean over seeds; from `treedistill.fidelity`): `agreement` = same "
    "argmax class as the teacher (%); `flagged` = of the rows the teacher flags at "
    "the flag rate (training prevalence; each model flags its own top share, ties "
    "at the cut fractionally), the share the model flags too (%; mean over classes "
    "for K > 2); `overlap` = |T∩S|/|T∪S| there (%); `threshold_flagged` = the same "
    "at P(positive) ≥ 0.5 (binary; '-' when the teacher flags no row); `spearman` "
    "= rank correlation of teacher and model risk; `flag_auc` = AUC of the model's "
    "risk for the teacher's flags (ties count 1/2); `worst_recall` = the lowest "
    "per-class agreement among classes the teacher gives ≥ 5 rows (%); `mad` = "
    "mean |teacher − model| risk (total variation per row); `kl` = KL(teacher ‖ "
    "model), nats; `roc_auc` = the model against the truth."
)


def finish(out, records, meta, settings) -> int:
    frame = pd.DataFrame(records)
    methods = [*BASELINES, *settings.methods]
    lines = _header("Fidelity for rare outcomes", meta, settings)
    lines += [
        "Methods at equal leaves: `b` = scikit-learn tree on the same transfer set "
        "as treedistill (training rows + 20x MUNGE) with the teacher's hard labels; "
        "`c` = scikit-learn regression tree on the teacher's P(positive) over the "
        "real training rows (its whole distribution, multi-output, for K > 2); "
        + "; ".join(
            f"`{m}` = DistilledTreeClassifier({_params(p)})"
            for m, p in settings.methods.items()
        )
        + ".",
        "",
        LEGEND,
        "",
    ]
    all_verdicts = []
    for split in ("test", "synthetic"):
        if frame.empty:
            break
        rows, verdicts = target_rows(frame, "td", split)
        all_verdicts += verdicts
        title = {"test": "held-out test rows", "synthetic": "fresh synthetic rows"}
        lines += [
            f"## Targets on the {title[split]} (mean over data sets, teachers, "
            f"seeds and {list(settings.leaves)} leaves)",
            "",
            markdown_table(TARGET_HEADERS, rows),
            "",
        ]
        print(f"\nTargets ({split} rows)")
        print(text_table(TARGET_HEADERS, rows))
    lines += summary_lines(frame, methods, settings)
    for split in ("test", "synthetic"):
        if frame.empty:
            break
        h, r = method_table(
            frame,
            methods,
            split,
            settings.datasets,
            settings.teachers,
            settings.leaves,
        )
        lines += [f"## Every measure, {split} rows", "", markdown_table(h, r), ""]
    write_text(out / "fidelity_rare.md", "\n".join(lines))
    write_json(
        out / "fidelity_rare.json",
        {**meta, "records": records, "targets": all_verdicts},
    )
    print(f"\nwrote {out / 'fidelity_rare.md'} and {out / 'fidelity_rare.json'}")
    return 0


def summary_lines(frame, methods, settings) -> list[str]:
    """Every method's mean measures, over all data sets and over the binary ones,
    and the targets for ``td_prev`` too (what the change of defaults bought)."""
    if frame.empty:
        return []
    groups = [("all data sets", frame)]
    binary = [d for d in settings.datasets if d != "thyroid0387"]
    if binary and len(binary) < len(settings.datasets):
        groups.append(
            (f"binary sets ({', '.join(binary)})", frame[frame.dataset.isin(binary)])
        )
    lines = []
    headers = ["rows", "method", *SHOWN]
    for name, sel in groups:
        rows = [
            [split, m, *[_fmt(x, _mean(sel, m, split, x)) for x in SHOWN]]
            for split in ("test", "synthetic")
            for m in methods
        ]
        lines += [
            f"## Mean over {name}, teachers, seeds and leaves",
            "",
            markdown_table(headers, rows),
            "",
        ]
    for label in settings.methods:
        if label == "td":
            continue
        rows = []
        for split in ("test", "synthetic"):
            rows += target_rows(frame, label, split)[0]
        lines += [
            f"## The same targets for `{label}`",
            "",
            markdown_table(TARGET_HEADERS, rows),
            "",
        ]
    return lines


def render_saved(path: Path, out: Path) -> int:
    """Re-render the tables of a JSON file ``run`` wrote."""
    import json

    saved = json.loads(path.read_text())
    records = saved.pop("records")
    saved.pop("targets", None)
    st = dict(saved["settings"])
    settings = RareSettings(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in st.items()}
    )
    if settings.tune:
        return finish_tune(out, records, saved, settings)
    return finish(out, records, saved, settings)


def _params(p: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in p.items())


# The tuning objective (stated in tuning_rare.md): the mean of flag AUC, Spearman
# and flagged agreement on the validation rows, among the settings whose overall
# agreement is within 0.3 points of the best setting's.
def tune_objective(frame: pd.DataFrame, methods, split="validation") -> list[dict]:
    rows = []
    for m in methods:
        vals = {x: _mean(frame, m, split, x) for x in MEASURES}
        vals["risk"] = float(
            np.mean([vals["flag_auc"], vals["spearman"], vals["flagged"]])
        )
        rows.append({"setting": m, **vals})
    best_agree = max(r["agreement"] for r in rows)
    for r in rows:
        r["eligible"] = bool(r["agreement"] >= best_agree - 0.003)
    return rows


def finish_tune(out, records, meta, settings) -> int:
    frame = pd.DataFrame(records)
    methods = list(settings.methods)
    lines = _header("Tuning for rare outcomes (validation rows)", meta, settings)
    lines += [
        "Objective: the mean of flag AUC, Spearman correlation and flagged-patient "
        "agreement (flag rate = training prevalence) on the validation rows, among "
        "the settings whose overall agreement is within 0.3 points of the best "
        "setting's; the test rows are not used. Every setting spells out all its "
        "parameters (`settings.methods` in the JSON file).",
        "",
        LEGEND,
        "",
    ]
    for split in ("validation", "synthetic"):
        for group, sel in _groups(frame, settings):
            rows = tune_objective(sel, methods, split)
            headers = [
                "setting",
                "risk",
                "agreement",
                "flagged",
                "spearman",
                "flag_auc",
                "worst_recall",
                "kl",
                "within 0.3 pts",
            ]
            table = [
                [
                    r["setting"],
                    f"{r['risk']:.4f}",
                    _fmt("agreement", r["agreement"]),
                    _fmt("flagged", r["flagged"]),
                    _fmt("spearman", r["spearman"]),
                    _fmt("flag_auc", r["flag_auc"]),
                    _fmt("worst_recall", r["worst_recall"]),
                    _fmt("kl", r["kl"]),
                    "yes" if r["eligible"] else "no",
                ]
                for r in rows
            ]
            lines += [
                f"## {split} rows: {group}",
                "",
                markdown_table(headers, table),
                "",
            ]
            print(f"\n{split}: {group}")
            print(text_table(headers, table))
    write_text(out / "tuning_rare.md", "\n".join(lines))
    print(f"\nwrote {out / 'tuning_rare.md'} and {out / 'tuning_rare.json'}")
    return 0


def _groups(frame, settings):
    """All data sets together, binary ones, then each data set."""
    yield "all data sets", frame
    for d in settings.datasets:
        yield d, frame[frame.dataset == d]
