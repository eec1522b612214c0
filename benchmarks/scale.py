"""Scale benchmark: reading, bounded-memory streaming, and a large run end to end.

Each measurement runs in its own Python process so that its peak memory (the
process's maximum resident set) is its own. Stages:

- ``read``: a generated CSV of N rows x 30 columns (24 float, 4 integer, 2 text
  columns; 2% of cells empty) read by ``read_table`` on the pyarrow path and on
  the strict ``csv``-module path; the two frames are checked equal.
- ``tree``: a transfer set of N rows x 30 features with three-class soft labels
  (a fixed logistic teacher), the histogram tree (64 leaves) grown in memory
  (``HistTree``) and streamed in chunks through a ``ChunkSpill``
  (``StreamedHistTree``); the two trees are checked equal.
- ``distill``: ``DistilledTreeClassifier`` with a scikit-learn teacher on a
  clinical cohort of ``N / 21`` patients (20x MUNGE: an N-row transfer set),
  in memory and with ``chunk_size``.
- ``dask``: the same tree grown on a 2-worker ``LocalCluster`` (partitions made
  on the workers; only histograms travel).
- ``dask-distill``: ``distill_tree_dask`` end to end on a 2-worker
  ``LocalCluster``: a clinical cohort of ``N / 21`` patients written as Parquet
  partitions, read with ``dd.read_parquet``; a scikit-learn pipeline teacher
  labels each partition's rows and its 20x MUNGE rows on the workers (an N-row
  transfer set), the tree (16 leaves) is grown from per-partition histograms and
  its thresholds snapped to the data's precision from per-partition bounds.
- ``cli``: ``treedistill distill`` on a cohort CSV of N rows x 22 columns with a
  skops pipeline teacher and ``--augment-factor 2``: ``timings.json`` per stage.

Usage::

    python benchmarks/scale.py [--quick] [--stages read tree distill cli]
                               [--rows N] [--stream-rows N ...] [--out DIR]
                               [--dask-distill-rows N ...] [--dask-memory 6GiB]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, command_line, markdown_table, versions  # noqa: E402

STAGES = ("read", "tree", "distill", "cli", "dask", "dask-distill")


def _peak_mb() -> float:
    """This process image's peak resident memory (VmHWM; ``ru_maxrss`` would also
    count the parent's memory at fork time)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- #
# Workers (run in a child process; print one JSON line)
# --------------------------------------------------------------------------- #
def _write_csv(path: Path, n: int, seed: int = 0) -> None:
    import pandas as pd

    rng = np.random.default_rng(seed)
    cols = {}
    for j in range(24):
        v = np.round(rng.standard_normal(n) * 10 ** (j % 4), 3)
        v[rng.random(n) < 0.02] = np.nan
        cols[f"f{j}"] = v
    for j in range(4):
        cols[f"i{j}"] = rng.integers(0, 90 + j, n)
    cols["ward"] = rng.choice(["A", "B", "C", "ICU"], n)
    cols["sex"] = rng.choice(["F", "M"], n)
    pd.DataFrame(cols).to_csv(path, index=False)


def work_read(rows: int, strict: bool, path: str) -> dict:
    import treedistill.data._tables as tables
    from treedistill import read_table

    if strict:
        tables.read_csv_arrow = lambda p, suffix: None
    t = time.perf_counter()
    frame = read_table(path)
    seconds = time.perf_counter() - t
    digest = int(
        np.bitwise_xor.reduce(
            __import__("pandas").util.hash_pandas_object(frame, index=False).to_numpy()
        )
    )
    return {"seconds": seconds, "rows": len(frame), "digest": digest}


def _tree_data(start: int, stop: int, seed: int = 0):
    """Rows [start, stop) of a fixed synthetic transfer set (30 features, 3 classes)."""
    rng = np.random.default_rng([seed, start])
    n = stop - start
    X = rng.standard_normal((n, 30))
    X[:, :4] = np.round(X[:, :4] * 2)  # a few discrete columns
    X[rng.random(n) < 0.05, 5] = np.nan
    W = np.random.default_rng(99).standard_normal((30, 3))
    z = np.nan_to_num(X) @ W
    Q = np.exp(z - z.max(axis=1, keepdims=True))
    return X, Q / Q.sum(axis=1, keepdims=True)


def _tree_blocks(n: int, block: int):
    for start in range(0, n, block):
        yield _tree_data(start, min(n, start + block))


def _tree_summary(tree) -> dict:
    t = tree.tree_
    return {
        "leaves": int(t.n_leaves),
        "signature": [t.feature.tolist(), t.threshold.tolist()],
    }


def work_tree(rows: int, mode: str, chunk: int) -> dict:
    from treedistill.distill._hist_tree import HistTree
    from treedistill.distill._streaming import ChunkSpill, StreamedHistTree

    params = dict(criterion="gini", max_leaf_nodes=64, random_state=0)
    out = {}
    t = time.perf_counter()
    if mode == "memory":
        parts = list(_tree_blocks(rows, chunk))
        X = np.concatenate([p[0] for p in parts])
        Q = np.concatenate([p[1] for p in parts])
        del parts
        out["generate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        tree = HistTree(**params).fit(X, Q)
        out["grow_s"] = time.perf_counter() - t
    else:
        with ChunkSpill({"X": 30, "Q": 3}) as spill:
            for X, Q in _tree_blocks(rows, chunk):
                spill.append(X=X, Q=Q)
            out["generate_s"] = time.perf_counter() - t
            out["spill_bytes"] = spill.nbytes()
            t = time.perf_counter()
            tree = StreamedHistTree(**params).fit_spill(spill)
            out["grow_s"] = time.perf_counter() - t
            out["passes"] = tree.n_passes_
    out.update(_tree_summary(tree))
    return out


def _cohort(n: int, seed: int = 0):
    import pandas as pd

    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(n, missing_rate=0.02, random_state=seed)
    rng = np.random.default_rng(seed + 1)
    extra = {f"lab{j}": np.round(rng.standard_normal(n) * 5 + 50, 1) for j in range(13)}
    return pd.concat([X, pd.DataFrame(extra)], axis=1), y


def _pipeline_teacher(X, y):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    text = [c for c in X.columns if X[c].dtype == object or str(X[c].dtype) == "str"]
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), text)],
        remainder="passthrough",
    )
    model = Pipeline(
        [("pre", pre), ("hgb", HistGradientBoostingClassifier(max_iter=50))]
    )
    return model.fit(X, y)


def work_distill(rows: int, chunk: int | None) -> dict:
    from treedistill import DistilledTreeClassifier

    n_real = max(rows // 21, 100)
    X, y = _cohort(n_real)
    teacher = _pipeline_teacher(X, y)
    t = time.perf_counter()
    model = DistilledTreeClassifier(
        teacher, builder="hist", max_leaf_nodes=16, random_state=0, chunk_size=chunk
    ).fit(X, y)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "transfer_rows": int(model.n_transfer_),
        "agreement": float(np.mean(model.predict(X) == teacher.predict(X))),
    }


def work_cli(
    rows: int,
    folder: str,
    legacy: bool = False,
    chunk_size: int | None = None,
    dask: bool = False,
) -> dict:
    import skops.io as sio

    import treedistill.data._tables as tables
    import treedistill.report._size_curve as size_curve

    if legacy:  # as before: the strict reader, size-curve refits on every row
        tables.read_csv_arrow = lambda p, suffix: None
        size_curve.CURVE_ROWS = 10**12

    work = Path(folder)
    X, y = _cohort(rows, seed=5)
    if dask:  # a Parquet dataset of 8 files, run with --dask local
        data = work / "cohort"
        data.mkdir()
        frame = X.assign(risk=y)
        for i, part in enumerate(np.array_split(np.arange(len(frame)), 8)):
            frame.iloc[part].to_parquet(data / f"part-{i}.parquet", index=False)
    else:
        data = work / "cohort.csv"
        X.assign(risk=y).to_csv(data, index=False)
    Xt, yt = _cohort(20_000, seed=6)
    sio.dump(_pipeline_teacher(Xt, yt), work / "teacher.skops")
    from treedistill import DistillParams, run_distill

    params = DistillParams(
        data=data, target="risk", out=work / "run",
        teacher=[work / "teacher.skops"], augment_factor=2.0, chunk_size=chunk_size,
        dask="local" if dask else None,
    )  # fmt: skip
    marks: list[tuple[str, float]] = []
    t = time.perf_counter()
    error = None
    try:
        run_distill(
            params,
            progress=lambda name, i, n: marks.append((name, time.perf_counter())),
        )
    except Exception as exc:  # noqa: BLE001 - stage times up to the failure still count
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    end = time.perf_counter()
    stages = {
        name: (marks[i + 1][1] if i + 1 < len(marks) else end) - start
        for i, (name, start) in enumerate(marks)
    }
    out = {"seconds": end - t, "stages": stages, "error": error}
    if dask:  # the cluster's worker processes, once they have exited
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        out["largest_worker_peak_mb"] = children
    report = work / "run" / "report.json"
    if report.exists():
        out.update(_sample_sizes(json.loads(report.read_text())))
    elif not legacy:
        out["size_curve_rows"] = "at most 5000"
    return out


def _sample_sizes(report: dict) -> dict:
    """The rows each bounded section of a report worked on."""
    st, shap = report.get("stability") or {}, report.get("shap") or {}
    pool = None
    if st.get("status") == "ok":
        total = st.get("n_train_total", st["n_train"])  # reports before it was stated
        pool = f"{st['n_train']:,} of {total:,} (+{st['n_augmented']:,})"
    return {
        "size_curve_rows": report["size_curve"].get("n_train_rows"),
        "stability_rows": pool or st.get("status"),
        "shap_rows": f"{shap.get('n_rows')} x {shap.get('n_background')} background",
    }


def _worker_peak_mb() -> float:
    return _peak_mb()


def work_dask(rows: int, chunk: int, workers: int) -> dict:
    import distributed

    from treedistill.distill._streaming import StreamedHistTree
    from treedistill.scale._dask import DaskPasses

    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True,
        dashboard_address=None, memory_limit="3GiB",
    )  # fmt: skip
    with distributed.Client(cluster) as client:
        t = time.perf_counter()
        starts = list(range(0, rows, chunk))
        parts = client.map(
            _tree_data, starts, [min(rows, s + chunk) for s in starts], pure=False
        )
        distributed.wait(parts)
        out = {"generate_s": time.perf_counter() - t}
        t = time.perf_counter()
        tree = StreamedHistTree(
            criterion="gini", max_leaf_nodes=64, random_state=0
        ).fit_passes(DaskPasses(client, parts))
        out["grow_s"] = time.perf_counter() - t
        out["passes"] = tree.n_passes_
        out["worker_peak_mb"] = sorted(client.run(_worker_peak_mb).values())
        out["partitions"] = len(parts)
    cluster.close()
    out.update(_tree_summary(tree))
    return out


def _write_parquet(folder: Path, n_real: int, partitions: int) -> None:
    """The cohort of ``n_real`` rows as ``partitions`` Parquet files (one at a time)."""
    folder.mkdir(parents=True, exist_ok=True)
    edges = np.linspace(0, n_real, partitions + 1).astype(int)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        X, y = _cohort(int(b - a), seed=100 + i)
        X.assign(risk=y).to_parquet(folder / f"part-{i:04d}.parquet", index=False)


def work_dask_distill(
    rows: int, partitions: int, workers: int, folder: str, memory: str
) -> dict:
    import dask.dataframe as dd
    import distributed

    from treedistill import DistilledTreeClassifier, distill_tree_dask

    n_real = max(rows // 21, 100)  # 20x MUNGE: an N-row transfer set
    data = Path(folder) / "cohort"
    t = time.perf_counter()
    _write_parquet(data, n_real, partitions)
    out = {"write_s": time.perf_counter() - t, "real_rows": n_real}
    Xt, yt = _cohort(20_000, seed=6)
    teacher = _pipeline_teacher(Xt, yt)
    del Xt, yt
    out["client_peak_before_mb"] = _peak_mb()
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True,
        dashboard_address=None, memory_limit=memory,
    )  # fmt: skip
    with distributed.Client(cluster) as client:
        ddf = dd.read_parquet(str(data))
        marks: list[tuple[str, float]] = []
        t = time.perf_counter()
        model = distill_tree_dask(
            DistilledTreeClassifier(
                teacher, builder="hist", max_leaf_nodes=16, random_state=0
            ),
            ddf,
            "risk",
            client=client,
            progress=lambda name, i, n: marks.append((name, time.perf_counter())),
        )
        end = time.perf_counter()
        out["stages"] = {
            name: (marks[i + 1][1] if i + 1 < len(marks) else end) - start
            for i, (name, start) in enumerate(marks)
        }
        out["seconds"] = end - t
        out["worker_peak_mb"] = sorted(client.run(_worker_peak_mb).values())
        out["partitions"] = ddf.npartitions
    cluster.close()
    first = dd.read_parquet(str(data / "part-0000.parquet")).compute()
    X0 = first.drop(columns="risk")
    out.update(
        transfer_rows=int(model.n_transfer_),
        leaves=int(model.student_.get_n_leaves()),
        snapped=bool(model.student_.snapped_),
        agreement=float(np.mean(model.predict(X0) == teacher.predict(X0))),
    )
    return out


WORKERS = {
    "dask-distill": work_dask_distill,
    "read": work_read,
    "tree": work_tree,
    "distill": work_distill,
    "cli": work_cli,
    "dask": work_dask,
}


def _child(kind: str, **kw) -> dict:
    cmd = [sys.executable, __file__, "--worker", json.dumps({"kind": kind, **kw})]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode:
        raise RuntimeError(f"{kind} {kw} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- #
# Stages (parent process)
# --------------------------------------------------------------------------- #
def stage_read(rows: int, tmp: Path) -> list[dict]:
    path = tmp / f"read_{rows}.csv"
    _write_csv(path, rows)
    out = []
    for strict in (False, True):
        r = _child("read", rows=rows, strict=strict, path=str(path))
        r.update(path="strict csv" if strict else "pyarrow", rows=rows)
        r["file_mb"] = path.stat().st_size / 2**20
        out.append(r)
    out[0]["same_frame"] = out[0]["digest"] == out[1]["digest"]
    out[0]["speedup"] = out[1]["seconds"] / out[0]["seconds"]
    path.unlink()
    return out


def stage_tree(rows_list, chunk: int, memory_max: int) -> list[dict]:
    out = []
    for rows in rows_list:
        modes = ["stream"] + (["memory"] if rows <= memory_max else [])
        got = {}
        for mode in modes:
            r = _child("tree", rows=rows, mode=mode, chunk=chunk)
            r.update(mode=mode, rows=rows)
            got[mode] = r
            out.append(r)
        if "memory" in got:
            got["stream"]["same_tree"] = (
                got["stream"]["signature"] == got["memory"]["signature"]
            )
    return out


def stage_distill(rows: int, chunk: int) -> list[dict]:
    out = []
    for c in (None, chunk):
        r = _child("distill", rows=rows, chunk=c)
        r.update(mode="memory" if c is None else f"chunk_size={c}", rows=rows)
        out.append(r)
    return out


def stage_dask(rows_list, chunk: int, workers: int) -> list[dict]:
    out = []
    for rows in rows_list:
        r = _child("dask", rows=rows, chunk=chunk, workers=workers)
        r.update(rows=rows, workers=workers)
        out.append(r)
    return out


def stage_dask_distill(rows_list, tmp: Path, workers: int, memory: str) -> list:
    out = []
    for rows in rows_list:
        folder = tmp / f"dask-distill-{rows}"
        # About 250,000 transfer rows a partition, at least two per worker.
        partitions = max(2 * workers, -(-rows // 250_000))
        r = _child("dask-distill", rows=rows, partitions=partitions,
                   workers=workers, folder=str(folder), memory=memory)  # fmt: skip
        r.update(rows=rows, workers=workers)
        out.append(r)
    return out


def stage_cli(
    rows: int, tmp: Path, legacy: bool, chunk: int | None, dask: bool = False
) -> list[dict]:
    out = []
    for old in (True, False) if legacy else (False,):
        folder = tmp / f"cli-{old}"
        folder.mkdir()
        r = _child(
            "cli", rows=rows, folder=str(folder), legacy=old, chunk_size=chunk,
            dask=dask,
        )  # fmt: skip
        mode = "before (strict reader, curve on all rows)" if old else "now"
        if chunk:
            mode += f", --chunk-size {chunk}"
        if dask:
            mode += ", --dask local (8 Parquet files)"
        r.update(rows=rows, mode=mode, command=command_line())
        out.append(r)
    return out


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #
def _f(x, digits=1):
    return "-" if x is None else f"{x:,.{digits}f}"


def _table_read(results: dict, parts: list) -> None:
    rows = []
    for r in results["read"]:
        rows.append(
            [r["path"], f"{r['rows']:,}", _f(r["file_mb"]), _f(r["seconds"], 2),
             _f(r["rows"] / r["seconds"], 0), _f(r["peak_mb"], 0),
             _f(r.get("speedup"), 1) if "speedup" in r else "",
             str(r.get("same_frame", ""))]
        )  # fmt: skip
    parts.append(
        "### Reading a CSV (30 columns)\n\n"
        + markdown_table(
            [
                "path",
                "rows",
                "file MB",
                "seconds",
                "rows/s",
                "peak MB",
                "speed-up",
                "same frame",
            ],
            rows,
        )  # fmt: skip
    )


def _table_tree(results: dict, parts: list) -> None:
    rows = []
    for r in results["tree"]:
        total = r["generate_s"] + r["grow_s"]
        rows.append(
            [r["mode"], f"{r['rows']:,}", _f(r["generate_s"]), _f(r["grow_s"]),
             _f(r["rows"] / r["grow_s"], 0), _f(r["peak_mb"], 0),
             _f(r.get("spill_bytes", 0) / max(r["rows"], 1), 0) if "spill_bytes"
             in r else "-", str(r.get("passes", "-")), str(r["leaves"]),
             str(r.get("same_tree", "-")), _f(total)]
        )  # fmt: skip
    parts.append(
        "### Histogram tree, 30 features, 3 classes, 64 leaves\n\n"
        + markdown_table(
            [
                "mode",
                "rows",
                "generate s",
                "grow s",
                "grow rows/s",
                "peak MB",
                "disk bytes/row",
                "passes",
                "leaves",
                "same tree",
                "total s",
            ],
            rows,
        )  # fmt: skip
    )


def _table_distill(results: dict, parts: list) -> None:
    rows = [
        [r["mode"], f"{r['transfer_rows']:,}", _f(r["seconds"]),
         _f(r["transfer_rows"] / r["seconds"], 0), _f(r["peak_mb"], 0),
         _f(r["agreement"], 3)]
        for r in results["distill"]
    ]  # fmt: skip
    parts.append(
        "### DistilledTreeClassifier (pipeline teacher, 20x MUNGE, 22 columns)\n\n"
        + markdown_table(
            [
                "mode",
                "transfer rows",
                "fit s",
                "rows/s",
                "peak MB",
                "train agreement",
            ],
            rows,
        )  # fmt: skip
    )


def _table_dask(results: dict, parts: list) -> None:
    rows = [
        [f"{r['workers']}-worker LocalCluster", f"{r['rows']:,}",
         str(r["partitions"]), _f(r["generate_s"]), _f(r["grow_s"]),
         _f(r["rows"] / r["grow_s"], 0), _f(r["peak_mb"], 0),
         " / ".join(_f(m, 0) for m in r["worker_peak_mb"]), str(r["passes"]),
         str(r["leaves"])]
        for r in results["dask"]
    ]  # fmt: skip
    parts.append(
        "### Histogram tree on Dask (map-reduce of per-partition histograms)\n\n"
        + markdown_table(
            [
                "where",
                "rows",
                "partitions",
                "generate s",
                "grow s",
                "grow rows/s",
                "client peak MB",
                "worker peak MB",
                "passes",
                "leaves",
            ],
            rows,
        )  # fmt: skip
    )


def _table_dask_distill(results: dict, parts: list) -> None:
    rows = []
    for r in results["dask-distill"]:
        n = r["transfer_rows"]
        stages = " / ".join(f"{k} {_f(v)}" for k, v in r["stages"].items())
        rows.append(
            [f"{r['workers']}-worker LocalCluster", f"{n:,}", f"{r['real_rows']:,}",
             str(r["partitions"]), _f(r["write_s"]), stages, _f(r["seconds"]),
             _f(n / r["seconds"], 0), _f(r["peak_mb"], 0),
             " / ".join(_f(m, 0) for m in r["worker_peak_mb"]),
             f"{r['leaves']}{' snapped' if r['snapped'] else ''}",
             _f(r["agreement"], 3)]
        )  # fmt: skip
    parts.append(
        "### distill_tree_dask end to end (Parquet partitions, pipeline teacher, "
        "20x MUNGE, exact rules)\n\n"
        + markdown_table(
            [
                "where",
                "transfer rows",
                "real rows",
                "partitions",
                "write s",
                "stage s (sample / transfer / grow / snap / leaves)",
                "distill s",
                "rows/s",
                "client peak MB",
                "worker peak MB",
                "leaves",
                "agreement (1st partition)",
            ],
            rows,
        )  # fmt: skip
    )


def _table_cli(results: dict, parts: list) -> None:
    runs = results["cli"]
    names = list(dict.fromkeys(k for r in runs for k in r["stages"]))
    rows = []
    for k in [*names, "total"]:
        row = [k]
        for r in runs:
            total = sum(r["stages"].values())
            v = total if k == "total" else r["stages"].get(k, 0.0)
            row += [_f(v), _f(100 * v / total)]
        rows.append(row)
    rows.append(["peak MB"] + sum([[_f(r["peak_mb"], 0), ""] for r in runs], []))
    if any("largest_worker_peak_mb" in r for r in runs):
        rows.append(
            ["largest worker peak MB"]
            + sum([[_f(r.get("largest_worker_peak_mb"), 0), ""] for r in runs], [])
        )
    for key, label in (
        ("cpu_s", "CPU s (whole process)"),
        ("load_avg_1min", "load (1 min, at the end)"),
    ):
        rows.append([label] + sum([[_f(r.get(key)), ""] for r in runs], []))
    for key, label in (
        ("size_curve_rows", "size-curve rows"),
        ("stability_rows", "stability pool rows"),
        ("shap_rows", "SHAP rows"),
    ):
        rows.append([label] + sum([[str(r.get(key) or "-"), ""] for r in runs], []))
    headers = ["stage"] + sum(
        [[f"{r['rows']:,} rows, {r['mode']}: s", "%"] for r in runs], []
    )
    parts.append(
        "### treedistill distill, N rows x 22 columns, --augment-factor 2, skops "
        "pipeline teacher\n\n" + markdown_table(headers, rows)
    )


def tables(results: dict) -> str:
    parts: list[str] = []
    for name in STAGES:
        if name in results:
            TABLES[name](results, parts)
    return "\n\n".join(parts)


TABLES = {
    "read": _table_read,
    "tree": _table_tree,
    "distill": _table_distill,
    "dask": _table_dask,
    "cli": _table_cli,
    "dask-distill": _table_dask_distill,
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    ap.add_argument("--read-rows", type=int, default=None)
    ap.add_argument("--stream-rows", type=int, nargs="+", default=None)
    ap.add_argument("--memory-max", type=int, default=1_000_000,
                    help="largest transfer set also grown in memory")  # fmt: skip
    ap.add_argument("--distill-rows", type=int, default=None)
    ap.add_argument("--cli-rows", type=int, default=None)
    ap.add_argument("--cli-chunk-size", type=int, default=None,
                    help="cli stage: pass --chunk-size")  # fmt: skip
    ap.add_argument("--cli-dask", action="store_true",
                    help="cli stage: the data as 8 Parquet files, run with "
                    "--dask local")  # fmt: skip
    ap.add_argument("--dask-distill-rows", type=int, nargs="+", default=None,
                    help="dask-distill stage: transfer rows (default 1M; 42,000 "
                    "with --quick)")  # fmt: skip
    ap.add_argument("--dask-memory", default="6GiB",
                    help="dask-distill stage: memory limit of each worker")  # fmt: skip
    ap.add_argument("--chunk", type=int, default=262_144)
    ap.add_argument("--before", action="store_true",
                    help="cli stage: also run as before (strict reader, size curve "
                    "on every training row)")  # fmt: skip
    ap.add_argument("--out", type=Path, default=REPO / "reports" / "benchmarks")
    ap.add_argument("--label", default=None,
                    help="name of this run's entry in scale.json (default: the "
                    "command line)")  # fmt: skip
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        result = WORKERS[spec.pop("kind")](**spec)
        result["peak_mb"] = _peak_mb()
        use = resource.getrusage(resource.RUSAGE_SELF)
        result["cpu_s"] = use.ru_utime + use.ru_stime
        result["load_avg_1min"] = os.getloadavg()[0]
        print(json.dumps(result))
        return
    q = args.quick
    read_rows = args.read_rows or (20_000 if q else 1_000_000)
    stream_rows = args.stream_rows or ([50_000] if q else [1_000_000])
    distill_rows = args.distill_rows or (42_000 if q else 1_050_000)
    cli_rows = args.cli_rows or (4_000 if q else 100_000)
    chunk = min(args.chunk, 20_000) if q else args.chunk
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        tmp = Path(tmp)
        for stage in args.stages:
            t = time.perf_counter()
            if stage == "read":
                results["read"] = stage_read(read_rows, tmp)
            elif stage == "tree":
                results["tree"] = stage_tree(stream_rows, chunk, args.memory_max)
            elif stage == "distill":
                results["distill"] = stage_distill(distill_rows, chunk)
            elif stage == "dask":
                results["dask"] = stage_dask(stream_rows, chunk, 2)
            elif stage == "dask-distill":
                dd_rows = args.dask_distill_rows or ([42_000] if q else [1_050_000])
                results[stage] = stage_dask_distill(dd_rows, tmp, 2, args.dask_memory)
            else:
                results["cli"] = stage_cli(
                    cli_rows, tmp, args.before, args.cli_chunk_size, args.cli_dask
                )
            print(f"[{stage}: {time.perf_counter() - t:.0f} s]", flush=True)
    text = tables(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "scale-quick" if q else "scale"
    path = args.out / f"{name}.json"
    # one entry per run, named by --label (default: the command line); the
    # entries of earlier runs are kept
    doc = json.loads(path.read_text()) if path.exists() else {}
    if "results" in doc:  # a file holding one run
        doc = {doc.get("command", "earlier run"): doc}
    doc[args.label or command_line()] = {
        "command": command_line(),
        "versions": versions(),
        "results": results,
    }
    path.write_text(json.dumps(doc, indent=1))
    (args.out / f"{name}-tables.md").write_text(f"`{command_line()}`\n\n{text}\n")


if __name__ == "__main__":
    main()
