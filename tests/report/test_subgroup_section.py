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
