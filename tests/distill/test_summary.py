"""The plain-text summary of a fitted student (what ``repr`` shows)."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from treedistill import DistilledTreeClassifier, load_student, save_student
from treedistill.datasets import make_clinical_cohort
from treedistill.distill._summary import WIDTH, _cut, summary_lines


def _data():
    X, y = make_clinical_cohort(300, random_state=0)
    return X[["age", "sbp", "glucose", "bmi"]], y


def _tree(**kw):
    params = {"augment_factor": 1, "random_state": 0, **kw}
    return DistilledTreeClassifier(LogisticRegression(max_iter=500), **params)


def test_auto_size_and_monotone_lines():
    X, y = _data()
    model = _tree(max_leaf_nodes="auto", monotone_constraints={"age": 1}).fit(X, y)
    lines = summary_lines(model)
    text = "\n".join(lines)
    assert f"max_leaf_nodes='auto' (chose {model.max_leaf_nodes_})" in text
    assert "  monotone: age +1" in lines
    point = next(
        p
        for p in model.size_curve_["points"]
        if p["max_leaf_nodes"] == model.max_leaf_nodes_
    )
    n = model.size_curve_["n_held_out"]
    assert (
        f"held-out: agrees with the teacher on {100 * point['agreement']:.1f}% "
        f"of {n} rows" in text
    )
    assert "teacher: LogisticRegression" in text
    assert all(len(line) <= WIDTH for line in lines)


def test_saved_student_without_metadata_says_no_fidelity(tmp_path):
    X, y = _data()
    model = _tree(max_leaf_nodes=4).fit(X, y)
    bundle = load_student(save_student(model, tmp_path / "s.json"))
    text = repr(bundle)
    assert "held-out" not in text
    # (cut to the terminal's 80 columns when the folder's name is long)
    assert text.splitlines()[-1] == _cut(f"  file: {tmp_path / 's.json'}")
    # The saved student says what the live one says, but where it lives.
    live = repr(model).splitlines()
    assert text.splitlines()[1:5] == live[1:5]


def test_long_lines_are_cut_to_the_terminal():
    assert _cut("x" * 100) == "x" * 79 + "…"
    assert _cut("short") == "short"
