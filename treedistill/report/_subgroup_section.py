"""Performance and fairness per subgroup, for a binary outcome.

For each group of rows: its size, the outcome rate, the teacher's and the tree's
flag rates at each operating point, sensitivity, specificity and PPV of each
against the truth (Wilson 95% intervals), calibration in the large (mean
predicted risk minus the outcome rate) and fidelity (agreement of the tree's
class with the teacher's; share of the teacher's flagged rows the tree flags).
The largest gaps between groups of a column are said in words; groups under
``min_n`` rows are marked small and never named in those sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from treedistill.measures._fidelity import wilson

__all__ = [
    "BANDING",
    "band_start",
    "gap_sentences",
    "cut_points",
    "group_labels",
    "subgroup_performance",
]

# A numeric column with more distinct values than this is cut in bands.
BAND_ABOVE = 12
BANDING = (
    "a numeric column is cut in bands at the given edges (in the report: where the "
    "per-subgroup table cuts it, at the training rows' quartiles when it has more "
    f"than 10 distinct values); without edges, one with more than {BAND_ABOVE} "
    "distinct values at the quartiles of the held-out rows"
)


def cut_points(row: Mapping) -> list[dict]:
    """The operating points of a model's row of the report's held-out fidelity
    table, as :func:`fairness_section` takes them."""
    return [
        {"kind": op["kind"], "value": op["value"],
         "teacher_cut": op["teacher_cut"], "tree_cut": op["student_cut"]}
        for op in row["measures"]["operating_points"]
    ]  # fmt: skip


def group_labels(frame: pd.DataFrame, column: str, bands) -> tuple[pd.Series, str]:
    """Each row's group of ``column`` and ``"bands"`` or ``"levels"``: a numeric
    column in bands at the edges ``bands`` when they are given, else, when it has
    more than :data:`BAND_ABOVE` distinct values, at its quartiles on ``frame``;
    otherwise its values. A missing value is ``"(missing)"``."""
    values = frame[column]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
        values
    )
    if numeric and (bands or values.nunique() > BAND_ABOVE):
        edges = (
            list(bands)
            if bands
            else list(
                np.unique(
                    np.nanquantile(values.to_numpy(dtype=float), [0.25, 0.5, 0.75])
                )
            )
        )
        cuts = [-np.inf, *edges, np.inf]
        labels = []
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            if lo == -np.inf:
                labels.append(f"{column} <= {hi:g}")
            elif hi == np.inf:
                labels.append(f"{column} > {lo:g}")
            else:
                labels.append(f"{lo:g} < {column} <= {hi:g}")
        groups = pd.cut(values, cuts, labels=labels, right=True).astype(object)
        return groups.where(values.notna(), "(missing)"), "bands"
    return values.astype(object).where(values.notna(), "(missing)").astype(
        str
    ), "levels"


def band_start(label: str) -> float:
    """Sort key of a band label (``age <= 40``, ``40 < age <= 55``, ``age > 70``)."""
    head = label.split(" ")[0]
    try:
        return float(head)
    except ValueError:
        return -np.inf if " <= " in label else np.inf


def _rate(mask: np.ndarray, of: np.ndarray) -> dict:
    return wilson(float(np.sum(mask & of)), float(np.sum(of)))


def _model_measures(flags: np.ndarray, truth: np.ndarray, risk: np.ndarray) -> dict:
    return {
        "flag_rate": wilson(float(flags.sum()), float(len(flags))),
        "sensitivity": _rate(flags, truth),
        "specificity": _rate(~flags, ~truth),
        "ppv": _rate(truth, flags),
        "calibration_in_the_large": (
            None if len(risk) == 0 else float(np.mean(risk) - np.mean(truth))
        ),
    }


def subgroup_performance(
    groups: Mapping[str, Sequence],
    truth: np.ndarray,
    teacher_risk: np.ndarray,
    tree_risk: np.ndarray,
    operating_points: Sequence[Mapping],
    *,
    min_n: int = 10,
    order: Mapping[str, Sequence[str]] | None = None,
) -> list[dict]:
    """Per group, the measures of the module docstring.

    ``groups`` maps a column name to each row's group label; ``truth`` is a bool
    array (the row has the positive outcome); the risks are P(positive) of the
    teacher and the tree; each operating point is ``{"kind", "value",
    "teacher_cut", "tree_cut"}`` (a row is flagged when its risk is at least
    the model's cut). ``order`` gives a column's groups in the order to list
    them (default: sorted, missing last); their labels are then the level
    alone (a band names its column), else ``column = level``.
    """
    truth = np.asarray(truth, dtype=bool)
    teacher_risk = np.asarray(teacher_risk, dtype=np.float64)
    tree_risk = np.asarray(tree_risk, dtype=np.float64)
    out = []
    for column, labels in groups.items():
        labels = np.asarray([str(v) for v in labels], dtype=object)
        levels = sorted(set(labels) - {"(missing)"})
        if order and column in order:
            levels = [str(v) for v in order[column] if str(v) in set(labels)]
        if "(missing)" in set(labels) and "(missing)" not in levels:
            levels.append("(missing)")
        for level in levels:
            rows = labels == level
            n = int(rows.sum())
            t, pt, ps = truth[rows], teacher_risk[rows], tree_risk[rows]
            entry = {
                "column": column,
                "level": level,
                "label": (
                    level
                    if order and column in order and level != "(missing)"
                    else f"{column} = {level}"
                ),
                "n": n,
                "small": n < min_n,
                "n_outcome": int(t.sum()),
                "outcome_rate": wilson(float(t.sum()), float(n)),
                "agreement": wilson(float(np.sum((pt >= 0.5) == (ps >= 0.5))), n),
                "operating_points": [],
            }
            for op in operating_points:
                ft, fs = pt >= float(op["teacher_cut"]), ps >= float(op["tree_cut"])
                entry["operating_points"].append(
                    {
                        "kind": op["kind"],
                        "value": op["value"],
                        "teacher": _model_measures(ft, t, pt),
                        "tree": _model_measures(fs, t, ps),
                        "flagged_agreement": _rate(fs, ft),
                    }
                )
            out.append(entry)
    return out


def _pct(x) -> str:
    return "—" if x is None else f"{100 * float(x):.1f}%"


def _shown(estimate: Mapping, min_count: int | None) -> bool:
    """Whether a rate may be said: with ``min_count``, neither its count nor
    its denominator is under it (a count of 0 may be said)."""
    if min_count is None or estimate["value"] is None:
        return True
    hits = round(estimate["value"] * estimate["n"])
    return estimate["n"] >= min_count and not 0 < hits < min_count


def gap_sentences(
    rows: Sequence[Mapping], *, model: str = "teacher", min_count: int | None = None
) -> list[str]:
    """The largest gap in ``model``'s flag rate (first operating point) and in
    the tree's sensitivity between groups of each column, in words; with
    ``min_count``, no rate made of a smaller count is said."""
    out = []
    columns = list(dict.fromkeys(r["column"] for r in rows))
    for column in columns:
        big = [r for r in rows if r["column"] == column and not r["small"]]
        big = [
            r
            for r in big
            if not r["operating_points"]
            or (
                _shown(r["outcome_rate"], min_count)
                and _shown(r["operating_points"][0][model]["flag_rate"], min_count)
            )
        ]
        if len(big) < 2 or not big[0]["operating_points"]:
            continue

        def flag(r):
            return r["operating_points"][0][model]["flag_rate"]["value"]

        low, high = min(big, key=flag), max(big, key=flag)
        if flag(high) and flag(low) is not None and low is not high:
            ratio = flag(low) / flag(high)
            who = "teacher" if model == "teacher" else "tree"
            out.append(
                f"The {who} flags {low['label']} at {ratio:.2f} times the "
                f"rate of {high['label']} ({_pct(flag(low))} vs "
                f"{_pct(flag(high))}; outcome rates "
                f"{_pct(low['outcome_rate']['value'])} vs "
                f"{_pct(high['outcome_rate']['value'])})."
            )

        def sens(r):
            v = r["operating_points"][0]["tree"]["sensitivity"]["value"]
            return -1.0 if v is None else v

        with_cases = [
            r
            for r in big
            if sens(r) >= 0
            and _shown(r["operating_points"][0]["tree"]["sensitivity"], min_count)
        ]
        if len(with_cases) >= 2:
            lo, hi = min(with_cases, key=sens), max(with_cases, key=sens)
            if sens(hi) - sens(lo) > 0:
                out.append(
                    f"The tree finds {_pct(sens(lo))} of the outcomes in {lo['label']} "
                    f"and {_pct(sens(hi))} in {hi['label']}."
                )
    return out


def fairness_section(
    frame: pd.DataFrame,
    columns: Sequence[str],
    truth: np.ndarray,
    teacher_risk: np.ndarray,
    tree_risk: np.ndarray,
    operating_points: Sequence[Mapping],
    *,
    model: str,
    min_n: int,
    bands: Mapping[str, Sequence[float]] | None = None,
) -> dict:
    """Performance and fairness per group of each of ``columns`` of ``frame``
    (the held-out rows): :func:`subgroup_performance` of ``model`` (the tree
    student the report leads with) and the teacher, numeric columns grouped by
    :func:`group_labels` (the rule is :data:`BANDING`), with the largest gaps
    in words (:func:`gap_sentences`)."""
    groups, banded = {}, {}
    for column in columns:
        labels, how = group_labels(frame, column, (bands or {}).get(column))
        groups[column] = labels.to_numpy()
        if how == "bands":
            banded[column] = sorted(
                {str(v) for v in groups[column]} - {"(missing)"}, key=band_start
            )
    table = subgroup_performance(
        groups, truth, teacher_risk, tree_risk, operating_points,
        min_n=min_n, order=banded,
    )  # fmt: skip
    return {
        "columns": list(columns),
        "model": model,
        "min_n": int(min_n),
        "banding": BANDING,
        "banded": sorted(banded),
        "bands": {
            c: [float(e) for e in (bands or {})[c]]
            for c in sorted(banded)
            if (bands or {}).get(c)
        },
        "groups": table,
        "gaps": gap_sentences(table),
    }
