"""Students and scoring rows shared by the export tests.

Column names and category values are hostile on purpose (quotes, semicolons, line
breaks, non-ASCII text); the scoring rows hold missing values, categories never
seen in training and values on and next to every split value.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from treedistill import DistilledBoostingClassifier, DistilledTreeClassifier

AGE = 'age "years"; DROP TABLE t; --'
GLUCOSE = "glucose\nmg/dL"
SMOKER = "smoker's status ✓"
VISITS = "visits"
FLAG = "flag"
LEVELS = ["never", 'it\'s "current"; --', "ex\nsmoker", "naïve ☃"]
UNSEEN = "never seen ☹"


def make_rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            AGE: np.round(rng.normal(60, 12, n), 1),
            GLUCOSE: rng.gamma(20, 6, n),  # full-precision values
            SMOKER: pd.Series(rng.choice(LEVELS, n), dtype=object),
            VISITS: rng.poisson(3, n).astype(float),
            FLAG: pd.Series(rng.random(n) < 0.4, dtype=object),
        }
    )
    for col, rate in ((AGE, 0.1), (GLUCOSE, 0.15), (SMOKER, 0.1), (FLAG, 0.1)):
        frame.loc[rng.random(n) < rate, col] = None if col in (SMOKER, FLAG) else np.nan
    return frame


class ScoreTeacher:
    """A fitted, deterministic teacher that uses every column."""

    def __init__(self, classes):
        self.classes_ = np.asarray(classes, dtype=object)

    def predict_logits(self, X: pd.DataFrame) -> np.ndarray:
        age = X[AGE].to_numpy(dtype=float)
        glucose = X[GLUCOSE].to_numpy(dtype=float)
        visits = X[VISITS].to_numpy(dtype=float)
        smoker = X[SMOKER].astype(object)
        score = (
            np.nan_to_num((age - 60) / 10, nan=0.5)
            + np.nan_to_num((glucose - 120) / 20, nan=-0.5)
            + (smoker == LEVELS[1]).to_numpy(dtype=float) * 1.5
            - (smoker == LEVELS[2]).to_numpy(dtype=float)
            + (X[FLAG].astype(object) == True).to_numpy(dtype=float)  # noqa: E712
            + visits / 4
        )
        k = len(self.classes_)
        z = np.zeros((len(X), k))
        for j in range(1, k):
            z[:, j] = j * score - j * (j - 1) * 1.5
        return z


def classes_for(k: int) -> list[str]:
    return ["no", "yes"] if k == 2 else ["high", "low", "mid"]


@functools.cache
def fitted(kind: str, k: int):
    """A fitted student: ``tree`` (scikit-learn builder), ``tree-hist``, ``boosted``."""
    X = make_rows(500, 1)
    y = np.asarray(classes_for(k), dtype=object)[np.arange(500) % k]
    teacher = ScoreTeacher(classes_for(k))
    common = dict(augment_factor=1.0, temperature=1.0, random_state=0)
    if kind == "boosted":
        model = DistilledBoostingClassifier(
            teacher, n_estimators=6, max_depth=3, **common
        )
    else:
        builder = "hist" if kind == "tree-hist" else "exact"
        model = DistilledTreeClassifier(
            teacher, max_leaf_nodes=14, builder=builder, **common
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def split_values(model) -> dict[str, list[float]]:
    """Split values per numeric column, as the student compares them."""
    schema = model.schema_
    out: dict[str, list[float]] = {}
    if hasattr(model.student_, "tree_"):
        tree = model.student_.tree_
        pairs = [
            (int(f), float(t))
            for f, t in zip(tree.feature, tree.threshold, strict=True)
            if f >= 0 and np.isfinite(t)
        ]
    else:
        df = model.student_.estimator_.get_booster().trees_to_dataframe()
        df = df[df["Feature"] != "Leaf"]
        pairs = [
            (int(f[1:]), float(np.float32(s)))
            for f, s in zip(df["Feature"], df["Split"], strict=True)
        ]
    for j, t in pairs:
        feat = schema.features[j]
        if not feat.is_indicator:
            out.setdefault(feat.column, []).append(t)
    return out


def edge_values(t: float) -> list[float]:
    """Values on and next to ``t`` in float64 and in float32."""
    t32 = np.float32(t)
    values = {t, float(t32)}
    for v in (t, float(t32)):
        values.add(float(np.nextafter(v, np.inf)))
        values.add(float(np.nextafter(v, -np.inf)))
    for v32 in (np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, -np.inf)):
        values.add(float(v32))
    # the float64 values on either side of the float32 rounding boundaries
    for a, b in (
        (t32, np.nextafter(t32, np.float32(np.inf))),
        (np.nextafter(t32, np.float32(-np.inf)), t32),
    ):
        mid = float(a) / 2 + float(b) / 2
        values.update(
            {mid, float(np.nextafter(mid, np.inf)), float(np.nextafter(mid, -np.inf))}
        )
    return sorted(values)


def scoring_rows(model, n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Held-out rows: missing values, unseen categories, values at every split."""
    frame = make_rows(n, seed)
    rng = np.random.default_rng(seed)
    frame.loc[rng.random(n) < 0.05, SMOKER] = UNSEEN
    edges = []
    for col, thresholds in split_values(model).items():
        for t in thresholds:
            for v in edge_values(t):
                row = frame.iloc[[int(rng.integers(n))]].copy()
                row[col] = v
                edges.append(row)
    frame = pd.concat([frame, *edges], ignore_index=True)
    return frame


def student_outputs(model, frame: pd.DataFrame):
    """``predict_proba``, ``predict`` and (for trees) rule numbers of ``frame``."""
    from treedistill import rule_numbers

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = model.predict_proba(frame)
        pred = model.predict(frame)
        rules = None
        if hasattr(model.student_, "tree_"):
            numbers = rule_numbers(model)
            rules = np.array([numbers[int(leaf)] for leaf in model.apply(frame)])
    return proba, pred, rules
