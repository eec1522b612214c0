"""Performance and fairness per subgroup, checked by hand on seven rows."""

from __future__ import annotations

import numpy as np
import pytest

from treedistill.measures._fidelity import wilson
from treedistill.report._subgroup_section import gap_sentences, subgroup_performance

SEX = ["f", "f", "f", "m", "m", "m", "m"]
TRUTH = np.array([1, 0, 0, 1, 1, 0, 0], dtype=bool)
TEACHER = np.array([0.9, 0.6, 0.1, 0.7, 0.3, 0.2, 0.1])
TREE = np.array([0.8, 0.4, 0.2, 0.7, 0.6, 0.1, 0.1])
POINT = [{"kind": "threshold", "value": 0.5, "teacher_cut": 0.5, "tree_cut": 0.5}]


@pytest.fixture
def rows():
    return subgroup_performance({"sex": SEX}, TRUTH, TEACHER, TREE, POINT, min_n=1)


def test_each_measure_by_hand(rows):
    women, men = rows
    assert (women["label"], women["n"], women["n_outcome"]) == ("sex = f", 3, 1)
    assert women["outcome_rate"] == wilson(1, 3)
    assert women["agreement"] == wilson(2, 3)  # rows 1 and 3: both flag or neither
    op = women["operating_points"][0]
    teacher, tree = op["teacher"], op["tree"]
    assert teacher["flag_rate"] == wilson(2, 3)
    assert teacher["sensitivity"] == wilson(1, 1)
    assert teacher["specificity"] == wilson(1, 2)
    assert teacher["ppv"] == wilson(1, 2)
    assert teacher["calibration_in_the_large"] == pytest.approx(
        (0.9 + 0.6 + 0.1) / 3 - 1 / 3
    )
    assert tree["flag_rate"] == wilson(1, 3)
    assert tree["specificity"] == wilson(2, 2)
    assert tree["ppv"] == wilson(1, 1)
    assert op["flagged_agreement"] == wilson(1, 2)
    assert men["operating_points"][0]["tree"]["sensitivity"] == wilson(2, 2)
    assert men["operating_points"][0]["teacher"]["sensitivity"] == wilson(1, 2)


def test_largest_gap_in_words(rows):
    sentences = gap_sentences(rows)
    assert sentences[0] == (
        "The teacher flags sex = m at 0.38 times the rate of sex = f (25.0% vs "
        "66.7%; outcome rates 50.0% vs 33.3%)."
    )


def test_small_groups_are_never_named():
    rows = subgroup_performance({"sex": SEX}, TRUTH, TEACHER, TREE, POINT, min_n=4)
    assert [r["small"] for r in rows] == [True, False]
    assert gap_sentences(rows) == []


def test_a_shareable_sentence_says_no_rate_of_a_small_count(rows):
    assert gap_sentences(rows, min_count=2) == []
    assert gap_sentences(rows, min_count=1)


def test_bands_keep_their_order_and_name_their_column():
    bands = ["age <= 50", "50 < age <= 65", "age > 65"]
    labels = ["age > 65", "age <= 50", "50 < age <= 65", "age <= 50", "age > 65",
              "age > 65", "(missing)"]  # fmt: skip
    rows = subgroup_performance(
        {"age": labels}, TRUTH, TEACHER, TREE, POINT, order={"age": bands}
    )
    assert [r["label"] for r in rows] == [*bands, "age = (missing)"]
    assert sum(r["n"] for r in rows) == 7


# --------------------------------------------------------------------------- #
# The report's section: evaluate(subgroups=...) and its rendering
# --------------------------------------------------------------------------- #
def test_fairness_section_bands_a_numeric_column_and_counts_by_hand():
    import pandas as pd

    from treedistill.report._subgroup_section import fairness_section

    frame = pd.DataFrame({"sex": SEX, "age": [30, 40, 50, 60, 70, 80, 90]})
    section = fairness_section(
        frame, ["sex", "age"], TRUTH, TEACHER, TREE, POINT,
        model="tree", min_n=1, bands={"age": [55]},
    )  # fmt: skip
    # Given edges band the column whatever its number of values ...
    assert [g["label"] for g in section["groups"]] == [
        "sex = f", "sex = m", "age <= 55", "age > 55",
    ]  # fmt: skip
    assert section["banded"] == ["age"] and section["bands"] == {"age": [55.0]}
    # ... without them, 13 distinct ages are needed for bands: 7 ages are levels
    plain = fairness_section(
        frame, ["age"], TRUTH, TEACHER, TREE, POINT, model="tree", min_n=1
    )
    assert plain["banded"] == [] and plain["bands"] == {}
    assert len(plain["groups"]) == 7
    ages = pd.DataFrame({"age": range(20, 34)})  # 14 distinct values: bands
    t = np.arange(14) % 3 == 0
    risk = np.linspace(0.05, 0.95, 14)
    s = fairness_section(ages, ["age"], t, risk, risk, POINT, model="tree",
                         min_n=5, bands={"age": [25]})  # fmt: skip
    young, old = s["groups"]
    assert (young["label"], young["n"], young["small"]) == ("age <= 25", 6, False)
    assert (old["label"], old["n"]) == ("age > 25", 8)
    assert young["outcome_rate"] == wilson(2, 6)  # ages 20 and 23
    assert young["operating_points"][0]["tree"]["flag_rate"] == wilson(0, 6)
    assert old["operating_points"][0]["teacher"]["sensitivity"] == wilson(2, 3)
    assert "quartiles" in s["banding"]


def _fair_report(subgroups):
    from tests._report_cases import QUICK, binary_case
    from treedistill.report import evaluate

    case = binary_case()
    kw = {**QUICK, "stability_refits": 0, "skip": ["shap"]}
    return case, evaluate(
        {"tree": case["models"]["tree"]}, case["X_te"], case["y_te"],
        case["X_tr"], case["y_tr"], subgroups=subgroups, **kw,
    )  # fmt: skip


def test_report_section_equals_subgroup_performance_on_the_held_out_rows():
    from treedistill.report._subgroup_section import group_labels

    case, report = _fair_report(["sex", "age"])
    fz = report["fairness"]
    assert fz["columns"] == ["sex", "age"] and fz["min_n"] == 10
    assert fz["banded"] == ["age"]
    X_te, y_te, tree = case["X_te"], case["y_te"], case["models"]["tree"]
    ops = report["operating_points"]
    pos = ops["positive_index"]
    truth = np.asarray(y_te) == ops["positive_class"]
    teacher = tree.teacher_proba(X_te)[:, pos]
    student = tree.predict_proba(X_te)[:, pos]
    # one group by hand: women at the threshold
    women = (X_te["sex"] == "female").to_numpy()
    cut = ops["threshold"]
    g = next(g for g in fz["groups"] if g["label"] == "sex = female")
    assert g["n"] == women.sum() and g["n_outcome"] == truth[women].sum()
    op = g["operating_points"][0]
    assert op["kind"] == "threshold"
    ft, fs = teacher[women] >= cut, student[women] >= cut
    assert op["teacher"]["flag_rate"]["value"] == pytest.approx(ft.mean(), rel=1e-5)
    sens = (fs & truth[women]).sum() / truth[women].sum()
    assert op["tree"]["sensitivity"]["value"] == pytest.approx(sens, rel=1e-5)
    ppv = (ft & truth[women]).sum() / ft.sum()
    assert op["teacher"]["ppv"]["value"] == pytest.approx(ppv, rel=1e-5)
    cal = student[women].mean() - truth[women].mean()
    assert op["tree"]["calibration_in_the_large"] == pytest.approx(cal, abs=1e-5)
    # Age is cut where the per-subgroup table cuts it: the training rows' quartiles.
    edges = [float(e) for e in np.quantile(case["X_tr"]["age"], [0.25, 0.5, 0.75])]
    assert fz["bands"] == {"age": edges}
    labels = group_labels(X_te, "age", edges)[0].to_numpy()
    assert {g["label"] for g in fz["groups"] if g["column"] == "age"} == {
        str(v) for v in labels
    }
    assert sum(g["n"] for g in fz["groups"] if g["column"] == "age") == len(X_te)
    # the same groups, with the same rows, as the per-subgroup agreement table
    rows = report["subgroups"]["rows"]
    table = {r["level"]: r["n"] for r in rows if r["column"] == "age"}
    fair = [g["n"] for g in fz["groups"] if g["column"] == "age"]
    assert list(table.values()) == fair  # in the same order, band by band
    assert len(table) == len(fair) == len(edges) + 1


def test_report_section_renders_in_both_formats_and_is_absent_without_subgroups():
    from treedistill.report import render_html, render_markdown

    _, report = _fair_report(["sex", "age"])
    html, md = render_html(report), render_markdown(report)
    for text in (html, md):
        assert "Performance and fairness by subgroup" in text
        assert "quartiles of the held-out rows" in text
        assert report["fairness"]["gaps"][0].split(" (")[0] in text.replace("\\", "")
    women = next(g for g in report["fairness"]["groups"] if g["level"] == "female")
    rate = women["outcome_rate"]
    value, low = f"{100 * rate['value']:.1f}%", f"{100 * rate['low']:.1f}"
    assert f'{value}<br><span class="muted">{low}–' in html
    assert f"{value} ({low}–" in md
    _, plain = _fair_report(None)
    assert "fairness" not in plain
    assert "Performance and fairness" not in render_html(plain)
    assert "Performance and fairness" not in render_markdown(plain)
