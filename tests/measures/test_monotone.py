"""Probes along a column: wrong-way moves of a model's risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treedistill.exceptions import ParameterError
from treedistill.measures._monotone import monotone_probe, wrong_way_moves

X = pd.DataFrame({"age": np.arange(0.0, 101.0), "sbp": np.full(101, 120.0)})


def test_wrong_way_moves_are_the_largest_fall_or_rise():
    risk = np.array([[0.1, 0.5, 0.3, 0.6], [0.4, 0.3, 0.2, 0.1]])
    np.testing.assert_allclose(wrong_way_moves(risk, 1), [0.2, 0.3])
    np.testing.assert_allclose(wrong_way_moves(risk, -1), [0.5, 0.0])


def test_probe_counts_rows_whose_risk_moves_the_wrong_way():
    # risk falls by 5 points between age 40 and 60 for rows with sbp > 130
    def risk(frame):
        age, sbp = frame["age"].to_numpy(), frame["sbp"].to_numpy()
        return age / 200 - 0.05 * ((age > 40) & (sbp > 130)) * (age < 60)

    rows = X.copy()
    rows.loc[:29, "sbp"] = 140.0  # 30 of 101 rows
    probe = monotone_probe(risk, rows, "age", 1, steps=20)
    assert probe["from"] == pytest.approx(5.0) and probe["to"] == pytest.approx(95.0)
    assert probe["violating"] == 30 and probe["n"] == 101
    assert probe["share"] == pytest.approx(30 / 101)
    assert probe["worst"] > 0.01 and not probe["weighted"]
    w = np.where(np.arange(101) < 30, 3.0, 1.0)
    weighted = monotone_probe(risk, rows, "age", 1, steps=20, sample_weight=w)
    assert weighted["share"] == pytest.approx(90 / 161) and weighted["weighted"]
    # a fall under the tolerance is not counted
    calm = monotone_probe(risk, rows, "age", 1, tolerance=0.2)
    assert calm["violating"] == 0


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"column": "height"}, "not one of the columns"),
        ({"direction": 0}, "direction must be"),
        ({"steps": 1}, "steps must be"),
    ],
)
def test_bad_probes_are_refused(kw, message):
    args = {"column": "age", "direction": 1, **kw}
    with pytest.raises(ParameterError, match=message):
        monotone_probe(lambda f: np.zeros(len(f)), X, **args)
