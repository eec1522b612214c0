"""The shareable form of a run's report: no patient row, no small count.

:func:`shareable_report` builds a new document from an allow-list of the fields of
``report.json``: each field below is copied by name, checked and, where it is a
count or made of one, suppressed; everything else (held-out rows, example rows,
per-row SHAP values, the tree drawing with its rows per node, cut points that are
one patient's risk, data paths, free-text sentences) is left out. Sentences are
built again from the suppressed numbers. The same suppression serves the model
card (:mod:`treedistill.runs._card`).

The rule, with ``min_count`` k (11 is the usual public-health rule):

- a count from 1 to k - 1 is replaced by ``"<k"`` (a count of 0 describes no
  patient and is shown);
- a rate (share, agreement, sensitivity, ...) whose denominator or numerator is
  such a count is replaced by ``"suppressed"``, with its interval; for a rate
  against the outcome (accuracy, outcome rate, prevalence, observed risk, share
  missing) the rows without count too; in a subgroup, sensitivity, specificity
  and PPV are suppressed together when any cell of flagged x outcome is small;
- a rule whose leaf holds fewer than k held-out rows is replaced by a line saying
  so (its conditions, prediction and numbers are left out);
- counts that add up to a total that is shown (rows per class, per subgroup
  level, per rule) are suppressed in more places when needed: the next smallest
  too, until at least two are hidden and they hold at least k rows together, so
  that no hidden count follows from the total (such a count reads
  ``"suppressed"``, the whole group or rule with it);
- a confusion matrix with a small cell is suppressed whole (its margins, the
  rows each model flags, are stated elsewhere).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from treedistill.common._files import atomic_write_text
from treedistill.common._json import plain
from treedistill.common._version import __version__
from treedistill.exceptions import ParameterError
from treedistill.report._format import ci, pct
from treedistill.report._plain import _main_columns, condition_words
from treedistill.report._render import md
from treedistill.report._subgroup_section import gap_sentences
from treedistill.runs._outdir import Staging, check_out_dir
from treedistill.runs._saved import read_report

__all__ = [
    "DEFAULT_MIN_COUNT",
    "LEFT_OUT",
    "RATE_MARKER",
    "Suppressor",
    "check_min_count",
    "render_shareable_html",
    "render_shareable_markdown",
    "shareable_json",
    "shareable_report",
    "suppress_group",
    "suppress_groups",
    "write_shareable_report",
]

#: The usual public-health rule: no count, rate or rule from fewer rows leaves.
DEFAULT_MIN_COUNT = 11
#: What stands in place of a suppressed rate, interval or rule.
RATE_MARKER = "suppressed"
#: What the shareable form never holds, in words.
LEFT_OUT = (
    "held-out rows (held_out_rows.csv) and every other row of data",
    "the rows where the tree and the teacher disagree (examples of rows)",
    "per-row SHAP values and the rows they explain",
    "the tree drawing and its rows per node, size curves and other figures",
    "cut points and bin edges that are one patient's predicted risk, and each "
    "column's smallest and largest value",
    "paths of the data and teacher files (their names and sha256 are kept)",
    "the report's free-text sentences and notes (the sentences here are built "
    "from the suppressed numbers)",
)


def check_min_count(min_count) -> int:
    """``min_count`` as an int of at least 1, else :class:`ParameterError`."""
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ParameterError(
            f"min_count must be a whole number of at least 1; got {min_count!r}",
            parameter="min_count",
        )
    return min_count


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class Suppressor:
    """Suppresses counts under ``min_count`` and the rates made of them, and
    records the field of every value it suppresses (``self.suppressed``)."""

    def __init__(self, min_count: int):
        self.k = check_min_count(min_count)
        self.marker = f"<{self.k}"
        self.suppressed: list[dict] = []

    def small(self, n) -> bool:
        """A count from 1 to k - 1 (a count that cannot leave)."""
        return _is_number(n) and 0 < n < self.k

    def _log(self, field: str, kind: str) -> None:
        self.suppressed.append({"field": field, "kind": kind})

    def count(self, n, field: str, force: bool = False):
        """``n``, or the count marker when it is small (or ``force``)."""
        if self.small(n):
            self._log(field, "count")
            return self.marker
        if force and _is_number(n):  # not small itself, but it gives one back
            self._log(field, "count")
            return RATE_MARKER
        return n

    def rate_ok(self, value, n, truth: bool = False) -> bool:
        """Whether a rate ``value`` of ``n`` rows may be shown. ``truth``: a
        rate against the outcome (accuracy, outcome rate, ...), whose other
        part (the rows without) is a count of patients too."""
        if value is None:
            return True
        if not _is_number(n) or self.small(n) or not _is_number(value):
            return False
        hits = round(float(value) * n)
        return not self.small(hits) and not (truth and self.small(n - hits))

    def rate(self, value, n, field: str, truth: bool = False):
        """``value`` (a share of ``n`` rows), or the rate marker."""
        if self.rate_ok(value, n, truth):
            return value
        self._log(field, "rate")
        return RATE_MARKER

    def with_interval(self, value, interval, n, field: str, force=False) -> tuple:
        """A rate and its interval, both shown or both suppressed."""
        if value is None or (not force and self.rate_ok(value, n)):
            return value, interval
        self._log(field, "rate")
        if interval is not None:
            self._log(field + "_ci", "rate")
        return RATE_MARKER, (None if interval is None else RATE_MARKER)

    def estimate(self, est, field: str, force: bool = False, truth: bool = False):
        """An estimate ``{value, low, high, n}``, or the rate marker."""
        if not isinstance(est, Mapping):
            return None
        if (
            not force
            and self.rate_ok(est.get("value"), est.get("n"), truth)
            and not (est.get("value") is None and self.small(est.get("n")))
        ):
            return {k: est.get(k) for k in ("value", "low", "high", "n")}
        self._log(field, "rate")
        return RATE_MARKER

    def value(self, x, hide: bool, field: str):
        """``x``, or the rate marker when ``hide``."""
        if hide and x is not None:
            self._log(field, "rate")
            return RATE_MARKER
        return x

    def hidden(self, counts: Sequence, primary=None) -> set[int]:
        """The positions of ``counts`` to suppress when their total is known:
        the small ones (or ``primary``), and then the next smallest until at
        least two are suppressed and their sum is at least k, so that no
        suppressed count follows from the others and the total."""
        if primary is None:
            primary = {i for i, c in enumerate(counts) if self.small(c)}
        hidden = set(primary)
        if not hidden:
            return hidden
        value = [c if _is_number(c) else 0 for c in counts]
        while (
            len(hidden) < len(counts)
            and sum(value[i] for i in hidden) > 0  # hidden zeros tell nobody
            and (len(hidden) < 2 or sum(value[i] for i in hidden) < self.k)
        ):
            rest = [i for i in range(len(counts)) if i not in hidden]
            hidden.add(min(rest, key=lambda i: (value[i], i)))
        return hidden

    def summary(self) -> dict:
        kinds: dict[str, int] = {}
        for entry in self.suppressed:
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
        return {"n_suppressed": len(self.suppressed), "by_kind": kinds}


def _cells(measures: Mapping) -> list[int]:
    """The four cells (flagged or not x outcome or not) behind a model's
    sensitivity and specificity in one group."""
    out = []
    for key in ("sensitivity", "specificity"):
        est = measures.get(key) or {}
        n = est.get("n") if _is_number(est.get("n")) else 0
        hits = round(float(est["value"]) * n) if _is_number(est.get("value")) else 0
        out += [hits, n - hits]
    return out


def suppress_group(
    group: Mapping, s: Suppressor, field: str, hide: bool = False
) -> dict:
    """One group of the performance-and-fairness table (as
    :func:`~treedistill.report._subgroup_section.subgroup_performance` gives it)
    with every count and rate under ``s.k`` suppressed; ``hide``: all of them
    (a group whose row count would give back another group's)."""
    n = group.get("n")
    hide = hide or s.small(n)
    positives = group.get("n_outcome")
    # the group's rows with and without the outcome: neither may be small
    hide_outcome = hide or not s.rate_ok(
        (group.get("outcome_rate") or {}).get("value"), n, truth=True
    )
    out = {
        "column": group.get("column"),
        "level": group.get("level"),
        "label": group.get("label"),
        "small": bool(group.get("small")),
        "n": s.count(n, f"{field}.n", hide),
        "n_outcome": s.count(positives, f"{field}.n_outcome", hide_outcome),
        "outcome_rate": s.estimate(
            group.get("outcome_rate"), f"{field}.outcome_rate", hide_outcome
        ),
        "agreement": s.estimate(group.get("agreement"), f"{field}.agreement", hide),
        "operating_points": [],
    }
    hide_cal = hide_outcome
    for i, op in enumerate(group.get("operating_points") or []):
        at = f"{field}.operating_points[{i}]"
        point = {
            "kind": op.get("kind"),
            "value": op.get("value"),
            "flagged_agreement": s.estimate(
                op.get("flagged_agreement"), f"{at}.flagged_agreement", hide
            ),
        }
        for who in ("teacher", "tree"):
            m = op.get(who) or {}
            # with the margins shown (outcomes, flags), one small cell of
            # flagged x outcome would give the others: hide all three rates
            hide_cells = hide_outcome or any(s.small(c) for c in _cells(m))
            point[who] = {
                "flag_rate": s.estimate(
                    m.get("flag_rate"), f"{at}.{who}.flag_rate", hide
                )
            }
            point[who].update(
                (key, s.estimate(m.get(key), f"{at}.{who}.{key}", hide_cells))
                for key in ("sensitivity", "specificity", "ppv")
            )
            point[who]["calibration_in_the_large"] = s.value(
                m.get("calibration_in_the_large"),
                hide_cal,
                f"{at}.{who}.calibration_in_the_large",
            )
        out["operating_points"].append(point)
    return out


def hidden_groups(groups: Sequence[Mapping], s: Suppressor) -> set[int]:
    """The groups to suppress whole: per column (whose groups add up to the
    held-out rows), the small ones and as many more as :meth:`Suppressor.hidden`
    needs."""
    out: set[int] = set()
    columns: dict = {}
    for i, g in enumerate(groups):
        columns.setdefault(g.get("column"), []).append(i)
    for where in columns.values():
        chosen = s.hidden([groups[i].get("n") for i in where])
        out |= {where[j] for j in chosen}
    return out


def _hidden(x) -> bool:
    return isinstance(x, str)


def _hide_outcome(g: dict, s: Suppressor, field: str) -> None:
    """Suppress a shown group's outcome count and every rate made with it."""

    def hide(holder, key, at):
        if holder.get(key) is not None and not _hidden(holder[key]):
            s._log(at, "rate" if key != "n_outcome" else "count")
            holder[key] = RATE_MARKER

    hide(g, "n_outcome", f"{field}.n_outcome")
    hide(g, "outcome_rate", f"{field}.outcome_rate")
    for i, op in enumerate(g["operating_points"]):
        for who in ("teacher", "tree"):
            at = f"{field}.operating_points[{i}].{who}"
            for key in (
                "sensitivity",
                "specificity",
                "ppv",
                "calibration_in_the_large",
            ):
                hide(op[who], key, f"{at}.{key}")


def _flagged(g: Mapping, i: int, who: str) -> int:
    est = g["operating_points"][i][who]["flag_rate"]
    if not _is_number(est.get("value")) or not _is_number(est.get("n")):
        return 0
    return round(float(est["value"]) * est["n"])


def suppress_groups(
    groups: Sequence[Mapping], s: Suppressor, field: str
) -> tuple[list[dict], list[str]]:
    """The performance-and-fairness table (as
    :func:`~treedistill.report._subgroup_section.subgroup_performance` gives it)
    in its shareable form, and its gap sentences said of shown numbers only.

    Per column, the groups' rows, outcomes and flags add up to totals that are
    shown elsewhere: where one group's count is suppressed, more are (see
    :meth:`Suppressor.hidden`) so that none follows from the others."""
    whole = hidden_groups(groups, s)
    shown = [
        suppress_group(g, s, f"{field}[{i}]", i in whole) for i, g in enumerate(groups)
    ]
    columns: dict = {}
    for i, g in enumerate(groups):
        columns.setdefault(g.get("column"), []).append(i)
    for where in columns.values():
        counts = [groups[i].get("n_outcome") for i in where]
        primary = {j for j, i in enumerate(where) if _hidden(shown[i]["n_outcome"])}
        for j in s.hidden(counts, primary) - primary:
            _hide_outcome(shown[where[j]], s, f"{field}[{where[j]}]")
        for p in range(len(groups[where[0]].get("operating_points") or [])):
            for who in ("teacher", "tree"):
                counts = [_flagged(groups[i], p, who) for i in where]
                primary = {
                    j
                    for j, i in enumerate(where)
                    if _hidden(shown[i]["operating_points"][p][who]["flag_rate"])
                }
                for j in s.hidden(counts, primary) - primary:
                    m = shown[where[j]]["operating_points"][p][who]
                    s._log(
                        f"{field}[{where[j]}].operating_points[{p}].{who}.flag_rate",
                        "rate",
                    )
                    m["flag_rate"] = RATE_MARKER
    return shown, _gaps(groups, shown, s.k)


def _gaps(groups: Sequence[Mapping], shown: Sequence[Mapping], k: int) -> list[str]:
    """The gap sentences of :func:`gap_sentences`, said only of numbers the
    shareable table shows."""
    import copy

    view = []
    for g, out in zip(groups, shown, strict=True):
        if _hidden(out["n"]) or _hidden(out["outcome_rate"]):
            continue
        first = (out["operating_points"] or [None])[0]
        if first is not None and any(
            _hidden(first[w]["flag_rate"]) for w in ("teacher", "tree")
        ):
            continue
        g = copy.deepcopy(dict(g))
        for op, shown_op in zip(
            g["operating_points"], out["operating_points"], strict=True
        ):
            for w in ("teacher", "tree"):
                if _hidden(shown_op[w]["sensitivity"]):
                    op[w]["sensitivity"] = {
                        "value": None,
                        "low": None,
                        "high": None,
                        "n": 0,
                    }
        view.append(g)
    return gap_sentences(view, min_count=k)


# ---------------------------------------------------------------------------
# The allow-list copy of report.json
# ---------------------------------------------------------------------------
_OPTIONS = (
    "student", "max_leaf_nodes", "max_depth", "n_estimators", "boost_depth",
    "test_size", "seed", "threshold", "flag_rate", "positive_class", "subgroup",
    "augment_factor", "augmentation", "temperature", "alpha", "criterion", "skip",
    "stability_refits", "ensemble_method",
)  # fmt: skip
_PARAMS = (
    "temperature", "alpha", "augmentation", "augment_factor", "n_estimators",
    "max_depth", "max_leaf_nodes", "criterion",
)  # fmt: skip


def _name(path) -> str | None:
    return None if path is None else Path(str(path)).name


def _column_names(entries) -> list[str]:
    return [
        str(e.get("column") if isinstance(e, Mapping) else e) for e in entries or []
    ]


def _run_part(report: Mapping, s: Suppressor) -> dict:
    run = report["run"]
    rd = run["data"]
    split = run["split"]
    teacher = run.get("teacher") or {}
    rows_used = rd.get("rows_used")
    checks = run.get("data_checks") or {}
    overlap = teacher.get("held_out_overlap") or {}
    options = run.get("options") or {}
    classes = rd.get("classes") or []
    hide_class = s.hidden([c.get("count") for c in classes])
    # rows read = rows used + rows dropped: a small number dropped hides the first
    hide_in = s.small(rd.get("rows_dropped"))
    return {
        "data": {
            "file": _name(rd.get("file")),
            "sha256": rd.get("sha256"),
            "target": rd["target"],
            "rows_in": s.count(rd["rows_in"], "run.data.rows_in", hide_in),
            "rows_used": s.count(rows_used, "run.data.rows_used"),
            "rows_dropped": s.count(rd["rows_dropped"], "run.data.rows_dropped"),
            "n_features": rd["n_features"],
            "dropped_columns": [str(c) for c in rd.get("dropped_columns") or []],
            "classes": [
                {
                    "label": c["label"],
                    "count": s.count(
                        c["count"], f"run.data.classes[{i}].count", i in hide_class
                    ),
                }
                for i, c in enumerate(classes)
            ],
            "columns": [
                {
                    "column": c["column"],
                    "kind": c.get("kind"),
                    "action": c.get("action"),
                    "n_missing": s.count(
                        c.get("n_missing"),
                        f"run.data.columns[{i}].n_missing",
                        _is_number(c.get("n_missing"))
                        and s.small((rows_used or 0) - c["n_missing"]),
                    ),
                    "missing_share": s.rate(
                        c.get("missing_share"),
                        rows_used,
                        f"run.data.columns[{i}].missing_share",
                        truth=True,  # the rows with a value are a count too
                    ),
                }
                for i, c in enumerate(rd.get("columns") or [])
            ],
        },
        "split": {
            "n_train": s.count(split["n_train"], "run.split.n_train"),
            "n_test": s.count(split["n_test"], "run.split.n_test"),
            "test_size": split.get("test_size"),
            "seed": split.get("seed"),
            "stratified": split.get("stratified"),
        },
        "teacher": {
            "model": teacher.get("model"),
            "source": teacher.get("source"),
            "classes": list(teacher.get("classes") or []),
            "files": [
                {
                    "name": _name(f.get("name") or f.get("path")),
                    "sha256": f.get("sha256"),
                }
                for f in teacher.get("files") or []
            ],
            "held_out_overlap": {
                "status": overlap.get("status"),
                "n_overlap": s.count(
                    overlap.get("n_overlap"), "run.teacher.held_out_overlap.n_overlap"
                ),
                "n_test": s.count(
                    overlap.get("n_test"), "run.teacher.held_out_overlap.n_test"
                ),
            }
            if overlap
            else None,
        },
        "data_checks": {
            "identifiers": _column_names(checks.get("identifiers")),
            "leaks": _column_names(checks.get("leaks")),
        },
        "options": {k: options.get(k) for k in _OPTIONS if k in options},
    }


def _operating_points(report: Mapping, s: Suppressor) -> tuple[dict, bool]:
    ops = report["operating_points"]
    n_train = report["data"].get("n_train")
    prevalence = [
        s.rate(p, n_train, f"operating_points.prevalence[{i}]", truth=True)
        for i, p in enumerate(ops.get("prevalence") or [])
    ]
    # a flag rate set to the training prevalence is the prevalence
    hide = ops.get("flag_rate_source") == "prevalence" and RATE_MARKER in prevalence
    out = {
        k: ops.get(k)
        for k in ("threshold", "flag_rate_source", "positive_class", "positive_name",
                  "positive_index", "rare", "rare_below")
    }  # fmt: skip
    out["prevalence"] = prevalence
    out["flag_rate"] = s.value(ops.get("flag_rate"), hide, "operating_points.flag_rate")
    return out, hide


def _op_value(op: Mapping, hide_flag_rate: bool, s: Suppressor, field: str):
    return s.value(
        op.get("value"), hide_flag_rate and op.get("kind") == "flag_rate", field
    )


def _summary(report: Mapping, s: Suppressor, hide_flag_rate: bool) -> dict:
    summary = report["summary"]
    n = summary["n"]
    agreement, agreement_ci = s.with_interval(
        summary.get("agreement"), summary.get("agreement_ci"), n, "summary.agreement"
    )
    op = summary.get("operating_point") or {}
    point = None
    if op:
        point = {
            "kind": op.get("kind"),
            "value": _op_value(op, hide_flag_rate, s, "summary.operating_point.value"),
            "degenerate": op.get("degenerate"),
            "teacher_flagged": s.count(
                op.get("teacher_flagged"), "summary.operating_point.teacher_flagged"
            ),
            "student_flagged": s.count(
                op.get("student_flagged"), "summary.operating_point.student_flagged"
            ),
            "agreement": s.estimate(
                op.get("agreement"), "summary.operating_point.agreement"
            ),
            "flagged_agreement": s.estimate(
                op.get("flagged_agreement"), "summary.operating_point.flagged_agreement"
            ),
            "overlap": s.estimate(op.get("overlap"), "summary.operating_point.overlap"),
        }
    worst = summary.get("worst_rule") or {}
    if worst.get("rule") is not None:
        if (
            s.small(worst.get("n"))
            or not s.rate_ok(worst.get("agreement"), worst["n"])
            or worst["rule"] in _hidden_rules(report, s)
        ):
            s._log("summary.worst_rule", "rule")
            worst = {"rule": worst["rule"], "n": s.marker, "agreement": RATE_MARKER}
        else:
            worst = {k: worst.get(k) for k in ("rule", "n", "agreement")}
    group = summary.get("worst_subgroup") or {}
    if group:
        rows = (report.get("subgroups") or {}).get("rows") or []
        hide = any(
            (rows[i].get("column"), rows[i].get("level"))
            == (group.get("column"), group.get("level"))
            for i in hidden_groups(rows, s)
        )
        value, interval = s.with_interval(
            group.get("agreement"), group.get("agreement_ci"), group.get("n"),
            "summary.worst_subgroup.agreement", hide,
        )  # fmt: skip
        group = {
            "column": group.get("column"),
            "level": group.get("level"),
            "label": group.get("label"),
            "n": s.count(group.get("n"), "summary.worst_subgroup.n", hide),
            "agreement": value,
            "agreement_ci": interval,
        }
    return {
        "model": summary.get("model"),
        "student": summary.get("student"),
        "lead": summary.get("lead"),
        "min_n": summary.get("min_n"),
        "n_leaves": summary.get("n_leaves"),
        "n": s.count(n, "summary.n"),
        "agreement": agreement,
        "agreement_ci": agreement_ci,
        "accuracy": s.rate(summary.get("accuracy"), n, "summary.accuracy", True),
        "teacher_accuracy": s.rate(
            summary.get("teacher_accuracy"), n, "summary.teacher_accuracy", True
        ),
        "synthetic_agreement": summary.get("synthetic_agreement"),
        "kl": summary.get("kl"),
        "operating_point": point,
        "worst_rule": worst or None,
        "worst_subgroup": group or None,
        "degenerate": bool(summary.get("degenerate")),
    }


def _fidelity(report: Mapping, s: Suppressor) -> dict:
    counts = report["data"].get("test_class_counts") or []
    auc_ok = bool(counts) and not any(s.small(c) or c == 0 for c in counts)
    held = []
    for i, row in enumerate(report["fidelity"].get("held_out") or []):
        at = f"fidelity.held_out[{i}]"
        n = row.get("n")
        agreement, interval = s.with_interval(
            row.get("agreement"), row.get("agreement_ci"), n, f"{at}.agreement"
        )
        held.append(
            {
                "key": row.get("key"),
                "label": row.get("label"),
                "kind": row.get("kind"),
                "n_leaves": row.get("n_leaves"),
                "n": s.count(n, f"{at}.n"),
                "accuracy": s.rate(row.get("accuracy"), n, f"{at}.accuracy", True),
                "roc_auc": s.value(row.get("roc_auc"), not auc_ok, f"{at}.roc_auc"),
                "agreement": agreement,
                "agreement_ci": interval,
                "kl": row.get("kl"),
            }
        )
    synthetic = [  # fresh synthetic rows: no patient's
        {k: row.get(k) for k in ("key", "label", "kind", "n_leaves", "n", "agreement",
                                 "agreement_ci", "kl")}
        for row in report["fidelity"].get("synthetic") or []
    ]  # fmt: skip
    return {"held_out": held, "synthetic": synthetic}


def _hidden_rule_positions(rules: Sequence[Mapping], s: Suppressor) -> set[int]:
    """The rules to suppress: those on fewer than k held-out rows, and as many
    more as :meth:`Suppressor.hidden` needs (their rows add up to the total)."""
    counts = [r.get("n_test") for r in rules]
    return s.hidden(
        counts, {i for i, n in enumerate(counts) if not _is_number(n) or n < s.k}
    )


def _hidden_rules(report: Mapping, s: Suppressor) -> set:
    rules = report.get("rules") or []
    return {rules[i]["rule"] for i in _hidden_rule_positions(rules, s)}


def _rules(report: Mapping, s: Suppressor) -> list[dict]:
    total = report["summary"]["n"]
    rules = report.get("rules") or []
    hidden = _hidden_rule_positions(rules, s)
    out = []
    for i, rule in enumerate(rules):
        at = f"rules[{i}]"
        n = rule.get("n_test")
        if i in hidden:
            s._log(at, "rule")
            out.append(
                {
                    "rule": rule["rule"],
                    "suppressed": True,
                    "text": f"suppressed (fewer than {s.k} held-out rows)"
                    if not _is_number(n) or n < s.k
                    else "suppressed (so that the smaller rules' counts cannot be "
                    "derived from the total)",
                    "conditions": [],
                    "n_test": s.marker if not _is_number(n) or n < s.k else RATE_MARKER,
                }
            )
            continue
        agreement, interval = s.with_interval(
            rule.get("agreement"), rule.get("agreement_ci"), n, f"{at}.agreement"
        )
        focus = rule.get("focus") or {}
        out.append(
            {
                "rule": rule["rule"],
                "suppressed": False,
                "text": rule.get("text"),
                "conditions": list(rule.get("conditions") or []),
                "prediction": rule.get("prediction"),
                "label": rule.get("label"),
                "summary": rule.get("summary"),
                "small": bool(rule.get("small")),
                "n_test": n,
                "coverage_test": s.rate(rule.get("coverage_test"), total, at + ".cov"),
                "agreement": agreement,
                "agreement_ci": interval,
                "agreement_synthetic": rule.get("agreement_synthetic"),
                "teacher_flagged": s.count(
                    focus.get("teacher_flagged"), f"{at}.teacher_flagged"
                ),
                "student_flagged": s.count(
                    focus.get("student_flagged"), f"{at}.student_flagged"
                ),
                "flagged_agreement": s.estimate(
                    focus.get("flagged_agreement"), f"{at}.flagged_agreement"
                ),
            }
        )
    return out


def _subgroups(report: Mapping, s: Suppressor) -> dict:
    part = report.get("subgroups") or {}
    rows = []
    groups = part.get("rows") or []
    hidden = hidden_groups(groups, s)
    for i, g in enumerate(groups):
        at = f"subgroups.rows[{i}]"
        n = g.get("n")
        models = {}
        for name, m in (g.get("models") or {}).items():
            value, interval = s.with_interval(
                m.get("agreement"), m.get("agreement_ci"), n,
                f"{at}.models.{name}.agreement", i in hidden,
            )  # fmt: skip
            models[name] = {"agreement": value, "agreement_ci": interval}
        rows.append(
            {
                "column": g.get("column"),
                "level": g.get("level"),
                "label": g.get("label"),
                "small": bool(g.get("small")),
                "n": s.count(n, f"{at}.n", i in hidden),
                "models": models,
            }
        )
    return {"columns": list(part.get("columns") or []), "rows": rows}


def _fairness(report: Mapping, s: Suppressor, hide_flag_rate: bool) -> dict | None:
    part = report.get("fairness")
    if not part:
        return None
    groups, gaps = suppress_groups(part.get("groups") or [], s, "fairness.groups")
    for i, entry in enumerate(groups):
        for j, op in enumerate(entry["operating_points"]):
            op["value"] = _op_value(
                op, hide_flag_rate, s, f"fairness.groups[{i}].operating_points[{j}]"
            )
    return {
        "columns": list(part.get("columns") or []),
        "model": part.get("model"),
        "min_n": part.get("min_n"),
        "banding": part.get("banding"),
        "banded": list(part.get("banded") or []),
        "groups": groups,
        "gaps": gaps,
    }


def _confusion(report: Mapping, s: Suppressor) -> dict | None:
    part = report.get("confusion")
    if not part:
        return None
    matrices = {}
    for name, matrix in (part.get("matrices") or {}).items():
        cells = [list(row) for row in matrix]
        # its rows and columns add up to the classes each model predicts, which
        # the report states: one small cell would follow from the others
        if any(s.small(c) for row in cells for c in row):
            cells = [
                [s.count(c, f"confusion.matrices.{name}[{i}][{j}]", True)
                 for j, c in enumerate(row)]
                for i, row in enumerate(cells)
            ]  # fmt: skip
        matrices[name] = cells
    return {"labels": list(part.get("labels") or []), "matrices": matrices}


def _calibration(report: Mapping, s: Suppressor) -> dict | None:
    part = report.get("calibration")
    if not part:
        return None
    curves = {}
    for name, c in (part.get("curves") or {}).items():
        bins = []
        for j, b in enumerate(c.get("bins") or []):
            at = f"calibration.curves.{name}.bins[{j}]"
            bins.append(
                {
                    "n": s.count(b.get("n"), at + ".n"),
                    "mean_predicted": s.value(
                        b.get("mean_predicted"), s.small(b.get("n")), at + ".mean"
                    ),
                    "observed": s.rate(
                        b.get("observed"), b.get("n"), at + ".observed", truth=True
                    ),
                }
            )
        curves[name] = {
            "ece": c.get("ece"),
            "min_rows": c.get("min_rows"),
            "bins": bins,
        }
    return {
        "kind": part.get("kind"),
        "positive_class": part.get("positive_class"),
        "curves": curves,
    }


def _tree(report: Mapping) -> dict | None:
    tree = report.get("tree")
    if not tree:
        return None
    return {
        "n_leaves": tree.get("n_leaves"),
        "depth": tree.get("depth"),
        "columns_used": list(tree.get("columns_used") or []),
        "main_columns": _main_columns(tree),
    }


def _models(report: Mapping) -> dict:
    return {
        name: {
            "type": m.get("type"),
            "n_leaves": m.get("n_leaves"),
            "depth": m.get("depth"),
            "params": {k: (m.get("params") or {}).get(k) for k in _PARAMS},
        }
        for name, m in (report.get("models") or {}).items()
    }


def _explain(report: Mapping) -> tuple[dict, dict]:
    shap = report.get("shap") or {}
    stability = report.get("stability") or {}
    root = stability.get("root") or {}
    return (
        {"skipped": bool(shap.get("skipped")), "spearman": shap.get("spearman") or {}},
        {
            "status": stability.get("status"),
            "reason": stability.get("reason"),
            "n_refits": stability.get("n_refits"),
            "root": {"column": root.get("column"), "share": root.get("share")}
            if root
            else None,
        },
    )


def shareable_report(report: Mapping, min_count: int = DEFAULT_MIN_COUNT) -> dict:
    """The shareable form of a report dict (``report.json`` of a run).

    A new dict built from an allow-list of the report's fields (see the module's
    docstring for the rule): no patient row and no count, rate or rule from fewer
    than ``min_count`` rows. Its ``shareable`` entry states the rule, the number
    of values suppressed and each one's field, and what was left out.
    """
    s = Suppressor(min_count)
    ops, hide = _operating_points(report, s)
    data = report["data"]
    test_counts = data.get("test_class_counts") or []
    hide_test = s.hidden(test_counts)
    doc = {
        "schema_version": report.get("schema_version"),
        "primary_model": report.get("primary_model"),
        "model_order": list(report.get("model_order") or []),
        "run": _run_part(report, s),
        "data": {
            "classes": list(data.get("classes") or []),
            "class_names": list(data.get("class_names") or []),
            "positive_class": data.get("positive_class"),
            "n_train": s.count(data.get("n_train"), "data.n_train"),
            "n_test": s.count(data.get("n_test"), "data.n_test"),
            "n_synthetic": data.get("n_synthetic"),
            "n_synthetic_source": s.count(
                data.get("n_synthetic_source"), "data.n_synthetic_source"
            ),
            "test_class_counts": [
                s.count(c, f"data.test_class_counts[{i}]", i in hide_test)
                for i, c in enumerate(test_counts)
            ],
        },
        "teacher": {"description": (report.get("teacher") or {}).get("description")},
        "models": _models(report),
        "operating_points": ops,
        "summary": _summary(report, s, hide),
        "fidelity": _fidelity(report, s),
        "rules": _rules(report, s),
        "subgroups": _subgroups(report, s),
        "fairness": _fairness(report, s, hide),
        "confusion": _confusion(report, s),
        "calibration": _calibration(report, s),
        "tree": _tree(report),
        "skipped": list(report.get("skipped") or []),
    }
    doc["shap"], doc["stability"] = _explain(report)
    doc["sentences"] = _sentences(doc, s.k)
    doc["plain_summary"] = _plain(doc, s.k)
    return {
        "shareable": {
            "min_count": s.k,
            "count_marker": s.marker,
            "rate_marker": RATE_MARKER,
            "rule": _rule_text(s.k),
            **s.summary(),
            "suppressed": s.suppressed,
            "left_out": list(LEFT_OUT),
            "treedistill": __version__,
        },
        **doc,
    }


def _rule_text(k: int) -> str:
    return (
        f"every count from 1 to {k - 1} is shown as '<{k}', every rate whose count "
        f"or denominator is such a count as '{RATE_MARKER}', and every rule whose "
        f"leaf holds fewer than {k} held-out rows is left out (a count of 0 is "
        "shown); where counts add up to a shown total, more are suppressed so that "
        "none can be derived"
    )


# ---------------------------------------------------------------------------
# Sentences rebuilt from the suppressed numbers
# ---------------------------------------------------------------------------
def show(x) -> str:
    """A share, or the marker as it is."""
    return x if isinstance(x, str) else pct(x)


def show_ci(x) -> str:
    return x if isinstance(x, str) else ci(x)


def show_est(est) -> str:
    """An estimate as ``62.3% (42.1%–79.0%, n = 23)``, or the marker."""
    if isinstance(est, str):
        return est
    if not est or est.get("value") is None:
        return "—"
    text = pct(est["value"])
    if est.get("low") is not None and est.get("high") is not None:
        text += f" (95% CI {pct(est['low'])}–{pct(est['high'])}, n = {est['n']})"
    return text


def _with_ci(m: Mapping) -> str:
    if isinstance(m["agreement"], str) or m["agreement"] is None:
        return show(m["agreement"]) if m["agreement"] is not None else "—"
    return f"{pct(m['agreement'])} {ci(m['agreement_ci'])}"


def _where(op: Mapping, positive) -> str:
    if op.get("kind") == "threshold":
        return f"P({positive}) >= {op.get('value')}"
    return f"a flag rate of {show(op.get('value'))}"


def _sentences(doc: Mapping, k: int) -> list[str]:
    summary = doc["summary"]
    tree = doc.get("tree") or {}
    positive = doc["operating_points"].get("positive_class")
    who = f"The {tree['n_leaves']}-leaf tree" if tree else "The student"
    out = [
        f"{who} agrees with the teacher on {show(summary['agreement'])} "
        f"{show_ci(summary['agreement_ci'])} of {summary['n']} held-out rows."
    ]
    overlap = doc["run"]["teacher"].get("held_out_overlap") or {}
    if overlap.get("status") == "overlap":
        out.append(
            f"The teacher was trained on {overlap['n_overlap']} of the "
            f"{overlap['n_test']} held-out rows: its accuracy and the students' "
            "fidelity on them are optimistic."
        )
    if summary["degenerate"]:
        out.append(
            "The teacher's decisions on the held-out rows are (nearly) all one class "
            "or flag no row at the threshold: agreement there is not a measure of "
            "fidelity."
        )
    op = summary.get("operating_point")
    if op and positive is not None:
        out.append(
            f"At {_where(op, positive)}, the teacher flags {op['teacher_flagged']} "
            f"held-out rows and the tree {op['student_flagged']}; the tree flags "
            f"{show_est(op['flagged_agreement'])} of the rows the teacher flags."
        )
    worst = summary.get("worst_rule")
    if worst:
        if worst["agreement"] == RATE_MARKER:
            out.append(
                f"The least faithful rule holds fewer than {k} held-out rows "
                "(suppressed)."
            )
        elif worst["agreement"] == 1.0:
            big = summary.get("min_n")
            every = (
                f"every rule with at least {big} held-out rows" if big else "every rule"
            )
            out.append(f"The tree agrees with the teacher fully in {every}.")
        else:
            out.append(
                f"The least faithful rule is rule {worst['rule']}: "
                f"{show(worst['agreement'])} of {worst['n']} held-out rows."
            )
    out.append(
        f"Accuracy against the truth: tree {show(summary['accuracy'])}, teacher "
        f"{show(summary['teacher_accuracy'])}."
    )
    n_syn = doc["data"].get("n_synthetic")
    if summary.get("synthetic_agreement") is not None and n_syn:
        out.append(
            f"On {n_syn} fresh synthetic rows the tree agrees with the teacher on "
            f"{pct(summary['synthetic_agreement'])}."
        )
    hidden = sum(1 for r in doc["rules"] if r["suppressed"])
    if hidden:
        out.append(
            f"{hidden} of {len(doc['rules'])} rules hold fewer than {k} held-out "
            "rows and are left out."
        )
    return out


def _in_100(x) -> int:
    return int(round(100 * float(x)))


def _plain(doc: Mapping, k: int) -> str:
    """The paragraph in plain words for a clinician, from the shown numbers."""
    summary = doc["summary"]
    positive = doc["operating_points"].get("positive_class")
    tree = doc.get("tree") or {}
    out = []
    columns = tree.get("main_columns") or []
    if columns:
        names = ", ".join(columns[:-1]) + (" and " if len(columns) > 1 else "")
        out.append(
            f"The model's decisions depend mostly on {names}{columns[-1]}: a short "
            "decision tree that copies the model asks about these first and most often."
        )
    shown = [
        r
        for r in doc["rules"]
        if not r["suppressed"]
        and (positive is None or str(r.get("prediction")) == str(positive))
    ]
    if shown:
        rule = max(shown, key=lambda r: (r["n_test"], -int(r["rule"])))
        words = [condition_words(c) for c in rule["conditions"]]
        if words:
            joined = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "")
            verb = f"are flagged as {positive}" if positive is not None else (
                f"are predicted {rule['prediction']}"
            )  # fmt: skip
            share = rule.get("coverage_test")
            where = (
                f" (about {_in_100(share)} in 100 patients of the test group)"
                if _is_number(share)
                else ""
            )
            out.append(f"For example, patients with {joined}{words[-1]} {verb}{where}.")
    if _is_number(summary["agreement"]):
        out.append(
            f"Checked on {summary['n']} patients who were not used to build it, the "
            f"tree gives the same answer as the model for "
            f"{_in_100(summary['agreement'])} in 100 of them."
        )
    else:
        out.append(
            "How often the tree gives the model's answer is made of fewer than "
            f"{k} patients and is not shown."
        )
    if _is_number(summary["teacher_accuracy"]):
        out.append(
            "The tree explains the model; it does not show that the model is right "
            f"(the model itself was right for {_in_100(summary['teacher_accuracy'])} "
            "in 100 of these patients)."
        )
    return " ".join(out)


# ---------------------------------------------------------------------------
# Rendering: one list of blocks, as Markdown and as HTML
# ---------------------------------------------------------------------------
def _cell(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def header_lines(info: Mapping, what: str) -> list[str]:
    """The lines every shareable file opens with."""
    kinds = info.get("by_kind") or {}
    parts = ", ".join(f"{n} {kind}s" for kind, n in sorted(kinds.items())) or "none"
    return [
        f"SHAREABLE FORM of this {what}, minimum count {info['min_count']}: "
        f"{info['rule']}.",
        f"Suppressed: {info['n_suppressed']} cells ({parts}).",
        "It holds no patient row. Left out: " + "; ".join(info["left_out"]) + ".",
    ]


def _blocks(doc: Mapping) -> list[tuple]:
    info = doc["shareable"]
    run = doc["run"]
    rd = run["data"]
    summary = doc["summary"]
    ops = doc["operating_points"]
    positive = ops.get("positive_class")
    b: list[tuple] = [
        ("title", f"Shareable report: {rd['target']}"),
        ("banner", header_lines(info, "report")),
        ("h", "In plain words"),
        ("p", doc["plain_summary"]),
        ("h", "Summary"),
        ("list", doc["sentences"]),
        ("h", "Data and run"),
        (
            "table",
            ["Item", "Value"],
            [
                ["Data file", f"{rd['file']} (sha256 {rd['sha256']})"],
                *[
                    ["Teacher file", f"{f['name']} (sha256 {f['sha256']})"]
                    for f in run["teacher"]["files"]
                ],
                ["Teacher", doc["teacher"]["description"]],
                ["Target", rd["target"]],
                [
                    "Rows read / used / dropped",
                    f"{rd['rows_in']} / {rd['rows_used']} / {rd['rows_dropped']}",
                ],
                [
                    "Rows per class",
                    ", ".join(f"{c['label']}: {c['count']}" for c in rd["classes"]),
                ],
                [
                    "Training / held-out rows",
                    f"{run['split']['n_train']} / {run['split']['n_test']}",
                ],
                ["Feature columns", rd["n_features"]],
                *[
                    [
                        "Missing values",
                        f"{c['column']}: {c['n_missing']} rows "
                        f"({show(c['missing_share'])})",
                    ]
                    for c in rd["columns"]
                    if c["n_missing"] not in (0, None)
                ],
                ["Threshold", ops.get("threshold")],
                [
                    "Flag rate",
                    show(ops.get("flag_rate"))
                    if ops.get("flag_rate") is not None
                    else None,
                ],
                ["Positive class", positive],
            ],
        ),  # fmt: skip
        ("h", "Fidelity on the held-out rows"),
        (
            "table",
            ["Model", "Rows", "Accuracy", "ROC AUC", "Agreement", "95% CI"],
            [
                [
                    r["label"],
                    r["n"],
                    show(r["accuracy"]),
                    _cell(r["roc_auc"]),
                    show(r["agreement"]) if r["agreement"] is not None else "—",
                    show_ci(r["agreement_ci"]),
                ]
                for r in doc["fidelity"]["held_out"]
            ],
        ),  # fmt: skip
        ("h", "Fidelity on fresh synthetic rows"),
        (
            "table",
            ["Model", "Rows", "Agreement", "95% CI"],
            [
                [r["label"], r["n"], pct(r["agreement"]), ci(r["agreement_ci"])]
                for r in doc["fidelity"]["synthetic"]
            ],
        ),
    ]
    op = summary.get("operating_point")
    if op:
        b += [
            ("h", "Operating point"),
            (
                "table",
                ["Where", "Teacher flags", "Tree flags", "Of the teacher's flags, "
                 "the tree flags", "Overlap"],
                [[_where(op, positive), op["teacher_flagged"], op["student_flagged"],
                  show_est(op["flagged_agreement"]), show_est(op["overlap"])]],
            ),
        ]  # fmt: skip
    b += [
        ("h", "Rules"),
        (
            "table",
            ["Rule", "IF ... THEN", "Held-out rows", "Share", "Agreement", "95% CI"],
            [
                [r["rule"], r["text"], r["n_test"],
                 show(r.get("coverage_test")) if not r["suppressed"] else "—",
                 show(r.get("agreement")) if not r["suppressed"] else "—",
                 show_ci(r.get("agreement_ci")) if not r["suppressed"] else "—"]
                for r in doc["rules"]
            ],
        ),
    ]  # fmt: skip
    if doc["subgroups"]["rows"]:
        names = list(doc["subgroups"]["rows"][0]["models"])
        b += [
            ("h", "Agreement per subgroup"),
            (
                "table",
                ["Group", "Held-out rows", *[f"{m}: agreement" for m in names]],
                [
                    [g["label"], g["n"],
                     *[_with_ci(g["models"][m]) for m in names]]
                    for g in doc["subgroups"]["rows"]
                ],
            ),
        ]  # fmt: skip
    fair = doc.get("fairness")
    if fair and fair["groups"]:
        rows = []
        for g in fair["groups"]:
            for op in g["operating_points"]:
                where = (
                    f"P >= {op['value']}"
                    if op["kind"] == "threshold"
                    else f"top {show(op['value'])}"
                )
                for who in ("teacher", "tree"):
                    m = op[who]
                    cal = m["calibration_in_the_large"]
                    rows.append(
                        [g["label"], g["n"], g["n_outcome"],
                         show_est(g["outcome_rate"]), where, who,
                         show_est(m["flag_rate"]), show_est(m["sensitivity"]),
                         show_est(m["specificity"]), show_est(m["ppv"]),
                         cal if isinstance(cal, str) or cal is None
                         else f"{cal:+.3f}"]
                    )  # fmt: skip
        b += [
            ("h", "Performance and fairness per subgroup"),
            (
                "table",
                ["Group", "Rows", "Outcomes", "Outcome rate", "At", "Model",
                 "Flag rate", "Sensitivity", "Specificity", "PPV", "Calibration"],
                rows,
            ),  # fmt: skip
            ("list", fair["gaps"] or ["No gap between groups is stated (none with "
                                      "enough rows to say one)."]),
        ]  # fmt: skip
    conf = doc.get("confusion")
    if conf:
        for name, cells in conf["matrices"].items():
            b += [
                ("h", f"Student ({name}) against teacher (rows: teacher's class)"),
                (
                    "table",
                    ["Teacher \\ student", *map(str, conf["labels"])],
                    [
                        [lab, *row]
                        for lab, row in zip(conf["labels"], cells, strict=False)
                    ],
                ),
            ]
    cal = doc.get("calibration")
    if cal and cal["curves"]:
        rows = [
            [
                name,
                j + 1,
                bin_["n"],
                _cell(bin_["mean_predicted"]),
                show(bin_["observed"]),
            ]
            for name, c in cal["curves"].items()
            for j, bin_ in enumerate(c["bins"])
        ]
        b += [
            ("h", "Calibration (equal-count bins)"),
            ("table", ["Model", "Bin", "Rows", "Mean predicted", "Observed"], rows),
        ]
    return b


def render_shareable_markdown(doc: Mapping) -> str:
    """The shareable report as Markdown (every value escaped)."""
    out = []
    for block in _blocks(doc):
        kind = block[0]
        if kind == "title":
            out += [f"# {md(block[1])}", ""]
        elif kind == "banner":
            out += [f"> **{md(line)}**" if i == 0 else f"> {md(line)}"
                    for i, line in enumerate(block[1])]  # fmt: skip
            out.append("")
        elif kind == "h":
            out += [f"## {md(block[1])}", ""]
        elif kind == "p":
            out += [md(block[1]), ""]
        elif kind == "list":
            out += [f"- {md(line)}" for line in block[1]] + [""]
        elif kind == "table":
            head, rows = block[1], block[2]
            out.append("| " + " | ".join(md(h) for h in head) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(md(_cell(c)) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}
.banner{border:2px solid #8a5a00;background:#fff6e0;padding:.6rem 1rem;margin:1rem 0}
table{border-collapse:collapse;margin:.5rem 0 1.2rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.suppressed{color:#777;background:#eee;font-style:italic}
@media print{.banner{border-color:#000;background:none}}
"""


def _td(x, tag: str = "td") -> str:
    text = _cell(x)
    hidden = text == RATE_MARKER or text.startswith(RATE_MARKER + " ") or (
        text.startswith("<") and text[1:].isdigit()
    )  # fmt: skip
    attr = ' class="suppressed"' if hidden else ""
    return f"<{tag}{attr}>{html.escape(text)}</{tag}>"


def render_shareable_html(doc: Mapping) -> str:
    """The shareable report as one self-contained HTML page (no script, no
    figure; every value escaped; suppressed cells greyed)."""
    title = html.escape(f"Shareable report: {doc['run']['data']['target']}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
    ]
    for block in _blocks(doc):
        kind = block[0]
        if kind == "title":
            out.append(f"<h1>{html.escape(block[1])}</h1>")
        elif kind == "banner":
            lines = [html.escape(line) for line in block[1]]
            out.append(
                '<div class="banner" role="note"><p><strong>'
                + lines[0]
                + "</strong></p>"
                + "".join(f"<p>{line}</p>" for line in lines[1:])
                + "</div>"
            )
        elif kind == "h":
            out.append(f"<h2>{html.escape(block[1])}</h2>")
        elif kind == "p":
            out.append(f"<p>{html.escape(block[1])}</p>")
        elif kind == "list":
            out.append(
                "<ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in block[1])
                + "</ul>"
            )
        elif kind == "table":
            head = "".join(_td(h, "th") for h in block[1])
            body = "".join(
                "<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in block[2]
            )
            out.append(
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def shareable_json(doc: Mapping) -> str:
    """A shareable document as JSON, its ``shareable`` entry first."""
    first = {"shareable": doc["shareable"]}
    rest = {k: v for k, v in sorted(doc.items()) if k != "shareable"}
    return json.dumps(plain({**first, **rest}), indent=2, allow_nan=False) + "\n"


def write_shareable_report(
    run_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    force: bool = False,
) -> list[Path]:
    """Write the shareable form of a run's report into the new folder ``out``:
    ``report.json``, ``report.md`` and ``report.html`` (the rule of every output
    folder: new or empty, or with ``force`` a folder treedistill wrote; never the
    run itself; written whole or not at all)."""
    check_min_count(min_count)
    run = Path(run_dir)
    doc = shareable_report(read_report(run), min_count)
    target = check_out_dir(out, force, keep=[run / "report.json"])
    staging = Staging(target, force=force)
    names = ("report.json", "report.md", "report.html")
    try:
        atomic_write_text(staging.path / names[0], shareable_json(doc))
        atomic_write_text(staging.path / names[1], render_shareable_markdown(doc))
        atomic_write_text(staging.path / names[2], render_shareable_html(doc))
        staging.publish()
    except BaseException:
        staging.discard()
        raise
    return [target / name for name in names]
