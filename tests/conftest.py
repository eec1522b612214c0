"""Shared fixtures and helpers of the test suite (see tests/README.md)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Keep the suite polite on small machines: one thread per numeric library.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture
def seed() -> int:
    return 0


@pytest.fixture(autouse=True)
def _seed_everything():
    np.random.seed(0)
    yield


@pytest.fixture
def shared_datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"clinical data sets not present at {SHARED_DATASETS}")
    return SHARED_DATASETS


@pytest.fixture(scope="module")
def client():
    """A Dask client on a 2-worker LocalCluster (one thread each), per module."""
    distributed = pytest.importorskip(
        "distributed", reason="the dask extra is not installed"
    )
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit="1GiB",
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="session")
def report_binary() -> dict:
    """A binary cohort, tree and boosted students and their report (built once)."""
    from tests._report_cases import binary_case

    return binary_case()


# --------------------------------------------------------------------------- #
# Command line: run a command, check a refusal, hash files
# --------------------------------------------------------------------------- #
def invoke(*args):
    """Run ``treedistill ARGS...`` in-process; exceptions propagate."""
    from click.testing import CliRunner

    from treedistill.cli.main import cli

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def error_line(result) -> str:
    """The one ``Error: ...`` line a failing command printed on stderr (besides
    the ``[i/n] stage…`` progress lines before it, their ``  (stage: 1.0 s)``
    endings after a warning, and ``Warning: ...`` lines about the inputs)."""
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if not re.match(r"\[\d+/\d+\] |Warning: |\s+\(.+: [\d.]+ s\)$", line)
    ]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]


def refused(result, *names: str) -> str:
    """Assert a clean refusal (exit 2, one line, no traceback) naming ``names``."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    line = error_line(result)
    for name in names:
        assert name in line, (name, line)
    assert "Traceback" not in result.stderr + result.stdout
    return line


def sha(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_sha(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): sha(p)
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- #
# Data and teachers
# --------------------------------------------------------------------------- #
def cohort_frame(n: int, *, missing_rate: float, seed: int = 0) -> pd.DataFrame:
    """The simulated clinical cohort with its target as the column ``risk``."""
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(n, missing_rate=missing_rate, random_state=seed)
    return X.assign(risk=y)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` written as CSV (no index) at ``path``."""
    frame.to_csv(path, index=False)
    return path


def trained_teacher(data: Path, out: Path, *, max_epochs: int, hidden: str = "16"):
    """A small MLP teacher trained with ``treedistill train-teacher``; its path."""
    result = invoke(
        "train-teacher", data, "--target", "risk", "--out", out,
        "--hidden", hidden, "--max-epochs", max_epochs, "--seed", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Path(out).is_file()
    return out


#: The cohort's numeric columns (what ``numeric_teacher`` reads).
NUMERIC = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]


@pytest.fixture(scope="module")
def cohort():
    """400 rows of the bundled cohort generator (5% missing), as ``(X, y)``.

    Test modules that need another cohort define their own ``cohort`` fixture.
    """
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(400, missing_rate=0.05, random_state=1)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def numeric_teacher(cohort):
    """A fast teacher that reads the numeric columns only (NaN handled natively)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = cohort
    return HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(
        X[NUMERIC], y
    )
