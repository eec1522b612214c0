"""Row weights and monotone constraints in a run: what it trains and reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import cohort_frame, write_csv
from treedistill import DistillParams, run_distill
from treedistill.exceptions import DataError, ParameterError
from treedistill.runs._controls import read_weights

FAST = dict(
    teacher_hidden=[8],
    teacher_max_epochs=5,
    augment_factor=1.0,
    skip=["shap", "size_curve", "stability"],
    stability_refits=0,
)


@pytest.fixture(scope="module")
def weighted_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("weighted")
    frame = cohort_frame(600, missing_rate=0.05)
    frame["w"] = np.random.default_rng(0).choice([0.5, 1.0, 3.0], len(frame))
    data = write_csv(frame, tmp / "cohort.csv")
    params = DistillParams(
        data=data,
        target="risk",
        out=tmp / "run",
        student="both",
        weight_column="w",
        monotone_constraints={"age": 1, "glucose": 1},
        **FAST,
    )
    return frame, run_distill(params), tmp / "run"


def _held_out(frame, out):
    rows = pd.read_csv(out / "held_out_rows.csv")["row"].to_numpy()
    return frame.iloc[rows - 1]


def _flags(risk, w, rate):
    """Top rows by risk until their weight is ``rate`` of the total; rows tied
    at the cut share the rest alike."""
    out, left = np.zeros(len(risk)), rate * w.sum()
    for value in sorted(set(risk), reverse=True):
        tied = risk == value
        out[tied] = min(1.0, max(0.0, left / w[tied].sum()))
        left -= w[tied].sum()
    return out


def test_weighted_report_numbers_equal_a_hand_computation(weighted_run):
    frame, result, out = weighted_run
    section = result.report["weights"]
    assert section["column"] == "w"
    test = _held_out(frame, out)
    w = test["w"].to_numpy()
    X = test.drop(columns=["risk", "w"])
    assert section["test_total"] == pytest.approx(w.sum())
    pos = list(result.models["tree"].classes_).index(section["positive_class"])
    for name, model in result.models.items():
        assert "w" not in model.feature_names_in_  # the weights are no feature
        t = model.teacher_proba(X)
        s = model.predict_proba(X)
        got = section["students"][name]
        agree = np.argmax(t, 1) == np.argmax(s, 1)
        assert got["agreement"]["value"] == pytest.approx(np.sum(w * agree) / w.sum())
        gap = 0.5 * np.abs(t - s).sum(axis=1)
        assert got["mean_abs_diff"]["value"] == pytest.approx(np.sum(w * gap) / w.sum())
        hits = (np.argmax(s, 1) == pos) == (
            test["risk"].to_numpy() == section["positive_class"]
        )
        assert got["student_accuracy"]["value"] == pytest.approx(
            np.sum(w * hits) / w.sum()
        )
        # flagged agreement: each model flags its top rows until their weight is
        # the flag rate's share; rows tied at the cut share the rest alike
        rate = section["flag_rate"]
        tf, sf = _flags(t[:, pos], w, rate), _flags(s[:, pos], w, rate)
        assert got["flagged_agreement"]["value"] == pytest.approx(
            np.sum(w * tf * sf) / np.sum(w * tf)
        )


def test_weighted_run_records_the_column_and_trains_with_it(weighted_run, tmp_path):
    frame, result, out = weighted_run
    assert result.report["run"]["options"]["weight_column"] == "w"
    # The same run without weights grows another tree.
    plain = run_distill(
        DistillParams(
            data=out.parent / "cohort.csv",
            target="risk",
            out=tmp_path / "plain",
            drop=["w"],
            monotone_constraints={"age": 1, "glucose": 1},
            **FAST,
        )
    )
    assert "weights" not in plain.report
    assert not np.array_equal(
        plain.models["tree"].student_.value_, result.models["tree"].student_.value_
    )


def test_monotone_section_states_constraints_cost_and_teacher_probes(weighted_run):
    _, result, _ = weighted_run
    mono = result.report["monotone"]
    assert mono["constraints"] == {"age": 1, "glucose": 1}
    assert mono["steps"] >= 20 and mono["tolerance"] == 0.01 and mono["weighted"]
    for name in ("tree", "boosted"):
        cost = mono["cost"][name]
        for label in ("constrained", "unconstrained"):
            assert 0 <= cost[label]["agreement"]["value"] <= 1
            assert cost[label]["spearman"]["value"] is not None
        # the students never move the wrong way along a constrained column
        for probe in mono["probes"]["students"][name]:
            assert probe["violating"] == 0 and probe["worst"] <= 1e-9
    teacher = {p["column"]: p for p in mono["probes"]["teacher"]}
    assert set(teacher) == {"age", "glucose"}
    for p in teacher.values():
        assert p["n"] == 150 and 0 <= p["share"] <= 1
        assert p["from"] < p["to"]


def test_a_run_without_them_reports_neither(tmp_path):
    frame = cohort_frame(300, missing_rate=0.0)
    data = write_csv(frame, tmp_path / "c.csv")
    result = run_distill(
        DistillParams(data=data, target="risk", out=tmp_path / "run", **FAST)
    )
    assert "weights" not in result.report and "monotone" not in result.report
    options = result.report["run"]["options"]
    assert "weight_column" not in options and "monotone_constraints" not in options


@pytest.mark.parametrize(
    "values, message",
    [
        ([1.0, -1.0, 2.0], "row 2 holds -1.0"),
        ([1.0, 2.0, None], "row 3 is missing"),
        ([1.0, "x", 2.0], "row 2 holds 'x'"),
        ([0.0, 0.0, 0.0], "0 on every row"),
    ],
)
def test_bad_weights_are_refused_naming_the_row(values, message):
    frame = pd.DataFrame({"y": [0, 1, 0], "w": values})
    with pytest.raises(DataError, match=message) as info:
        read_weights(frame, "w", "y")
    assert info.value.column == "w"


def test_weights_of_rows_without_a_target_are_not_read():
    frame = pd.DataFrame({"y": [0, None, 1], "w": [1.0, -5.0, 2.0]})
    np.testing.assert_array_equal(read_weights(frame, "w", "y"), [1.0, 2.0])


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"weight_column": "w", "chunk_size": 100}, "not available with chunk_size"),
        ({"weight_column": "w", "sweep": True}, "not available with sweep"),
        ({"weight_column": "w", "dask": "local"}, "not available with dask"),
        ({"weight_column": "risk"}, "cannot also be the target"),
        ({"monotone_constraints": {"age": 2}}, "must be 1"),
        ({"monotone_constraints": {"age": 1}, "chunk_size": 100}, "chunk_size"),
    ],
)
def test_paths_that_cannot_carry_them_refuse(kw, message, tmp_path):
    params = DistillParams(data="x.csv", target="risk", out=tmp_path / "o", **kw)
    with pytest.raises(ParameterError, match=message):
        params.validate()
