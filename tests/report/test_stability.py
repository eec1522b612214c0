"""The report's stability section, its headline warnings and small rules/subgroups."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tests._report_cases import QUICK, binary_case, rows
from treedistill import DistilledTreeClassifier
from treedistill.exceptions import ParameterError
from treedistill.report import _stability_section as section
from treedistill.report import evaluate, render_html, render_markdown
from treedistill.report._stability_section import reasons_check, warning_sentences


def _stability(share_root=0.4, n=30):
    n_same = round(share_root * n)
    return {
        "status": "ok",
        "n_refits": n,
        "root": {
            "column": "age",
            "n_same": n_same,
            "share": n_same / n,
            "stable": n_same / n >= 0.7,
            "threshold": 0.7,
        },
        "columns": [
            {"column": "bmi", "root": 1 - n_same / n},
            {"column": "age", "root": n_same / n},
        ],
        "agreement": {"p05": 0.9, "p95": 0.95},
    }


def _shap(teacher, student, rho):
    return {
        "columns": ["age", "bmi", "sbp", "glucose"],
        "teacher": {"status": "ok", "importance": teacher},
        "students": {"tree": {"status": "ok", "importance": student}},
        "spearman": {"tree": rho},
    }


def test_the_section_in_the_binary_report():
    report = binary_case()["report"]
    tree = binary_case()["models"]["tree"]
    st = report["stability"]
    assert st["status"] == "ok" and st["model"] == "tree" and st["n_refits_max"] == 20
    n = st["n_refits"]  # stopped once the root shares settled, by the stated rule
    assert n in (10, 15, 20) and st["stopped_early"] == (n < 20)
    assert st["n_train"] == 450 and st["n_augmented"] == 2250 and st["n_test"] == 150
    root = tree.schema_.features[int(tree.student_.tree_.feature[0])].column
    assert st["root"]["column"] == root
    by_col = {c["column"]: c for c in st["columns"]}
    assert by_col[root]["main_root"] and by_col[root]["root"] == st["root"]["share"]
    assert st["root"]["share"] == pytest.approx(st["root"]["n_same"] / n, abs=1e-5)
    assert st["root"]["low"] <= st["root"]["share"] <= st["root"]["high"]
    assert sum(c["root"] for c in st["columns"]) == pytest.approx(1.0)
    for c in st["columns"]:
        assert 0 <= c["root"] <= c["top"] <= c["anywhere"] <= 1
    # the main tree's value is the report's own held-out agreement
    assert st["agreement"]["main"] == pytest.approx(report["summary"]["agreement"])
    assert len(st["agreement"]["values"]) == n
    a = st["agreement"]
    assert a["min"] <= a["p05"] <= a["median"] <= a["p95"] <= a["max"] <= 1
    assert st["flagged_threshold"]["main"] is not None
    same = st["same_prediction"]
    assert 0.5 < same["median"] <= 1 and same["main"] is None
    html, md = render_html(report), render_markdown(report)
    assert "Would another run give the same explanation?" in html
    assert (
        f"Root split on <strong>{root}</strong> in {st['root']['n_same']} of {n}"
        in html
    )
    assert f"Root split on {root} in {st['root']['n_same']} of {n} refits" in md
    rule = (
        "after at least 10, stop once a batch has moved no column's share of root "
        "splits by more than 5 percentage points: "
        f"{n} of at most 20 were run"
    )
    assert rule in " ".join(html.split()) and rule in md
    interval = f"95% Wilson interval {round(100 * st['root']['low'])}%–"
    assert interval in " ".join(html.split()) and interval in md


def test_unstable_root_is_a_headline_warning():
    sentences = warning_sentences(_stability(0.4), None)
    assert sentences == [
        "Another run could give a different explanation: refit on 30 bootstrap "
        "resamples of the training rows, the tree splits first on age in only 12 "
        "(40%); bmi is at the root in 60% (held-out agreement of the refits "
        "90.0%–95.0%, 5th–95th percentile)."
    ]
    assert warning_sentences(_stability(0.7), None) == []
    assert warning_sentences({"status": "off", "reason": "x"}, None) == []


def test_predictions_but_not_reasons():
    # student: glucose carries 54%; teacher spreads it (glucose 20%)
    check = reasons_check(_shap([3, 3, 2, 2], [1, 2, 1.6, 5.4], 0.56), "tree")
    assert check["low_correlation"] and check["concentrated"] and check["warn"]
    assert check["top_column"] == "glucose"
    assert check["student_share"] == pytest.approx(0.54)
    assert check["teacher_share"] == pytest.approx(0.2)
    assert warning_sentences({"status": "off"}, check) == [
        "The student matches the teacher's predictions more than its reasons: its "
        "SHAP ranking of the columns correlates with the teacher's at Spearman ρ "
        "0.56 (below 0.6) and glucose carries 54% of its attribution against 20% "
        "of the teacher's."
    ]
    # a faithful ranking with the same concentration as the teacher: no warning
    same = reasons_check(_shap([1, 2, 1, 6], [1, 2, 1, 6], 0.95), "tree")
    assert not same["warn"] and warning_sentences({}, same) == []
    # one column dominating both is not a difference in reasons
    both = reasons_check(_shap([1, 1, 1, 7], [0.5, 1, 1, 7.5], 0.8), "tree")
    assert not both["concentrated"]
    failed = _shap([1, 1, 1, 1], [1, 1, 1, 1], None)
    failed["teacher"] = {"status": "failed", "reason": "x"}
    assert reasons_check(failed, "tree") is None


def test_an_unstable_root_leads_the_headline():
    # the teacher weighs a and b alike: which one the root splits on is a toss-up
    rng = np.random.default_rng(0)
    X = pd.DataFrame({c: rng.normal(size=400) for c in "abc"})
    noise = rng.normal(scale=0.3, size=400)
    y = np.where(X["a"] + X["b"] + noise > 0, "yes", "no")
    teacher = LogisticRegression().fit(X[:300], y[:300])
    tree = DistilledTreeClassifier(
        teacher, max_leaf_nodes=4, augment_factor=2.0, random_state=0
    ).fit(X[:300], y[:300])
    report = evaluate(
        {"tree": tree}, X[300:], y[300:], X[:300], y[:300], **QUICK, stability_refits=12
    )
    st, s = report["stability"], report["summary"]
    root = st["root"]
    other = "a" if root["column"] == "b" else "b"
    shares = {c["column"]: c["root"] for c in st["columns"]}
    assert root["column"] in ("a", "b") and not root["stable"]
    assert root["share"] == pytest.approx(root["n_same"] / 12, abs=1e-5)
    assert root["share"] < 0.7
    assert shares[root["column"]] + shares[other] == pytest.approx(1.0, abs=1e-5)
    assert s["n_alert"] == 1
    assert s["sentences"][0].startswith(
        "Another run could give a different explanation: refit on 12 bootstrap "
        f"resamples of the training rows, the tree splits first on {root['column']} "
        f"in only {root['n_same']} ({100 * root['share']:.0f}%); {other} is at the "
        f"root in {100 * shares[other]:.0f}%"
    )
    assert s["sentences"][1].startswith("The 4-leaf tree agrees with the teacher")
    assert '<span class="note">unstable</span>' in render_html(report)
    assert "**unstable** (under 70%)" in render_markdown(report)


def test_stability_off_and_refused_counts(monkeypatch):
    case = binary_case()
    models = {"tree": case["models"]["tree"]}
    report = evaluate(models, *rows(case), **QUICK, stability_refits=0)
    assert report["stability"] == {
        "status": "off",
        "reason": "not asked for (0 refits)",
    }
    assert "No stability refits: not asked for (0 refits)." in render_html(report)
    for bad in (1, -2, 2.5, True):
        with pytest.raises(ParameterError, match="stability_refits must be 0") as e:
            evaluate(models, *rows(case), **QUICK, stability_refits=bad)
        assert e.value.parameter == "stability_refits"
    boosted = {"boosted": case["models"]["boosted"]}
    report = evaluate(boosted, *rows(case), **QUICK, stability_refits=2)
    assert report["stability"]["status"] == "skipped"
    assert "there is no tree student" in render_markdown(report)


def test_small_rules_and_subgroups_are_marked_and_never_least_faithful():
    report = binary_case()["report"]
    s, leaves = report["summary"], report["leaves"]
    assert s["min_n"] == 10
    small = [r for r in leaves if r["n_test"] < 10]
    big = [r for r in leaves if r["n_test"] >= 10]
    assert all(r["small"] for r in small) and not any(r["small"] for r in big)
    assert leaves == big + small
    # the headline's least faithful rule is the table's first row
    assert s["worst_rule"]["rule"] == leaves[0]["rule"]
    assert s["worst_rule"]["agreement"] == min(r["agreement"] for r in big)
    groups = report["subgroups"]["rows"]
    assert all(g["small"] == (g["n"] < 10) for g in groups)
    worst = s["worst_subgroup"]
    assert worst["n"] >= 10
    rates = [g["models"]["tree"]["agreement"] for g in groups if not g["small"]]
    assert worst["agreement"] == min(rates)
    html, md = render_html(report), render_markdown(report)
    n_small_rows = len(small) + sum(g["small"] for g in groups)
    assert html.count('<tr class="small">') == n_small_rows
    assert md.count(" (small) |") == n_small_rows


def test_intervals_never_have_zero_width():
    report = binary_case()["report"]
    cis = [r["agreement_ci"] for r in report["leaves"] if r["n_test"]]
    cis += [
        m["agreement_ci"]
        for g in report["subgroups"]["rows"]
        for m in g["models"].values()
    ]
    full = [r for r in report["leaves"] if r["agreement"] == 1.0 and r["n_test"]]
    for r in full:  # n of n: Wilson's lower bound n / (n + z^2)
        n = r["n_test"]
        assert r["agreement_ci"][0] == pytest.approx(n / (n + 1.959964**2), abs=1e-5)
        assert r["agreement_ci"][1] == 1.0
    assert np.all([low < high for low, high in cis])


def test_run_distill_and_the_command_line_take_the_number_of_refits(tmp_path):
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    from tests.conftest import cohort_frame, invoke, refused, write_csv
    from treedistill import DistillParams, run_distill

    frame = cohort_frame(300, missing_rate=0.05)
    numeric = ["age", "sbp", "glucose", "bmi", "creatinine", "cholesterol"]
    data = write_csv(frame[[*numeric, "risk"]], tmp_path / "cohort.csv")
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    sio.dump(teacher.fit(frame[numeric], frame["risk"]), tmp_path / "t.skops")
    common = {"data": data, "target": "risk", "teacher": [tmp_path / "t.skops"]}
    with pytest.raises(ParameterError, match="stability_refits") as e:
        DistillParams(out=tmp_path / "bad", stability_refits=1, **common).validate()
    assert e.value.parameter == "stability_refits"
    params = DistillParams(
        out=tmp_path / "run", augment_factor=1.0, stability_refits=3, **common
    )
    run_distill(params)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["stability"]["status"] == "ok"
    assert report["stability"]["n_refits"] == 3
    assert len(report["stability"]["agreement"]["values"]) == 3
    result = invoke(
        "distill",
        data,
        "--target",
        "risk",
        "--teacher",
        tmp_path / "t.skops",
        "--out",
        tmp_path / "cli",
        "--stability-refits",
        "1",
        "--quiet",
    )
    refused(result, "--stability-refits must be 0 (off)")


def test_skipping_the_section_says_so():
    case = binary_case()
    report = evaluate(
        {"tree": case["models"]["tree"]}, *rows(case), **QUICK, skip=["stability"]
    )
    assert report["stability"]["status"] == "off" and report["stability"]["skipped"]
    assert "No stability refits: the section was skipped." in render_html(report)
    assert "No stability refits: the section was skipped." in render_markdown(report)
    assert not any(s.startswith("Another run") for s in report["summary"]["sentences"])


def test_large_transfer_sets_are_refit_on_a_stated_sample(monkeypatch):
    case = binary_case()
    model = case["models"]["tree"]
    X_te, y_te, X_tr, y_tr = rows(case)
    factor = float(model.augment_factor)
    assert len(X_tr) * (1 + factor) > 300
    monkeypatch.setattr(section, "MAX_REPORT_TRANSFER_ROWS", 300)
    report = evaluate(
        {"tree": model}, X_te, y_te, X_tr, y_tr, **QUICK, stability_refits=3
    )
    st = report["stability"]
    limit = int(300 / (1 + factor))
    assert st["status"] == "ok" and st["sampled"] is True
    assert (st["n_train"], st["n_train_total"]) == (limit, len(X_tr))
    assert st["n_augmented"] == round(factor * limit)
    assert st["n_train"] + st["n_augmented"] <= st["max_transfer_rows"] == 300
    assert st["n_test"] == len(X_te)  # measured on every held-out row
    assert report["data"]["n_train"] == len(X_tr)
    said = (
        f"seeded sample of {limit:,} of the {len(X_tr):,} training rows (at most "
        "300 transfer rows"
    )
    assert said in render_markdown(report)
    assert " ".join(render_html(report).split()).count(said) == 1
    # the same sample and refits for the same seed
    again = evaluate(
        {"tree": model}, X_te, y_te, X_tr, y_tr, **QUICK, stability_refits=3
    )
    assert again["stability"] == st
    # below the bound every training row is resampled and nothing is said
    monkeypatch.setattr(section, "MAX_REPORT_TRANSFER_ROWS", 10**9)
    full = evaluate(
        {"tree": model}, X_te, y_te, X_tr, y_tr, **QUICK, stability_refits=3
    )["stability"]
    assert full["sampled"] is False
    assert full["n_train"] == full["n_train_total"] == len(X_tr)


def test_the_section_is_the_same_beside_the_other_sections():
    # The refits run on a second thread beside the size curve and SHAP, with one
    # native thread each: they give the numbers they give alone.
    case = binary_case()
    alone = evaluate({"tree": case["models"]["tree"]}, *rows(case), **QUICK)
    assert alone["stability"] == case["report"]["stability"]
