"""Data, teachers and students shared by the report tests (built once per session)."""

from __future__ import annotations

from functools import lru_cache

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill.datasets import make_clinical_cohort
from treedistill.report import evaluate

HOSTILE = "<script>alert(1)</script>"
GRID = (2, 4, 8, 16)
FAST = {"size_grid": GRID, "n_synthetic": 800, "shap_rows": 40}
RUN_INFO = {
    "data": {"file": "cohort.csv", "rows_dropped": 0},
    "sweep": [
        {"temperature": 0.25, "agreement": 0.97, "chosen": True},
        {"temperature": 1.0, "agreement": 0.95, "chosen": False},
    ],
}


def teacher():
    """An unfitted pipeline teacher that takes categorical columns as they are."""
    codes = ColumnTransformer(
        [
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=-1,
                    encoded_missing_value=-1,
                ),
                make_column_selector(dtype_include=[object, "string", "category"]),
            )
        ],
        remainder="passthrough",
    )
    return make_pipeline(
        codes, HistGradientBoostingClassifier(max_iter=25, random_state=0)
    )


def cohort(n_classes=2, rename=None):
    """Train/test split of a 600-row cohort and a teacher fit on the training part."""
    X, y = make_clinical_cohort(
        600, n_classes=n_classes, random_state=0, missing_rate=0.1
    )
    if rename:
        X = X.rename(columns=rename)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    return X_tr, X_te, y_tr, y_te, teacher().fit(X_tr, y_tr)


def tree(teacher, **kw):
    """An unfitted 8-leaf tree distiller (5x augmentation, seed 0)."""
    params = {"max_leaf_nodes": 8, "augment_factor": 5.0, "random_state": 0, **kw}
    return DistilledTreeClassifier(teacher, **params)


def boosted(teacher):
    """An unfitted 5-tree boosted distiller."""
    return DistilledBoostingClassifier(
        teacher, n_estimators=5, n_jobs=1, random_state=0
    )


@lru_cache(maxsize=1)
def binary_case() -> dict:
    """The binary cohort, a tree and a boosted student, and their report.

    Cached: tests must not modify what it returns.
    """
    X_tr, X_te, y_tr, y_te, fitted = cohort()
    models = {
        "tree": tree(fitted).fit(X_tr, y_tr),
        "boosted": boosted(fitted).fit(X_tr, y_tr),
    }
    report = evaluate(models, X_te, y_te, X_tr, y_tr, run_info=RUN_INFO, **FAST)
    return {
        "X_tr": X_tr,
        "X_te": X_te,
        "y_tr": y_tr,
        "y_te": y_te,
        "models": models,
        "report": report,
        "run_info": RUN_INFO,
    }


#: evaluate() options that skip the size curve, synthetic rows and SHAP.
QUICK = {"size_grid": (), "n_synthetic": 0, "shap_rows": 0}


def rows(case: dict) -> tuple:
    """``(X_test, y_test, X_train, y_train)`` of a case, as evaluate() takes them."""
    return case["X_te"], case["y_te"], case["X_tr"], case["y_tr"]
