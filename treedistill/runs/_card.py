"""A model card from a finished run, mapped to the items of TRIPOD+AI (2024).

Everything in the card is read from the run directory (``report.json`` through
:func:`read_report`, ``config.json`` and the files the run wrote); no number is
computed again, so the card's numbers are the report's. Items that only a person
can fill in (intended use, population, dates, ethics, funding, ...) are listed as
lines to fill in, never guessed.
"""

from __future__ import annotations

import os
from pathlib import Path

from treedistill.common._files import atomic_write_text, sha256_file
from treedistill.common._json import dumps
from treedistill.common._version import __version__
from treedistill.exceptions import ParameterError, SavedRunError
from treedistill.report._format import ci as _ci
from treedistill.report._format import estimate_text as _estimate_text
from treedistill.report._format import pct as _pct
from treedistill.report._plain import plain_summary
from treedistill.report._render import md
from treedistill.runs._compare import _config
from treedistill.runs._outdir import Staging, check_out_dir
from treedistill.runs._saved import read_report
from treedistill.runs._shareable import (
    DEFAULT_MIN_COUNT,
    Suppressor,
    check_min_count,
    header_lines,
    shareable_json,
    shareable_report,
    suppress_groups,
)

__all__ = [
    "CARD_VERSION",
    "TO_FILL",
    "card_json",
    "SHAREABLE_MIN_COUNT",
    "model_card",
    "render_card_markdown",
    "write_card",
]

#: Version of the card's JSON layout.
CARD_VERSION = 1

#: The items of TRIPOD+AI that a run cannot know: (item, topic, what to write).
TO_FILL = (
    ("3a", "Healthcare context", "the clinical setting and why a model is needed"),
    ("3b", "Target population and intended use", "who the model is for, where in "
     "the care pathway, and who will use its output"),
    ("3c", "Health inequalities", "known inequalities between patient groups that "
     "the model could widen"),
    ("5b", "Dates", "start and end of data collection (and of follow-up)"),
    ("6a", "Setting", "care setting, number and location of centres"),
    ("6b", "Eligibility", "inclusion and exclusion criteria of the patients"),
    ("8a", "Outcome definition", "how and when the outcome was defined and measured"),
    ("17", "Ethics", "ethical approval or exemption, and consent"),
    ("18a", "Funding", "sources of funding and their role"),
    ("18b", "Conflicts of interest", "the authors' conflicts of interest"),
    ("18e", "Data sharing", "whether and how the data can be obtained"),
    ("19", "Patient and public involvement", "how patients or the public were "
     "involved"),
    ("27b", "Users", "how users interact with the model and the expertise they need"),
)  # fmt: skip


def pct(x) -> str:
    """A share as text; a suppressed one (a marker) as it is."""
    return x if isinstance(x, str) else _pct(x)


def ci(interval) -> str:
    return interval if isinstance(interval, str) else _ci(interval)


def estimate_text(est) -> str:
    return est if isinstance(est, str) else _estimate_text(est)


def _q(path) -> str:
    return repr(os.fspath(path))


def _item(key, title, tripod, lines, values=None) -> dict:
    return {
        "id": key,
        "title": title,
        "tripod": list(tripod),
        "lines": [line for line in lines if line],
        "values": values or {},
    }


def _teacher_files(run: Path, config: dict, names_only: bool = False) -> list[dict]:
    if config.get("teacher_file"):
        path = run / config["teacher_file"]
        digest = sha256_file(path) if path.is_file() else None
        return [{"file": config["teacher_file"], "sha256": digest}]
    return [
        {"file": Path(t["path"]).name if names_only and t.get("path") else t.get("path"),
         "sha256": t.get("sha256")}
        for t in config.get("teachers") or []
    ]  # fmt: skip


def _data_items(report: dict, config: dict) -> list[dict]:
    rd = report["run"]["data"]
    split = report["run"]["split"]
    data = report["data"]
    checks = report["run"].get("data_checks") or {}
    source = dict(config.get("data") or {})
    if "shareable" in report:  # the file's name and sha256, not where it lies
        given = source.get("given") or source.get("path")
        source = {"given": Path(str(given)).name if given else None,
                  "sha256": source.get("sha256")}  # fmt: skip
    classes = rd.get("classes") or []
    items = [
        _item(
            "data_source", "Data source", ["5a"],
            [f"File: {source.get('given') or source.get('path')} "
             f"(sha256 {source.get('sha256')})",
             f"Rows read: {rd['rows_in']}; rows used: {rd['rows_used']}; rows "
             f"dropped: {rd['rows_dropped']}"],
            {"path": source.get("given") or source.get("path"),
             "sha256": source.get("sha256"), "rows_in": rd["rows_in"],
             "rows_used": rd["rows_used"], "rows_dropped": rd["rows_dropped"]},
        ),
        _item(
            "preparation", "Data preparation and checks", ["7"],
            [*(f"{c['column']}: {c['action']}" for c in rd.get("columns") or []
               if c.get("action") not in (None, "kept", "target")),
             *(line["text"] for line in checks.get("lines") or [])],
            {"dropped_columns": rd.get("dropped_columns") or [],
             "identifiers": checks.get("identifiers") or [],
             "leaks": checks.get("leaks") or []},
        ),
        _item(
            "outcome", "Outcome", ["8a", "13"],
            [f"Target column: {rd['target']}",
             "Classes (rows): " + ", ".join(f"{c['label']} ({c['count']})"
                                            for c in classes),
             *([f"Positive class: {data.get('positive_class')} (prevalence "
                f"{pct(report['operating_points']['prevalence'][report['operating_points']['positive_index']])}"
                f"{', rare' if report['operating_points'].get('rare') else ''})"]
               if data.get("positive_class") is not None else [])],
            {"target": rd["target"], "classes": classes,
             "positive_class": data.get("positive_class")},
        ),
        _item(
            "predictors", "Predictors", ["9a"],
            [f"{rd['n_features']} feature columns: " + ", ".join(
                f"{c['column']} ({c['kind']})" for c in rd.get("columns") or []
                if str(c.get("action", "")).startswith("kept"))],
            {"n_features": rd["n_features"]},
        ),
        _item(
            "sample_size", "Sample size and outcome events", ["10", "21"],
            [f"Training rows: {split['n_train']}; held-out rows: {split['n_test']}",
             "Held-out rows per class: " + ", ".join(
                 f"{c} {n}" for c, n in zip(data["classes"],
                                            data.get("test_class_counts") or [],
                                            strict=False))],
            {"n_train": split["n_train"], "n_test": split["n_test"],
             "test_class_counts": data.get("test_class_counts")},
        ),
        _item(
            "missing", "Missing data", ["11"],
            [*(f"{c['column']}: {pct(c['missing_share'])} missing ({c['n_missing']} "
               "rows)" for c in rd.get("columns") or [] if c.get("n_missing")),
             "Missing values are kept: the trees route them (rules say 'or x is "
             "missing')."],
            {"missing_share": {c["column"]: c["missing_share"]
                               for c in rd.get("columns") or []}},
        ),
        _item(
            "split", "Use of the data (development and evaluation)", ["12a"],
            [f"Held-out share {split['test_size']} "
             f"({'stratified by class' if split.get('stratified') else 'not stratified'},"
             f" seed {split['seed']}); the teacher and the students are fit on the "
             "training rows only.",
             f"{data['n_synthetic']} fresh synthetic rows (MUNGE draws from "
             f"{data['n_synthetic_source']} training rows) test the students away "
             "from the real rows."],
            {"test_size": split["test_size"], "stratified": split.get("stratified"),
             "seed": split["seed"], "n_synthetic": data["n_synthetic"]},
        ),
    ]  # fmt: skip
    return items


def _model_items(run: Path, report: dict, config: dict) -> list[dict]:
    teacher = config.get("teacher") or {}
    files = _teacher_files(run, config, names_only="shareable" in report)
    models = report.get("models") or {}
    lines = [
        f"Teacher: {report['teacher']['description']} ({teacher.get('source', '')})",
        *(f"Teacher file: {f['file']} (sha256 {f['sha256']})" for f in files),
    ]
    for name, m in models.items():
        params = m.get("params") or {}
        size = (
            f"{m.get('n_leaves')} leaves, depth {m.get('depth')}"
            if m.get("n_leaves")
            else f"{params.get('n_estimators')} trees of depth {params.get('max_depth')}"
        )
        lines.append(
            f"Student {name} ({m.get('type')}): {size}; temperature "
            f"{params.get('temperature')}, alpha {params.get('alpha')}, "
            f"{params.get('augmentation')} augmentation x"
            f"{m.get('augment_factor') or params.get('augment_factor')}"
        )
    model = _item(
        "model", "Model: teacher and students", ["12c"], lines,
        {"teacher": report["teacher"]["description"], "teacher_files": files,
         "students": {n: {"type": m.get("type"), "n_leaves": m.get("n_leaves"),
                          "depth": m.get("depth")} for n, m in models.items()}},
    )  # fmt: skip
    rules = report.get("rules") or []
    full = _item(
        "full_model",
        "The full model (the tree as rules; as SQL, ONNX or Python)",
        ["22"],
        [
            *(f"Rule {r['rule']}: {r['text']}" for r in rules),
            f"As SQL, ONNX or Python: treedistill export {run.name} (or to_sql, "
            "to_onnx, to_python) writes code that scores exactly as the tree.",
        ],
        {"rules": [{"rule": r["rule"], "text": r["text"]} for r in rules]},
    )
    return [model, full]


def _agreement(m: dict) -> str:
    """Agreement and its interval; a suppressed one once."""
    if isinstance(m.get("agreement"), str):
        return m["agreement"]
    return f"{pct(m.get('agreement'))} {ci(m.get('agreement_ci'))}"


def _performance_items(report: dict) -> list[dict]:
    summary = report["summary"]
    ops = report["operating_points"]
    held = report["fidelity"]["held_out"]
    syn = report["fidelity"].get("synthetic") or []
    lines = [
        "Measures: agreement with the teacher (share of rows where the student "
        "predicts the teacher's class, 95% interval), accuracy and ROC AUC against "
        "the truth, KL(teacher||student); for a rare outcome, agreement on the "
        "rows each model flags.",
    ]
    for row in held:
        text = f"Held-out, {row['label']}: accuracy {pct(row.get('accuracy'))}"
        if isinstance(row.get("roc_auc"), str):
            text += f", ROC AUC {row['roc_auc']}"
        elif row.get("roc_auc") is not None:
            text += f", ROC AUC {row['roc_auc']:.3f}"
        if row.get("agreement") is not None:
            text += f", agreement {_agreement(row)}"
        lines.append(text + f" (n = {row['n']})")
    for row in syn:
        if row.get("agreement") is not None:
            lines.append(
                f"Synthetic, {row['label']}: agreement {pct(row['agreement'])} "
                f"{ci(row.get('agreement_ci'))} (n = {row['n']})"
            )
    op = summary.get("operating_point") or {}
    if op.get("flagged_agreement"):
        where = op.get("reason") or (
            f"a flag rate of {pct(op.get('value'))}"
            if op.get("kind") == "flag_rate"
            else f"threshold {op.get('value')}"
        )
        lines.append(
            f"Of the rows the teacher flags at {where}, "
            f"the tree flags {estimate_text(op['flagged_agreement'])}"
        )
    groups = [
        f"Subgroup {g['column']} = {g['level']}: agreement "
        f"{_agreement(g['models'][summary['model']])} (n = {g['n']}"
        f"{', small' if g.get('small') else ''})"
        for g in report["subgroups"].get("rows") or []
        if summary["model"] in (g.get("models") or {})
    ]
    performance = _item(
        "performance", "Performance with intervals, overall and per subgroup",
        ["12e", "23a"], [*lines, *groups],
        {"agreement": summary["agreement"],
         "agreement_ci": summary.get("agreement_ci"),
         "accuracy": summary.get("accuracy"),
         "teacher_accuracy": summary.get("teacher_accuracy"),
         "synthetic_agreement": summary.get("synthetic_agreement"),
         "n": summary["n"], "kl": summary.get("kl"),
         "flagged_agreement": op.get("flagged_agreement"),
         "held_out": [{k: r.get(k) for k in ("key", "label", "accuracy", "roc_auc",
                                              "agreement", "agreement_ci", "n")}
                      for r in held],
         "subgroups": [{"column": g["column"], "level": g["level"], "n": g["n"],
                        "small": g.get("small"), **g["models"].get(summary["model"], {})}
                       for g in report["subgroups"].get("rows") or []]},
    )  # fmt: skip
    curves = (report.get("calibration") or {}).get("curves") or {}
    calibration = _item(
        "calibration",
        "Calibration",
        ["23a"],
        [
            f"{name}: expected calibration error {c['ece']:.3f} (equal-count bins of "
            f"at least {c.get('min_rows')} rows)"
            for name, c in curves.items()
            if c.get("ece") is not None
        ],
        {"ece": {name: c.get("ece") for name, c in curves.items()}},
    )
    how = (
        "set for this run; treedistill does not tune it"
        if ops.get("threshold") != 0.5
        else "the default; treedistill does not tune it"
    )
    source = ops.get("flag_rate_source")
    thresholds = _item(
        "thresholds", "Model output and thresholds", ["15"],
        ["The models output a probability for each class; a row is predicted the "
         "class of highest probability.",
         *([f"Flag at P({ops['positive_class']}) >= {ops['threshold']} ({how})",
            f"Flag the top {pct(ops['flag_rate'])} of rows by risk (the "
            f"{'training prevalence' if source == 'prevalence' else source})"]
           if ops.get("positive_class") is not None else [])],
        {k: ops.get(k) for k in ("positive_class", "threshold", "flag_rate",
                                 "flag_rate_source", "rare")},
    )  # fmt: skip
    return [performance, calibration, thresholds]


def _explain_item(report: dict) -> dict:
    summary = report["summary"]
    shap = report.get("shap") or {}
    stability = report.get("stability") or {}
    tree = report.get("tree") or {}
    lines = []
    if tree:
        lines.append(
            f"The tree has {tree.get('n_leaves')} rules (depth {tree.get('depth')}); "
            f"columns used: {', '.join(map(str, tree.get('columns_used') or []))}"
        )
    worst = summary.get("worst_rule") or {}
    if worst.get("rule") is not None:
        lines.append(
            f"Least faithful rule with at least {summary.get('min_n')} held-out rows: "
            f"rule {worst['rule']} ({pct(worst['agreement'])} of {worst['n']} rows)"
        )
    for name, rho in (shap.get("spearman") or {}).items():
        if rho is not None:
            lines.append(
                f"SHAP: rank correlation of teacher and {name} attributions {rho:.2f}"
            )
    if shap.get("skipped") or not shap.get("spearman"):
        lines.append("SHAP attributions: not computed in this run")
    if stability.get("status") == "ok":
        root = stability["root"]
        lines.append(
            f"Stability: the root column {root['column']} is at the root in "
            f"{pct(root['share'])} of {stability['n_refits']} refits"
        )
    else:
        lines.append(f"Stability: not measured ({stability.get('reason', 'skipped')})")
    return _item(
        "explainability",
        "Explainability: rules, SHAP, per-rule fidelity, stability",
        ["12c", "22"],
        lines,
        {
            "worst_rule": worst or None,
            "shap_spearman": shap.get("spearman") or {},
            "stability_root": stability.get("root"),
        },
    )


def _limitations_item(report: dict, config: dict) -> dict:
    summary = report["summary"]
    checks = report["run"].get("data_checks") or {}
    degenerate = summary.get("degenerate")
    if isinstance(degenerate, bool):  # the shareable form keeps no counted sentence
        lines = (
            ["The teacher's decisions on the held-out rows are (nearly) all one "
             "class or flag no row at the threshold (the full report gives the "
             "counts)"] if degenerate else []
        )  # fmt: skip
    else:
        lines = list(degenerate or [])
    for leak in checks.get("leaks") or []:
        column = leak.get("column") if isinstance(leak, dict) else leak
        lines.append(f"Possible target leak: {column}")
    for ident in checks.get("identifiers") or []:
        column = ident.get("column") if isinstance(ident, dict) else ident
        lines.append(f"Identifier-like column left out: {column}")
    small = [
        f"{g['column']} = {g['level']} ({g['n']} rows)"
        for g in report["subgroups"].get("rows") or []
        if g.get("small")
    ]
    if small:
        lines.append(
            f"Subgroups with fewer than {summary.get('min_n')} held-out rows (their "
            f"numbers are unreliable): {', '.join(small)}"
        )
    n_small_rules = sum(1 for r in report.get("rules") or [] if r.get("small"))
    n_hidden = sum(1 for r in report.get("rules") or [] if r.get("suppressed"))
    if n_hidden:
        lines.append(
            f"{n_hidden} rules are suppressed in this shareable card (they hold too "
            "few held-out rows to leave)"
        )
    if n_small_rules:
        lines.append(
            f"{n_small_rules} rules hold fewer than {summary.get('min_n')} held-out "
            "rows; their agreement is unreliable"
        )
    if (config.get("teacher") or {}).get("source") == "trained on the training rows":
        lines.append(
            "No teacher file was given: the teacher is an MLP treedistill trained; "
            "this card describes that network, not a model of yours"
        )
    lines.extend(report["run"].get("notes") or [])
    lines.append(
        "Evaluated on a held-out part of the same data set only (no external "
        "validation)."
    )
    return _item("limitations", "Limitations measured", ["26"], lines)


#: The usual public-health rule: no count, rate or rule from fewer rows leaves.
SHAREABLE_MIN_COUNT = DEFAULT_MIN_COUNT


def _subgroup_item(
    run: Path, report: dict, columns, bands, s: Suppressor | None
) -> dict:
    """Performance and fairness per subgroup, re-derived from the run's held-out
    rows (the run's data file, teacher and tree); with ``s``, the shareable form
    (every count and rate under its minimum suppressed)."""
    from treedistill.report._format import pct as p
    from treedistill.report._subgroup_section import (
        cut_points,
        fairness_section,
        gap_sentences,
    )
    from treedistill.runs._compare import _held_out, _load, _proba

    ops = report["operating_points"]
    if ops.get("positive_class") is None or len(report["data"]["classes"]) != 2:
        return _item("subgroup_performance", "Performance per subgroup", ["23a", "14"],
                     ["Measured for two classes only."])  # fmt: skip
    loaded = _load(run)
    from treedistill.data._tables import read_table

    frame = read_table(loaded.data_path)
    held = _held_out(loaded, frame)
    rows = frame.iloc[held]
    teacher, tree = _proba(loaded, rows)
    pos = int(ops["positive_index"])
    target = report["run"]["data"]["target"]
    truth = rows[target].astype(str).to_numpy() == str(ops["positive_class"])
    for column in columns:
        if column not in frame.columns:
            raise ParameterError(
                f"subgroup column {column!r} is not a column of the data",
                parameter="subgroup",
            )
    # The edges the report's fairness section used, unless others are given.
    recorded = (report.get("fairness") or {}).get("bands") or {}
    edges = {c: (bands or {}).get(c) or recorded.get(c) for c in columns}
    model = report["summary"]["model"]
    row = next(r for r in report["fidelity"]["held_out"] if r["key"] == model)
    min_n = int(report["summary"].get("min_n") or 10)
    table = fairness_section(
        rows, columns, truth, teacher[:, pos], tree[:, pos], cut_points(row),
        model=model, min_n=min_n, bands=edges,
    )["groups"]  # fmt: skip
    lines = [
        "Per group of held-out rows: outcome rate; at each operating point the "
        "teacher's and the tree's flag rate, sensitivity, specificity and PPV "
        "against the truth (95% Wilson intervals); calibration in the large (mean "
        "risk minus outcome rate); agreement of the tree with the teacher.",
    ]

    if s is not None:
        table, gaps = suppress_groups(table, s, "subgroup_performance.groups")
        # a flag rate that is the training prevalence hides with it
        prevalence = (ops.get("prevalence") or [None] * (pos + 1))[pos]
        if ops.get("flag_rate_source") == "prevalence" and not s.rate_ok(
            prevalence, report["data"].get("n_train"), truth=True
        ):
            for i, g in enumerate(table):
                for j, op in enumerate(g["operating_points"]):
                    if op["kind"] == "flag_rate":
                        op["value"] = s.value(
                            op["value"], True,
                            f"subgroup_performance.groups[{i}].operating_points[{j}].value",
                        )  # fmt: skip
    else:
        gaps = gap_sentences(table)

    def est(e) -> str:
        if isinstance(e, str):
            return e
        if e["value"] is None:
            return "—"
        return f"{p(e['value'])} ({p(e['low'])}–{p(e['high'])})"

    for g in table:
        name = g["label"]
        if isinstance(g["n"], str):
            lines.append(f"{name}: {g['n']} rows; its numbers are suppressed")
            continue
        text = (
            f"{name}{' (small)' if g['small'] else ''}: n = {g['n']}, outcome rate "
            f"{est(g['outcome_rate'])}, agreement {est(g['agreement'])}"
        )
        for op in g["operating_points"]:
            where = (f"P >= {op['value']:g}" if op["kind"] == "threshold"
                     else f"top {pct(op['value'])}")  # fmt: skip
            for who in ("teacher", "tree"):
                m = op[who]
                cal = m["calibration_in_the_large"]
                text += (
                    f"; {who} at {where}: flags {est(m['flag_rate'])}, sensitivity "
                    f"{est(m['sensitivity'])}, specificity {est(m['specificity'])}, "
                    f"PPV {est(m['ppv'])}, calibration "
                    f"{'—' if cal is None else cal if isinstance(cal, str) else format(cal, '+.3f')}"
                )
        lines.append(text)
    lines.extend(gaps)
    return _item(
        "subgroup_performance", "Performance and fairness per subgroup",
        ["23a", "14"], lines,
        {"groups": table, "gaps": gaps, "min_n": min_n,
         "bands": {c: (bands or {}).get(c) for c in columns}},
    )  # fmt: skip


def model_card(
    run_dir: str | os.PathLike,
    *,
    subgroup: list[str] | None = None,
    bands: dict[str, list[float]] | None = None,
    min_count: int | None = None,
) -> dict:
    """The model card of a run directory, as a JSON-serialisable dict.

    ``items`` follow TRIPOD+AI; ``to_fill`` lists the items only a person can
    fill in. ``subgroup`` adds performance and fairness per group of those data
    columns (re-derived from the run's held-out rows; a numeric column in bands
    at ``bands[col]``, else its quartiles). ``min_count`` makes the shareable
    form: every count, rate and rule from fewer rows is suppressed (the card
    never holds a patient row). Raises
    :class:`~treedistill.exceptions.SavedRunError` for a folder that is not a
    complete run.
    """
    run = Path(run_dir)
    if min_count is not None:
        check_min_count(min_count)
    report = read_report(run)
    config = _config(run)
    try:
        shown = report if min_count is None else shareable_report(report, min_count)
        items = [
            *_data_items(shown, config),
            *_model_items(run, shown, config),
            *_performance_items(shown),
            _explain_item(shown),
            _limitations_item(shown, config),
        ]
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise SavedRunError(
            f"{_q(run / 'report.json')} lacks an entry the card needs "
            f"({type(exc).__name__}: {exc}): it was changed or is incomplete",
            path=run / "report.json",
        ) from None
    s = None if min_count is None else Suppressor(min_count)
    if subgroup:
        items.insert(-2, _subgroup_item(run, report, list(subgroup), bands, s))
    card = {
        "card_version": CARD_VERSION,
        "standard": "TRIPOD+AI (2024)",
        "run": run.name,
        "target": report["run"]["data"]["target"],
        "treedistill": __version__,
        "shareable_min_count": min_count,
        "plain_summary": plain_summary(shown)
        if min_count is None
        else shown["plain_summary"],
        "items": items,
        "to_fill": [
            {"tripod": item, "title": title, "to_do": f"TO DO: {what}"}
            for item, title, what in TO_FILL
        ],
    }
    if s is not None:  # what the report's copy and the subgroup item suppressed
        info = dict(shown["shareable"])
        info["suppressed"] = [*info["suppressed"], *s.suppressed]
        kinds = dict(info["by_kind"])
        for kind, n in s.summary()["by_kind"].items():
            kinds[kind] = kinds.get(kind, 0) + n
        info.update(n_suppressed=len(info["suppressed"]), by_kind=kinds)
        card["shareable"] = info
    return card


def card_json(card: dict) -> str:
    """The card as JSON text (sorted keys; a shareable card's ``shareable``
    entry first)."""
    return shareable_json(card) if "shareable" in card else dumps(card)


def render_card_markdown(card: dict) -> str:
    """The card as Markdown (every value escaped for Markdown)."""
    out = [
        f"# {'Shareable model' if card.get('shareable') else 'Model'} card: "
        f"{md(card['target'])} (run {md(card['run'])})",
        "",
        *(
            [
                *(
                    f"> **{md(line)}**" if i == 0 else f"> {md(line)}"
                    for i, line in enumerate(
                        header_lines(card["shareable"], "model card")
                    )
                ),
                "",
            ]
            if card.get("shareable")
            else []
        ),  # fmt: skip
        f"Filled from the run by treedistill {md(card['treedistill'])}, item "
        f"numbers of {md(card['standard'])}. Items only a person can fill in are "
        "listed under *To fill in*; nothing there is guessed.",
        "",
        "## In plain words",
        "",
        md(card["plain_summary"]),
        "",
    ]
    for item in card["items"]:
        tags = ", ".join(item["tripod"])
        out += [f"## {md(item['title'])} (TRIPOD+AI {tags})", ""]
        out += [f"- {md(line)}" for line in item["lines"]] or ["- (nothing recorded)"]
        out.append("")
    out += ["## To fill in", ""]
    out += [
        f"- [ ] {md(t['tripod'])} {md(t['title'])}: {md(t['to_do'])}"
        for t in card["to_fill"]
    ]
    return "\n".join(out) + "\n"


def write_card(
    run_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    force: bool = False,
    **card_options,
) -> list[Path]:
    """Write ``card.md`` and ``card.json`` of a run into the new folder ``out``
    (the rule of every output folder: new or empty, or with ``force`` a folder
    treedistill wrote; written whole or not at all)."""
    card = model_card(run_dir, **card_options)
    target = check_out_dir(out, force, keep=[Path(run_dir) / "report.json"])
    staging = Staging(target, force=force)
    try:
        atomic_write_text(staging.path / "card.md", render_card_markdown(card))
        atomic_write_text(staging.path / "card.json", card_json(card))
        staging.publish()
    except BaseException:
        staging.discard()
        raise
    return [target / "card.md", target / "card.json"]
