"""Export benchmark: scoring speed of the exported students against ``predict_proba``.

Data: ``treedistill.datasets.make_clinical_cohort`` (numeric and text columns, 15%
missing values, 3 classes). The students are fit on 5,000 rows with a fixed,
deterministic teacher (a score of glucose, BMI, age and smoking); the scoring rows
are 200,000 fresh cohort rows repeated up to ``--rows`` (default 1,000,000).

Students: the default ``DistilledTreeClassifier`` (16 leaves) and
``DistilledBoostingClassifier`` (10 rounds of depth 2, 30 trees for 3 classes).

Engines, each scoring every row, timed as the best of ``--repeats`` runs:

- ``predict_proba``: the fitted estimator on the pandas DataFrame (encoding included);
- ``DuckDB SQL`` / ``SQLite SQL`` (tree only): ``to_sql`` run on a table already in
  the database, results fetched into Python (DuckDB: ``fetchnumpy``; SQLite:
  ``fetchall``);
- ``ONNX Runtime``: ``to_onnx`` in an ``InferenceSession``, inputs already arrays;
- ``Python function`` (tree only): ``to_python``'s function called once per row on
  dicts built beforehand.

"setup" is the one-off cost outside the timing (loading the table into the
database, building the input arrays or dicts, creating the session). Every engine
runs on ``--threads`` threads (default 1: the machine is shared and
``predict_proba`` is single-threaded). Each row of the table also gives the
largest difference between the engine's probabilities and ``predict_proba``'s.

Usage::

    python benchmarks/export.py [--rows 1000000] [--repeats 3] [--threads 1]
                                [--quick] [--out reports/benchmarks]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    command_line,
    markdown_table,
    text_table,
    versions,
    write_json,
    write_text,
)

from treedistill import (  # noqa: E402
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    to_onnx,
    to_python,
    to_sql,
)
from treedistill.datasets import make_clinical_cohort  # noqa: E402

CLASSES = ["high", "low", "medium"]
BLOCK = 200_000


class CohortTeacher:
    """A fitted, deterministic teacher over four cohort columns."""

    classes_ = np.asarray(CLASSES, dtype=object)

    def predict_logits(self, X: pd.DataFrame) -> np.ndarray:
        glucose = X["glucose"].to_numpy(dtype=float)
        bmi = X["bmi"].to_numpy(dtype=float)
        age = X["age"].to_numpy(dtype=float)
        current = (X["smoker"].astype(object) == "current").to_numpy(dtype=float)
        score = np.nan_to_num(
            (glucose - 140) / 15 + (bmi - 30) / 5 + (age - 60) / 20 + current
        )
        return np.column_stack([score, -score, 0.5 * score - 1.0])


def _fit(threads: int):
    X, _ = make_clinical_cohort(5000, n_classes=3, missing_rate=0.15, random_state=0)
    y = np.asarray(CLASSES, dtype=object)[np.arange(len(X)) % 3]
    teacher = CohortTeacher()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = DistilledTreeClassifier(teacher, augment_factor=5.0, random_state=0).fit(
            X, y
        )
        boosted = DistilledBoostingClassifier(
            teacher, augment_factor=5.0, random_state=0
        )
        boosted.set_params(n_estimators=10, max_depth=2)
        boosted.fit(X, y)
    return {"tree": tree, "boosted": boosted}


def _rows(n: int) -> pd.DataFrame:
    block, _ = make_clinical_cohort(
        min(n, BLOCK), n_classes=3, missing_rate=0.15, random_state=1
    )
    reps = -(-n // len(block))
    frame = pd.concat([block] * reps, ignore_index=True).iloc[:n]
    frame = frame.reset_index(drop=True)
    for col in frame.columns:  # plain object text columns, as read from a file
        if not pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].astype(object)
    return frame


def _best(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _engines(model, kind: str, frame: pd.DataFrame, threads: int):
    """(name, setup seconds, scoring function returning an (n, K) array)."""
    import duckdb
    import onnxruntime as ort

    k = len(model.classes_)
    out = []
    if kind == "tree":
        t0 = time.perf_counter()
        duck = duckdb.connect()
        duck.execute(f"SET threads = {threads}")
        duck.register("frame_view", frame)
        duck.execute("CREATE TABLE cohort AS SELECT * FROM frame_view")
        duck.unregister("frame_view")
        sql = to_sql(model, table="cohort", dialect="duckdb")
        setup = time.perf_counter() - t0

        def run_duckdb():
            cols = duck.execute(sql).fetchnumpy()
            return np.column_stack([cols[f"proba_{c}"] for c in model.classes_])

        out.append(("DuckDB SQL", setup, run_duckdb))

        t0 = time.perf_counter()
        lite = sqlite3.connect(":memory:")
        frame.astype(object).where(frame.notna(), None).to_sql(
            "cohort", lite, index=False
        )
        lite_sql = to_sql(model, table="cohort", dialect="sqlite")
        setup = time.perf_counter() - t0

        def run_sqlite():
            rows = lite.execute(lite_sql).fetchall()
            return np.array([r[1 : 1 + k] for r in rows], dtype=np.float64)

        out.append(("SQLite SQL", setup, run_sqlite))

    t0 = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    sess = ort.InferenceSession(
        to_onnx(model).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    feeds = {}
    for inp in sess.get_inputs():
        col = frame[inp.name]
        if inp.type == "tensor(string)":
            text = col.astype(object).where(col.notna(), "").astype(str)
            feeds[inp.name] = text.to_numpy(dtype=object).reshape(-1, 1)
        else:
            feeds[inp.name] = col.to_numpy(dtype=np.float64, na_value=np.nan)[:, None]
    setup = time.perf_counter() - t0
    out.append(("ONNX Runtime", setup, lambda: sess.run(["probabilities"], feeds)[0]))

    if kind == "tree":
        t0 = time.perf_counter()
        namespace: dict = {}
        exec(to_python(model), namespace)  # noqa: S102
        fn = namespace["predict_proba"]
        tree = model.student_.tree_
        used = sorted(
            {model.schema_.features[j].column for j in tree.feature[tree.feature >= 0]}
        )
        sub = frame[used].astype(object)  # only the columns the function reads
        records = sub.where(sub.notna(), None).to_dict("records")
        classes = list(model.classes_)
        setup = time.perf_counter() - t0

        def run_python():
            return np.array([[fn(r)[c] for c in classes] for r in records])

        out.append(("Python function", setup, run_python))
    return out


def run(n_rows: int, repeats: int, threads: int) -> list[dict]:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    models = _fit(threads)
    frame = _rows(n_rows)
    results = []
    for kind, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            base, proba = _best(lambda m=model: m.predict_proba(frame), repeats)
        results.append(
            dict(
                student=kind,
                engine="predict_proba",
                rows=n_rows,
                setup_s=0.0,
                seconds=base,
                speedup=1.0,
                max_diff=0.0,
            )
        )
        for name, setup, fn in _engines(model, kind, frame, threads):
            seconds, got = _best(fn, repeats)
            results.append(
                dict(
                    student=kind,
                    engine=name,
                    rows=n_rows,
                    setup_s=setup,
                    seconds=seconds,
                    speedup=base / seconds,
                    max_diff=float(np.max(np.abs(np.asarray(got) - proba))),
                )
            )
            print(f"  {kind:8s} {name:16s} {seconds:8.3f} s", flush=True)
    return results


def _versions() -> dict:
    import duckdb
    import onnx
    import onnxruntime

    return {
        **versions(),
        "duckdb": duckdb.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


def _table(results: list[dict]):
    headers = [
        "student",
        "engine",
        "rows",
        "setup (s)",
        "scoring (s)",
        "rows/s",
        "speed-up vs predict_proba",
        "max abs. difference",
    ]
    rows = [
        [
            r["student"],
            r["engine"],
            f"{r['rows']:,}",
            f"{r['setup_s']:.2f}",
            f"{r['seconds']:.3f}",
            f"{r['rows'] / r['seconds']:,.0f}",
            f"{r['speedup']:.2f}x",
            f"{r['max_diff']:.1e}",
        ]
        for r in results
    ]
    return headers, rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="20,000 rows, one repeat (a smoke test)"
    )
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeats = 20_000, 1
    t0 = time.perf_counter()
    results = run(args.rows, args.repeats, args.threads)
    headers, rows = _table(results)
    print(text_table(headers, rows))
    name = "export-quick" if args.quick else "export"
    doc = [
        "# Export benchmark: scoring speed of exported students",
        "",
        f"Command: `{command_line()}` ({time.perf_counter() - t0:.0f} s in all)",
        "",
        f"{args.rows:,} rows of `make_clinical_cohort` (3 classes, 15% missing "
        f"values), {args.threads} thread(s) per engine, best of {args.repeats}. "
        "Speed-up is `predict_proba`'s time divided by the engine's (above 1: "
        "faster). Setup (loading the table, building inputs) is not in the "
        "scoring time. The last column is the largest difference from "
        "`predict_proba` (ONNX Runtime returns float32 probabilities).",
        "",
        "Reading: the SQL and Python exports give `predict_proba`'s probabilities "
        "bit for bit, ONNX Runtime within float32 rounding (last column). SQLite "
        "and the plain-Python function are there for portability (any database, "
        "no dependency), not speed.",
        "",
        markdown_table(headers, rows),
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()),
    ]
    write_text(args.out / f"{name}.md", "\n".join(doc))
    write_json(
        args.out / f"{name}.json",
        {"command": command_line(), "results": results, "versions": versions()},
    )


if __name__ == "__main__":
    main()
