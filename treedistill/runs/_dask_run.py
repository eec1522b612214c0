"""The whole distillation job on a Dask cluster, for data beyond one machine.

:func:`run_distill_dask` is :func:`treedistill.run_distill` with ``dask`` set. The
data is a Parquet file, a folder of Parquet files or a glob of Parquet or CSV
files, read lazily with ``dask.dataframe``: the client reads only the files'
schemas (Parquet footers, CSV header lines) before the work starts. Then:

1. **Split.** Every partition draws its held-out rows itself:
   ``numpy.random.default_rng([seed, partition]).random(n_rows) < test_size``
   over the partition's rows (rows without a target are then left out). The
   draw is reproducible for the same files, partitions and seed, and not
   stratified. Partitions are numbered in file order (files sorted by path).
2. **Samples.** Bounded, seeded samples of the training rows (at most
   :data:`TRAIN_ROWS`) and of the held-out rows (at most :data:`REPORT_ROWS`)
   are gathered to the client: each partition gives a share drawn from a
   multivariate hypergeometric split of the sample size over the partitions.
   The columns are prepared from these rows as on one machine
   (:func:`treedistill.prepare_data`: identifiers and empty columns left out,
   data checks), and every partition is cleaned the same way on its worker.
3. **Teacher.** The ``teacher`` files, or the default MLP teacher trained on the
   training sample on the client (the sample size is recorded).
4. **Student.** :func:`treedistill.distill_tree_dask` on the training rows of
   every partition: transfer set and teacher labels by partition, the tree's
   split search as a map-reduce of per-partition histograms.
5. **Evaluation.** The additive measures (agreement, confusion counts, per-class
   counts, accuracy against the truth, KL, total variation and risk-difference
   sums, flag counts) are computed with one pass over ALL held-out rows, partition
   by partition, and added up; the full report (:func:`treedistill.report.evaluate`:
   rank measures, rules audit, SHAP, size curve, stability) is computed on the
   held-out sample. When every held-out row fits in the sample, the report is
   the single-machine report for those rows.

The run directory holds the same files as a single-machine run;
``held_out_rows.csv`` lists the report's sample of held-out rows by row number
(from 1, in data order: files sorted by path, rows in file order), and
``config.json`` records the split, the samples and the files under ``"dask"``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from treedistill.common._json import plain
from treedistill.data._cleaning import MISSING_TOKENS, clean_frame
from treedistill.data._prepare import _labels
from treedistill.distill._options import DistillParams
from treedistill.exceptions import (
    DataError,
)
from treedistill.runs._outdir import (
    Staging,
    check_out_dir,
)
from treedistill.runs._pipeline import (
    _Clock,
    _get_teacher,
    _State,
    evaluate_run,
    finish_run,
    prepare_frame,
    staged_run,
)
from treedistill.runs._result import DistillResult
from treedistill.scale._dask_inputs import (
    check_dask_installed,
    check_dask_params,
    check_files,
    connect,
    dask_files,
)
from treedistill.scale._dask_measures import add_counts, counts, measures

__all__ = ["REPORT_ROWS", "TRAIN_ROWS", "run_distill_dask", "split_mask"]

#: Held-out rows gathered to the client for the full report (a seeded sample).
REPORT_ROWS = 200_000
#: Training rows gathered to the client: the default teacher's and the report's.
TRAIN_ROWS = 100_000


# --------------------------------------------------------------------------- #
# Run on the workers, one partition at a time
# --------------------------------------------------------------------------- #
def split_mask(n_rows: int, partition: int, seed: int, test_size: float) -> np.ndarray:
    """Which of a partition's ``n_rows`` rows are held out (before rows without a
    target are left out): ``default_rng([seed, partition]).random(n) < test_size``."""
    rng = np.random.default_rng([int(seed), int(partition)])
    return rng.random(n_rows) < float(test_size)


def _clean(frame: pd.DataFrame, target: str, from_csv: bool):
    """The partition cleaned as read_table cleans a file, its labels and which
    rows have one."""
    raw = frame.reset_index(drop=True)
    cleaned, _ = clean_frame(raw, from_csv=from_csv)
    has_y = cleaned[target].notna().to_numpy()
    y = _labels(cleaned[target][has_y], target) if has_y.any() else np.array([])
    return raw, cleaned, has_y, y


def _count_part(frame, partition, target, seed, test_size, from_csv):
    _, _, has_y, y = _clean(frame, target, from_csv)
    held = split_mask(len(has_y), partition, seed, test_size)[has_y]
    out = {"n": len(has_y), "missing": int((~has_y).sum())}
    for name, mask in (("train", ~held), ("test", held)):
        labels, counts = np.unique(y[mask], return_counts=True)
        out[name] = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    return out


def _pick(rng, idx: np.ndarray, quota: int) -> np.ndarray:
    if quota >= len(idx):
        return idx
    return np.sort(rng.choice(idx, size=quota, replace=False))


def _sample_part(frame, partition, target, seed, test_size, from_csv, quotas, offset):
    """The partition's share of the training and held-out samples."""
    raw, cleaned, has_y, _ = _clean(frame, target, from_csv)
    held = split_mask(len(has_y), partition, seed, test_size)
    rng = np.random.default_rng([int(seed), int(partition), 1])
    train = _pick(rng, np.flatnonzero(has_y & ~held), quotas[0])
    test = _pick(rng, np.flatnonzero(has_y & held), quotas[1])
    rows = np.concatenate([train, test])
    out = cleaned.iloc[rows].copy()
    out.index = pd.Index(offset + rows + 1)  # row numbers from 1, in data order
    out["__held_out__"] = np.concatenate(
        [np.zeros(len(train), bool), np.ones(len(test), bool)]
    )
    return out


def _conform(raw, cleaned, features: dict[str, str], partition: int):
    """The feature columns with the sample's kinds (numeric or categorical)."""
    columns = {}
    for name, kind in features.items():
        s = cleaned[name]
        numeric = pd.api.types.is_numeric_dtype(s.dtype)
        if kind == "numeric" and not numeric:
            if s.notna().any():
                bad = s.dropna().iloc[0]
                raise DataError(
                    f"column {name!r} holds text ({bad!r}) in partition {partition} "
                    "but numbers in the sampled rows",
                    column=name,
                )
            s = s.astype(np.float64)
        elif kind == "categorical" and numeric:
            text = raw[name].astype("string").str.strip()
            s = text.where(~text.isin(list(MISSING_TOKENS))).astype(object)
            s = s.where(s.notna(), np.nan)
        columns[name] = s
    return pd.DataFrame(columns, index=cleaned.index)


def _part_rows(frame, partition, target, seed, test_size, from_csv, features, held_out):
    """The training (or held-out) rows of a partition, cleaned: features + target."""
    raw, cleaned, has_y, y = _clean(frame, target, from_csv)
    held = split_mask(len(has_y), partition, seed, test_size)
    X = _conform(raw, cleaned, features, partition)[has_y]
    keep = held[has_y] if held_out else ~held[has_y]
    return X[keep].assign(**{target: y[keep]}).reset_index(drop=True)


def _measure_part(
    frame, partition, target, seed, test_size, from_csv, features, models, op
):
    """Additive measures of each student vs the teacher on a partition's
    held-out rows: ``{kind: counts and sums}``."""
    rows = _part_rows(
        frame, partition, target, seed, test_size, from_csv, features, True
    )
    first = next(iter(models.values()))
    if not len(rows):
        return {
            kind: counts(None, None, None, op, len(first.classes_)) for kind in models
        }
    X = rows.drop(columns=[target])
    y = np.searchsorted(first.classes_, rows[target].to_numpy())
    t = first.teacher_proba(X)
    return {
        kind: counts(t, model.predict_proba(X), y, op, len(first.classes_))
        for kind, model in models.items()
    }


# --------------------------------------------------------------------------- #
# The run
# --------------------------------------------------------------------------- #
class _Job:
    """The lazily read data and how every pass reads it."""

    def __init__(self, params: DistillParams, client, files, kind, delimiter):
        import dask.dataframe as dd

        self.client, self.files, self.kind = client, files, kind
        self.delimiter = delimiter
        self.target = str(params.target).strip()
        self.seed, self.test_size = int(params.seed), float(params.test_size)
        names = [str(f) for f in files]
        if kind == "parquet":
            self.ddf = dd.read_parquet(names)
        else:
            self.ddf = dd.read_csv(
                names,
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding="utf-8-sig",
            )
        self.raw_target = next(
            c for c in self.ddf.columns if str(c).strip() == self.target
        )
        self.npartitions = int(self.ddf.npartitions)

    def _args(self):
        return (self.target, self.seed, self.test_size, self.kind == "csv")

    def compute(self, func, *args, frame=None, skip=None):
        """``func(partition, i, *common, *args)`` for every partition, gathered."""
        import dask

        frame = self.ddf if frame is None else frame
        tasks = [
            dask.delayed(func)(part, i, *self._args(), *(a[i] for a in args))
            for i, part in enumerate(frame.to_delayed())
            if skip is None or not skip[i]
        ]
        return self.client.gather(self.client.compute(tasks))

    def rows(self, features: dict, meta: pd.DataFrame, *, held_out: bool):
        """The training (or held-out) rows as a Dask DataFrame, cleaned."""
        import dask
        import dask.dataframe as dd

        parts = [
            dask.delayed(_part_rows)(part, i, *self._args(), features, held_out)
            for i, part in enumerate(self.ddf.to_delayed())
        ]
        return dd.from_delayed(parts, meta=meta, verify_meta=False)


_ROW = re.compile(r"\brow (\d+)\b")


def _with_true_row(exc: DataError, rows: np.ndarray, job: _Job) -> DataError:
    """``exc`` with the sample's ``row N`` written as the file and its data row."""
    m = _ROW.search(str(exc))
    if m is None or not 1 <= int(m.group(1)) <= len(rows):
        return exc
    row = int(rows[int(m.group(1)) - 1])  # from 1 over all files, in order
    path, in_file = _file_row(job, row)
    where = f"row {in_file} of data file {str(path)!r}"
    if len(job.files) > 1:
        where += f" (row {row} of all files)"
    text = str(exc)[: m.start()] + where + str(exc)[m.end() :]
    return DataError(text, path=path, column=exc.column, line=None)


def _file_row(job: _Job, row: int) -> tuple[Path, int]:
    """The file holding data row ``row`` (from 1 over all files) and its row there."""
    import csv

    before = 0
    for path in job.files:
        if job.kind == "parquet":
            import pyarrow.parquet as pq

            n = pq.ParquetFile(path).metadata.num_rows
        else:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                records = csv.reader(fh, delimiter=job.delimiter or ",")
                n = sum(1 for r in records if r and (len(r) > 1 or r[0].strip()))
                n -= 1  # the header
        if row <= before + n:
            return path, row - before
        before += n
    return job.files[-1], row - before  # pragma: no cover - rows are in the files


def _quotas(counts: list[int], cap: int, seed: int, which: int) -> np.ndarray:
    """How many rows of each partition a sample of at most ``cap`` rows takes."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.sum() <= cap:
        return counts
    rng = np.random.default_rng([seed, 2, which])
    return rng.multivariate_hypergeometric(counts, cap)


def _read(job: _Job, state: _State) -> dict:
    """Count the rows of every partition, gather the samples, prepare the columns."""
    tallies = job.compute(_count_part, frame=job.ddf[[job.raw_target]])
    n_train = [sum(c["train"].values()) for c in tallies]
    n_test = [sum(c["test"].values()) for c in tallies]
    quotas = (
        _quotas(n_train, TRAIN_ROWS, job.seed, 0),
        _quotas(n_test, REPORT_ROWS, job.seed, 1),
    )
    lengths = [c["n"] for c in tallies]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    pairs = list(zip(quotas[0].tolist(), quotas[1].tolist(), strict=True))
    skip = [a == 0 and b == 0 for a, b in pairs]
    pieces = job.compute(_sample_part, pairs, offsets.tolist(), skip=skip)
    frame = pd.concat(pieces)
    held = frame.pop("__held_out__").to_numpy(dtype=bool)
    rows = frame.index.to_numpy()
    try:
        prepare_frame(state, frame.reset_index(drop=True))
    except DataError as exc:  # "row N" of the sample: say the file and its row
        raise _with_true_row(exc, frame.index.to_numpy(), job) from None
    X = state.X.set_axis(pd.Index(rows), axis=0)
    state.rows = rows
    state.split = (X[~held], X[held], state.y[~held], state.y[held])
    labels = {}
    for c in tallies:
        for part in ("train", "test"):
            for label, n in c[part].items():
                labels[label] = labels.get(label, 0) + n
    totals = {
        "rows": int(sum(lengths)),
        "missing_target": int(sum(c["missing"] for c in tallies)),
        "train": int(sum(n_train)),
        "test": int(sum(n_test)),
        "classes": labels,
        "partition_rows": lengths,
    }
    _whole_data_summary(state, totals)
    return totals


def _label_order(item: tuple) -> tuple:
    """Class labels in np.unique's order: numbers by value, text by text."""
    return (isinstance(item[0], str), item[0])


def _whole_data_summary(state: _State, totals: dict) -> None:
    """The data summary's row counts for every row, not only the samples."""
    summary = state.data_summary
    summary["rows_in"] = totals["rows"]
    summary["rows_used"] = totals["rows"] - totals["missing_target"]
    summary["rows_dropped"] = totals["missing_target"]
    reasons = {"missing target": totals["missing_target"]}
    summary["rows_dropped_reasons"] = reasons if totals["missing_target"] else {}
    summary["classes"] = [
        {"label": plain(label), "count": int(n)}
        for label, n in sorted(totals["classes"].items(), key=_label_order)
    ]
    summary["column_facts_from"] = (
        f"a sample of {len(state.X)} of the {summary['rows_used']} rows with a target"
    )


def _teacher(job: _Job, state: _State, totals: dict) -> None:
    from treedistill.runs._pipeline import check_teacher_classes, warn_absent_classes

    _get_teacher(state)
    labels = np.array(list(totals["classes"]), dtype=object)
    check_teacher_classes(state.teacher, labels)
    warn_absent_classes(state.teacher, labels, state.notes)
    n_sample, n_train = len(state.split[0]), totals["train"]
    if state.teacher_info.get("source") != "files":
        state.teacher_info["source"] = (
            "trained on the training rows"
            if n_sample == n_train
            else f"trained on a seeded sample of {n_sample} of the {n_train} "
            "training rows"
        )
        state.teacher_info["sample_rows"] = n_sample


def _features(state: _State) -> dict[str, str]:
    """Each feature column the students read, numeric or categorical."""
    X_train = state.split[0]
    return {
        c: "numeric" if pd.api.types.is_numeric_dtype(X_train[c]) else "categorical"
        for c in X_train.columns
    }


def _student(job: _Job, state: _State, kind: str, features: dict) -> None:
    """Fit the ``kind`` student on the training rows of every partition."""
    from treedistill.scale._dask import distill_tree
    from treedistill.scale._dask_boost import distill_boosted

    X_train, _, y_train, _ = state.split
    meta = X_train.iloc[:0].assign(**{job.target: y_train[:0]})
    model = state.params.make_student(kind, state.teacher)
    fit = distill_tree if kind == "tree" else distill_boosted
    rows = job.rows(features, meta, held_out=False)
    state.models[kind] = fit(model, rows, job.target, client=job.client)


def _data_sha(files: list[Path]) -> str:
    """sha256 of the file list (paths and sizes): contents are not read here."""
    listing = [[str(f), f.stat().st_size] for f in files]
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()


def _note(all_rows: dict, samples: dict, partitions: int) -> str:
    """The report's note on what was computed on every row and what on samples."""
    n, n_s = samples["held_out_total"], samples["held_out_rows"]
    m, m_s = samples["training_total"], samples["training_rows"]
    train = (
        f"all {m} training rows"
        if m_s == m
        else f"a seeded sample of {m_s} of the {m} training rows"
    )
    where = (
        f"every one of the {n} held-out rows"
        if n_s == n
        else f"a seeded sample of {n_s} of the {n} held-out rows"
    )
    said = []
    for kind, row in all_rows.items():
        if row["agreement"] is None:
            continue
        acc = row["student_accuracy"]
        said.append(
            f"the {kind} student agrees with the teacher on {row['agreement']:.1%} "
            f"(accuracy {acc:.1%}, KL {row['kl']:.4g})"
        )
    return (
        f"Run on a Dask cluster ({partitions} partitions): the students were fit on "
        f"all {m} training rows; on all {n} held-out rows, computed partition by "
        f"partition, {'; '.join(said) or 'no row was measured'}. The sections of "
        f"this report are computed on {where} and on {train} (report.json: "
        "run.dask)."
    )


def _evaluate(job: _Job, state: _State, totals: dict, features: dict) -> str:
    """The report on the samples, the measures over every held-out row; returns
    the data's sha256 (of the file list)."""
    params = state.params
    first = next(iter(state.models.values()))
    data_sha = _data_sha(job.files)
    report = evaluate_run(state, data_sha)
    ops = report["operating_points"]
    op = {"positive": ops.get("positive_index"), "threshold": ops.get("threshold")}
    n = job.npartitions
    parts = job.compute(_measure_part, [features] * n, [state.models] * n, [op] * n)
    all_rows = {
        kind: measures(
            add_counts([p[kind] for p in parts]), first.classes_, op, int(params.seed)
        )
        for kind in state.models
    }
    _record(job, state, report, totals, all_rows)
    return data_sha


def _record(job: _Job, state: _State, report: dict, totals: dict, all_rows) -> None:
    """What the run on the cluster adds to report.json, config.json and the
    result: the samples, the split, the measures over every held-out row."""
    from treedistill.report import report_json

    _, _, y_train, y_test = state.split
    samples = {
        "training_rows": int(len(y_train)),
        "training_total": totals["train"],
        "held_out_rows": int(len(y_test)),
        "held_out_total": totals["test"],
        "caps": {"training": TRAIN_ROWS, "held_out": REPORT_ROWS},
        "method": "each partition gives a share of a multivariate hypergeometric "
        "split of the sample size over the partitions (numpy "
        "default_rng([seed, 2, 0]) for training rows, [seed, 2, 1] for held-out "
        "rows), its rows drawn with default_rng([seed, partition, 1])",
    }
    dask_info = _dask_record(job, totals, samples)
    run = report["run"]
    note = _note(all_rows, samples, job.npartitions)
    run["dask"] = {**dask_info, "held_out_all_rows": all_rows, "summary": note}
    run["split"].update(n_train=totals["train"], n_test=totals["test"])
    run["split"]["stratified"] = False
    state.report = json.loads(report_json(report))
    keys = ("n", "agreement", "agreement_ci", "kl", "total_variation")
    keys += ("teacher_accuracy", "student_accuracy")
    state.fidelities = {
        kind: {key: row[key] for key in keys} for kind, row in all_rows.items()
    }
    every = samples["held_out_rows"] == samples["held_out_total"]
    state.config_extra = {
        "dask": dask_info,
        "held_out_rows": {
            "file": "held_out_rows.csv",
            "by": "row number (from 1, in data order: files sorted by path, rows "
            "in file order)",
            "rows": "every held-out row"
            if every
            else f"the report's sample of {samples['held_out_rows']} of the "
            f"{samples['held_out_total']} held-out rows",
        },
    }


def _dask_record(job: _Job, totals: dict, samples: dict) -> dict:
    return {
        "scheduler": "local" if job.cluster_local else "address",
        "files": [{"path": str(f), "bytes": f.stat().st_size} for f in job.files],
        "data_sha256": "of the file list (paths and sizes), not of the contents",
        "format": job.kind,
        "partitions": job.npartitions,
        "rows": totals["rows"],
        "rows_without_target": totals["missing_target"],
        "split": {
            "rule": "a row is held out when numpy default_rng([seed, partition])"
            ".random(rows in the partition) < test_size; rows without a target "
            "are then left out",
            "seed": job.seed,
            "test_size": job.test_size,
            "stratified": False,
            "training_rows": totals["train"],
            "held_out_rows": totals["test"],
        },
        "samples": samples,
    }


def _distill(params, staging: Staging, progress, notes, job: _Job) -> DistillResult:
    kinds = params.student_kinds()
    stages = ["read data", "teacher", *(f"{k} student" for k in kinds)]
    stages += ["evaluate", "write"]
    clock = _Clock(stages, progress)
    data_path = Path(str(params.data))
    state = _State(params, data_path, [Path(p) for p in params.teacher], list(notes))
    clock("read data")
    totals = _read(job, state)
    clock("teacher")
    _teacher(job, state, totals)
    features = _features(state)
    for kind in kinds:
        clock(f"{kind} student")
        _student(job, state, kind, features)
    clock("evaluate")
    data_sha = _evaluate(job, state, totals, features)
    return finish_run(state, staging, clock, data_sha)


def run_distill_dask(params: DistillParams, *, progress=None) -> DistillResult:
    """:func:`treedistill.run_distill` on a Dask cluster (``params.dask``).

    Parameters
    ----------
    params : DistillParams
        With ``dask`` set to ``"local"`` or a scheduler address; ``data`` a
        Parquet file, a Parquet dataset folder or a glob of Parquet or CSV files.
    progress : callable, optional
        Called as ``progress(stage, index, total)`` when each stage starts.

    Returns
    -------
    DistillResult
        ``fidelity["tree"]`` holds the measures over every held-out row.

    Raises
    ------
    ParameterError
        Before any work: a parameter that does not apply on a cluster
        (:data:`NOT_ON_DASK`, a boosted student), the Dask packages missing, a
        scheduler that cannot be reached within :data:`CONNECT_TIMEOUT` seconds.
    DataError
        Before any work: no files, a file without the target column, files whose
        schemas differ (naming the file and the column).
    """
    params.validate()
    check_dask_params(params)
    check_dask_installed()
    files, kind = dask_files(params.data)
    delimiter = check_files(files, kind, params.target)
    out = check_out_dir(
        params.out,
        params.force,
        keep=[*files, *params.teacher],
        replaces=("run", "report"),
    )
    import dask

    client, close = connect(str(params.dask))
    # Text stays object columns with NaN for missing, as on one machine (dask
    # would turn them into pyarrow strings with pd.NA).
    try:
        with dask.config.set({"dataframe.convert-string": False}):
            job = _Job(params, client, files, kind, delimiter)
            job.cluster_local = str(params.dask).strip() == "local"
            return staged_run(
                out,
                params.force,
                lambda staging, stale: _distill(params, staging, progress, stale, job),
            )
    finally:
        close()
