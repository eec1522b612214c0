"""treedistill.report._headline: the summary a report opens with."""

from __future__ import annotations

from treedistill.report._headline import _least_faithful


def _pick(items, n):
    del n  # the minimum is MIN_N held-out rows, whatever the total
    return _least_faithful(
        items,
        size=lambda r: r["n"],
        rate=lambda r: r["rate"],
        tie=lambda r: (r["id"],),
    )


def test_least_faithful_prefers_groups_with_enough_rows():
    items = [
        {"id": 1, "n": 1, "rate": 0.0},  # one row: below the minimum of 10
        {"id": 2, "n": 100, "rate": 0.9},
        {"id": 3, "n": 60, "rate": 0.95},
    ]
    assert _pick(items, 161)["id"] == 2


def test_least_faithful_never_names_a_group_under_the_minimum():
    items = [
        {"id": 1, "n": 9, "rate": 0.5},
        {"id": 2, "n": 100, "rate": 1.0},
    ]
    assert _pick(items, 109)["id"] == 2
    assert _pick([{"id": 5, "n": 9, "rate": 0.0}], 9) is None
    assert _pick([{"id": 4, "n": 100, "rate": 1.0}], 100)["id"] == 4
    assert _pick([], 0) is None


def test_summary_of_the_binary_report(report_binary):
    s = report_binary["report"]["summary"]
    rules = report_binary["report"]["rules"]
    assert s["model"] == "tree" and s["n"] == 150
    worst = s["worst_rule"]
    rule = next(r for r in rules if r["rule"] == worst["rule"])
    assert worst["text"] == rule["text"] and worst["n"] == rule["n_test"]
    assert s["min_n"] == 10
    big = [r["agreement"] for r in rules if r["n_test"] >= s["min_n"]]
    assert worst["agreement"] == min(big)
    # the headline names the rule the per-rule table lists first
    assert worst["rule"] == report_binary["report"]["leaves"][0]["rule"]
    assert s["worst_subgroup"]["column"] in ("sex", "smoker", "ward")
