from __future__ import annotations

import os
from pathlib import Path

import numpy as np
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
