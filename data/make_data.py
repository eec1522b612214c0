"""Write the bundled data sets in this folder (no download needed).

    python data/make_data.py

- clinical_cohort.csv: 2,000 simulated patients, binary risk (low/high) that follows a
  known depth-3 tree, with categorical columns and 5% missing values in creatinine,
  cholesterol and ward (see treedistill.datasets.make_clinical_cohort).
- clinical_cohort_3class.csv: the same cohort design with three risk classes.
- breast_cancer.csv: scikit-learn's Wisconsin diagnostic breast cancer data
  (569 rows, 30 numeric features), target "diagnosis" (malignant/benign).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.datasets import load_breast_cancer

from treedistill.datasets import make_clinical_cohort

HERE = Path(__file__).resolve().parent


def cohort(n_classes: int) -> pd.DataFrame:
    X, y = make_clinical_cohort(
        2000, n_classes=n_classes, missing_rate=0.05, random_state=0
    )
    return X.assign(risk=y)


def breast_cancer() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True)
    frame = data.data.copy()
    frame["diagnosis"] = [data.target_names[t] for t in data.target]
    return frame


FILES = {
    "clinical_cohort.csv": lambda: cohort(2),
    "clinical_cohort_3class.csv": lambda: cohort(3),
    "breast_cancer.csv": breast_cancer,
}


def main() -> None:
    for name, make in FILES.items():
        path = HERE / name
        make().to_csv(path, index=False, lineterminator="\n")
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
