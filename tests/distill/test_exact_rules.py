"""Printed rules say exactly what the tree does, checked by an independent reader.

Every condition of every rule is parsed from its text and evaluated on the raw
value of each row (not the encoded matrix the tree sees). A row must satisfy the
printed conditions of the rule of the leaf it lands in and of no other rule: on
held-out rows of the bundled cohort and of the shared clinical data sets, and on
adversarial rows whose values sit on, just below and just above every threshold
(float64 and float32 neighbours included), with missing values in every column
(also those with none in training) and unseen categories.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from treedistill import DistilledTreeClassifier, export_rules, extract_rules
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._bundle import load_student, save_student

# --------------------------------------------------------------------------- #
# An independent reader of printed conditions
# --------------------------------------------------------------------------- #
_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
_NUM = r"(-?[0-9][0-9.e+-]*|-?inf)"


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _text(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.generic):
        v = v.item()
    return str(v)


def _compare(a: float, op: str, b: float) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def holds(condition: str, row: dict) -> bool:
    """Whether ``row`` (column -> raw value) satisfies one printed condition."""
    if m := re.fullmatch(r"\((.*) or " + _NAME + r" is missing\)", condition):
        return holds(m[1], row) or _missing(row[m[2]])
    if m := re.fullmatch(_NAME + " is missing", condition):
        return _missing(row[m[1]])
    if m := re.fullmatch(_NAME + " is known", condition):
        return not _missing(row[m[1]])
    if m := re.fullmatch(_NUM + " (<|<=) " + _NAME + " <= " + _NUM, condition):
        v = row[m[3]]
        if _missing(v):
            return False
        x = float(v)
        return _compare(float(m[1]), m[2], x) and x <= float(m[4])
    if m := re.fullmatch(_NAME + " (<=|>|>=) " + _NUM, condition):
        v = row[m[1]]
        return not _missing(v) and _compare(float(v), m[2], float(m[3]))
    if m := re.fullmatch("(has|no) " + _NAME, condition):
        v = row[m[2]]
        return not _missing(v) and float(v) == (1.0 if m[1] == "has" else 0.0)
    if m := re.fullmatch(_NAME + " = " + _NUM, condition):
        v = row[m[1]]
        return not _missing(v) and float(v) == float(m[2])
    if m := re.fullmatch(_NAME + r" is none of \{(.*)\}", condition):
        v = row[m[1]]
        return not _missing(v) and _text(v) not in m[2].split(", ")
    if m := re.fullmatch(_NAME + " is not (.+)", condition):
        v = row[m[1]]
        return not _missing(v) and _text(v) != m[2]
    if m := re.fullmatch(_NAME + " is (.+)", condition):
        v = row[m[1]]
        return not _missing(v) and _text(v) == m[2]
    raise AssertionError(f"the reader does not understand the condition {condition!r}")


def matching_rules(rules, row: dict) -> list[int]:
    return [r.number for r in rules if all(holds(c, row) for c in r.conditions)]


def assert_exact(model, X: pd.DataFrame) -> int:
    """Every row satisfies its own rule's conditions and no other's; returns rows."""
    rules = extract_rules(model)
    number_of_leaf = {r.leaf: r.number for r in rules}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leaves = model.apply(X)
        predicted = model.predict(X)
    by_number = {r.number: r for r in rules}
    for i, row in enumerate(X.to_dict("records")):
        own = number_of_leaf[int(leaves[i])]
        found = matching_rules(rules, row)
        assert found == [own], (
            f"row {i} {row} lands in rule {own} ({by_number[own].text}) but satisfies "
            f"the printed conditions of rules {found}"
        )
        assert by_number[own].prediction == predicted[i]
    return len(X)


def adversarial_rows(model, X: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``X`` with values on, just below and just above every threshold."""
    tree = model.student_.tree_
    schema = model.schema_
    rows = []
    base = X.iloc[: min(len(X), 8)].reset_index(drop=True)
    for node in np.flatnonzero(np.asarray(tree.children_left) != -1):
        feat = schema.features[int(tree.feature[node])]
        t = float(tree.threshold[node])
        col = schema.column(feat.column)
        if feat.is_indicator or col.is_boolean or not np.isfinite(t):
            continue
        f32 = np.float32(t)
        values = {
            t,
            math.nextafter(t, -math.inf),
            math.nextafter(t, math.inf),
            float(f32),
            float(np.nextafter(f32, np.float32(np.inf))),
            float(np.nextafter(f32, np.float32(-np.inf))),
            t - 0.5,
            t + 0.5,
            float(np.float32(t + 0.5)),
        }
        for v in sorted(values):
            frame = base.copy()
            frame[col.name] = frame[col.name].astype(float)
            frame[col.name] = v
            rows.append(frame)
    for col in schema.columns:  # missing values and unseen categories
        frame = base.copy()
        if col.has_missing:
            frame[col.name] = frame[col.name].astype(object)
            frame[col.name] = np.nan
            rows.append(frame)
        if col.is_categorical and not col.is_boolean:
            frame = base.copy()
            frame[col.name] = frame[col.name].astype(object)
            frame[col.name] = "never-seen-level"
            rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    for name in X.columns:  # one dtype per column, as a file would give
        if not pd.api.types.is_numeric_dtype(X[name].dtype):
            out[name] = out[name].astype(object)
    return out


def missing_value_frames(model, X: pd.DataFrame) -> list[pd.DataFrame]:
    """Rows of ``X`` with one column blanked, one frame per column: every column,
    also those with no missing values in training (the tree still routes them)."""
    frames = []
    for col in model.schema_.columns:
        frame = X.copy()
        frame[col.name] = np.nan
        frames.append(frame)
    frame = X.copy()  # and rows with every column blank but one
    for i, name in enumerate(X.columns):
        keep = frame.index % len(X.columns) == i
        frame[name] = frame[name].astype(object).where(keep, np.nan)
    frames.append(frame)
    return frames


def assert_exact_with_missing(model, X: pd.DataFrame) -> int:
    """:func:`assert_exact` on rows with missing values in every column."""
    return sum(assert_exact(model, f) for f in missing_value_frames(model, X))


def _teacher(X: pd.DataFrame):
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), text)],
        remainder="passthrough",
    )
    return make_pipeline(
        pre, HistGradientBoostingClassifier(max_iter=40, random_state=0)
    )


def _fit(X, y, **params):
    params = {
        "augment_factor": 3.0,
        "max_leaf_nodes": 16,
        "random_state": 0,
        "exact_rules": True,
        **params,
    }
    return DistilledTreeClassifier(_teacher(X), **params).fit(X, y)


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
def _synthetic(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every column type: integer, float at 0.1 precision, 0/1, yes/no, bool,
    a coded category (declared), a text category and missing values."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "glucose": np.round(rng.normal(120, 30, n), 1),
            "hypertension": rng.integers(0, 2, n),
            "diabetic": rng.choice(["yes", "no"], n),
            "on_statin": rng.random(n) < 0.4,
            "thal": rng.choice([3.0, 6.0, 7.0], n),
            "smoker": rng.choice(["never", "former", "current"], n).astype(object),
            "bmi": np.round(rng.normal(28, 5, n), 2),
        }
    )
    X.loc[rng.random(n) < 0.1, "bmi"] = np.nan
    X.loc[rng.random(n) < 0.1, "smoker"] = np.nan
    X.loc[rng.random(n) < 0.1, "thal"] = np.nan
    score = (
        (X["age"] > 60).astype(int)
        + X["hypertension"]
        + (X["diabetic"] == "yes")
        + (X["thal"] == 7)
        + (X["glucose"] > 140)
        + X["on_statin"].astype(int)
        + (X["smoker"] == "current")
        + X["bmi"].fillna(40).gt(32)
    )
    y = np.where(score + rng.normal(0, 0.5, n) > 3.5, "high", "low")
    return X, y


@pytest.fixture(scope="module")
def synthetic():
    X, y = _synthetic(900, 0)
    model = _fit(X, y, categorical_features=["thal"], max_leaf_nodes=24)
    X_test, _ = _synthetic(400, 1)
    return model, X_test


# --------------------------------------------------------------------------- #
# Tests
# --------------------------------------------------------------------------- #
def test_reader_rejects_what_it_cannot_read():
    with pytest.raises(AssertionError, match="does not understand"):
        holds("age ~ 3", {"age": 3})
    assert holds("(bmi <= 30 or bmi is missing)", {"bmi": np.nan})
    assert not holds("bmi <= 30", {"bmi": np.nan})
    assert holds("smoker is none of {current, former}", {"smoker": "vaping"})


def test_every_column_type_reads_in_its_own_terms(synthetic):
    model, _ = synthetic
    text = export_rules(model)
    columns = {c.name: c for c in model.schema_.columns}
    assert columns["hypertension"].is_boolean and columns["on_statin"].is_boolean
    assert columns["diabetic"].true_level == "yes"
    assert columns["thal"].is_categorical and columns["thal"].levels == [3, 6, 7]
    assert not columns["smoker"].is_boolean and not columns["age"].is_boolean
    assert "has hypertension" in text or "no hypertension" in text
    assert "diabetic is yes" in text or "diabetic is no" in text
    assert "thal is" in text
    assert "hypertension <=" not in text and "hypertension >" not in text
    assert not re.search(r"thal (<=|>|>=)", text)
    # thresholds at the data's precision: glucose has one decimal, age none
    for value in re.findall(r"glucose (?:<=|>) (\S+)", text):
        assert len(value.split(".")[-1]) <= 1 or "." not in value
    for value in re.findall(r"age (?:<=|>) (\S+)", text):
        assert float(value).is_integer() and "." not in value


def test_held_out_rows_satisfy_exactly_their_own_rule(synthetic):
    model, X_test = synthetic
    assert assert_exact(model, X_test) == 400


def test_missing_values_in_every_column_follow_the_printed_rules(synthetic):
    model, X_test = synthetic
    X = X_test.iloc[:60]
    unseen = [c.name for c in model.schema_.columns if not c.has_missing]
    assert {"age", "glucose", "hypertension", "on_statin", "diabetic"} <= set(unseen)
    assert assert_exact_with_missing(model, X) == 60 * (len(X.columns) + 1)
    # the rules name where a missing value goes on columns never missing in training
    text = export_rules(model)
    assert re.search(r"\((age|glucose) \S+ \S+ or \1 is missing\)", text)


def test_adversarial_values_at_thresholds(synthetic):
    model, X_test = synthetic
    X_adv = adversarial_rows(model, X_test)
    assert len(X_adv) > 100
    assert assert_exact(model, X_adv) == len(X_adv)


def test_a_refined_tree_goes_through_the_same_snapping():
    X, y = _synthetic(600, 2)
    model = _fit(X, y, categorical_features=["thal"], search="tao")
    assert model.student_.split_precision_ == "float64"
    X_test, _ = _synthetic(200, 3)
    assert assert_exact(model, X_test) == 200
    assert assert_exact(model, adversarial_rows(model, X_test)) > 100


def test_saved_student_keeps_exact_thresholds_and_rules(synthetic, tmp_path):
    model, X_test = synthetic
    bundle = load_student(save_student(model, tmp_path / "student.json"))
    np.testing.assert_array_equal(
        bundle.student_.tree_.threshold, model.student_.tree_.threshold
    )
    assert bundle.student_.split_precision == "float64"
    assert export_rules(bundle) == export_rules(model)
    X_adv = adversarial_rows(model, X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(bundle.apply(X_adv), model.apply(X_adv))
    assert assert_exact(bundle, X_adv) == len(X_adv)


def test_the_old_rounded_rules_fail_the_reader():
    """The reader catches inexact rules: midpoint thresholds, printed rounded."""
    X, y = _synthetic(900, 0)
    model = _fit(X, y, exact_rules=False, max_leaf_nodes=24)
    X_adv = adversarial_rows(model, _synthetic(200, 1)[0])
    with pytest.raises(AssertionError, match="satisfies the printed conditions"):
        assert_exact(model, X_adv)


def test_bundled_cohort_with_missing_values():
    X, y = make_clinical_cohort(1000, missing_rate=0.15, random_state=3)
    model = _fit(X.iloc[:700], y.iloc[:700])
    held_out = X.iloc[700:]
    assert assert_exact(model, held_out) == 300
    assert assert_exact_with_missing(model, held_out.iloc[:50]) > 300
    assert assert_exact(model, adversarial_rows(model, held_out)) > 100


def _read_shared(path, target):
    frame = pd.read_csv(path, na_values=["?", "\t?"], skipinitialspace=True)
    frame = frame.apply(lambda s: s.str.strip() if s.dtype == object else s)
    y = frame.pop(target).to_numpy()
    return frame, y


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "target", "drop"),
    [
        ("heart_failure_clinical_records.csv", "DEATH_EVENT", []),
        ("hypothyroid.csv", "Target", []),
        ("chronic_kidney_disease.csv", "classification", ["id"]),
    ],
)
def test_shared_clinical_data_sets(shared_datasets, name, target, drop):
    X, y = _read_shared(shared_datasets / name, target)
    X = X.drop(columns=drop)
    if len(X) > 1200:
        X, y = X.iloc[:1200], y[:1200]
    cut = int(0.7 * len(X))
    model = _fit(X.iloc[:cut], y[:cut], augment_factor=2.0)
    held_out = X.iloc[cut:]
    assert assert_exact(model, held_out) == len(held_out)
    assert assert_exact(model, adversarial_rows(model, held_out)) > 50
    assert assert_exact_with_missing(model, held_out.iloc[:40]) > 40
    booleans = [c.name for c in model.schema_.columns if c.is_boolean]
    assert booleans, "the two-valued columns should read as booleans"
