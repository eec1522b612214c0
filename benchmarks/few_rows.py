"""Few-row benchmark: distilling a trained model from a small local sample.

The audit it models: a model trained elsewhere (the "vendor's") is examined with
only a few hundred local patients. For every data set: a stratified 75/25 split;
the teacher (xgboost, 300 trees) is fit on all training rows; the distillation is
then given only ``n`` real rows drawn from the training rows (several draws per
``n``) and labels as many synthetic rows as its augmentation draws from them.
Every tree is scored against the teacher on the held-out 25% (real rows it never
saw), beside:

- ``all rows``: the same tree (treedistill's defaults) grown from all training rows;
- ``hard``: the hard-label baseline, ``DecisionTreeClassifier`` with the same
  ``max_leaf_nodes`` on the teacher's argmax over the same few rows and the same
  augmented rows.

Measures (held-out rows): agreement with the teacher's class, flagged-patient
agreement at the report's flag-rate operating point (the training prevalence of
the positive, minority class), Spearman correlation of P(positive), KL(teacher ||
tree). ``default`` is ``DistilledTreeClassifier(teacher)`` with nothing else set.

Usage::

    python benchmarks/few_rows.py [--quick] [--draws 6] [--jobs 1] [--out reports/benchmarks]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CSV_DATASETS,
    SHARED_DATASETS,
    command_line,
    limit_threads,
    load_dataset,
    make_teacher,
    markdown_table,
    shared_datasets_present,
    text_table,
    versions,
    write_json,
    write_text,
)

DATASETS = ("pima", "heart_failure", "kidney", "hypothyroid", "rare_cohort")
SIZES = (50, 100, 200, 500)
# Augmentation settings compared (name -> DistilledTreeClassifier parameters);
# "default" sets nothing, so it is whatever the estimator's default is.
CONFIGS = {
    "default": {},
    "none": {"augmentation": "none", "augment_factor": 0.0},
    "munge x20": {"augmentation": "munge", "augment_factor": 20.0},
    "munge x50": {"augmentation": "munge", "augment_factor": 50.0},
    "munge x100": {"augmentation": "munge", "augment_factor": 100.0},
    "munge x200": {"augmentation": "munge", "augment_factor": 200.0},
    "jitter x50": {"augmentation": "jitter", "augment_factor": 50.0},
    "box x50": {"augmentation": "box", "augment_factor": 50.0},
}
QUICK = {
    "datasets": ("rare_cohort",),
    "sizes": (50, 100),
    "configs": ("default", "none", "munge x20"),
}
MEASURES = ("agreement", "flagged", "spearman", "kl")
TEST_SHARE = 0.25


def _split(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    train, test = train_test_split(
        idx, test_size=TEST_SHARE, stratify=y, random_state=seed
    )
    return np.sort(train), np.sort(test)


def _draw(y_train: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` training rows, stratified, at least 2 of each class."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y_train))
    if n >= len(idx):
        return idx
    rows, _ = train_test_split(idx, train_size=n, stratify=y_train, random_state=seed)
    return np.sort(rows)


def _measures(p_teacher, p_tree, positive: int, rate: float) -> dict:
    from treedistill import fidelity

    f = fidelity(
        p_teacher, p_tree, positive=positive, flag_rate=rate, n_boot=0, random_state=0
    )
    point = next(p for p in f["operating_points"] if p["kind"] == "flag_rate")
    return {
        "agreement": f["agreement"],
        "flagged": point["flagged_agreement"]["value"],
        "spearman": f["ranking"]["spearman"]["value"],
        "kl": f["kl"],
    }


def run_dataset(name: str, sizes, draws: int, configs: dict, seed: int = 0) -> dict:
    """Teacher, all-rows tree and every (n, draw, setting) on one data set."""
    limit_threads(1)
    # the screening's leak warnings are about the data sets, not the measures
    warnings.simplefilter("ignore")
    from sklearn.tree import DecisionTreeClassifier

    from treedistill import DistilledTreeClassifier, augment, soften, teacher_logits

    start = time.perf_counter()
    X, y, classes = load_dataset(name)
    tr, te = _split(y, seed)
    Xtr, ytr = X.iloc[tr].reset_index(drop=True), y[tr]
    Xte = X.iloc[te].reset_index(drop=True)
    teacher = make_teacher("xgb", seed).fit(Xtr, ytr)
    prevalence = np.bincount(ytr, minlength=len(classes)) / len(ytr)
    positive = int(np.argmin(prevalence))
    rate = float(prevalence[positive])
    p_test = soften(teacher_logits(teacher, Xte))

    def score(p_tree):
        return _measures(p_test, p_tree, positive, rate)

    records = []
    full = DistilledTreeClassifier(teacher, random_state=seed).fit(Xtr, ytr)
    leaves = int(full.max_leaf_nodes)
    records.append(
        {
            "dataset": name,
            "n": int(len(Xtr)),
            "draw": 0,
            "method": "all rows",
            "factor": float(full.n_augmented_) / len(Xtr),
            **score(full.predict_proba(Xte)),
        }
    )
    for n in sizes:
        if n >= len(Xtr):
            continue
        for d in range(draws):
            rows = _draw(ytr, n, 1000 * d + n)
            Xs, ys = Xtr.iloc[rows].reset_index(drop=True), ytr[rows]
            draw_seed = seed + 100 * d + n
            for label, params in configs.items():
                t0 = time.perf_counter()
                model = DistilledTreeClassifier(
                    teacher, random_state=draw_seed, **params
                ).fit(Xs, ys)
                fit_s = time.perf_counter() - t0
                base = {"dataset": name, "n": n, "draw": d}
                factor = float(model.n_augmented_) / n
                records.append(
                    {
                        **base,
                        "method": label,
                        "factor": factor,
                        "augmentation": model.augmentation,
                        "fit_s": fit_s,
                        **score(model.predict_proba(Xte)),
                    }
                )
                # the hard-label baseline on the same few rows and the same draw
                extra = augment(
                    Xs,
                    model.schema_,
                    model.augmentation,
                    model.n_augmented_,
                    np.random.default_rng(draw_seed),
                )
                sample = pd.concat([Xs, extra], ignore_index=True)
                hard_y = np.argmax(soften(teacher_logits(teacher, sample)), axis=1)
                hard = DecisionTreeClassifier(
                    max_leaf_nodes=leaves, random_state=draw_seed
                ).fit(model.schema_.encode(sample, warn_unseen=False), hard_y)
                p_hard = np.zeros((len(Xte), len(classes)))
                p_hard[:, hard.classes_] = hard.predict_proba(
                    model.schema_.encode(Xte, warn_unseen=False)
                )
                records.append(
                    {**base, "method": f"hard ({label})", "factor": factor}
                    | score(p_hard)
                )
    return {
        "dataset": name,
        "records": records,
        "n_train": int(len(tr)),
        "n_test": int(len(te)),
        "positive": classes[positive],
        "prevalence": rate,
        "leaves": leaves,
        "seconds": time.perf_counter() - start,
    }


# ------------------------------------------------------------------------ tables
def _mean(frame, **where) -> dict:
    sel = frame
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return {m: float(sel[m].mean()) if len(sel) else float("nan") for m in MEASURES}


def gap_table(frame: pd.DataFrame, datasets, sizes, methods) -> tuple[list, list]:
    """Per data set, n and setting: the measures and their gap to the all-rows tree."""
    headers = [
        "data",
        "n",
        "setting",
        "agr %",
        "Δagr vs all rows",
        "flagged %",
        "Spearman",
        "ΔSpearman",
        "KL",
        "hard agr %",
        "hard Spearman",
    ]
    rows = []
    for d in datasets:
        ref = _mean(frame, dataset=d, method="all rows")
        for n in sizes:
            for m in methods:
                got = _mean(frame, dataset=d, n=n, method=m)
                if not np.isfinite(got["agreement"]):
                    continue
                hard = _mean(frame, dataset=d, n=n, method=f"hard ({m})")
                rows.append(
                    [
                        d,
                        n,
                        m,
                        f"{100 * got['agreement']:.1f}",
                        f"{100 * (got['agreement'] - ref['agreement']):+.1f}",
                        f"{100 * got['flagged']:.1f}",
                        f"{got['spearman']:.3f}",
                        f"{got['spearman'] - ref['spearman']:+.3f}",
                        f"{got['kl']:.3f}",
                        f"{100 * hard['agreement']:.1f}",
                        f"{hard['spearman']:.3f}",
                    ]
                )
    return headers, rows


def summary(frame: pd.DataFrame, datasets, sizes, methods) -> tuple[list, list, dict]:
    """Mean over data sets of each setting's gap to the all-rows tree, per n."""
    headers = ["setting", *[f"n={n} Δagr / ΔSpearman" for n in sizes]]
    rows, gaps = [], {}
    for m in methods:
        row = [m]
        for n in sizes:
            da, ds = [], []
            for d in datasets:
                ref = _mean(frame, dataset=d, method="all rows")
                got = _mean(frame, dataset=d, n=n, method=m)
                if np.isfinite(got["agreement"]):
                    da.append(got["agreement"] - ref["agreement"])
                    ds.append(got["spearman"] - ref["spearman"])
            if da:
                gaps[(m, n)] = (float(np.mean(da)), float(np.mean(ds)), len(da))
                row.append(
                    f"{100 * np.mean(da):+.2f} / {np.mean(ds):+.3f} ({len(da)} sets)"
                )
            else:
                row.append("-")
        rows.append(row)
    return headers, rows, gaps


def flattening(frame: pd.DataFrame, datasets, methods, sizes) -> list[str]:
    """Where each setting's gap to the all-rows tree stops shrinking: the first n
    from which the next n gains < 0.5 point of agreement and < 0.01 of Spearman
    (mean over the data sets measured at both n)."""
    lines = []
    for m in methods:
        flat = None
        for n0, n1 in zip(sizes, sizes[1:], strict=False):
            da, ds = [], []
            for d in datasets:
                g0 = _mean(frame, dataset=d, n=n0, method=m)
                g1 = _mean(frame, dataset=d, n=n1, method=m)
                if np.isfinite(g0["agreement"]) and np.isfinite(g1["agreement"]):
                    da.append(g1["agreement"] - g0["agreement"])
                    ds.append(g1["spearman"] - g0["spearman"])
            if da and np.mean(da) < 0.005 and np.mean(ds) < 0.01:
                flat = n0
                break
        text = (
            f"flattens from n = {flat} (the next n gains < 0.5 point of agreement "
            "and < 0.01 of Spearman, or loses, on the sets measured at both)"
            if flat
            else "still improving at the largest n measured"
        )
        lines.append(f"- `{m}`: {text}.")
    return lines


def targets(frame: pd.DataFrame, datasets, n: int = 200) -> tuple[list, list]:
    """The issue's targets at ``n`` rows for the default: within 1 point of
    agreement and 0.02 of Spearman of the all-rows tree, and at least the
    hard-label baseline."""
    headers = [
        "data",
        "Δagr (≥ -1)",
        "ΔSpearman (≥ -0.02)",
        "agr - hard agr (≥ 0)",
        "Spearman - hard (≥ 0)",
        "verdict",
    ]
    rows = []
    for d in datasets:
        ref = _mean(frame, dataset=d, method="all rows")
        got = _mean(frame, dataset=d, n=n, method="default")
        hard = _mean(frame, dataset=d, n=n, method="hard (default)")
        if not np.isfinite(got["agreement"]):
            continue
        da = got["agreement"] - ref["agreement"]
        ds = got["spearman"] - ref["spearman"]
        ha = got["agreement"] - hard["agreement"]
        hs = got["spearman"] - hard["spearman"]
        missed = [
            name
            for name, ok in (
                ("agreement", da >= -0.01),
                ("Spearman", ds >= -0.02),
                ("hard agr", ha >= 0),
                ("hard Spearman", hs >= 0),
            )
            if not ok
        ]
        rows.append(
            [
                d,
                f"{100 * da:+.2f}",
                f"{ds:+.3f}",
                f"{100 * ha:+.2f}",
                f"{hs:+.3f}",
                "met" if not missed else "missed: " + ", ".join(missed),
            ]
        )
    return headers, rows


# -------------------------------------------------------------------------- main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="one simulated set, n = 50 and 100, one draw, three settings",
    )
    p.add_argument("--draws", type=int, default=None, help="draws per n (default 6)")
    p.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    p.add_argument("--datasets", nargs="*", default=None, choices=DATASETS)
    p.add_argument("--out", default="reports/benchmarks", help="output folder")
    p.add_argument(
        "--from-json",
        default=None,
        help="re-render the tables from a few_rows.json this script wrote",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    out = Path(args.out)
    if args.from_json:
        import json

        return render(out, json.loads(Path(args.from_json).read_text()))
    datasets = list(args.datasets or (QUICK["datasets"] if args.quick else DATASETS))
    sizes = QUICK["sizes"] if args.quick else SIZES
    configs = {k: CONFIGS[k] for k in QUICK["configs"]} if args.quick else dict(CONFIGS)
    draws = args.draws or (1 if args.quick else 6)
    skipped = [
        d for d in datasets if d in CSV_DATASETS and not shared_datasets_present([d])
    ]
    datasets = [d for d in datasets if d not in skipped]
    notes = []
    if skipped:
        notes.append(
            f"SKIPPED {', '.join(skipped)}: the clinical CSV files are not present at "
            f"{SHARED_DATASETS}."
        )
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_dataset)(d, sizes, draws, configs) for d in datasets
    )
    cells, records = [], []
    for res in results:
        records.extend(res.pop("records"))
        cells.append(res)
        print(f"  done {res['dataset']:<14} {res['seconds']:6.1f} s", flush=True)
    meta = {
        "command": command_line(),
        "versions": versions(),
        "datasets": datasets,
        "sizes": list(sizes),
        "draws": draws,
        "configs": configs,
        "skipped": skipped,
        "notes": notes,
        "cells": cells,
        "wall_seconds": time.perf_counter() - t_start,
    }
    return render(out, {**meta, "records": records})


def render(out: Path, saved: dict) -> int:
    """Print and write the tables of a run (``saved``: what few_rows.json holds)."""
    records, datasets, draws = saved["records"], saved["datasets"], saved["draws"]
    sizes, notes, elapsed = tuple(saved["sizes"]), saved["notes"], saved["wall_seconds"]
    frame = pd.DataFrame(records)
    methods = [m for m in CONFIGS if m in saved["configs"]]
    gh, gr = gap_table(frame, datasets, sizes, methods)
    sh, sr, gaps = summary(frame, datasets, sizes, methods)
    th, tr = targets(frame, datasets)
    flat = flattening(frame, datasets, methods, sizes)
    print(text_table(sh, sr))
    print(text_table(th, tr))
    print("\n".join(flat))

    lines = [
        "# Few-row benchmark: a trained model distilled from a small local sample",
        "",
        f"Command: `{saved['command']}`  ",
        f"Data sets: {', '.join(datasets)}; n = {list(sizes)} real rows, "
        f"{draws} draw(s) each  ",
        f"Wall time: {elapsed:.0f} s  ",
        "Versions: "
        + ", ".join(
            f"{k} {v}" for k, v in sorted(saved["versions"].items()) if k != "platform"
        ),
        "",
        *[f"**{n}**\n" for n in notes],
        "Each data set is split 75/25 (stratified, seed 0). The teacher (xgboost, "
        "300 trees of depth 4) is fit on all training rows: the vendor's model. "
        "The distillation is given only n real rows drawn from the training rows "
        "(stratified; a set with fewer training rows than n has no row at that n) "
        "and draws its synthetic rows from them. Every tree is scored against the "
        "teacher on the held-out 25%, which no tree and not the teacher saw. "
        "`all rows` is treedistill's default tree grown from all training rows; "
        "`hard` is a scikit-learn `DecisionTreeClassifier` with the same "
        "`max_leaf_nodes` (16) on the teacher's argmax over the same few rows and "
        "the same synthetic draw. `default` is `DistilledTreeClassifier(teacher)` "
        "with nothing else set; `munge xF` sets the augmentation and "
        "`augment_factor=F`; `none` uses the real rows alone.",
        "",
        "Sized to finish in under 15 minutes on 2 shared cores: MUNGE at four "
        "factors, jitter and box at one (50), 6 draws per n by default; heart "
        "failure (224 training rows) and kidney disease (300) have no n = 500 row.",
        "",
        "Measures: `agr` = share of held-out rows where the tree's class is the "
        "teacher's; `flagged` = of the rows the teacher flags at the report's flag "
        "rate (training prevalence of the minority class; each model flags its own "
        "top share), the share the tree flags too; `Spearman` = rank correlation "
        "of the teacher's and the tree's P(positive); KL(teacher ‖ tree) in nats. "
        "Means over draws; Δ = minus the all-rows tree.",
        "",
        "## Mean gap to the all-rows tree, over data sets",
        "",
        markdown_table(sh, sr),
        "",
        "Where the curve flattens (mean gap over data sets):",
        "",
        *flat,
        "",
        "## The default this chose",
        "",
        '`augment_factor="auto"` (the tree\'s default; `default` above): MUNGE '
        "with 20 augmented rows per real row from 400 real rows up, as before (no "
        "factor beat 20 at n = 500); below, as many as bring the transfer set to "
        "20,000 rows, at most 200 per real row (n = 50: 200, n = 100: 199, "
        "n = 200: 99). MUNGE stays the augmentation: jitter and box rank risk "
        "worse at every n, and no augmentation is worst. A number given "
        "(`augment_factor=20`, `--augment-factor 20`) is used as given.",
        "",
        "## Targets at n = 200 (the default)",
        "",
        "Targets: the default within 1 point of agreement and 0.02 of Spearman of "
        "the all-rows tree, and at least the hard-label baseline on both; a "
        "verdict names the targets missed.",
        "",
        markdown_table(th, tr),
        "",
        "## Per data set",
        "",
        markdown_table(gh, gr),
        "",
    ]
    write_text(out / "few_rows.md", "\n".join(lines))
    write_json(out / "few_rows.json", saved)
    print(f"\nwrote {out / 'few_rows.md'} and {out / 'few_rows.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
