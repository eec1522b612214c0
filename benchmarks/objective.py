"""The tree's objective: agreement vs ranking, against the strongest baselines.

For every data set, seed and leaf budget: the teacher (xgboost) is fit on a
stratified 80% of the real rows (the other 20% are the held-out rows); the transfer
set is those training rows plus 20x MUNGE rows, labelled by the teacher, drawn as
``DistilledTreeClassifier`` draws them. Every method below is fit on the same
transfer rows:

- ``b``: baseline (b), scikit-learn's ``DecisionTreeClassifier`` on the teacher's
  hard labels (argmax);
- ``c``: baseline (c), for two classes, a ``DecisionTreeRegressor`` on the
  teacher's P(positive) (the strongest surrogate for ranking);
- ``ranking``: ``objective="ranking"`` (splits on the softened labels at T = 1,
  soft cross-entropy, greedy best-first growth): the default before the objective
  was a choice;
- ``agreement-greedy``: ``objective="agreement", search="greedy"`` (splits on the
  teacher's class, greedy);
- ``agreement``: ``objective="agreement"`` with its default search ``"prune"``
  (grown to 4x the budget, cut back exactly to the subtree of least
  disagreement);
- ``agreement-tao``: ``objective="agreement", search="tao"``: the pruned tree
  then refined by TAO on the disagreement;
- ``auto``: the default, ``ranking`` on a rare binary outcome (rarer class under
  20% of the training rows), ``agreement`` otherwise (read off the two rows
  above; not refit).

The tree students' leaves hold the teacher's own (T = 1) distribution, as in the
estimator. Each is scored against the teacher on the held-out real rows and on a
fresh MUNGE draw (``--n-eval`` rows, another seed): argmax agreement, KL(teacher
|| student), and for two classes flagged-patient agreement (the teacher's top r
of P(positive), r = training prevalence of the rarer class) and the Spearman
correlation of P(positive). Differences are paired per (data set, seed, size);
intervals are 95% t-intervals over those cells.

Fit time: ``DistilledTreeClassifier.fit`` with a prefit xgboost teacher on
``--fit-rows`` real rows of ``make_clinical_cohort`` (20x MUNGE, 16 leaves),
median of ``--fit-repeats``, per objective.

Run ``python benchmarks/objective.py`` (``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    command_line,
    limit_threads,
    make_teacher,
    versions,
    write_json,
    write_text,
)
from tree_search import DATASETS, _categories, load, scores  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
METHODS = ("b", "c", "ranking", "agreement-greedy", "agreement", "agreement-tao")
MEASURES = ("agreement", "kl", "flagged", "spearman")
RARE = 0.2
GROW_FACTOR = 4


def _fit_method(method, E, q_true, k, size, seed):
    """``predict_proba`` of one method fit on the encoded transfer rows ``E``."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from treedistill.distill._students import SoftTree
    from treedistill.distill._tao import SearchedSoftTree

    hard = np.zeros_like(q_true)
    hard[np.arange(len(q_true)), q_true.argmax(1)] = 1.0
    if method == "b":
        tree = DecisionTreeClassifier(max_leaf_nodes=size, random_state=seed)
        tree.fit(E, q_true.argmax(1))

        def proba(A):
            out = np.zeros((len(A), k))
            out[:, tree.classes_] = tree.predict_proba(A)
            return out

        return proba
    if method == "c":
        reg = DecisionTreeRegressor(max_leaf_nodes=size, random_state=seed)
        reg.fit(E, q_true[:, 1])

        def proba(A):
            p = np.clip(reg.predict(A), 0.0, 1.0)
            return np.column_stack([1 - p, p])

        return proba
    common = dict(criterion="entropy", max_leaf_nodes=size, random_state=seed)
    common["builder"] = "auto"
    if method == "ranking":
        tree = SoftTree(**common).fit(E, q_true)
    elif method == "agreement-greedy":
        tree = SoftTree(**common).fit(E, hard)
    else:
        sweeps = 10 if method == "agreement-tao" else 0
        tree = SearchedSoftTree(
            loss="error", grow_leaves=GROW_FACTOR * size, max_sweeps=sweeps, **common
        ).fit(E, hard)
    tree.refit_leaves(E, q_true)
    return tree.predict_proba


def run_cell(name, seed, leaves, n_eval, factor=20.0) -> list[dict]:
    from sklearn.model_selection import train_test_split

    from treedistill import augment, soften, teacher_logits
    from treedistill.data._schema import TabularSchema

    X, y = load(name)
    idx = np.arange(len(y))
    strat = y if np.bincount(y).min() >= 2 else None
    tr, te = train_test_split(idx, train_size=0.8, stratify=strat, random_state=seed)
    tr, te = np.sort(tr), np.sort(te)
    Xtr, ytr = X.iloc[tr].reset_index(drop=True), y[tr]
    Xte = X.iloc[te].reset_index(drop=True)
    teacher = make_teacher("xgb", seed).fit(Xtr, ytr)
    k = int(np.max(y)) + 1
    present = np.asarray(teacher.classes_, dtype=int)

    def full(p):
        out = np.zeros((len(p), k))
        out[:, present] = p
        return out

    schema = TabularSchema.infer(Xtr)
    rng = np.random.default_rng(seed)
    extra = augment(Xtr, schema, "munge", int(round(factor * len(Xtr))), rng)
    frame = pd.concat([Xtr, extra], ignore_index=True)
    q_true = full(soften(teacher_logits(teacher, frame)))
    E = schema.encode(frame, warn_unseen=False)
    fresh = augment(Xtr, schema, "munge", n_eval, np.random.default_rng(10_000 + seed))
    evals = {
        "held-out": (Xte, full(soften(teacher_logits(teacher, Xte)))),
        "synthetic": (fresh, full(soften(teacher_logits(teacher, fresh)))),
    }
    evals = {s: (schema.encode(f, warn_unseen=False), p) for s, (f, p) in evals.items()}
    counts = np.bincount(ytr, minlength=k)
    pos = int(np.argmin(counts)) if k == 2 else None
    rate = counts.min() / counts.sum()
    rare = k == 2 and rate < RARE
    records = []
    for size in leaves:
        for method in METHODS:
            if method == "c" and k != 2:
                continue
            t0 = time.perf_counter()
            proba = _fit_method(method, E, q_true, k, size, seed)
            fit_s = time.perf_counter() - t0
            for split, (A, P_t) in evals.items():
                rec = dict(dataset=name, seed=seed, size=int(size), method=method)
                rec.update(split=split, rare=bool(rare), fit_s=fit_s, n=len(A))
                rec.update(scores(P_t, proba(A), pos, rate))
                records.append(rec)
    return records


def with_auto(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the ``auto`` rows: ranking's on rare binary sets, agreement's elsewhere."""
    pick = np.where(frame["rare"], "ranking", "agreement")
    auto = frame[frame["method"] == pick].copy()
    auto["method"] = "auto"
    return pd.concat([frame, auto], ignore_index=True)


def _interval(values) -> tuple[float, float, float]:
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if v.size < 2:
        return (m, np.nan, np.nan)
    h = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return (m, m - h, m + h)


def paired(frame, method, base, split, measure, rows=None) -> tuple:
    """Mean paired difference ``method - base`` over cells, with its interval."""
    keys = ["dataset", "seed", "size"]
    sel = frame[frame["split"] == split]
    if rows is not None:
        sel = sel[rows(sel)]
    a = sel[sel["method"] == method].set_index(keys)[measure]
    b = sel[sel["method"] == base].set_index(keys)[measure]
    diff = (a - b).dropna()
    return _interval(diff.to_numpy()) + (int(diff.size),)


def _fmt(stat, scale) -> str:
    m, lo, hi, n = stat
    if not np.isfinite(m):
        return "-"
    if not np.isfinite(lo):
        return f"{scale * m:+.2f} (n={n})"
    return f"{scale * m:+.2f} [{scale * lo:+.2f}, {scale * hi:+.2f}]"


SCALE = {"agreement": 100.0, "kl": 1.0, "flagged": 100.0, "spearman": 1.0}
UNIT = {
    "agreement": "points",
    "kl": "nats",
    "flagged": "points",
    "spearman": "",
}


def tables(frame: pd.DataFrame) -> list[str]:
    lines = []
    methods = [m for m in (*METHODS, "auto") if m != "b"]
    for split in ("synthetic", "held-out"):
        lines += [
            f"### Minus baseline (b), {split} rows (all sets)",
            "",
            "| method | agreement, points | KL, nats | flagged agreement, points "
            "| Spearman |",
            "| --- | --- | --- | --- | --- |",
        ]
        for m in methods:
            cells = [_fmt(paired(frame, m, "b", split, x), SCALE[x]) for x in MEASURES]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "### Agreement minus (b) per data set, synthetic rows (points)",
        "",
        "| data set | rare | " + " | ".join(methods) + " |",
        "| --- | --- | " + " | ".join("---" for _ in methods) + " |",
    ]
    for name in sorted(frame["dataset"].unique()):
        sub = frame[frame["dataset"] == name]
        rare = bool(sub["rare"].iloc[0])
        cells = [
            _fmt(paired(sub, m, "b", "synthetic", "agreement"), 100) for m in methods
        ]
        lines.append(
            f"| {name} | {'yes' if rare else 'no'} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    binary = sorted(frame.loc[frame["method"] == "c", "dataset"].unique())
    lines += [
        "### Both objectives on each binary set, minus (b), synthetic rows",
        "",
        "Spearman of P(positive) and flagged agreement (points): what each "
        "objective gives on sets on either side of the 20% line.",
        "",
        "| data set | rare | ranking Spearman | agreement Spearman | ranking flagged "
        "| agreement flagged |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in binary:
        sub = frame[frame["dataset"] == name]
        rare = bool(sub["rare"].iloc[0])
        cells = [
            _fmt(paired(sub, m, "b", "synthetic", x), SCALE[x])
            for x in ("spearman", "flagged")
            for m in ("ranking", "agreement")
        ]
        lines.append(
            f"| {name} | {'yes' if rare else 'no'} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines += [
        "### Mean of each measure (synthetic rows)",
        "",
        "| method | agreement % | KL | flagged % | Spearman |",
        "| --- | --- | --- | --- | --- |",
    ]
    syn = frame[frame["split"] == "synthetic"]
    for m in ("b", *methods):
        s = syn[syn["method"] == m]
        lines.append(
            f"| {m} | {100 * s['agreement'].mean():.2f} | {s['kl'].mean():.4f} | "
            f"{100 * s['flagged'].mean():.2f} | {s['spearman'].mean():.3f} |"
        )
    lines.append("")
    return lines


def targets(frame: pd.DataFrame, times: dict) -> list[str]:
    def verdict(ok, text):
        return f"- {'MET' if ok else 'MISSED'}: {text}"

    out = ["## Targets", ""]
    not_rare = lambda s: ~s["rare"]  # noqa: E731
    worst = []
    for name in sorted(frame.loc[~frame["rare"], "dataset"].unique()):
        sub = frame[frame["dataset"] == name]
        worst.append((paired(sub, "auto", "b", "synthetic", "agreement")[0], name))
    if worst:
        lo = min(worst)
        out.append(
            verdict(
                lo[0] >= 0,
                f"auto agreement >= (b) on every non-rare set (synthetic rows): "
                f"lowest {100 * lo[0]:+.2f} points ({lo[1]})",
            )
        )
    else:
        out.append("- (no non-rare set in this run)")
    avg = paired(frame, "auto", "b", "synthetic", "agreement", rows=not_rare)
    out.append(
        verdict(
            avg[0] >= 0.003,
            f"auto agreement >= (b) + 0.3 points on average over non-rare sets, "
            f"synthetic rows: {_fmt(avg, 100)}",
        )
    )
    avg_all = paired(frame, "auto", "b", "synthetic", "agreement")
    out.append(f"- (all sets, rare included: {_fmt(avg_all, 100)} points)")
    rare = lambda s: s["rare"]  # noqa: E731
    if frame["rare"].any():
        for measure in ("spearman", "flagged"):
            for split in ("held-out", "synthetic"):
                st = paired(frame, "auto", "c", split, measure, rows=rare)
                out.append(
                    verdict(
                        st[0] >= 0,
                        f"rare outcomes, auto {measure} >= regression tree on "
                        f"P(positive) ({split}): {_fmt(st, SCALE[measure])}",
                    )
                )
    kl = []
    for name in sorted(frame["dataset"].unique()):
        sub = frame[frame["dataset"] == name]
        for split in ("held-out", "synthetic"):
            kl.append((paired(sub, "auto", "b", split, "kl")[0], name, split))
    hi = max(kl)
    out.append(
        verdict(
            hi[0] <= 0,
            f"KL never worse than (b) (per set and split): highest difference "
            f"{hi[0]:+.4f} nats ({hi[1]}, {hi[2]})",
        )
    )
    ratio = times["agreement"] / times["ranking"]
    out.append(
        verdict(
            ratio <= 3.0,
            f"fit time within 3x of the previous default: agreement "
            f"{times['agreement']:.2f} s vs ranking {times['ranking']:.2f} s "
            f"({ratio:.2f}x)",
        )
    )
    return out


def fit_times(n_rows: int, repeats: int, size: int = 16) -> dict:
    """Seconds of ``DistilledTreeClassifier.fit`` (prefit xgboost teacher)."""
    from treedistill import DistilledTreeClassifier
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(n_rows, missing_rate=0.05, random_state=0)
    X = _categories(X)
    y = np.unique(np.asarray(y).astype(str), return_inverse=True)[1]
    teacher = make_teacher("xgb", 0).fit(X, y)
    out = {}
    for objective in ("ranking", "agreement"):
        times = []
        for r in range(repeats):
            model = DistilledTreeClassifier(
                teacher, objective=objective, max_leaf_nodes=size, random_state=r
            )
            t0 = time.perf_counter()
            model.fit(X, y)
            times.append(time.perf_counter() - t0)
        out[objective] = float(np.median(times))
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small smoke run")
    p.add_argument("--datasets", nargs="*", default=None)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--leaves", nargs="*", type=int, default=[8, 16])
    p.add_argument("--n-eval", type=int, default=20_000)
    p.add_argument("--fit-rows", type=int, default=10_000)
    p.add_argument("--fit-repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "reports" / "benchmarks")
    p.add_argument(
        "--no-run",
        action="store_true",
        help="only tabulate the records and fit times of OUT/objective.json",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    limit_threads(1)
    if args.quick:
        args.datasets = args.datasets or ["cohort"]
        args.seeds, args.leaves = 2, [4, 8]
        args.n_eval, args.fit_rows, args.fit_repeats = 2000, 500, 1
    names = args.datasets or list(DATASETS)
    skipped = [n for n in names if not DATASETS[n][0].is_file()]
    for n in skipped:
        print(f"skipping {n}: {DATASETS[n][0]} is absent", file=sys.stderr)
    names = [n for n in names if n not in skipped]
    if args.no_run:
        saved = json.loads((args.out / "objective.json").read_text())
        frame = pd.DataFrame(saved["records"])
        times, names = saved["fit_times"], saved["datasets"]
        command = saved["command"]
    else:
        records, t0 = [], time.perf_counter()
        for seed in range(args.seeds):
            for name in names:
                records += run_cell(name, seed, args.leaves, args.n_eval)
                print(f"seed {seed} {name} done at {time.perf_counter() - t0:.0f}s")
        frame = with_auto(pd.DataFrame(records))
        times = fit_times(args.fit_rows, args.fit_repeats)
        command = command_line()
    lines = [
        "# The tree's objective: agreement vs ranking vs baselines",
        "",
        f"Command: `{command}`",
        "",
        f"Data sets: {', '.join(names)}; seeds {args.seeds}; leaves "
        f"{', '.join(map(str, args.leaves))}; teacher xgboost; 20x MUNGE transfer "
        f"rows; {args.n_eval:,} fresh MUNGE rows per cell. A set is rare when its "
        f"rarer class is under {RARE:.0%} of the training rows (auto then ranks).",
        "Differences are paired per (data set, seed, leaves); 95% t-intervals.",
        "",
        *tables(frame),
        f"### Estimator fit time at {args.fit_rows:,} real rows (16 leaves)",
        "",
        "| objective | fit s | x ranking |",
        "| --- | --- | --- |",
        *[f"| {m} | {s:.2f} | {s / times['ranking']:.2f} |" for m, s in times.items()],
        "",
        *targets(frame, times),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    name = "objective_quick" if args.quick else "objective"
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / f"{name}.md", text)
    write_json(
        args.out / f"{name}.json",
        {
            "command": command,
            "versions": versions(),
            "datasets": names,
            "records": frame.to_dict(orient="records"),
            "fit_times": times,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
