"""The measures every summary of a run leads with, and where they are counted.

One source for the command line's line, its ``--json`` summary, ``rules.txt``,
the per-rule and per-subgroup tables, ``DistillResult.describe()`` and the
fidelity a saved student records: the report's ``summary["students"]`` (built by
:func:`student_leads` from the report's own fidelity rows) and the ``focus`` of
each rule and subgroup (counted by :func:`focus_counts`).

For a binary problem the focus is the flags at the operating point the headline
reports: how many of a rule's (or subgroup's) rows the teacher flags, how many the
model flags, how many both flag. A problem with more classes has rare classes
(a training share below :func:`rare_share`): for each, the rows the teacher and
the model put in it, recall and precision against the teacher.
"""

from __future__ import annotations

import numpy as np

from treedistill.measures._fidelity import flag_weights, wilson
from treedistill.report._operating import RARE_PREVALENCE, OperatingPoints

__all__ = [
    "focus_counts",
    "focus_misses",
    "focus_rows",
    "leads_with_flags",
    "rare_classes",
    "rare_share",
    "resolution",
    "student_leads",
]


#: A held-out measure whose 95% interval is wider than this (20 points of a
#: share, 0.2 of a correlation) is not resolved by the rows it was counted on:
#: the headline then says so and gives the interval, not the bare estimate.
RESOLVED_WIDTH = 0.2


def _width(low, high) -> float | None:
    if low is None or high is None:
        return None
    return float(high) - float(low)


def resolution(out: dict) -> dict:
    """Which of the headline's held-out measures are too wide to read alone
    (``unresolved``: ``agreement``, ``flagged_agreement``, ``spearman``,
    ``flag_auc``)."""
    widths = {"agreement": _width(*(out.get("agreement_ci") or (None, None)))}
    point = out.get("operating_point") or {}
    flagged = point.get("flagged_agreement") or {}
    if flagged.get("value") is not None:
        widths["flagged_agreement"] = _width(flagged.get("low"), flagged.get("high"))
    for key in ("spearman", "flag_auc"):
        est = (out.get("ranking") or {}).get(key) or {}
        if est.get("value") is not None:
            widths[key] = _width(est.get("low"), est.get("high"))
    return {
        "max_width": RESOLVED_WIDTH,
        "widths": widths,
        "unresolved": [
            k for k, w in widths.items() if w is not None and w > RESOLVED_WIDTH
        ],
    }


def rare_share(k: int) -> float:
    """A class of a ``k``-class outcome is rare below this training share: the
    binary rule (:data:`RARE_PREVALENCE`) or half an even share, whichever is
    lower (below 10% of the rows with five classes)."""
    return min(RARE_PREVALENCE, 0.5 / max(k, 1))


def rare_classes(ops: OperatingPoints) -> list[int]:
    """The rare classes of a problem with more than two classes (indices)."""
    k = len(ops.classes)
    if ops.positive is not None or k <= 2:
        return []
    cut = rare_share(k)
    return [c for c, share in enumerate(ops.prevalence) if share < cut]


def leads_with_flags(ops: OperatingPoints, point: dict | None) -> bool:
    """Whether the headline leads with flagged rows (a rare binary outcome, or a
    flag rate asked for or forced by a degenerate teacher)."""
    return point is not None and (ops.rare or point["kind"] == "flag_rate")


def focus_rows(
    ops: OperatingPoints, point: dict | None, p_teacher, p_model
) -> dict | None:
    """Per held-out row, what the focus counts: the teacher's and the model's flags
    at ``point`` when the headline leads with flagged rows (binary), or the rows
    each puts in each rare class (more classes); ``None`` otherwise."""
    if ops.positive is not None:
        if not leads_with_flags(ops, point):
            return None
        c = ops.positive
        t_score, s_score = p_teacher[:, c], p_model[:, c]
        if point["kind"] == "threshold":
            t_w = (t_score >= point["value"]).astype(np.float64)
            s_w = (s_score >= point["value"]).astype(np.float64)
        else:
            t_w = flag_weights(t_score, point["value"])
            s_w = flag_weights(s_score, point["value"])
        return {"kind": "flags", "point": point["kind"], "teacher": t_w, "model": s_w}
    rare = rare_classes(ops)
    if not rare:
        return None
    return {
        "kind": "classes",
        "classes": rare,
        "teacher": np.argmax(p_teacher, axis=1),
        "model": np.argmax(p_model, axis=1),
    }


def _count(x: float) -> float | int:
    """A (possibly fractional, from ties at a flag-rate cut) count of rows."""
    r = round(float(x), 2)
    return int(r) if r == int(r) else r


def focus_counts(focus: dict | None, mask) -> dict | None:
    """The focus counted on the rows of ``mask``."""
    if focus is None:
        return None
    mask = np.asarray(mask, dtype=bool)
    if focus["kind"] == "flags":
        t_w, s_w = focus["teacher"][mask], focus["model"][mask]
        both = float(np.sum(t_w * s_w))
        t, s = float(t_w.sum()), float(s_w.sum())
        return {
            "kind": "flags",
            "point": focus["point"],
            "teacher_flagged": _count(t),
            "student_flagged": _count(s),
            "both_flagged": _count(both),
            "missed": _count(t - both),
            "extra": _count(s - both),
            "flagged_agreement": wilson(both, t),
        }
    t_cls, s_cls = focus["teacher"][mask], focus["model"][mask]
    out = []
    for c in focus["classes"]:
        t_in, s_in = t_cls == c, s_cls == c
        both = int(np.sum(t_in & s_in))
        out.append(
            {
                "class_index": int(c),
                "teacher_n": int(t_in.sum()),
                "student_n": int(s_in.sum()),
                "both_n": both,
                "recall": wilson(both, int(t_in.sum())),
                "precision": wilson(both, int(s_in.sum())),
            }
        )
    return {"kind": "classes", "classes": out}


def focus_misses(focus: dict | None) -> float:
    """How many rows a focus count gets wrong (flags or rare-class rows missed
    plus those given in excess); 0 without a focus."""
    if not focus:
        return 0.0
    if focus["kind"] == "flags":
        return float(focus["missed"]) + float(focus["extra"])
    return float(
        sum(c["teacher_n"] + c["student_n"] - 2 * c["both_n"] for c in focus["classes"])
    )


def student_leads(report: dict) -> dict:
    """Per student, the measures every summary leads with, read from the
    report's fidelity rows (``report`` as :func:`~treedistill.report.evaluate`
    builds it, before the ``students`` entry of its summary is set)."""
    summary, data = report["summary"], report["data"]
    point = summary.get("operating_point")
    counts = data["test_class_counts"]
    n_test = sum(counts)
    majority = int(np.argmax(counts)) if counts else None
    rows = {r["key"]: r for r in report["fidelity"]["held_out"]}
    out = {}
    for name in report["model_order"]:
        row = rows[name]
        m = row["measures"]
        entry = {
            "lead": summary["lead"],
            "degenerate": list(m["degenerate"]),
            "n": row["n"],
            "agreement": row["agreement"],
            "agreement_ci": row["agreement_ci"],
            "kl": row["kl"],
            "accuracy": row.get("accuracy"),
            "teacher_accuracy": rows["teacher"].get("accuracy"),
            "no_information_rate": (
                counts[majority] / n_test if n_test and majority is not None else None
            ),
            "majority_class": None if majority is None else data["classes"][majority],
            "operating_point": None,
            "ranking": None,
            "rare_classes": [],
        }
        if point is not None:
            mine = next(p for p in m["operating_points"] if p["kind"] == point["kind"])
            entry["operating_point"] = {
                k: mine[k]
                for k in (
                    "kind",
                    "value",
                    "teacher_flagged",
                    "student_flagged",
                    "flagged_agreement",
                    "overlap",
                    "degenerate",
                )
            }
            entry["ranking"] = m["ranking"]
        rare = set(summary.get("rare_classes") or [])
        entry["rare_classes"] = [c for c in m["per_class"] if c["class_index"] in rare]
        out[name] = entry
    return out


# ---------------------------------------------------------------------------
# In words and table cells (read from report.json alone)
# ---------------------------------------------------------------------------
def class_name(report: dict, index: int) -> str:
    """The display name of class ``index`` (``class_names``, else the label)."""
    data = report["data"]
    names = data.get("class_names") or [str(c) for c in data["classes"]]
    return str(names[int(index)])


def name_of_label(report: dict, label) -> str:
    """The display name of a class given by its label."""
    data = report["data"]
    for i, c in enumerate(data["classes"]):
        if c == label or str(c) == str(label):
            return class_name(report, i)
    return str(label)


def _n(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _est(est: dict | None) -> str:
    if not est or est.get("value") is None:
        return "—"
    text = f"{100 * est['value']:.1f}%"
    if est.get("low") is not None and est.get("high") is not None:
        text += f" ({100 * est['low']:.1f}–{100 * est['high']:.1f})"
    return text


def point_words(report: dict) -> str:
    """Where the flags are counted: ``at a flag rate of 6.5%`` / ``at P(die) >= 0.5``."""
    point = report["summary"].get("operating_point") or {}
    positive = class_name(report, report["operating_points"]["positive_index"])
    if point.get("kind") == "threshold":
        return f"at P({positive}) >= {point['value']:g}"
    return f"at a flag rate of {100 * point.get('value', 0):.1f}%"


def focus_header(report: dict, who: str = "model") -> list[str]:
    """Column titles of a table's focus cells (empty without a focus)."""
    summary = report["summary"]
    if summary.get("lead") == "flagged" and summary.get("operating_point"):
        return [f"Flags, teacher / {who}", "Flagged-row agreement (95% CI)"]
    out = []
    for c in summary.get("rare_classes") or []:
        name = class_name(report, c)
        out += [f"{name}: teacher / {who}", f"{name}: recall", f"{name}: precision"]
    return out


def focus_cells(report: dict, focus: dict | None) -> list[str]:
    """A rule's or subgroup's focus as table cells (as many as its header)."""
    width = len(focus_header(report))
    if not focus or not width:
        return ["—"] * width
    if focus["kind"] == "flags":
        return [
            f"{_n(focus['teacher_flagged'])} / {_n(focus['student_flagged'])}",
            _est(focus["flagged_agreement"]),
        ]
    out = []
    for c in focus["classes"]:
        out += [
            f"{c['teacher_n']} / {c['student_n']}",
            _est(c["recall"]),
            _est(c["precision"]),
        ]
    return out


def focus_words(report: dict, focus: dict | None, who: str = "tree") -> str:
    """A rule's focus in words, for ``rules.txt``."""
    if not focus:
        return ""
    if focus["kind"] == "flags":
        text = (
            f"teacher flags {_n(focus['teacher_flagged'])}, {who} flags "
            f"{_n(focus['student_flagged'])}, both {_n(focus['both_flagged'])}"
        )
        return text + f" {point_words(report)}"
    parts = []
    for c in focus["classes"]:
        name = class_name(report, c["class_index"])
        parts.append(
            f"{name}: teacher {c['teacher_n']}, {who} {c['student_n']}, "
            f"recall {_est(c['recall'])}"
        )
    return "; ".join(parts)


def lead_lines(report: dict, name: str, who: str) -> list[str]:
    """One student's lead measures in words (``who`` names it): the command
    line's line, ``rules.txt``'s header and ``describe()`` all print these."""
    entry = (report["summary"].get("students") or {}).get(name)
    if entry is None:
        return []
    lo, hi = entry["agreement_ci"] or (None, None)
    agreement = (
        f"agrees with the teacher on {100 * entry['agreement']:.1f}% of "
        f"{entry['n']} held-out rows"
    )
    if lo is not None and hi is not None:
        agreement += f" (95% CI {100 * lo:.1f}%-{100 * hi:.1f}%)"
    unresolved = resolution(entry)["unresolved"]
    wider = f"wider than {100 * RESOLVED_WIDTH:g} points"
    if "agreement" in unresolved:
        agreement += f", not resolved by these rows ({wider})"
    lines = []
    point = entry.get("operating_point")
    if entry["lead"] == "flagged" and point:
        fa = point["flagged_agreement"]
        if fa and fa.get("value") is not None:
            first = (
                f"{who}: flags {_est(fa)} of the {_n(point['teacher_flagged'])} "
                f"held-out rows the teacher flags {point_words(report)} "
                f"(it flags {_n(point['student_flagged'])})"
            )
        else:
            first = (
                f"{who}: the teacher flags no held-out row {point_words(report)}; "
                f"the {who.split(' ')[0]} flags {_n(point['student_flagged'])}"
            )
        rank = entry.get("ranking") or {}
        sp, auc = rank.get("spearman") or {}, rank.get("flag_auc") or {}
        if "flagged_agreement" in unresolved:
            first += f", not resolved by these rows ({wider})"
        if sp.get("value") is not None:
            first += f"; risk ranking Spearman {sp['value']:.2f}"
            if "spearman" in unresolved:
                first += f" (not resolved, 95% CI {sp['low']:.2f}-{sp['high']:.2f})"
        if auc.get("value") is not None:
            first += f", flag AUC {auc['value']:.2f}"
            if "flag_auc" in unresolved:
                first += f" (not resolved, 95% CI {auc['low']:.2f}-{auc['high']:.2f})"
        lines.append(first)
        if entry["degenerate"]:
            lines.append(f"  overall {agreement}: not a measure of fidelity here")
        else:
            lines.append(f"  overall {agreement}")
    else:
        lines.append(f"{who}: {agreement}")
        for c in entry.get("rare_classes") or []:
            cname = class_name(report, c["class_index"])
            lines.append(
                f"  rare class {cname}: recall {_est(c['recall'])} of the "
                f"{c['teacher_n']} rows the teacher puts there, precision "
                f"{_est(c['precision'])} (the model puts {c['student_n']} there)"
            )
    if entry.get("accuracy") is not None and entry.get("no_information_rate"):
        majority = name_of_label(report, entry["majority_class"])
        lines.append(
            f"  accuracy {100 * entry['accuracy']:.1f}% (teacher "
            f"{100 * entry['teacher_accuracy']:.1f}%); predicting {majority} for "
            f"every row scores {100 * entry['no_information_rate']:.1f}%"
        )
    return lines


def class_names(report: dict) -> list[str]:
    """Every class's display name, in the order of ``data["classes"]``."""
    data = report["data"]
    return [str(n) for n in data.get("class_names") or data["classes"]]


def rules_header(report: dict) -> list[str]:
    """``rules.txt``'s opening lines (each starting ``# ``) when the report leads
    with flagged rows or has rare classes: the tree's lead measures, so that the
    file never reads as a plain agreement figure. Empty otherwise."""
    summary = report["summary"]
    name = report.get("tree_model")
    flagged = summary.get("lead") == "flagged" and summary.get("operating_point")
    if name is None or not (flagged or summary.get("rare_classes")):
        return []
    lines = [f"# {line.strip()}" for line in lead_lines(report, name, "tree")]
    for fact in summary.get("degenerate") or []:
        lines.append(f"# note: {fact}")
    return lines
