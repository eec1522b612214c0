"""The report's headline: overall agreement and where the student is least faithful."""

from __future__ import annotations

from treedistill.report._audit import MIN_N
from treedistill.report._fidelity_section import rate_ci
from treedistill.report._lead import (
    focus_misses,
    leads_with_flags,
    rare_classes,
    resolution,
)
from treedistill.report._operating import OperatingPoints

__all__ = ["chosen_point", "summary_section"]


def _least_faithful(items, *, size, rate, tie):
    """The item with the lowest agreement among those with at least
    :data:`~treedistill.report._audit.MIN_N` rows (``None`` if there is none), so
    that one row in a tiny leaf never outranks a group one can trust; ties go to
    the bigger item, then to ``tie``. The per-rule table lists rules in this order.
    """
    big = [r for r in items if size(r) >= MIN_N and rate(r) is not None]
    if not big:
        return None
    return min(big, key=lambda r: (rate(r), -size(r), *tie(r)))


def summary_section(name, info, agree, fid: dict, audit: dict, subgroups, ops) -> dict:
    """The headline: the primary model's agreement, its baselines, and where it is
    least faithful (rule, synthetic rule, subgroup)."""
    held_out, synthetic = fid["held_out"], fid["synthetic"]
    leaves, rules = audit["leaves"], audit["rules"]
    n = int(agree.size)
    rate, ci = rate_ci(agree)
    by_key = {r["key"]: r for r in held_out}
    syn = {r["key"]: r for r in synthetic}
    out = {
        "model": name,
        "student": info["student"],
        "n_leaves": info.get("n_leaves"),
        "n_trees": info.get("n_trees"),
        "n": n,
        "agreement": rate,
        "agreement_ci": ci,
        "kl": by_key[name]["kl"],
        "accuracy": by_key[name].get("accuracy"),
        "teacher_accuracy": by_key["teacher"].get("accuracy"),
        "surrogate_agreement": by_key["hard_surrogate"]["agreement"],
        "surrogate_n_leaves": by_key["hard_surrogate"]["n_leaves"],
        "synthetic_agreement": syn[name]["agreement"] if name in syn else None,
        "surrogate_synthetic_agreement": (
            syn["hard_surrogate"]["agreement"] if "hard_surrogate" in syn else None
        ),
        "min_n": MIN_N,
        "objective": info.get("objective"),
        "objective_reason": info.get("objective_reason"),
    }
    worst = _worst_rule(leaves, n_key="n_test", rate_key="agreement")
    if worst is not None:
        worst["text"] = next(r["text"] for r in rules if r["rule"] == worst["rule"])
    out["worst_rule"] = worst
    out["worst_rule_synthetic"] = None
    if synthetic:
        out["worst_rule_synthetic"] = _worst_rule(
            leaves, n_key="n_synthetic", rate_key="agreement_synthetic"
        )
    out["worst_subgroup"] = _worst_subgroup(subgroups, name)
    out.update(_rare_outcome_lead(by_key[name]["measures"], ops))
    out["worst_rule_focus"] = _worst_focus_rule(leaves)
    out["worst_subgroup_focus"] = _worst_focus_subgroup(subgroups, name)
    out["resolution"] = resolution(out)
    return out


def _worst_focus_rule(leaves) -> dict | None:
    """The rule (with at least ``MIN_N`` held-out rows) whose flags or rare-class
    rows differ most from the teacher's; the first row of the per-rule table when
    the report leads with flagged rows. ``None`` when none differs."""
    big = [r for r in leaves or () if not r["small"] and focus_misses(r.get("focus"))]
    if not big:
        return None
    worst = max(big, key=lambda r: (focus_misses(r["focus"]), r["n_test"], -r["rule"]))
    return {"rule": worst["rule"], "n": worst["n_test"], "focus": worst["focus"]}


def _worst_focus_subgroup(subgroups, name: str) -> dict | None:
    big = [
        r
        for r in subgroups or ()
        if not r["small"] and focus_misses(r["models"][name].get("focus"))
    ]
    if not big:
        return None
    worst = max(big, key=lambda r: (focus_misses(r["models"][name]["focus"]), r["n"]))
    return {
        "column": worst["column"],
        "level": worst["level"],
        "label": worst.get("label"),
        "n": worst["n"],
        "focus": worst["models"][name]["focus"],
    }


def chosen_point(points: list, ops: OperatingPoints) -> dict | None:
    """The operating point the headline reports (binary problems).

    The threshold unless a flag rate was asked for or the teacher's decisions at
    the threshold are (nearly) all one class; then the flag rate.
    """
    by_kind = {p["kind"]: p for p in points}
    threshold = by_kind.get("threshold")
    if threshold is None:
        return None
    if ops.flag_rate_given or threshold["degenerate"]:
        return {**by_kind["flag_rate"], "reason": _reason(ops, threshold)}
    return {**threshold, "reason": "the threshold"}


def _reason(ops: OperatingPoints, threshold: dict) -> str:
    if ops.flag_rate_given:
        return "the flag rate asked for"
    return (
        f"the teacher's decisions at threshold {threshold['value']:g} are (nearly) "
        "all one class"
    )


def _worst_class(per_class: list) -> dict | None:
    seen = [c for c in per_class if c["teacher_n"] > 0]
    if not seen:
        return None
    # Lowest recall; on a tie, the least certain (fewest rows, widest interval).
    worst = min(
        seen,
        key=lambda c: (c["recall"]["value"], c["recall"]["low"], c["class_index"]),
    )
    return {
        "class_index": worst["class_index"],
        "teacher_n": worst["teacher_n"],
        "student_n": worst["student_n"],
        "recall": worst["recall"],
        "precision": worst["precision"],
    }


def _rare_outcome_lead(measures: dict, ops: OperatingPoints) -> dict:
    """What the headline leads with, and the figures it quotes."""
    point = chosen_point(measures["operating_points"], ops)
    degenerate = list(measures["degenerate"])
    lead = "flagged" if leads_with_flags(ops, point) else "agreement"
    return {
        "lead": lead,
        "degenerate": degenerate,
        "operating_point": point,
        "ranking": measures["ranking"],
        "overall_agreement": measures["overall_agreement"],
        "worst_class": _worst_class(measures["per_class"]),
        "rare_classes": rare_classes(ops),
        "per_class_rare": [
            c for c in measures["per_class"] if c["class_index"] in rare_classes(ops)
        ],
    }


def _worst_rule(leaves, *, n_key: str, rate_key: str) -> dict | None:
    """The least faithful rule by ``rate_key`` among rules with at least ``MIN_N``
    rows by ``n_key``; on held-out rows, the first row of the per-rule table."""
    seen = [r for r in leaves or () if r[n_key]]
    worst = _least_faithful(
        seen,
        size=lambda r: r[n_key],
        rate=lambda r: r[rate_key],
        tie=lambda r: (r["rule"],),
    )
    if worst is None:
        return None
    return {"rule": worst["rule"], "n": worst[n_key], "agreement": worst[rate_key]}


def _worst_subgroup(subgroups, name: str) -> dict | None:
    if not subgroups:
        return None
    worst = _least_faithful(
        subgroups,
        size=lambda r: r["n"],
        rate=lambda r: r["models"][name]["agreement"],
        tie=lambda r: (r["column"], r["level"]),
    )
    if worst is None:
        return None
    return {
        "column": worst["column"],
        "level": worst["level"],
        "label": worst.get("label"),
        "n": worst["n"],
        "agreement": worst["models"][name]["agreement"],
        "agreement_ci": worst["models"][name]["agreement_ci"],
    }
