"""treedistill.report._operating: positive class, threshold and flag rate."""

from __future__ import annotations

import numpy as np
import pytest

from treedistill.report._operating import curve_measures, operating_points


def test_defaults_are_the_minority_class_and_its_training_share():
    classes = np.array(["no", "yes"], dtype=object)
    y = np.array([0] * 90 + [1] * 10)
    ops = operating_points(None, 0.5, None, classes, y)
    assert ops.positive == 1 and ops.flag_rate == pytest.approx(0.1)
    assert ops.rare and not ops.flag_rate_given
    described = ops.describe()
    assert described["positive_class"] == "yes"
    assert described["flag_rate_source"] == "prevalence"
    assert described["prevalence"] == pytest.approx([0.9, 0.1])
    # The minority may be the first class; the user may name either.
    flipped = operating_points(None, 0.5, None, classes, 1 - y)
    assert flipped.positive == 0 and flipped.flag_rate == pytest.approx(0.1)
    given = operating_points("no", 0.3, 0.25, classes, y)
    assert given.positive == 0 and given.flag_rate == 0.25 and given.threshold == 0.3
    assert given.flag_rate_given and not given.rare  # "no" is 90% of the rows
    assert given.fidelity_kwargs() == {
        "positive": 0,
        "threshold": 0.3,
        "flag_rate": 0.25,
        "class_names": ["no", "yes"],
    }


def test_more_classes_get_one_flag_rate_each():
    classes = np.array([1, 2, 3])
    y = np.array([0] * 50 + [1] * 50)  # class 3 never occurs in training
    ops = operating_points(None, 0.5, None, classes, y)
    assert ops.positive is None and not ops.rare
    assert ops.flag_rate == pytest.approx([0.5, 0.5, 0.01])  # clipped to 1 row
    assert ops.describe()["threshold"] is None


def test_curve_measures_by_hand():
    classes = np.array([0, 1])
    ops = operating_points(None, 0.5, 0.25, classes, np.array([0, 0, 0, 1]))
    teacher = np.array([0.9, 0.8, 0.6, 0.2, 0.1, 0.05, 0.3, 0.7])
    student = np.array([0.7, 0.4, 0.8, 0.3, 0.2, 0.1, 0.2, 0.1])
    p_t = np.column_stack([1 - teacher, teacher])
    p_s = np.column_stack([1 - student, student])
    m = curve_measures(ops, p_t, p_s)
    assert m["agreement"] == pytest.approx(6 / 8)
    # Threshold 0.5: the teacher flags rows 0, 1, 2, 7; the student 0 and 2.
    assert m["flagged_threshold"] == pytest.approx(2 / 4)
    assert m["overlap_threshold"] == pytest.approx(2 / 4)
    # Flag rate 25%: the top 2 of each, teacher {0, 1}, student {0, 2}.
    assert m["flagged_flag_rate"] == pytest.approx(1 / 2)
    # AUC of the student's risk for the teacher's top two (0.7, 0.4) against the
    # six others: each outranks five of them (all but the 0.8).
    assert m["flag_auc"] == pytest.approx((5 + 5) / 12)
    three = operating_points(None, 0.5, None, np.array([0, 1, 2]), np.array([0, 1, 2]))
    p3 = np.eye(3)[[0, 0, 1, 1, 2, 2]]
    q3 = np.eye(3)[[0, 0, 1, 2, 2, 2]]
    assert curve_measures(three, p3, q3)["worst_class_recall"] == pytest.approx(0.5)
