"""Comparing two runs: teachers that differ by construction, rules, subgroups."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import NUMERIC, cohort_frame, invoke, sha, tree_sha, write_csv
from treedistill.exceptions import OutputError, ParameterError, SavedRunError
from treedistill.runs._compare import compare_runs, render_compare, write_compare

xgboost = pytest.importorskip("xgboost")

FAST = (
    "--augment-factor", "1", "--skip", "shap,stability", "--seed", "0",
    "--drop", "sex", "--drop", "smoker", "--drop", "ward",
)  # fmt: skip


def _teacher(frame: pd.DataFrame, path, *, flip_over_70: bool):
    """An xgboost teacher on the numeric columns; with ``flip_over_70`` it is
    trained as if every patient over 70 were high risk."""
    y = (frame["risk"] == "low").astype(int).to_numpy()  # 0 = high, 1 = low
    if flip_over_70:
        y = np.where(frame["age"] > 70, 0, y)
    model = xgboost.XGBClassifier(n_estimators=40, max_depth=3, random_state=0)
    model.fit(frame[NUMERIC], y)
    model.save_model(str(path))
    return path


def _run(data, teacher, out, *extra):
    result = invoke(
        "distill", data, "--target", "risk", "--teacher", teacher,
        "--classes", "high,low", "--out", out, "--quiet", *FAST, *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    frame = cohort_frame(600, missing_rate=0.0, seed=3)
    data = write_csv(frame, folder / "cohort.csv")
    ta = _teacher(frame, folder / "a.json", flip_over_70=False)
    tb = _teacher(frame, folder / "b.json", flip_over_70=True)
    a = _run(data, ta, folder / "run-a")
    b = _run(data, tb, folder / "run-b", "--max-leaf-nodes", "12")
    return folder, frame, a, b


@pytest.fixture(scope="module")
def doc(runs):
    _, _, a, b = runs
    return compare_runs(a, b, n_synthetic=1000, subgroup=["sex", "age"])


def test_the_disagreement_tree_finds_the_region_built_in(runs, doc):
    _, frame, a, _ = runs
    region = doc["disagreement"]
    assert not region["skipped"]
    top = region["rules"][0]
    assert "age > " in top["where"]
    edge = float(top["where"].split("age > ")[1].split(" ")[0])
    assert 66 <= edge <= 72
    assert top["disagreement_fit"] > 0.5
    assert top["share_of_disagreements"] >= 0.5
    # by hand: the teachers differ on held-out rows, mostly over 70
    held = pd.read_csv(a / "held_out_rows.csv")["row"].to_numpy() - 1
    assert doc["n_held_out"] == len(held)
    assert doc["teachers"]["held_out"]["n_differ"] == sum(
        r["n_differ"] for r in region["rules"]
    )
    assert (frame["age"].to_numpy()[held] > 70).sum() >= top["n_differ"] > 0


def test_teacher_agreement_has_an_interval_and_flag_overlap(doc):
    held = doc["teachers"]["held_out"]
    agree = held["agreement"]
    assert agree["low"] < agree["value"] < agree["high"]
    assert agree["value"] == pytest.approx(1 - held["n_differ"] / held["n"])
    op = held["operating_points"][0]
    assert op["kind"] == "threshold"
    assert op["b_flagged"] > op["a_flagged"]  # B also flags the over-70s
    syn = doc["teachers"]["synthetic"]
    assert syn["n"] == 1000 and 0 < syn["agreement"]["value"] < 1
    assert doc["positive_class"] == "high"


def test_rule_changes_match_rules_by_the_rows_they_cover(runs, doc):
    _, _, a, b = runs
    rules = doc["rule_changes"]
    n_a = len(json.loads((a / "report.json").read_text())["rules"])
    n_b = len(json.loads((b / "report.json").read_text())["rules"])
    assert len(rules["rules"]) == n_a
    matched = {r["rule_b"] for r in rules["rules"] if r["rule_b"] is not None}
    assert matched | {r["rule_b"] for r in rules["new_in_b"]} == set(range(1, n_b + 1))
    assert sum(rules["counts"].values()) == n_a
    for r in rules["rules"]:
        assert 0 <= r["overlap"] <= 1


def test_a_run_compared_with_itself_changes_nothing(runs):
    _, _, a, _ = runs
    same = compare_runs(a, a, n_synthetic=200, subgroup=["sex"])
    assert same["teachers"]["held_out"]["agreement"]["value"] == 1.0
    assert same["disagreement"]["skipped"]
    assert same["rule_changes"]["counts"]["same"] == len(same["rule_changes"]["rules"])
    assert same["rule_changes"]["new_in_b"] == []
    for g in same["subgroups"]:
        assert g["change"]["teacher_flag_rate"] == 0


def test_subgroup_numbers_by_hand(runs, doc):
    _, frame, a, _ = runs
    from treedistill import load_teacher, soften, teacher_logits

    held = pd.read_csv(a / "held_out_rows.csv")["row"].to_numpy() - 1
    rows = frame.iloc[held]
    teacher = load_teacher(runs[0] / "a.json", classes=["high", "low"])
    p_high = soften(teacher_logits(teacher, rows[NUMERIC]))[:, 0]
    women = (rows["sex"] == "female").to_numpy()
    group = next(g for g in doc["subgroups"] if g["label"] == "sex = female")
    assert group["n"] == int(women.sum())
    run_a = group["runs"]["a"]
    outcome = float(np.mean(rows["risk"].to_numpy()[women] == "high"))
    assert run_a["outcome_rate"] == pytest.approx(outcome)
    assert run_a["teacher_flag_rate"] == pytest.approx(np.mean(p_high[women] >= 0.5))
    assert run_a["calibration_in_the_large"] == pytest.approx(
        np.mean(p_high[women]) - outcome, abs=1e-6
    )
    bands = [g for g in doc["subgroups"] if g["column"] == "age"]
    assert len(bands) == 4 and sum(g["n"] for g in bands) == len(held)
    assert all(g["grouping"] == "bands" for g in bands)


def test_runs_on_different_data_are_refused_naming_what_differs(runs, tmp_path):
    folder, frame, a, _ = runs
    other = write_csv(frame.iloc[:-5], tmp_path / "other.csv")
    c = _run(other, folder / "a.json", tmp_path / "run-c")
    with pytest.raises(
        ParameterError, match=r"differ in data: .*cohort.csv \(sha256 .* vs .*other.csv"
    ):
        compare_runs(a, c)
    allowed = compare_runs(a, c, allow_different=True, n_synthetic=0, subgroup=[])
    assert allowed["differences"] and allowed["teachers"]["synthetic"]["skipped"]


def test_a_changed_data_file_is_refused(runs, tmp_path):
    folder, frame, a, _ = runs
    data = write_csv(frame, tmp_path / "d.csv")
    c = _run(data, folder / "a.json", tmp_path / "run-c")
    data.write_text(data.read_text() + data.read_text().splitlines()[1] + "\n")
    with pytest.raises(SavedRunError, match="changed since the run"):
        compare_runs(a, c, allow_different=True)


def test_written_reports_escape_text_and_refuse_overwrite(runs, doc, tmp_path):
    out = tmp_path / "cmp"
    written = write_compare(doc, out)
    assert sorted(p.name for p in written) == [
        "compare.html", "compare.json", "compare.md",
    ]  # fmt: skip
    assert (
        json.loads((out / "compare.json").read_text())["n_held_out"]
        == doc["n_held_out"]
    )
    before = tree_sha(out)
    with pytest.raises(OutputError, match="already exists"):
        write_compare(doc, out)
    assert tree_sha(out) == before
    evil = json.loads(json.dumps(doc))
    evil["target"] = "<script>alert(1)</script>"
    html = render_compare(evil, html=True)
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = render_compare(doc, html=False)
    assert md.startswith("# Comparison of two runs")
    assert "## Where they disagree, as rules" in md


def test_compare_command(runs, tmp_path):
    _, _, a, b = runs
    out = tmp_path / "cmp"
    before = sha(a / "report.json")
    result = invoke("compare", a, b, "--out", out, "--n-synthetic", "300")
    assert result.exit_code == 0, result.output
    assert "They disagree most where" in result.stdout
    assert (out / "compare.html").is_file()
    assert sha(a / "report.json") == before


@pytest.mark.browser
def test_compare_html_in_a_browser_runs_no_script_and_fetches_nothing(doc, tmp_path):
    import re

    from tests.report.test_browser import BROWSER_OWN_HOSTS, _run_chromium

    injected = "sex<script>document.title='pwned'</script>"
    evil = json.loads(json.dumps(doc))
    evil["subgroups"][0]["label"] = injected
    evil["disagreement"]["rules"][0]["where"] = injected
    out = tmp_path / "cmp"
    write_compare(evil, out)
    result = _run_chromium(
        tmp_path / "profile", "--enable-logging=stderr", "--v=1", "--dump-dom",
        (out / "compare.html").as_uri(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert re.search(r"<title>(.*?)</title>", dom).group(1) == "treedistill comparison"
    assert "<script" not in dom.lower()
    assert "Where they disagree, as rules" in dom
    for url in re.findall(r"NotifyBeforeURLRequest: (\S+)", result.stderr):
        host = re.sub(r"^[a-z]+://([^/:?]+).*$", r"\1", url)
        assert host.endswith(BROWSER_OWN_HOSTS), f"the page fetched {url}"


def test_three_classes_compare_without_operating_points(tmp_path):
    from tests.conftest import REPO, trained_teacher

    frame = pd.read_csv(REPO / "data" / "clinical_cohort_3class.csv").iloc[:600]
    data = write_csv(frame, tmp_path / "k3.csv")
    teacher = trained_teacher(data, tmp_path / "t.pt", max_epochs=3, hidden="8")
    runs = []
    for name, leaves in (("a", "16"), ("b", "8")):
        result = invoke(
            "distill", data, "--target", "risk", "--teacher", teacher, "--out",
            tmp_path / name, "--augment-factor", "1", "--skip", "shap,stability",
            "--max-leaf-nodes", leaves, "--quiet",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        runs.append(tmp_path / name)
    doc = compare_runs(*runs, n_synthetic=200, subgroup=["sex"])
    assert doc["positive_class"] is None
    assert "operating_points" not in doc["teachers"]["held_out"]
    assert doc["teachers"]["held_out"]["agreement"]["value"] == 1.0  # one teacher
    assert all(set(g["runs"]["a"]) == {"agreement"} for g in doc["subgroups"])
    assert "## Per subgroup" in render_compare(doc, html=False)
    assert "Per subgroup" in render_compare(doc, html=True)
