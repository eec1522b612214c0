"""A plain-language paragraph for a clinician, from a report dict alone.

What the model mainly relies on, in the tree's own words, and how far the tree
can be trusted, without statistical terms. Every number comes from the report
dict (so a saved ``report.json`` gives the same paragraph).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from treedistill.report._lead import name_of_label

__all__ = ["condition_words", "plain_summary"]

_BETWEEN = re.compile(r"^(?P<lo>\S+) < (?P<col>.+?) <= (?P<hi>\S+)$")
_AT_MOST = re.compile(r"^(?P<col>.+?) <= (?P<v>\S+)$")
_ABOVE = re.compile(r"^(?P<col>.+?) > (?P<v>\S+)$")
_OR_MISSING = re.compile(r"^\((?P<cond>.+) or (?P<col>.+?) is missing\)$")


def condition_words(condition: str) -> str:
    """A rule condition in words: ``138.3 < glucose <= 152`` → ``glucose
    between 138.3 and 152``, ``age > 59`` → ``age above 59``, ``(creatinine
    <= 1.9 or creatinine is missing)`` → ``creatinine at most 1.9 or not
    recorded``; other conditions (``smoker is yes``) stay as they are."""
    text = str(condition).strip()
    missing = _OR_MISSING.match(text)
    if missing:
        return f"{condition_words(missing.group('cond'))} or not recorded"
    m = _BETWEEN.match(text)
    if m:
        return f"{m.group('col')} between {m.group('lo')} and {m.group('hi')}"
    m = _AT_MOST.match(text)
    if m:
        return f"{m.group('col')} at most {m.group('v')}"
    m = _ABOVE.match(text)
    if m:
        return f"{m.group('col')} above {m.group('v')}"
    return text


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _in_100(x) -> int:
    return int(round(100 * float(x)))


def _main_columns(tree: Mapping, limit: int = 3) -> list[str]:
    """The columns the tree's splits route most rows through (transfer rows
    reaching each split, summed per column), most first."""
    weight: dict[str, float] = {}
    for node in tree.get("nodes") or []:
        if node.get("leaf") or not node.get("column"):
            continue
        weight[node["column"]] = weight.get(node["column"], 0.0) + float(
            node.get("n_transfer") or 0
        )
    ranked = sorted(weight, key=lambda c: (-weight[c], c))
    return ranked[:limit]


def _example_rule(report: Mapping) -> Mapping | None:
    """The rule that flags the most held-out rows (binary), or the rule covering
    the most held-out rows (more classes)."""
    rules = list(report.get("rules") or [])
    positive = report["operating_points"].get("positive_class")
    if positive is not None:
        rules = [r for r in rules if str(r.get("prediction")) == str(positive)]
    rules = [r for r in rules if _count(r.get("n_test")) > 0]
    if not rules:
        return None
    return max(rules, key=lambda r: (_count(r.get("n_test")), -int(r["rule"])))


def _count(n) -> int:
    """A count, or 0 for one that is missing or suppressed (``"<11"``)."""
    return int(n) if isinstance(n, (int, float)) else 0


def plain_summary(report: Mapping) -> str:
    """One paragraph for a clinician: what the model relies on, in the tree's
    words, and how often the tree gives the model's answer."""
    summary = report["summary"]
    positive = report["operating_points"].get("positive_class")
    if positive is not None:
        positive = name_of_label(report, positive)
    sentences = []
    tree = report.get("tree") or {}
    columns = _main_columns(tree)
    if columns:
        sentences.append(
            f"The model's decisions depend mostly on {_join(columns)}: a short "
            "decision tree that copies the model asks about these first and most often."
        )
    rule = _example_rule(report) if tree else None
    if rule is not None:
        words = _join([condition_words(c) for c in rule.get("conditions") or []])
        share = rule.get("coverage_test")
        where = (
            f" (about {_in_100(share)} in 100 patients of the test group)"
            if share
            else ""
        )
        verb = (
            f"are flagged as {positive}"
            if positive is not None
            else (f"are predicted {name_of_label(report, rule['prediction'])}")
        )
        if words:
            sentences.append(f"For example, patients with {words} {verb}{where}.")
    n = int(summary["n"])
    agree = summary["agreement"]
    ci = summary.get("agreement_ci") or [None, None]
    text = (
        f"Checked on {n} patients who were not used to build it, the tree gives "
        f"the same answer as the model for {_in_100(agree)} in 100 of them"
    )
    if ci[0] is not None and ci[1] is not None:
        text += (
            f" (allowing for chance, somewhere between {_in_100(ci[0])} and "
            f"{_in_100(ci[1])} in 100)"
        )
    sentences.append(text + ".")
    op = summary.get("operating_point") or {}
    flagged = op.get("flagged_agreement") or {}
    if positive is not None and flagged.get("n"):
        both = int(round(float(flagged["value"]) * int(flagged["n"])))
        sentences.append(
            f"Of the {flagged['n']} patients the model flags as {positive}, the "
            f"tree flags {both}."
        )
    worst = summary.get("worst_rule") or {}
    if worst.get("agreement") is not None and float(worst["agreement"]) < 0.9:
        sentences.append(
            f"It is least reliable for patients under rule {worst['rule']}, where "
            f"it agrees with the model for {_in_100(worst['agreement'])} in 100 "
            f"of {worst['n']} patients."
        )
    for line in summary.get("degenerate") or []:
        sentences.append(f"Caution: {line}.".replace("..", "."))
    accuracy = summary.get("teacher_accuracy")
    if accuracy is not None:
        sentences.append(
            "The tree explains the model; it does not show that the model is right "
            f"(the model itself was right for {_in_100(accuracy)} in 100 of these "
            "patients)."
        )
    return " ".join(sentences)
