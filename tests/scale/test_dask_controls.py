"""The Dask paths refuse monotone constraints and an automatic size in one line
(they grow their trees without bounds and at a fixed size)."""

from __future__ import annotations

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from tests.conftest import cohort_frame
from treedistill import (
    DistilledBoostingClassifier,
    DistilledTreeClassifier,
    distill_boosted_dask,
    distill_tree_dask,
)
from treedistill.exceptions import ParameterError

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")

NUMERIC = ["age", "sbp", "glucose", "bmi"]


@pytest.fixture(scope="module")
def data():
    frame = cohort_frame(200, missing_rate=0.0)[[*NUMERIC, "risk"]]
    teacher = HistGradientBoostingClassifier(max_iter=10).fit(
        frame[NUMERIC], frame["risk"]
    )
    return dd.from_pandas(frame, npartitions=2), teacher


@pytest.mark.parametrize(
    "kw, parameter",
    [
        ({"monotone_constraints": {"age": 1}}, "monotone_constraints"),
        ({"max_leaf_nodes": "auto"}, "max_leaf_nodes"),
    ],
)
def test_tree_on_dask_refuses(data, kw, parameter):
    ddf, teacher = data
    model = DistilledTreeClassifier(teacher, **kw)
    with pytest.raises(ParameterError, match="on Dask") as info:
        distill_tree_dask(model, ddf, "risk")
    assert info.value.parameter == parameter


def test_boosted_on_dask_refuses_constraints(data):
    ddf, teacher = data
    model = DistilledBoostingClassifier(teacher, monotone_constraints={"age": 1})
    with pytest.raises(ParameterError, match="on Dask") as info:
        distill_boosted_dask(model, ddf, "risk")
    assert info.value.parameter == "monotone_constraints"
