"""The record of a run: file names, versions, the data summary for the report."""

from __future__ import annotations

import pandas as pd

from treedistill import TabularSchema
from treedistill.runs._record import (
    data_for_report,
    library_versions,
    student_file_names,
    teacher_description,
    unseen_category_notes,
)


def test_student_file_names_and_versions():
    assert student_file_names(["tree"]) == {"tree": "student.json"}
    assert student_file_names(["boosted"]) == {"boosted": "student.json"}
    assert student_file_names(["tree", "boosted"]) == {
        "tree": "student-tree.json",
        "boosted": "student-boosted.json",
    }
    versions = library_versions()
    for name in ("python", "treedistill", "scikit-learn", "xgboost", "torch",
                 "pandas", "shap"):  # fmt: skip
        assert isinstance(versions[name], str) and versions[name], name


def test_unseen_categories_give_one_note_per_column():
    train = pd.DataFrame({"ward": ["a", "b", "a"], "age": [1.0, 2.0, 3.0]})
    schema = TabularSchema.infer(train)
    test = pd.DataFrame({"ward": ["c", "c", "d", None], "age": [1.0, 2.0, 3.0, 4.0]})
    notes = unseen_category_notes(schema, test)
    assert len(notes) == 1
    assert notes[0].startswith("column 'ward': 3 held-out row(s)")
    assert "'c', 'd'" in notes[0]
    assert unseen_category_notes(schema, train) == []


def test_data_for_report_makes_column_rows():
    summary = {
        "columns": {"age": {"kind": "numeric", "action": "kept", "n_missing": 2}},
        "cleaning": {"by_column": {"age": {"blank": 1}}, "rows_with_blank": 0},
        "dropped_columns": {"id": "identifier"},
        "warnings": ["w"],
        "rows_in": 10,
    }
    out = data_for_report(summary, file="d.csv")
    assert out["file"] == "d.csv" and out["rows_in"] == 10
    assert out["columns"] == [
        {"column": "age", "kind": "numeric", "action": "kept", "n_missing": 2,
         "missing_share": None, "n_levels": None, "blank": 1}
    ]  # fmt: skip
    assert out["dropped_columns"] == [{"column": "id", "reason": "identifier"}]
    assert out["cleaning"] == {} and "warnings" not in out


def test_teacher_description():
    class Member:
        pass

    class Ensemble:
        method = "geometric"
        teachers_ = [Member(), Member()]

    assert teacher_description(Member()) == "Member"
    assert (
        teacher_description(Ensemble()) == "EnsembleTeacher(geometric: Member, Member)"
    )
