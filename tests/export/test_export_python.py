"""Python export of tree students: the generated function, run with exec."""

from __future__ import annotations

import ast
import math

import numpy as np
import pytest

from tests._export_cases import (
    LEVELS,
    SMOKER,
    UNSEEN,
    fitted,
    scoring_rows,
    student_outputs,
)
from treedistill import extract_rules, to_python
from treedistill.distill._bundle import load_student, save_student
from treedistill.exceptions import ParameterError
from treedistill.export._common import comment_text

CASES = [(kind, k) for kind in ("tree", "tree-hist") for k in (2, 3)]


def _function(source: str, name: str = "predict_proba"):
    namespace: dict = {}
    exec(compile(source, "<export>", "exec"), namespace)  # noqa: S102
    return namespace[name]


@pytest.mark.parametrize(("kind", "k"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_function_returns_the_students_probabilities(kind, k):
    model = fitted(kind, k)
    frame = scoring_rows(model)
    proba, _, _ = student_outputs(model, frame)
    predict_proba = _function(to_python(model))
    records = frame.astype(object).to_dict("records")
    assert any(r[SMOKER] == UNSEEN for r in records)
    assert any(r[SMOKER] is None for r in records)
    got = np.array([[predict_proba(r)[c] for c in model.classes_] for r in records])
    np.testing.assert_array_equal(got, proba)
    # NaN and None are both missing
    row = dict(records[0])
    for col in row:
        if row[col] is None:
            row[col] = math.nan
    assert predict_proba(row) == predict_proba(records[0])


def test_source_is_plain_python_with_rule_comments():
    model = fitted("tree", 3)
    source = to_python(model)
    tree = ast.parse(source)
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
    assert [n.name for n in tree.body] == ["predict_proba"]
    rules = extract_rules(model)
    comments = [line.strip() for line in source.splitlines() if "# Rule " in line]
    assert len(comments) == len(rules) == model.student_.get_n_leaves()
    for i, (comment, rule) in enumerate(zip(comments, rules, strict=True), 1):
        assert comment == f"# Rule {i}: {comment_text(rule.text)}"
    # hostile text in comments is escaped: no comment spills onto a code line
    assert "glucose\\nmg/dL" in source and "glucose\nmg/dL" not in source
    for line in source.splitlines():
        stripped = line.strip()
        assert stripped == "" or not stripped.startswith(("smoker", "mg/dL")), line


def test_unknown_category_goes_where_the_tree_sends_it():
    model = fitted("tree", 2)
    predict_proba = _function(to_python(model))
    frame = scoring_rows(model).iloc[:50].copy()
    frame[SMOKER] = "something else"
    proba, _, _ = student_outputs(model, frame)
    records = frame.astype(object).to_dict("records")
    got = np.array([[predict_proba(r)[c] for c in model.classes_] for r in records])
    np.testing.assert_array_equal(got, proba)
    assert LEVELS[0] in source_levels(model)


def source_levels(model) -> set:
    return {f.level for f in model.schema_.features if f.is_indicator}


def test_saved_student_gives_the_same_source(tmp_path):
    model = fitted("tree-hist", 3)
    bundle = load_student(save_student(model, tmp_path / "student.json"))
    assert to_python(bundle) == to_python(model)


def test_function_name_and_refusals():
    model = fitted("tree", 2)
    assert _function(to_python(model, name="score"), "score")
    with pytest.raises(ParameterError, match="Python identifier"):
        to_python(model, name="not a name")
    with pytest.raises(ParameterError, match="boosted students to onnx"):
        to_python(fitted("boosted", 2))
