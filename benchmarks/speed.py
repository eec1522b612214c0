"""Speed benchmark: distillation end to end, and the soft-label tree at scale.

Part A - end to end. Synthetic data (``make_classification``, 30 features, 2 and 10
classes), 5,000 real rows and a prefit ``LogisticRegression`` teacher; augmentation
(MUNGE) grows the transfer set to 10k, 100k and 1M rows. For each size and student
(the default ``DistilledTreeClassifier`` with 16 leaves, and
``DistilledBoostingClassifier`` with 10 rounds) the stages are timed with their
peak memory:

- ``fit``: the whole ``model.fit(X, y)``;
- the bare library calls it wraps, run separately in the same process right after:
  ``augment`` (the MUNGE draw), ``teacher`` (``teacher.predict_proba`` on every
  transfer row) and ``student`` (the student's own fit, ``SoftTree.fit`` /
  ``SoftBoosting.fit``, on the encoded matrix and soft labels);
- ``evaluate``: predictions of student and teacher on 20,000 held-out rows and
  ``treedistill.fidelity``;
- ``report``: ``treedistill.report.evaluate`` + ``write_report`` (skipped, and said
  so, when the report package is not installed).

Part B - the soft-label tree at scale: 1M rows x 30 features x 10 classes, depth 6.
A plain ``DecisionTreeClassifier`` on the argmax labels, the exact soft builders
(gini: multi-output regression; entropy: weighted duplication) and the histogram
builder (both criteria), timed in interleaved repeats; agreement with the teacher
on 100,000 held-out rows.

Memory is the peak resident set size (RSS) above the RSS at the start of the
stage, sampled every 2 ms from ``/proc/self/statm`` by a background thread; it
counts everything the process holds (numpy, pandas, scikit-learn and xgboost
internals), and misses peaks shorter than the sampling interval.

Usage::

    python benchmarks/speed.py [--quick] [--out reports/benchmarks]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    command_line,
    markdown_table,
    text_table,
    versions,
    write_json,
    write_text,
)

N_FEATURES = 30
N_REAL = 5_000
N_HELDOUT = 20_000

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except OSError:  # not Linux: fall back to the lifetime peak
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _trim() -> None:
    """Hand freed heap memory back to the system so RSS deltas count new memory."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


class Stage:
    """Wall time and peak RSS increase of a block of code."""

    def __init__(self, interval: float = 0.002):
        self.interval = interval

    def __enter__(self):
        gc.collect()
        _trim()
        self.start_rss = _rss()
        self.peak = self.start_rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())
        self.mem = max(self.peak - self.start_rss, 0)
        return False


def _mb(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.0f}"


def _make_data(n: int, k: int, seed: int = 0):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n,
        n_features=N_FEATURES,
        n_informative=20,
        n_redundant=5,
        n_classes=k,
        n_clusters_per_class=1,
        class_sep=0.8,
        random_state=seed,
    )
    return X, y


def _teacher(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000).fit(X, y)


# --------------------------------------------------------------------- part A
def end_to_end(sizes, classes, report_max_rows: int, report_classes) -> list[dict]:
    import treedistill
    from treedistill import (
        DistilledBoostingClassifier,
        DistilledTreeClassifier,
        augment,
        blend,
        fidelity,
        soften,
        teacher_logits,
    )

    try:
        from treedistill.report import evaluate as report_evaluate
        from treedistill.report import write_report
    except ImportError:
        report_evaluate = None

    # Warm up (imports, thread-pool discovery) so the first size is not charged.
    X_w, y_w = _make_data(2_000, 2, seed=5)
    DistilledTreeClassifier(_teacher(X_w, y_w), augment_factor=1.0).fit(X_w, y_w)
    DistilledBoostingClassifier(_teacher(X_w, y_w), augment_factor=1.0, n_jobs=1).fit(
        X_w, y_w
    )

    rows = []
    for k in classes:
        X_all, y_all = _make_data(N_REAL + N_HELDOUT, k)
        X, y = X_all[:N_REAL], y_all[:N_REAL]
        X_test, y_test = X_all[N_REAL:], y_all[N_REAL:]
        teacher = _teacher(X, y)
        for size in sizes:
            factor = size / N_REAL - 1.0
            for student in ("tree", "boosting"):
                if student == "tree":
                    model = DistilledTreeClassifier(
                        teacher, augment_factor=factor, random_state=0
                    )
                else:
                    model = DistilledBoostingClassifier(
                        teacher, augment_factor=factor, n_jobs=1, random_state=0
                    )
                with Stage() as whole:
                    model.fit(X, y)
                # The bare calls, in the same process, right after.
                schema = model.schema_
                frame = treedistill.data._schema.as_frame(X, schema.names)
                rng = np.random.default_rng(0)
                with Stage() as aug:
                    extra = augment(
                        frame, schema, "munge", int(round(factor * N_REAL)), rng
                    )
                transfer = np.concatenate([X, extra.to_numpy(dtype=np.float64)])
                with Stage() as lab:
                    proba = teacher.predict_proba(transfer)
                z = teacher_logits(teacher, transfer)
                q = blend(soften(z, model.temperature), None, 0.0)
                del z, proba
                bare = model._make_student(0)
                with Stage() as fit:
                    bare.fit(transfer, q)
                n_transfer = len(transfer)
                transfer_bytes = transfer.nbytes
                del transfer, q, extra, bare
                with Stage() as ev:
                    fidelity(
                        model.teacher_proba(X_test),
                        model.predict_proba(X_test),
                        np.searchsorted(model.classes_, y_test),
                    )
                rep = None
                rep_note = ""
                if report_evaluate is None:
                    rep_note = "skipped: treedistill.report is not installed"
                elif student != "tree":
                    rep_note = "timed for the tree student"
                elif n_transfer > report_max_rows or k not in report_classes:
                    rep_note = "not timed at this size"
                else:
                    with tempfile.TemporaryDirectory() as tmp, Stage() as rep:
                        try:
                            report = report_evaluate(
                                {"tree": model},
                                X_test[:2000],
                                y_test[:2000],
                                X,
                                y,
                                random_state=0,
                            )
                            write_report(report, tmp)
                        except Exception as exc:  # noqa: BLE001 - report what failed
                            rep_note = f"failed: {type(exc).__name__}: {exc}"[:120]
                parts = aug.seconds + lab.seconds + fit.seconds
                row = {
                    "classes": k,
                    "rows": n_transfer,
                    "student": student,
                    "builder": getattr(model.student_, "builder_", "xgboost"),
                    "fit_s": whole.seconds,
                    "fit_mem": whole.mem,
                    "augment_s": aug.seconds,
                    "augment_mem": aug.mem,
                    "teacher_s": lab.seconds,
                    "teacher_mem": lab.mem,
                    "student_s": fit.seconds,
                    "student_mem": fit.mem,
                    "bare_sum_s": parts,
                    "ratio": whole.seconds / parts if parts > 0 else float("nan"),
                    "evaluate_s": ev.seconds,
                    "report_s": rep.seconds
                    if rep is not None and not rep_note
                    else None,
                    "report_note": rep_note,
                    "transfer_bytes": transfer_bytes,
                    "mem_ratio": whole.mem / transfer_bytes,
                    "us_per_row": 1e6 * whole.seconds / n_transfer,
                }
                rows.append(row)
                print(
                    f"  K={k:<2} {n_transfer:>9,} rows {student:<8} fit "
                    f"{whole.seconds:7.2f} s (bare {parts:6.2f} s, x{row['ratio']:.2f}) "
                    f"peak +{_mb(whole.mem)} MB",
                    flush=True,
                )
                del model
                gc.collect()
    return rows


# --------------------------------------------------------------------- part B
def tree_at_scale(n_rows: int, k: int, depth: int, repeats: int, exact_entropy: bool):
    from sklearn.tree import DecisionTreeClassifier

    from treedistill import SoftTree, soften, teacher_logits

    n_test = 100_000
    X_all, y_all = _make_data(n_rows + n_test, k, seed=1)
    teacher = _teacher(X_all[:20_000], y_all[:20_000])
    Q_all = soften(teacher_logits(teacher, X_all))
    X, Q = X_all[:n_rows], Q_all[:n_rows]
    X_test, t_test = X_all[n_rows:], np.argmax(Q_all[n_rows:], axis=1)
    hard = np.argmax(Q, axis=1)
    del X_all, Q_all

    def sk_hard():
        return DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, hard)

    def soft(criterion, builder):
        return lambda: SoftTree(
            criterion=criterion, max_depth=depth, builder=builder, random_state=0
        ).fit(X, Q)

    timed = {
        "sklearn DecisionTreeClassifier (hard labels)": sk_hard,
        "hist, soft entropy": soft("entropy", "hist"),
        "hist, soft gini": soft("gini", "hist"),
    }
    once = {"exact, soft gini (multi-output regressor)": soft("gini", "exact")}
    if exact_entropy:
        once["exact, soft entropy (weighted duplication)"] = soft("entropy", "exact")

    times: dict[str, list] = {name: [] for name in [*timed, *once]}
    mems: dict[str, list] = {name: [] for name in [*timed, *once]}
    models = {}
    for r in range(repeats):
        for name, fn in timed.items():
            with Stage() as st:
                models[name] = fn()
            times[name].append(st.seconds)
            mems[name].append(st.mem)
            print(f"  {name:<48} repeat {r + 1}: {st.seconds:7.2f} s", flush=True)
    for name, fn in once.items():
        with Stage() as st:
            models[name] = fn()
        times[name].append(st.seconds)
        mems[name].append(st.mem)
        print(f"  {name:<48}         : {st.seconds:7.2f} s", flush=True)

    base = float(np.median(times["sklearn DecisionTreeClassifier (hard labels)"]))
    agree = {}
    for name, m in models.items():
        pred = m.predict(X_test) if hasattr(m, "classes_") else m.predict_proba(X_test)
        pred = pred if pred.ndim == 1 else np.argmax(pred, axis=1)
        agree[name] = float(np.mean(pred == t_test))
    rows = []
    for name in times:
        med = float(np.median(times[name]))
        exact_ref = None
        if name.startswith("hist"):
            crit = name.split()[-1]
            for other in times:
                if other.startswith("exact") and crit in other:
                    exact_ref = other
        m = models[name]
        rows.append(
            {
                "method": name,
                "seconds": med,
                "all_seconds": times[name],
                "peak_mem": float(np.max(mems[name])),
                "speedup_vs_sklearn": base / med,
                "agreement": agree[name],
                "exact_reference": exact_ref,
                "agreement_gap_vs_exact": (
                    100 * (agree[exact_ref] - agree[name]) if exact_ref else None
                ),
                "leaves": int(m.get_n_leaves() if hasattr(m, "get_n_leaves") else 0),
            }
        )
    return rows, {
        "rows": n_rows,
        "features": N_FEATURES,
        "classes": k,
        "depth": depth,
        "test_rows": n_test,
        "repeats": repeats,
    }


# ----------------------------------------------------------------------- main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, for CI")
    p.add_argument("--out", default="reports/benchmarks", help="output folder")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.quick:
        sizes, classes = (10_000, 50_000), (2, 10)
        scale_rows, repeats, report_max, report_classes = 50_000, 1, 10_000, (2,)
    else:
        sizes, classes = (10_000, 100_000, 1_000_000), (2, 10)
        scale_rows, repeats, report_max, report_classes = 1_000_000, 2, 100_000, (2, 10)

    print("Part A: end to end (5,000 real rows + MUNGE, LogisticRegression teacher)")
    a_rows = end_to_end(sizes, classes, report_max, report_classes)
    print(
        f"\nPart B: soft-label tree, {scale_rows:,} x {N_FEATURES} x 10 classes, depth 6"
    )
    b_rows, b_info = tree_at_scale(scale_rows, 10, 6, repeats, True)
    elapsed = time.perf_counter() - t0

    # ---- tables
    ah = [
        "K",
        "rows",
        "student",
        "builder",
        "fit s",
        "augment s",
        "teacher s",
        "student s",
        "whole / bare",
        "evaluate s",
        "report s",
        "µs / row",
        "fit peak MB",
        "peak / transfer",
    ]
    ar = []
    for r in a_rows:
        ar.append(
            [
                r["classes"],
                f"{r['rows']:,}",
                r["student"],
                r["builder"],
                f"{r['fit_s']:.2f}",
                f"{r['augment_s']:.2f}",
                f"{r['teacher_s']:.3f}",
                f"{r['student_s']:.2f}",
                f"{r['ratio']:.2f}",
                f"{r['evaluate_s']:.3f}",
                f"{r['report_s']:.1f}"
                if r["report_s"] is not None
                else r["report_note"],
                f"{r['us_per_row']:.1f}",
                _mb(r["fit_mem"]),
                f"{r['mem_ratio']:.2f}",
            ]
        )
    bh = [
        "method",
        "median s",
        "speed-up vs sklearn",
        "agreement %",
        "gap to exact (pts)",
        "leaves",
        "peak MB",
    ]
    br = [
        [
            r["method"],
            f"{r['seconds']:.2f}",
            f"{r['speedup_vs_sklearn']:.1f}x",
            f"{100 * r['agreement']:.2f}",
            f"{r['agreement_gap_vs_exact']:+.2f}"
            if r["agreement_gap_vs_exact"] is not None
            else "",
            r["leaves"],
            _mb(r["peak_mem"]),
        ]
        for r in b_rows
    ]

    # ---- targets
    targets = []
    ratios = [r["ratio"] for r in a_rows]
    targets.append(
        {
            "target": "whole fit ≤ 1.3× the bare library calls it wraps",
            "value": f"worst {max(ratios):.2f}×, median {np.median(ratios):.2f}×",
            "met": bool(max(ratios) <= 1.3),
        }
    )
    largest = max(r["rows"] for r in a_rows)
    memr = [r["mem_ratio"] for r in a_rows if r["rows"] == largest]
    targets.append(
        {
            "target": "peak memory of fit ≤ 2× the transfer set (encoded float64 "
            f"matrix) at {largest:,} rows",
            "value": ", ".join(
                f"K={r['classes']} {r['student']}: {r['mem_ratio']:.2f}×"
                for r in a_rows
                if r["rows"] == largest
            ),
            "met": bool(max(memr) <= 2.0),
        }
    )
    lin = []
    for k in classes:
        for student in ("tree", "boosting"):
            sel = sorted(
                (r for r in a_rows if r["classes"] == k and r["student"] == student),
                key=lambda r: r["rows"],
            )
            lin.append(sel[-1]["us_per_row"] / sel[0]["us_per_row"])
    targets.append(
        {
            "target": "cost linear in rows (µs per row at the largest size / at the "
            "smallest ≤ 1.5)",
            "value": ", ".join(f"{v:.2f}" for v in lin),
            "met": bool(max(lin) <= 1.5),
        }
    )
    hist = [r for r in b_rows if r["method"].startswith("hist")]
    targets.append(
        {
            "target": f"soft-label tree (both criteria) ≥ 5× faster than sklearn "
            f"DecisionTreeClassifier at {scale_rows:,} × 30 × 10, depth 6",
            "value": ", ".join(
                f"{r['method']}: {r['speedup_vs_sklearn']:.1f}×" for r in hist
            ),
            "met": bool(min(r["speedup_vs_sklearn"] for r in hist) >= 5.0),
        }
    )
    gaps = [
        r["agreement_gap_vs_exact"]
        for r in hist
        if r["agreement_gap_vs_exact"] is not None
    ]
    targets.append(
        {
            "target": "histogram tree's agreement within 0.5 points of the exact-split tree",
            "value": ", ".join(
                f"{r['method']}: {r['agreement_gap_vs_exact']:+.2f}"
                for r in hist
                if r["agreement_gap_vs_exact"] is not None
            ),
            "met": bool(gaps) and bool(max(abs(g) for g in gaps) <= 0.5),
        }
    )
    th = ["target", "measured", "met"]
    tr = [[t["target"], t["value"], "yes" if t["met"] else "no"] for t in targets]

    print("\nPart A: end to end")
    print(text_table(ah, ar))
    print(f"\nPart B: soft-label tree at {scale_rows:,} rows")
    print(text_table(bh, br))
    print("\nTargets")
    print(text_table(th, tr))

    out = Path(args.out)
    meta = {
        "command": command_line(),
        "versions": versions(),
        "wall_seconds": elapsed,
        "memory_method": "peak RSS above the stage's starting RSS (after gc and "
        "malloc_trim), sampled every 2 ms from /proc/self/statm",
        "part_a": {
            "sizes": list(sizes),
            "classes": list(classes),
            "real_rows": N_REAL,
            "heldout_rows": N_HELDOUT,
            "features": N_FEATURES,
        },
        "part_b": b_info,
    }
    lines = [
        "# Speed benchmark",
        "",
        f"Command: `{meta['command']}`  ",
        f"Wall time: {elapsed:.0f} s; CPUs: {os.cpu_count()}  ",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if k != "platform"),
        "",
        "Memory: " + meta["memory_method"] + "; it counts numpy, pandas, "
        "scikit-learn and xgboost memory alike. The transfer set's own size is its "
        "encoded float64 matrix (rows × 30 × 8 bytes).",
        "",
        "## Part A: end to end",
        "",
        f"{N_REAL:,} real rows (make_classification, 30 features) + MUNGE rows up to "
        "the size; prefit LogisticRegression teacher; default `DistilledTreeClassifier` "
        "(16 leaves) and `DistilledBoostingClassifier` (10 rounds). `fit s` is the "
        "whole `model.fit`; `augment`, `teacher` (`teacher.predict_proba` on all "
        "transfer rows) and `student` (`SoftTree.fit` / `SoftBoosting.fit` on the "
        "encoded rows) are the bare library calls it wraps, run separately right "
        "after in the same process; `whole / bare` = fit s / their sum. `evaluate s`: "
        f"`fidelity` with student and teacher predictions on {N_HELDOUT:,} held-out "
        "rows; `report s`: `treedistill.report.evaluate` + `write_report` "
        "(2,000 test rows).",
        "",
        markdown_table(ah, ar),
        "",
        f"## Part B: the soft-label tree at {scale_rows:,} rows × 30 features × 10 "
        "classes, depth 6",
        "",
        f"Median of {repeats} interleaved repeat(s) for the sklearn baseline and the "
        "histogram builder; the exact soft builders once. Agreement with the "
        f"teacher's argmax on {b_info['test_rows']:,} held-out rows; `gap to exact` = "
        "exact tree's agreement minus the histogram tree's, same criterion.",
        "",
        markdown_table(bh, br),
        "",
        "## Targets",
        "",
        markdown_table(th, tr),
        "",
    ]
    write_text(out / "speed.md", "\n".join(lines))
    write_json(
        out / "speed.json",
        {**meta, "end_to_end": a_rows, "tree_at_scale": b_rows, "targets": targets},
    )
    print(f"\nwrote {out / 'speed.md'} and {out / 'speed.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
