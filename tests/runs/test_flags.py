"""Flagging rows at an operating point as the report counts them."""

from __future__ import annotations

import numpy as np
import pytest

from treedistill.exceptions import ParameterError
from treedistill.measures._fidelity import n_flagged
from treedistill.runs._flags import flag_rows, resolve_flagging

OPS = {"positive_class": "yes", "threshold": 0.3, "flag_rate": 0.25}


def test_the_runs_operating_points_are_the_default():
    flag = resolve_flagging(["no", "yes"], flag_rate="run", ops=OPS)
    assert flag == {"kind": "flag_rate", "value": 0.25, "positive": "yes"}
    flag = resolve_flagging(["no", "yes"], threshold="run", ops=OPS)
    assert flag == {"kind": "threshold", "value": 0.3, "positive": "yes"}
    assert resolve_flagging(["no", "yes"], ops=OPS) is None


def test_ties_at_the_cut_share_the_remaining_flags():
    score = np.array([0.9, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1])
    flagged, cut = flag_rows(score, {"kind": "flag_rate", "value": 0.25})
    assert cut == 0.5
    assert flagged.sum() == n_flagged(8, 0.25) == 2
    assert flagged.tolist() == [1, 1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0]
    flagged, cut = flag_rows(score, {"kind": "threshold", "value": 0.5})
    assert flagged.tolist() == [1, 1, 1, 1, 0, 0, 0, 0] and cut == 0.5


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"threshold": 0.2, "flag_rate": 0.1}, "threshold"),
        ({"threshold": 1.2}, "threshold"),
        ({"flag_rate": 0}, "flag_rate"),
        ({"flag_rate": "many"}, "flag_rate"),
        ({"flag_rate": "run", "ops": None}, "flag_rate"),
        ({"threshold": 0.5, "positive_class": "maybe"}, "positive_class"),
    ],
)
def test_refusals_name_the_parameter(kwargs, parameter):
    kwargs = {"ops": OPS, **kwargs}
    with pytest.raises(ParameterError) as info:
        resolve_flagging(["no", "yes"], **kwargs)
    assert info.value.parameter == parameter


def test_flagging_needs_two_classes():
    with pytest.raises(ParameterError, match="two classes"):
        resolve_flagging(["a", "b", "c"], threshold=0.5)
