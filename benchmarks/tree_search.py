"""Greedy soft tree vs TAO-refined trees vs a hard-label tree, at equal leaves.

For every data set, teacher and seed: the teacher is fit on a stratified 80% of the
real rows; the transfer set is those rows plus 20x MUNGE rows (drawn as
``DistilledTreeClassifier`` draws them), labelled by the teacher at the estimator's
default temperature. Students, each at 4, 8, 16 and 32 leaves:

- ``greedy``: the default soft-label tree (``search="greedy"``);
- ``tao``: the same tree refined by TAO (``search="tao"``);
- ``tao8``: TAO on 8 starts (``search="tao", n_starts=8``);
- ``hard``: baseline (b), scikit-learn's ``DecisionTreeClassifier`` fit to the
  teacher's hard labels on the same transfer rows.

Every student is scored against the teacher on a fresh MUNGE draw (default 20,000
rows, another seed): agreement of the argmax; for two classes also flagged-patient
agreement (the teacher flags the top r of P(positive), r = prevalence of the
minority class; of its flags, the share the student flags too, ties in the
student's score broken at random in expectation) and the Spearman correlation of
P(positive); and KL(teacher || student). Intervals are 95% t-intervals over seeds
of per-seed paired differences.

Fit time: ``DistilledTreeClassifier.fit`` with a prefit teacher on 10,000 real rows
of ``make_clinical_cohort``, each search, median of a few repeats.

Run ``python benchmarks/tree_search.py`` (``--quick`` for a small smoke run).
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

from _common import command_line, limit_threads, make_teacher, versions  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
# name -> (path, target, dropped columns)
DATASETS = {
    "breast_cancer": (REPO / "data" / "breast_cancer.csv", "diagnosis", ()),
    "cohort": (REPO / "data" / "clinical_cohort.csv", "risk", ()),
    "cohort_3class": (REPO / "data" / "clinical_cohort_3class.csv", "risk", ()),
    "pima": (SHARED / "pima_diabetes.csv", "Outcome", ()),
    "heart_failure": (SHARED / "heart_failure_clinical_records.csv", "DEATH_EVENT", ()),
    "kidney": (SHARED / "chronic_kidney_disease.csv", "classification", ("id",)),
    "hypothyroid": (SHARED / "hypothyroid.csv", "Target", ()),
    "thyroid0387": (SHARED / "thyroid0387.csv", "Target", ()),
}
METHODS = ("greedy", "tao", "tao8", "hard")
MIN_CLASS_ROWS = 10
SEARCH = {"greedy": ("greedy", 1), "tao": ("tao", 1), "tao8": ("tao", 8)}


def _categories(X: pd.DataFrame) -> pd.DataFrame:
    """Text and bool columns as pandas categories (what xgboost reads as such)."""
    X = X.copy()
    for col in X.columns:
        s = X[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            X[col] = s.astype("category")
        elif pd.api.types.is_bool_dtype(s.dtype):
            X[col] = s.astype("category")
    return X


def load(name: str):
    from treedistill import prepare_data, read_table

    path, target, drop = DATASETS[name]
    frame = read_table(path)
    # Classes seen fewer than MIN_CLASS_ROWS times (thyroid0387 has codes seen once)
    # are dropped: a teacher cannot learn them and a split cannot stratify them.
    counts = frame[target].value_counts()
    frame = frame[frame[target].isin(counts.index[counts >= MIN_CLASS_ROWS])]
    X, y, _ = prepare_data(frame, target, drop=drop, source=path.name)
    X = _categories(X.reset_index(drop=True))
    classes, y_index = np.unique(np.asarray(y).astype(str), return_inverse=True)
    return X, y_index.astype(np.int64)


def flagged_agreement(t_score, s_score, rate: float) -> float:
    """Share of the teacher's top-``rate`` rows that the student's top-``rate``
    holds, ties in the student's score split in expectation."""
    n = len(t_score)
    m = max(int(round(rate * n)), 1)
    t_flag = np.zeros(n, bool)
    t_flag[np.argsort(-t_score, kind="stable")[:m]] = True
    cut = np.sort(s_score)[::-1][m - 1]
    above = s_score > cut
    equal = s_score == cut
    p = above.astype(float)
    p[equal] = (m - above.sum()) / equal.sum()
    return float(p[t_flag].sum() / m)


def scores(P_t, P_s, pos, rate) -> dict:
    from scipy.stats import spearmanr

    P_s = np.clip(P_s, 1e-6, None)
    P_s = P_s / P_s.sum(axis=1, keepdims=True)
    kl = np.sum(P_t * (np.log(np.clip(P_t, 1e-12, None)) - np.log(P_s)), axis=1)
    out = {
        "agreement": float(np.mean(P_t.argmax(1) == P_s.argmax(1))),
        "kl": float(kl.mean()),
    }
    if pos is not None:
        out["flagged"] = flagged_agreement(P_t[:, pos], P_s[:, pos], rate)
        rho = spearmanr(P_t[:, pos], P_s[:, pos]).statistic
        out["spearman"] = float(rho) if np.isfinite(rho) else 0.0
    return out


def run_cell(name, teacher_kind, seed, leaves, n_eval, factor=20.0) -> list[dict]:
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier

    from treedistill import augment, soften, teacher_logits
    from treedistill.data._schema import TabularSchema
    from treedistill.distill._students import SoftTree
    from treedistill.distill._tao import SearchedSoftTree

    X, y = load(name)
    idx = np.arange(len(y))
    strat = y if np.bincount(y).min() >= 2 else None
    tr, _ = train_test_split(idx, train_size=0.8, stratify=strat, random_state=seed)
    Xtr, ytr = X.iloc[np.sort(tr)].reset_index(drop=True), y[np.sort(tr)]
    teacher = make_teacher(teacher_kind, seed).fit(Xtr, ytr)
    k = int(np.max(y)) + 1
    schema = TabularSchema.infer(Xtr)
    rng = np.random.default_rng(seed)
    extra = augment(Xtr, schema, "munge", int(round(factor * len(Xtr))), rng)
    frame = pd.concat([Xtr, extra], ignore_index=True)
    z = teacher_logits(teacher, frame)
    present = np.asarray(teacher.classes_, dtype=int)

    def full(p):
        out = np.zeros((len(p), k))
        out[:, present] = p
        return out

    q_train, q_true = full(soften(z, 0.25)), full(soften(z))
    E = schema.encode(frame, warn_unseen=False)
    fresh = augment(Xtr, schema, "munge", n_eval, np.random.default_rng(10_000 + seed))
    P_t = full(soften(teacher_logits(teacher, fresh)))
    E_fresh = schema.encode(fresh, warn_unseen=False)
    counts = np.bincount(ytr, minlength=k)
    pos = int(np.argmin(counts)) if k == 2 else None
    rate = counts.min() / counts.sum()
    records = []
    for size in leaves:
        for method in METHODS:
            t0 = time.perf_counter()
            if method == "hard":
                tree = DecisionTreeClassifier(max_leaf_nodes=size, random_state=seed)
                tree.fit(E, q_true.argmax(1))
                P_s = np.zeros((len(E_fresh), k))
                P_s[:, tree.classes_] = tree.predict_proba(E_fresh)
                extra_info = {}
            else:
                search, n_starts = SEARCH[method]
                common = dict(criterion="gini", max_leaf_nodes=size, random_state=seed)
                common["builder"] = "auto"
                if search == "greedy":
                    tree = SoftTree(**common).fit(E, q_train)
                else:
                    tree = SearchedSoftTree(n_starts=n_starts, **common).fit(E, q_train)
                tree.refit_leaves(E, q_true)
                P_s = tree.predict_proba(E_fresh)
                info = getattr(tree, "search_info_", None)
                extra_info = {"n_leaves": tree.get_n_leaves()}
                if info:
                    extra_info["loss_ratio"] = info["loss"] / info["loss_greedy"]
            fit_s = time.perf_counter() - t0
            rec = {"dataset": name, "teacher": teacher_kind, "seed": seed}
            rec.update(method=method, size=int(size), fit_s=fit_s, **extra_info)
            rec.update(scores(P_t, P_s, pos, rate))
            records.append(rec)
    return records


def fit_times(n_rows: int, repeats: int, size: int = 16) -> dict:
    """Seconds of ``DistilledTreeClassifier.fit`` (prefit xgboost teacher)."""
    from treedistill import DistilledTreeClassifier
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(n_rows, missing_rate=0.05, random_state=0)
    X = _categories(X)
    y = np.unique(np.asarray(y).astype(str), return_inverse=True)[1]
    teacher = make_teacher("xgb", 0).fit(X, y)
    out = {}
    for method, (search, n_starts) in SEARCH.items():
        times = []
        for r in range(repeats):
            model = DistilledTreeClassifier(
                teacher,
                max_leaf_nodes=size,
                search=search,
                n_starts=n_starts,
                random_state=r,
            )
            t0 = time.perf_counter()
            model.fit(X, y)
            times.append(time.perf_counter() - t0)
        out[method] = float(np.median(times))
    return out


def _interval(values) -> tuple[float, float, float]:
    from scipy.stats import t

    v = np.asarray(values, float)
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    h = float(t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return m, m - h, m + h


def _fmt(m, lo, hi, scale=100.0, digits=2) -> str:
    return (
        f"{scale * m:+.{digits}f} [{scale * lo:+.{digits}f}, {scale * hi:+.{digits}f}]"
    )


def summarise(records: list[dict], leaves) -> list[str]:
    df = pd.DataFrame(records)
    key = ["dataset", "teacher", "seed", "size"]
    wide = df.pivot_table(index=key, columns="method", values="agreement")
    lines = ["## Agreement with the teacher on fresh MUNGE rows", ""]
    lines += [
        "Mean over data sets, teachers and seeds (%); differences are paired, "
        "with 95% t-intervals over the (data set, teacher, seed) cells.",
        "",
        "| leaves | greedy | tao | tao8 | hard (b) | tao - (b) | tao8 - (b) "
        "| greedy - (b) | tao8 - greedy | worst data set, tao8 - (b) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in leaves:
        w = wide.xs(size, level="size")
        per_ds = (w["tao8"] - w["hard"]).groupby(level="dataset").mean()
        worst = per_ds.idxmin()
        cells = [str(size)] + [f"{100 * w[m].mean():.2f}" for m in METHODS]
        for a, b in (("tao", "hard"), ("tao8", "hard"), ("greedy", "hard")):
            cells.append(_fmt(*_interval(w[a] - w[b])))
        cells.append(_fmt(*_interval(w["tao8"] - w["greedy"])))
        cells.append(f"{worst} {100 * per_ds[worst]:+.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Per data set (tao8 - (b), tao8 - greedy; points)", ""]
    lines += [
        "| data set | teacher | " + " | ".join(f"{s} leaves" for s in leaves) + " |",
        "| --- | --- | " + " | ".join("---" for _ in leaves) + " |",
    ]
    for (ds, te), g in wide.groupby(level=["dataset", "teacher"]):
        cells = []
        for size in leaves:
            w = g.xs(size, level="size")
            cells.append(
                f"{100 * (w['tao8'] - w['hard']).mean():+.2f} / "
                f"{100 * (w['tao8'] - w['greedy']).mean():+.2f}"
            )
        seeds = g.index.get_level_values("seed").nunique()
        lines.append(f"| {ds} | {te} ({seeds} seeds) | " + " | ".join(cells) + " |")
    lines += ["", "## Risk and probability measures (two-class sets)", ""]
    lines += [
        "| leaves | measure | greedy | tao | tao8 | hard (b) | tao8 - greedy |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in leaves:
        for measure in ("flagged", "spearman", "kl"):
            if measure not in df:  # no two-class data set
                continue
            sub = df[(df["size"] == size) & df[measure].notna()]
            if sub.empty:
                continue
            w = sub.pivot_table(index=key, columns="method", values=measure)
            scale = 100.0 if measure == "flagged" else 1.0
            digits = 2 if measure == "flagged" else 4
            cells = [str(size), measure]
            cells += [f"{scale * w[m].mean():.{digits}f}" for m in METHODS]
            cells.append(_fmt(*_interval(w["tao8"] - w["greedy"]), scale, digits))
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Soft loss and fit time of the student alone", ""]
    lines += [
        "| leaves | method | loss / greedy loss | student fit s |",
        "| --- | --- | --- | --- |",
    ]
    for size in leaves:
        for m in METHODS:
            sub = df[(df["size"] == size) & (df["method"] == m)]
            ratio = sub["loss_ratio"].mean() if "loss_ratio" in sub else np.nan
            r = "-" if not np.isfinite(ratio) else f"{ratio:.4f}"
            lines.append(f"| {size} | {m} | {r} | {sub['fit_s'].mean():.2f} |")
    return lines


def targets(records: list[dict], times: dict) -> list[str]:
    """The issue's targets, met or not, for each search."""
    df = pd.DataFrame(records)
    key = ["dataset", "teacher", "seed", "size"]
    lines = ["## Targets", ""]
    lines += ["| target | tao | tao8 |", "| --- | --- | --- |"]

    def wide(measure, size):
        sub = df[(df["size"] == size) & df[measure].notna()]
        return sub.pivot_table(index=key, columns="method", values=measure)

    def verdict(ok, text):
        return f"{'met' if ok else 'not met'}: {text}"

    rows = []
    for size, need in ((8, 1.0), (16, 0.5)):
        if size not in set(df["size"]):
            continue
        w = wide("agreement", size)
        cells = []
        for m in ("tao", "tao8"):
            gain = 100 * (w[m] - w["hard"]).mean()
            cells.append(verdict(gain >= need, f"{gain:+.2f}"))
        rows.append([f"agreement >= (b) + {need} at {size} leaves", *cells])
        cells = []
        for m in ("tao", "tao8"):
            per = 100 * (w[m] - w["hard"]).groupby(level="dataset").mean()
            cells.append(
                verdict(per.min() >= -0.3, f"worst {per.idxmin()} {per.min():+.2f}")
            )
        rows.append([f"no data set below (b) - 0.3 at {size} leaves", *cells])
        for measure, better in (("flagged", 1), ("spearman", 1), ("kl", -1)):
            if measure not in df or df[measure].notna().sum() == 0:
                continue
            w = wide(measure, size)
            cells = []
            for m in ("tao", "tao8"):
                d = float((w[m] - w["greedy"]).mean())
                scale = 100.0 if measure == "flagged" else 1.0
                cells.append(verdict(better * d >= 0, f"{scale * d:+.4f}"))
            rows.append([f"{measure} no worse than greedy at {size} leaves", *cells])
    if times:
        cells = [
            verdict(
                times[m] <= 10 * times["greedy"], f"{times[m] / times['greedy']:.1f}x"
            )
            for m in ("tao", "tao8")
        ]
        rows.append(["fit time <= 10x greedy", *cells])
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small smoke run")
    p.add_argument("--datasets", nargs="*", default=None)
    p.add_argument("--teachers", nargs="*", default=["xgb", "mlp"])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--seed-start", type=int, default=0, help="first seed")
    p.add_argument("--leaves", nargs="*", type=int, default=[4, 8, 16, 32])
    p.add_argument("--n-eval", type=int, default=20_000)
    p.add_argument("--fit-rows", type=int, default=10_000)
    p.add_argument("--fit-repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "reports" / "benchmarks")
    p.add_argument(
        "--records",
        type=Path,
        default=None,
        help="JSON-lines file each finished cell is appended to; cells already "
        "in it are not run again",
    )
    p.add_argument(
        "--also-records",
        type=Path,
        nargs="*",
        default=[],
        help="further JSON-lines files of finished cells (read, not appended to)",
    )
    p.add_argument(
        "--no-run", action="store_true", help="only tabulate the records given"
    )
    p.add_argument(
        "--fit-times-from",
        type=Path,
        default=None,
        help="tree_search.json of an earlier run whose fit times are reported",
    )
    p.add_argument(
        "--stop-after",
        type=float,
        default=None,
        help="seconds after which no new cell is started (the tables then say "
        "how many seeds each data set got)",
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    limit_threads(1)
    if args.quick:
        args.datasets = args.datasets or ["cohort"]
        args.teachers, args.seeds, args.leaves = ["xgb"], 2, [4, 8]
        args.n_eval, args.fit_rows, args.fit_repeats = 2000, 1000, 1
    names = args.datasets or list(DATASETS)
    skipped = [n for n in names if not DATASETS[n][0].is_file()]
    for n in skipped:
        print(f"skipping {n}: {DATASETS[n][0]} is absent", file=sys.stderr)
    names = [n for n in names if n not in skipped]
    records, t0 = [], time.perf_counter()
    done = set()
    sources = [args.records, *args.also_records]
    for path in [p for p in sources if p is not None and p.is_file()]:
        before = set(done)  # a cell in two files is taken from the first
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            cell = (rec["dataset"], rec["teacher"], rec["seed"])
            if cell in before:
                continue
            records.append(rec)
            done.add(cell)
    stopped = args.no_run
    # Seed-major order: a run stopped early still covers every data set.
    for seed in range(args.seed_start, args.seed_start + args.seeds):
        for name in names:
            for teacher in args.teachers:
                if (name, teacher, seed) in done or stopped:
                    continue
                if args.stop_after and time.perf_counter() - t0 > args.stop_after:
                    stopped = True
                    break
                cell = run_cell(name, teacher, seed, args.leaves, args.n_eval)
                records += cell
                if args.records is not None:
                    with args.records.open("a") as fh:
                        fh.writelines(json.dumps(r) + "\n" for r in cell)
                elapsed = time.perf_counter() - t0
                print(
                    f"seed {seed} {name} {teacher} done at {elapsed:.0f}s", flush=True
                )
    if stopped and not args.no_run:
        print(f"stopped starting cells after {args.stop_after} s", flush=True)
    if args.fit_times_from is not None:
        times = json.loads(args.fit_times_from.read_text())["fit_times"]
    else:
        times = fit_times(args.fit_rows, args.fit_repeats)
    lines = summarise(records, args.leaves)
    lines += ["", f"## Estimator fit time at {args.fit_rows:,} real rows", ""]
    lines += ["| search | fit s | x greedy |", "| --- | --- | --- |"]
    for m, s in times.items():
        lines.append(f"| {m} | {s:.2f} | {s / times['greedy']:.1f} |")
    lines += [""] + targets(records, times)
    text = "\n".join(lines)
    print(text)
    meta = {
        "command": command_line(),
        "datasets": names,
        "skipped": skipped,
        "versions": versions(),
        "seconds": time.perf_counter() - t0,
    }
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "tree_search.json").write_text(
            json.dumps({"meta": meta, "records": records, "fit_times": times})
        )
        head = [
            "# Tree search: greedy vs TAO vs hard-label tree",
            "",
            f"Command: `{meta['command']}` ({meta['seconds'] / 60:.0f} min).",
            f"Data sets: {', '.join(names)}; skipped: {', '.join(skipped) or 'none'}.",
            "",
        ]
        (args.out / "tree_search.md").write_text("\n".join(head) + "\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
