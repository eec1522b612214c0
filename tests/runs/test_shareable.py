"""The shareable form of a report and a card: no patient row, no count under n."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from tests.conftest import cohort_frame, invoke, trained_teacher, write_csv
from treedistill.exceptions import ParameterError
from treedistill.report._render import md as md_escape
from treedistill.runs._card import card_json, model_card, render_card_markdown
from treedistill.runs._shareable import (
    RATE_MARKER,
    Suppressor,
    render_shareable_html,
    render_shareable_markdown,
    shareable_json,
    shareable_report,
    suppress_groups,
    write_shareable_report,
)

K = 11
#: Fields of the shareable JSON that hold a count of patients (rows).
COUNT_KEYS = {
    "n", "n_test", "n_outcome", "count", "n_missing", "rows_in", "rows_used",
    "rows_dropped", "n_train", "n_overlap", "teacher_flagged", "student_flagged",
    "n_synthetic_source",
}  # fmt: skip


def small_cohort(n: int = 600):
    """The simulated cohort with a rare site (about 3% of rows) and a record
    number on every row (a value that must never leave)."""
    frame = cohort_frame(n, missing_rate=0.05)
    rng = np.random.default_rng(3)
    frame["site"] = np.where(rng.random(n) < 0.03, "rural", "city")
    frame["mrn"] = [f"MRN{912000 + i}" for i in range(n)]
    return frame


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shareable")
    frame = small_cohort()
    data = write_csv(frame, folder / "cohort.csv")
    plain = write_csv(frame.drop(columns="mrn"), folder / "train.csv")
    teacher = trained_teacher(plain, folder / "t.pt", max_epochs=5)
    out = folder / "run"
    result = invoke(
        "distill", data.resolve(), "--target", "risk", "--teacher", teacher,
        "--out", out, "--augment-factor", "1", "--skip", "shap,stability",
        "--subgroup", "site", "--subgroup", "sex", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def report(run):
    return json.loads((run / "report.json").read_text())


@pytest.fixture(scope="module")
def written(run, tmp_path_factory):
    out = tmp_path_factory.mktemp("share") / "shareable"
    write_shareable_report(run, out, min_count=K)
    return out


def _counts(doc, path=""):
    """Every (path, value) of a count field in a JSON document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            here = f"{path}.{key}"
            if key in COUNT_KEYS and not isinstance(value, (dict, list)):
                yield here, value
            elif key == "test_class_counts":
                yield from ((f"{here}[{i}]", v) for i, v in enumerate(value))
            elif key == "matrices":
                for name, m in value.items():
                    for row in m:
                        yield from ((f"{here}.{name}", v) for v in row)
            else:
                yield from _counts(value, here)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _counts(value, f"{path}[{i}]")


def _estimates(doc):
    """Every estimate dict ``{value, n, ...}`` in a JSON document."""
    if isinstance(doc, dict):
        if "value" in doc and "n" in doc:
            yield doc
        for value in doc.values():
            yield from _estimates(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _estimates(value)


def _no_small_count(doc, where: str) -> None:
    if isinstance(doc, dict):  # the list of what was suppressed counts no patient
        doc = {k: v for k, v in doc.items() if k != "shareable"}
    seen = 0
    for path, value in _counts(doc):
        seen += 1
        if isinstance(value, str):
            assert value in (f"<{K}", RATE_MARKER), (where, path, value)
        elif value is not None:
            assert not 0 < value < K, (where, path, value)
    assert seen > 20, where
    for est in _estimates(doc):
        if est["value"] is not None:
            assert est["n"] >= K, (where, est)
            assert not 0 < round(est["value"] * est["n"]) < K, (where, est)


def test_suppressor_rules():
    s = Suppressor(K)
    assert s.count(10, "a") == "<11" and s.count(11, "b") == 11 and s.count(0, "c") == 0
    assert s.rate(1 / 12, 12, "d") == RATE_MARKER  # 1 of 12 gives the count back
    assert s.rate(0.5, 10, "e") == RATE_MARKER  # a denominator under 11
    assert s.rate(0.5, 24, "f") == 0.5
    assert [e["field"] for e in s.suppressed] == ["a", "d", "e"]
    # counts that add up to a total: never one hidden alone, never under 11 together
    assert s.hidden([123, 2]) == {0, 1}
    assert s.hidden([100, 5, 20]) == {1, 2}
    assert s.hidden([100, 5, 0, 9]) == {1, 3}
    assert s.hidden([100, 5, 0, 30]) == {1, 2, 3}
    assert s.hidden([50, 60]) == set()
    assert s.hidden([50, 60, 0], {2}) == {2}  # a hidden zero gives nobody away
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ParameterError, match="min_count"):
            Suppressor(bad)


def test_no_count_under_the_minimum_in_the_json(report, written):
    doc = json.loads((written / "report.json").read_text())
    _no_small_count(doc, "report.json")
    # the run has small counts to suppress, and says which
    info = doc["shareable"]
    assert info["min_count"] == K and info["count_marker"] == "<11"
    assert info["n_suppressed"] == len(info["suppressed"]) > 10
    assert info["n_suppressed"] == sum(info["by_kind"].values())
    fields = {e["field"] for e in info["suppressed"]}
    assert any(f.startswith("rules[") for f in fields)
    small_rules = [i for i, r in enumerate(report["rules"]) if r["n_test"] < K]
    assert small_rules and {f"rules[{i}]" for i in small_rules} <= fields


def test_the_small_group_and_its_complement_are_suppressed(report, written):
    doc = json.loads((written / "report.json").read_text())
    rows = {r["label"]: r for r in report["subgroups"]["rows"]}
    assert 0 < rows["site is rural"]["n"] < K  # the cohort has a small group
    shown = {r["label"]: (i, r) for i, r in enumerate(doc["subgroups"]["rows"])}
    i_rural, rural = shown["site is rural"]
    assert rural["n"] == "<11"
    assert rural["models"]["tree"] == {
        "agreement": RATE_MARKER,
        "agreement_ci": RATE_MARKER,
    }
    # city's count would give rural's back (total - city): suppressed too
    i_city, city = shown["site is city"]
    assert city["n"] == RATE_MARKER
    fields = {e["field"] for e in doc["shareable"]["suppressed"]}
    assert {f"subgroups.rows[{i_rural}].n", f"subgroups.rows[{i_city}].n"} <= fields
    groups = {g["label"]: g for g in doc["fairness"]["groups"]}
    assert groups["site = rural"]["n"] == "<11"
    assert groups["site = rural"]["outcome_rate"] == RATE_MARKER
    assert groups["site = city"]["n"] == RATE_MARKER
    assert not any("site" in line for line in doc["fairness"]["gaps"])


def test_numbers_at_or_above_the_minimum_are_unchanged(report, written):
    doc = json.loads((written / "report.json").read_text())
    summary = report["summary"]
    assert doc["summary"]["n"] == summary["n"]
    assert doc["summary"]["agreement"] == summary["agreement"]
    assert doc["summary"]["agreement_ci"] == summary["agreement_ci"]
    for mine, theirs in zip(doc["rules"], report["rules"], strict=True):
        assert mine["rule"] == theirs["rule"]
        if theirs["n_test"] >= K and not mine["suppressed"]:
            assert mine["text"] == theirs["text"]
            assert mine["n_test"] == theirs["n_test"]
            assert mine["agreement"] == theirs["agreement"]
    assert any(not r["suppressed"] for r in doc["rules"])
    rows = {r["label"]: r for r in report["subgroups"]["rows"]}
    for r in doc["subgroups"]["rows"]:
        if r["label"].startswith("sex"):
            assert r["n"] == rows[r["label"]]["n"] >= K
            assert (
                r["models"]["tree"]["agreement"]
                == (rows[r["label"]]["models"]["tree"]["agreement"])
            )
    held = {r["key"]: r for r in report["fidelity"]["held_out"]}
    for r in doc["fidelity"]["held_out"]:
        theirs = held[r["key"]]
        assert r["n"] == theirs["n"]
        right = round(theirs["accuracy"] * theirs["n"])
        # accuracy is shown when the rows right and the rows wrong are both >= 11
        if min(right, theirs["n"] - right) >= K:
            assert r["accuracy"] == theirs["accuracy"]
        else:
            assert r["accuracy"] == RATE_MARKER


def test_no_patient_row_or_path_in_any_file(run, report, written):
    assert sorted(p.name for p in written.iterdir()) == [
        ".treedistill-run.json", "report.html", "report.json", "report.md",
    ]  # fmt: skip
    texts = {p.name: p.read_text() for p in written.iterdir()}
    doc = json.loads(texts["report.json"])
    assert not {"disagreements", "leaves", "size_curve"} & set(doc)
    assert "nodes" not in doc["tree"] and "rows" not in doc["shap"]
    assert not any(key in doc["data"] for key in ("columns", "include_values"))
    # values that belong to single patients
    held = report["disagreements"]["rows"]
    assert held
    probes = {f"{p:.6g}" for r in held for p in r["teacher_proba"]}
    op = report["summary"]["operating_point"]
    probes |= {f"{op['teacher_cut']:.6g}", f"{op['student_cut']:.6g}"}
    probes = {p for p in probes if len(p) >= 6}
    assert probes
    folder = str(run.parent.resolve())
    for name, text in texts.items():
        assert "MRN9" not in text, name  # the record numbers never leave
        assert folder not in text, name  # nor where the data lies
        for probe in probes:
            assert probe not in text, (name, probe)
    assert report["run"]["data"]["sha256"] in texts["report.md"]
    assert doc["run"]["data"]["file"] == "cohort.csv"


def test_text_files_carry_the_header_and_no_small_count(report, written):
    md = (written / "report.md").read_text()
    lines = md.splitlines()
    assert lines[0] == "# Shareable report: risk"
    assert lines[2].startswith("> **SHAREABLE FORM of this report, minimum count 11")
    doc = json.loads((written / "report.json").read_text())
    assert f"Suppressed: {doc['shareable']['n_suppressed']} cells" in lines[3]
    assert "no patient row" in lines[4]
    for rule in report["rules"]:
        if rule["n_test"] < K:
            assert md_escape(rule["text"]) not in md
    assert "suppressed (fewer than 11 held-out rows)" in md
    rural = next(line for line in lines if line.startswith("| site is rural |"))
    assert rural.split(" | ")[1] == "\\<11"
    for n in re.findall(r"n = (\d+)", md):
        assert int(n) >= K, n
    html = (written / "report.html").read_text()
    for rule in report["rules"]:
        if rule["n_test"] < K:
            assert rule["text"].replace("<", "&lt;").replace(">", "&gt;") not in html


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.cells, self.text = [], [], [], []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in ("meta", "br"):
            self.stack.append(tag)
        if tag in ("td", "th"):
            self._cell = [dict(attrs).get("class"), ""]

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack[-3:], tag)
        self.stack.pop()
        if tag in ("td", "th"):
            self.cells.append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[1] += data


def test_html_rendering(written):
    html = (written / "report.html").read_text()
    page = _Page()
    page.feed(html)
    page.close()
    assert page.stack == []  # every element closed, in order
    assert not {"script", "img", "svg", "iframe", "link"} & set(page.tags)
    text = "".join(page.text)
    assert text.index("SHAREABLE FORM") < text.index("In plain words")
    marked = [c for c in page.cells if c[1] in ("<11", RATE_MARKER)]
    assert marked and all(c[0] == "suppressed" for c in marked)
    assert all(c[0] is None for c in page.cells if c[1] not in ("<11", RATE_MARKER)
               and not c[1].startswith(RATE_MARKER))  # fmt: skip
    for n in re.findall(r"n = (\d+)", text):
        assert int(n) >= K, n


def test_rendering_escapes_what_the_report_holds(report):
    hostile = json.loads(json.dumps(report))
    hostile["run"]["data"]["target"] = "<script>alert(1)</script>|*x*"
    doc = shareable_report(hostile, K)
    html = render_shareable_html(doc)
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = render_shareable_markdown(doc)
    assert "<script>" not in md and "\\|" in md


def test_min_count_one_suppresses_only_rules_without_held_out_rows(report):
    doc = shareable_report(report, 1)
    empty = [f"rules[{i}]" for i, r in enumerate(report["rules"]) if r["n_test"] == 0]
    assert [e["field"] for e in doc["shareable"]["suppressed"]] == empty
    assert [r["text"] for r in doc["rules"] if not r["suppressed"]] == [
        r["text"] for r in report["rules"] if r["n_test"]
    ]
    assert json.loads(shareable_json(doc))["summary"]["n"] == report["summary"]["n"]


def test_the_shareable_card_uses_the_same_suppression(run, report, written):
    card = model_card(run, subgroup=["site", "sex"], min_count=K)
    text = card_json(card)
    assert text.lstrip().startswith('{\n  "shareable": {')
    doc = json.loads(text)
    _no_small_count(doc["items"], "card.json")
    info = doc["shareable"]
    assert info["n_suppressed"] == len(info["suppressed"])
    fields = {e["field"] for e in info["suppressed"]}
    assert any(f.startswith("subgroup_performance.groups[") for f in fields)
    report_doc = json.loads((written / "report.json").read_text())
    rules = next(i for i in doc["items"] if i["id"] == "full_model")["values"]["rules"]
    assert [r["text"] for r in rules] == [r["text"] for r in report_doc["rules"]]
    md = render_card_markdown(card)
    assert md.splitlines()[2].startswith("> **SHAREABLE FORM of this model card")
    assert f"Suppressed: {info['n_suppressed']} cells" in md
    assert "MRN9" not in md + text and str(run.parent.resolve()) not in md + text
    for n in re.findall(r"n = (\d+)", md):
        assert int(n) >= K, n
    assert "site = rural: \\<11 rows; its numbers are suppressed" in md


def test_a_total_never_gives_a_small_group_back(report):
    """The summary's weakest subgroup is hidden when its level is (city's count
    with the total would give rural's)."""
    changed = json.loads(json.dumps(report))
    city = next(r for r in changed["subgroups"]["rows"] if r["label"] == "site is city")
    changed["summary"]["worst_subgroup"] = {
        "column": "site", "level": "city", "label": city["label"], "n": city["n"],
        "agreement": city["models"]["tree"]["agreement"],
        "agreement_ci": city["models"]["tree"]["agreement_ci"],
    }  # fmt: skip
    worst = shareable_report(changed, K)["summary"]["worst_subgroup"]
    assert worst["n"] == RATE_MARKER and worst["agreement"] == RATE_MARKER
    assert (
        shareable_report(report, 1)["summary"]["worst_subgroup"]["n"]
        == (report["summary"]["worst_subgroup"]["n"])
    )


def test_a_small_cell_of_flags_and_outcomes_hides_the_rates_that_give_it():
    """In a group whose outcomes and flags are shown, 5 false positives would
    follow from specificity (and so from sensitivity and PPV): all three go."""

    def est(value, n):
        return {"value": value, "low": 0.0, "high": 1.0, "n": n}

    def group(level, n, pos, tp, fp):
        m = {
            "flag_rate": est((tp + fp) / n, n),
            "sensitivity": est(tp / pos, pos),
            "specificity": est((n - pos - fp) / (n - pos), n - pos),
            "ppv": est(tp / (tp + fp), tp + fp),
            "calibration_in_the_large": 0.01,
        }
        return {"column": "sex", "level": level, "label": f"sex = {level}",
                "small": False, "n": n, "n_outcome": pos,
                "outcome_rate": est(pos / n, n), "agreement": est(0.9, n),
                "operating_points": [{"kind": "threshold", "value": 0.5,
                                      "flagged_agreement": est(0.9, tp + fp),
                                      "teacher": m, "tree": m}]}  # fmt: skip

    groups = [group("F", 300, 40, 20, 5), group("M", 300, 40, 20, 20)]
    s = Suppressor(K)
    shown, _ = suppress_groups(groups, s, "g")
    f, m = (g["operating_points"][0]["tree"] for g in shown)
    assert f["sensitivity"] == f["specificity"] == f["ppv"] == RATE_MARKER
    assert f["flag_rate"]["value"] == 25 / 300  # 25 flagged: shown
    assert m["sensitivity"]["value"] == 0.5 and m["ppv"]["value"] == 0.5
    assert shown[0]["n_outcome"] == 40
    # outcomes: 5 in one group, so the other's (total - 5) is hidden too
    shown, _ = suppress_groups([group("F", 300, 5, 2, 20), group("M", 300, 40, 20, 20)],
                               s, "g")  # fmt: skip
    assert shown[0]["n_outcome"] == "<11" and shown[1]["n_outcome"] == RATE_MARKER
    assert shown[1]["outcome_rate"] == RATE_MARKER and shown[1]["n"] == 300


def test_a_confusion_matrix_with_a_small_cell_is_suppressed_whole(report):
    changed = json.loads(json.dumps(report))
    changed["confusion"]["matrices"] = {"tree": [[46, 4], [0, 737]]}
    cells = shareable_report(changed, K)["confusion"]["matrices"]["tree"]
    # even the 0: with the margins it would give the small cell back
    assert cells == [[RATE_MARKER, "<11"], [RATE_MARKER, RATE_MARKER]]
    changed["confusion"]["matrices"] = {"tree": [[46, 14], [0, 737]]}
    cells = shareable_report(changed, K)["confusion"]["matrices"]["tree"]
    assert cells == [[46, 14], [0, 737]]


def test_a_flag_rate_that_is_a_small_prevalence_is_suppressed(report):
    changed = json.loads(json.dumps(report))
    n_train = changed["data"]["n_train"]
    ops = changed["operating_points"]
    ops.update(flag_rate_source="prevalence", flag_rate=5 / n_train)
    ops["prevalence"] = [5 / n_train, 1 - 5 / n_train]
    doc = shareable_report(changed, K)
    assert doc["operating_points"]["prevalence"] == [RATE_MARKER, RATE_MARKER]
    assert doc["operating_points"]["flag_rate"] == RATE_MARKER
    points = [op for g in doc["fairness"]["groups"] for op in g["operating_points"]]
    assert all(op["value"] == RATE_MARKER for op in points if op["kind"] == "flag_rate")
    assert str(5 / n_train)[:6] not in render_shareable_markdown(doc)


def test_a_fully_faithful_least_rule_is_said_as_such(report):
    """The least faithful rule (of those with enough rows) at 100% reads as full
    agreement, as the full report says it, not as a 'least faithful' rule."""
    from treedistill.runs._shareable import _sentences

    perfect = json.loads(json.dumps(report))
    worst = perfect["summary"]["worst_rule"]
    worst.update(agreement=1.0, n=max(int(worst["n"]), 50))
    said = _sentences(shareable_report(perfect, K), K)
    min_n = perfect["summary"]["min_n"]
    assert (
        f"The tree agrees with the teacher fully in every rule with at least {min_n} held-out rows."
        in said
    )
    assert not any(t.startswith("The least faithful rule is") for t in said)
    worst.update(agreement=0.9)
    said = _sentences(shareable_report(perfect, K), K)
    assert any(
        t.startswith(f"The least faithful rule is rule {worst['rule']}: 90.0%")
        for t in said
    )
