"""Helpers shared by the benchmark scripts: data sets, splits, teachers, tables."""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"

# name -> (file, target column, columns to drop)
CSV_DATASETS = {
    "pima": ("pima_diabetes.csv", "Outcome", ()),
    "heart_failure": ("heart_failure_clinical_records.csv", "DEATH_EVENT", ()),
    "kidney": ("chronic_kidney_disease.csv", "classification", ("id",)),
    "hypothyroid": ("hypothyroid.csv", "Target", ()),
    "thyroid0387": ("thyroid0387.csv", "Target", ()),
}
SKLEARN_DATASETS = ("breast_cancer", "wine", "digits")
# Simulated: the bundled cohort design with a 5% binary outcome (5,000 patients).
SIMULATED_DATASETS = ("rare_cohort",)
ALL_DATASETS = (*SKLEARN_DATASETS, *CSV_DATASETS, *SIMULATED_DATASETS)
# Rare-outcome and long-tailed sets (the ``--rare`` suite of fidelity.py).
RARE_DATASETS = ("hypothyroid", "rare_cohort", "thyroid0387")
# Diagnosis codes seen fewer times than this are pooled into one class "other":
# a stratified 60/20/20 split needs a few rows of each class in every part.
MIN_CLASS_ROWS = 20


def limit_threads(n: int = 1) -> None:
    """Use ``n`` threads in torch, BLAS and OpenMP (benchmarks run cells in parallel).

    On a small shared machine torch's default thread pool makes a small MLP many
    times slower than one thread does.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    torch.set_num_threads(n)


def shared_datasets_present(names=None) -> bool:
    """Whether the clinical CSV files (of ``names``, default all) are present."""
    files = [CSV_DATASETS[n][0] for n in (names or CSV_DATASETS) if n in CSV_DATASETS]
    return all((SHARED_DATASETS / f).is_file() for f in files)


def _clean_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Minimal cleaning when treedistill's table reader is not available."""
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    for name in frame.columns:
        s = frame[name]
        if s.dtype == object:
            s = s.astype(str).str.strip()
            s = s.where(~s.isin(["", "?", "nan", "NaN", "None"]), np.nan)
            numeric = pd.to_numeric(s, errors="coerce")
            if numeric.notna().sum() == s.notna().sum():
                s = numeric
            frame[name] = s
    return frame


def _load_csv(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    file, target, drop = CSV_DATASETS[name]
    path = SHARED_DATASETS / file
    try:
        from treedistill import prepare_data, read_table
    except ImportError:  # fall back to plain pandas + the cleaning above
        frame = _clean_csv(pd.read_csv(path))
        y = frame[target].to_numpy()
        X = frame.drop(columns=[target, *drop])
        return X, y
    frame = read_table(path)
    known = frame[target].notna()
    labels = frame.loc[known, target].astype(str).str.strip().to_numpy()
    pooled = pool_rare_classes(labels, MIN_CLASS_ROWS)
    if pooled is not labels:
        frame[target] = frame[target].astype(object)
        frame.loc[known, target] = pooled
    X, y, _ = prepare_data(frame, target, drop=drop, source=file)
    return X, y


def load_dataset(name: str) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """A data set as (X frame, y class indices 0..K-1, class names).

    Text columns come back as pandas ``category`` columns (what xgboost's
    categorical support and treedistill both read as categories).
    """
    if name in SKLEARN_DATASETS:
        from sklearn import datasets

        loader = {
            "breast_cancer": datasets.load_breast_cancer,
            "wine": datasets.load_wine,
            "digits": datasets.load_digits,
        }[name]
        bunch = loader(as_frame=True)
        X = bunch.data.copy()
        y = np.asarray(bunch.target)
    elif name in CSV_DATASETS:
        X, y = _load_csv(name)
    elif name == "rare_cohort":
        from treedistill.datasets import make_clinical_cohort

        X, y = make_clinical_cohort(
            5000, missing_rate=0.05, prevalence=0.05, random_state=0
        )
        y = y.to_numpy()
    else:
        raise ValueError(f"unknown data set {name!r}; choose from {list(ALL_DATASETS)}")
    X = X.reset_index(drop=True)
    X.columns = [str(c) for c in X.columns]
    for col in X.columns:
        s = X[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            X[col] = s.astype("category")
        elif pd.api.types.is_bool_dtype(s.dtype):
            X[col] = s.astype("category")
    y = pool_rare_classes(np.asarray(y).astype(str), MIN_CLASS_ROWS)
    classes, y_index = np.unique(y, return_inverse=True)
    return X, y_index.astype(np.int64), [str(c) for c in classes]


def pool_rare_classes(y: np.ndarray, min_rows: int) -> np.ndarray:
    """Labels seen fewer than ``min_rows`` times become one class ``"other"``
    (unchanged when no label is that rare)."""
    values, counts = np.unique(y, return_counts=True)
    rare = values[counts < min_rows]
    if rare.size == 0:
        return y
    return np.where(np.isin(y, rare), "other", y)


def split_60_20_20(
    y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train / validation / test row indices (60/20/20)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    train, rest = train_test_split(idx, test_size=0.4, stratify=y, random_state=seed)
    val, test = train_test_split(
        rest, test_size=0.5, stratify=y[rest], random_state=seed
    )
    return np.sort(train), np.sort(val), np.sort(test)


def make_teacher(kind: str, seed: int):
    """An unfitted teacher: ``"mlp"`` (treedistill's default) or ``"xgb"``."""
    if kind == "mlp":
        from treedistill import MLPTeacher

        return MLPTeacher(random_state=seed)
    if kind == "xgb":
        from xgboost import XGBClassifier

        return XGBClassifier(
            n_estimators=300,
            max_depth=4,
            learning_rate=0.1,
            subsample=0.8,
            colsample_bytree=0.8,
            enable_categorical=True,
            tree_method="hist",
            n_jobs=1,
            random_state=seed,
        )
    raise ValueError(f"unknown teacher {kind!r}; choose 'mlp' or 'xgb'")


def versions() -> dict:
    import sklearn
    import xgboost

    import treedistill

    out = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "xgboost": xgboost.__version__,
        "treedistill": treedistill.__version__,
        "cpu_count": os.cpu_count(),
    }
    try:
        import torch

        out["torch"] = torch.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


def command_line() -> str:
    script = Path(sys.argv[0])
    try:
        script = script.resolve().relative_to(REPO)
    except ValueError:
        pass
    return " ".join(
        ["python", shlex.quote(str(script)), *map(shlex.quote, sys.argv[1:])]
    )


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: list[str], rows: list[list]) -> str:
    """A fixed-width table for the terminal."""
    cells = [headers, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for i, r in enumerate(cells):
        out.append(
            "  ".join(
                c.rjust(w) if j else c.ljust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        if not np.isfinite(obj):
            return None
        return float(f"{obj:.6g}")
    return obj


def write_json(path: Path, payload: dict) -> None:
    """Compact JSON, keys sorted, floats to 6 significant digits, NaN as null."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_jsonable(payload), sort_keys=True, separators=(",", ":"))
    path.write_text(text + "\n")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")
