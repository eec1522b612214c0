"""The plain-language paragraph for a clinician."""

from __future__ import annotations

import pytest

from treedistill.report._plain import condition_words, plain_summary


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        ("138.3 < glucose <= 152", "glucose between 138.3 and 152"),
        ("age > 67", "age above 67"),
        ("glucose <= 128.5", "glucose at most 128.5"),
        ("(creatinine <= 1.9 or creatinine is missing)",
         "creatinine at most 1.9 or not recorded"),
        ("smoker is yes", "smoker is yes"),
    ],
)  # fmt: skip
def test_conditions_in_words(condition, words):
    assert condition_words(condition) == words


def _report(**summary):
    nodes = [
        {"id": 0, "leaf": False, "column": "glucose", "n_transfer": 900},
        {"id": 1, "leaf": False, "column": "age", "n_transfer": 300},
        {"id": 2, "leaf": False, "column": "bmi", "n_transfer": 600},
        {"id": 3, "leaf": True},
    ]
    rules = [
        {"rule": 1, "prediction": "low", "n_test": 90, "coverage_test": 0.6,
         "conditions": ["glucose <= 200"]},
        {"rule": 2, "prediction": "stroke", "n_test": 12, "coverage_test": 0.08,
         "conditions": ["glucose > 200", "age > 67"]},
        {"rule": 3, "prediction": "stroke", "n_test": 3, "coverage_test": 0.02,
         "conditions": ["bmi > 40"]},
    ]  # fmt: skip
    base = {
        "n": 150,
        "agreement": 0.9667,
        "agreement_ci": [0.924, 0.986],
        "teacher_accuracy": 0.94,
        "operating_point": {"flagged_agreement": {"value": 0.8636, "n": 22}},
        "worst_rule": {"rule": 4, "agreement": 0.63, "n": 46},
        "degenerate": [],
    }
    return {
        "summary": {**base, **summary},
        "operating_points": {"positive_class": "stroke"},
        "data": {"classes": ["low", "stroke"]},
        "tree": {"nodes": nodes},
        "rules": rules,
    }


def test_paragraph_says_what_the_model_relies_on_and_how_far_to_trust_it():
    text = plain_summary(_report())
    assert text.startswith(
        "The model's decisions depend mostly on glucose, bmi and age"
    )
    assert (
        "patients with glucose above 200 and age above 67 are flagged as stroke "
        "(about 8 in 100 patients" in text
    )
    assert "same answer as the model for 97 in 100" in text
    assert "between 92 and 99 in 100" in text
    assert "Of the 22 patients the model flags as stroke, the tree flags 19." in text
    assert "least reliable for patients under rule 4" in text
    assert "right for 94 in 100" in text
    for jargon in ("fidelity", "CI", "AUC", "KL", "SHAP"):
        assert jargon not in text


def test_the_paragraph_names_the_classes_by_their_names():
    report = _report()
    report["data"]["class_names"] = ["no stroke", "stroke within a year"]
    text = plain_summary(report)
    assert "are flagged as stroke within a year (about 8 in 100" in text
    assert "the model flags as stroke within a year, the tree flags 19" in text
    report["operating_points"]["positive_class"] = None
    assert "are predicted no stroke (about 60 in 100" in plain_summary(report)


def test_a_faithful_tree_names_no_weak_rule():
    text = plain_summary(_report(worst_rule={"rule": 1, "agreement": 1.0, "n": 90}))
    assert "least reliable" not in text


def test_report_opens_with_the_paragraph(report_binary):
    from treedistill.report import render_html, render_markdown

    report = report_binary["report"]
    text = plain_summary(report)
    md = render_markdown(report)
    assert "**In plain words:** The model" in md
    assert md.index("In plain words") < md.index("## 1.")
    html = render_html(report)
    assert 'id="in-plain-words"' in html
    assert html.index("in-plain-words") < html.index('class="summary"')
    assert "decisions depend mostly on" in text
    assert "decisions depend mostly on" in html
