"""The headline in words: the sentences a report (and the command line) opens with.

Order: what is degenerate about the teacher first; for a rare outcome (or when the
threshold says nothing) the flagged rows and the risk ranking at the chosen
operating point; then overall agreement and where it is least faithful; then the
weakest class; then baselines, synthetic rows and accuracy.
"""

from __future__ import annotations

from treedistill.distill._sample_size import SMALL_SAMPLE_ROWS
from treedistill.report._format import estimate_text, num, pct, rows
from treedistill.report._lead import RESOLVED_WIDTH

__all__ = ["headline_sentences"]


def _one_line(x) -> str:
    return " ".join(str(x).replace("\t", " ").splitlines())


def _who(s: dict) -> str:
    if s["student"] == "tree":
        return f"the {s['n_leaves']}-leaf tree"
    return f"the boosted student ({s['n_trees']} trees)"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _unresolved(s: dict, measure: str) -> bool:
    """Whether the headline's ``measure`` has an interval too wide to read alone."""
    return measure in ((s.get("resolution") or {}).get("unresolved") or ())


def _wider(s: dict, points: bool = True) -> str:
    width = (s.get("resolution") or {}).get("max_width", 0.2)
    return f"wider than {100 * width:g} points" if points else f"wider than {width:g}"


def _degenerate(s: dict, ops: dict) -> list[str]:
    facts = s.get("degenerate") or []
    if not facts:
        return []
    out = [_capital("; ".join(_one_line(f) for f in facts)) + "."]
    point = s.get("operating_point")
    if point is not None and point["kind"] == "flag_rate":
        out.append(
            f"Agreement at threshold {ops['threshold']:g} is therefore not a measure "
            f"of fidelity here: the figures that follow are at {_where(point, ops)}."
        )
    elif point is None:
        out.append(
            "Overall agreement is therefore not a measure of fidelity here: see the "
            "weakest class below and the per-class table."
        )
    return out


def _where(point: dict, ops: dict) -> str:
    positive = _one_line(ops.get("positive_name") or ops["positive_class"])
    if point["kind"] == "threshold":
        return f"threshold {point['value']:g} on P({positive})"
    source = (
        "the rate asked for"
        if ops["flag_rate_source"] == "given"
        else f"the training prevalence of {positive}"
    )
    return f"a flag rate of {pct(point['value'])} ({source})"


def _flagged(s: dict, ops: dict) -> list[str]:
    point = s.get("operating_point")
    if point is None:
        return []
    flagged = point["flagged_agreement"]
    n_flags = point["teacher_flagged"]
    if not flagged or flagged.get("value") is None:
        return [
            f"At {_where(point, ops)} the teacher flags no held-out row, so "
            "flagged-row agreement cannot be measured there."
        ]
    out = [
        f"At {_where(point, ops)}, {_who(s)} flags {pct(flagged['value'])} of the "
        f"{n_flags} held-out rows the teacher flags (95% CI {pct(flagged['low'])}–"
        f"{pct(flagged['high'])}; it flags {point['student_flagged']} rows in all)."
    ]
    if _unresolved(s, "flagged_agreement"):
        out[0] = out[0][:-1] + (
            f": {n_flags} flagged rows are too few to resolve that share, its "
            f"interval is {_wider(s)}."
        )
    rank = s.get("ranking") or {}
    sp, auc = rank.get("spearman"), rank.get("flag_auc")
    if sp and sp.get("value") is not None:
        text = (
            "Its risk ranking follows the teacher's with Spearman ρ "
            f"{_rank_text(s, 'spearman', sp)}"
        )
        if auc and auc.get("value") is not None:
            text += f" and flag AUC {_rank_text(s, 'flag_auc', auc)}"
        out.append(text + ".")
    return out


def _share_text(est: dict) -> str:
    """A share with its interval; one wider than :data:`RESOLVED_WIDTH` is said
    to be unresolved by its rows."""
    text = estimate_text(est)
    low, high = (est or {}).get("low"), (est or {}).get("high")
    if low is not None and high is not None and high - low > RESOLVED_WIDTH:
        text += f", too few rows to resolve it to {100 * RESOLVED_WIDTH:g} points"
    return text


def _rank_text(s: dict, key: str, est: dict) -> str:
    """A ranking measure with its interval; one too wide is said to be so."""
    if not _unresolved(s, key):
        return _plain_est(est)
    return (
        f"{num(est['value'], 2)} (95% CI {num(est['low'], 2)}–{num(est['high'], 2)}: "
        f"not resolved by these rows, {_wider(s, points=False)})"
    )


def _plain_est(est: dict) -> str:
    text = num(est["value"], 2)
    if est.get("low") is not None and est.get("high") is not None:
        text += f" (95% CI {num(est['low'], 2)}–{num(est['high'], 2)})"
    return text


def _least_faithful_place(key: str, w: dict) -> str:
    share = f"{pct(w['agreement'])} of {rows(w['n'])}"
    if key == "worst_rule":
        return f"rule {w['rule']} ({share}: {_one_line(w['text'])})"
    label = w.get("label") or f"{w['column']} = {w['level']}"
    return f"subgroup {_one_line(label)} ({share})"


def _agreement(s: dict) -> str:
    lo, hi = s["agreement_ci"] or (None, None)
    first = (
        f"{_capital(_who(s))} agrees with the teacher on {pct(s['agreement'])} "
        f"(95% CI {pct(lo)}–{pct(hi)}) of {s['n']} held-out rows"
    )
    if _unresolved(s, "agreement"):
        first += f", too few to resolve it (the interval is {_wider(s)})"
    worst, perfect = [], []
    big = f" with at least {s['min_n']} held-out rows" if s.get("min_n") else ""
    for key, everywhere in (
        ("worst_rule", "every rule" + big),
        ("worst_subgroup", "every subgroup" + big),
    ):
        w = s.get(key)
        if not w:
            continue
        if w["agreement"] >= 1.0:
            perfect.append(everywhere)
        else:
            worst.append(_least_faithful_place(key, w))
    if worst:
        first += "; it is least faithful in " + " and in ".join(worst)
    if perfect:
        first += ("; it" if not worst else ", and it") + " agrees fully in "
        first += " and in ".join(perfect)
    return first + "."


def _worst_class(s: dict, classes: list) -> list[str]:
    w = s.get("worst_class")
    point = s.get("operating_point")
    if not w:
        return []
    said = s["lead"] == "flagged" and point and point["kind"] == "threshold"
    if said and point["value"] == 0.5 and w["class_index"] == point["class_index"]:
        return []  # the same rows as the flagged-row sentence before it
    name = _one_line(classes[w["class_index"]])
    rare = set(s.get("rare_classes") or [])
    if w["class_index"] in rare:
        return []  # said by the rare-class sentences
    return [
        f"Weakest class: of the {w['teacher_n']} held-out rows the teacher puts in "
        f"{name}, the student puts {_share_text(w['recall'])} there too."
    ]


def _baselines(s: dict, data: dict) -> list[str]:
    out = []
    if s.get("surrogate_agreement") is not None:
        out.append(
            f"A hard-label surrogate tree with {s['surrogate_n_leaves']} leaves "
            f"agrees on {pct(s['surrogate_agreement'])}."
        )
    if s.get("synthetic_agreement") is not None:
        extra = ""
        if s.get("surrogate_synthetic_agreement") is not None:
            extra = f" (surrogate: {pct(s['surrogate_synthetic_agreement'])})"
        w = s.get("worst_rule_synthetic")
        if w and w["agreement"] is not None and w["agreement"] < 1.0:
            extra += (
                f"; there it is least faithful in rule {w['rule']} "
                f"({pct(w['agreement'])} of {rows(w['n'])})"
            )
        out.append(
            f"On {data['n_synthetic']} fresh synthetic rows the student agrees on "
            f"{pct(s['synthetic_agreement'])}{extra}."
        )
        if _few_rows(s, data):
            out.append(
                "Synthetic rows are plentiful, so that figure is precise, but they "
                "are drawn from the training rows: they measure the tree against the "
                "teacher on rows like this sample and cannot tell how the teacher or "
                "the tree fare on real patients."
            )
    if s.get("accuracy") is not None:
        text = (
            f"Accuracy against the truth: student {pct(s['accuracy'])}, "
            f"teacher {pct(s['teacher_accuracy'])}"
        )
        nir = _no_information(data)
        if nir is not None:
            text += (
                f"; predicting {_one_line(nir[0])} for every row scores "
                f"{pct(nir[1])} (the no-information rate)"
            )
        out.append(text + ".")
    return out


def _few_rows(s: dict, data: dict) -> bool:
    """A small sample: fewer training rows than the augmentation rule calls small,
    or a headline measure the held-out rows do not resolve."""
    n_train = data.get("n_train")
    small = n_train is not None and n_train < SMALL_SAMPLE_ROWS
    return small or bool((s.get("resolution") or {}).get("unresolved"))


def _names(data: dict) -> list:
    return list(data.get("class_names") or data["classes"])


def _no_information(data: dict):
    """The majority class of the held-out rows (its name) and its share."""
    counts = data.get("test_class_counts") or []
    n = sum(counts)
    if not n:
        return None
    top = max(range(len(counts)), key=lambda i: (counts[i], -i))
    return _names(data)[top], counts[top] / n


def _rare_classes(s: dict, data: dict) -> list[str]:
    """For each rare class of a problem with more classes: recall and precision
    against the teacher, with n and interval."""
    rare = set(s.get("rare_classes") or [])
    if not rare:
        return []
    names = _names(data)
    out = []
    for c in s.get("per_class_rare") or []:
        if c["class_index"] not in rare:
            continue
        name = _one_line(names[c["class_index"]])
        if not c["teacher_n"]:
            out.append(
                f"Rare class {name}: the teacher puts no held-out row there; the "
                f"student puts {c['student_n']}."
            )
            continue
        out.append(
            f"Rare class {name}: of the {c['teacher_n']} held-out rows the teacher "
            f"puts there, the student puts {_share_text(c['recall'])} there too; "
            f"of its {c['student_n']}, {_share_text(c['precision'])} are the "
            "teacher's."
        )
    return out


def _focus_place(s: dict, ops: dict) -> list[str]:
    """Where the flags differ most from the teacher's (rule, subgroup)."""
    if s.get("lead") != "flagged":
        return []
    parts = []
    w = s.get("worst_rule_focus")
    if w and w["focus"]["kind"] == "flags":
        f = w["focus"]
        parts.append(
            f"rule {w['rule']} ({rows(w['n'])}: the teacher flags "
            f"{_count(f['teacher_flagged'])}, the tree {_count(f['student_flagged'])}, "
            f"both {_count(f['both_flagged'])})"
        )
    g = s.get("worst_subgroup_focus")
    if g and g["focus"]["kind"] == "flags":
        f = g["focus"]
        parts.append(
            f"subgroup {_one_line(g['column'])} = {_one_line(g['level'])} "
            f"({rows(g['n'])}: the teacher flags {_count(f['teacher_flagged'])}, "
            f"the student {_count(f['student_flagged'])}, both "
            f"{_count(f['both_flagged'])})"
        )
    if not parts:
        return [
            "Its flags match the teacher's in every rule and every subgroup with at "
            f"least {s.get('min_n')} held-out rows."
        ]
    return [
        "Its flags differ most from the teacher's in " + " and in ".join(parts) + "."
    ]


def _count(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def headline_sentences(summary: dict, data: dict, ops: dict) -> tuple[list[str], int]:
    """The report's opening sentences, most important first, and how many of the
    first ones are warnings about a degenerate teacher.

    ``summary`` is the report's summary section, ``data`` its data section and
    ``ops`` its operating-point settings.
    """
    out = _degenerate(summary, ops)
    n_alert = len(out)
    if summary["lead"] == "flagged":
        out += _flagged(summary, ops)
        out += _focus_place(summary, ops)
    out += _rare_classes(summary, data)
    out.append(_agreement(summary))
    out += _worst_class(summary, _names(data))
    if summary["lead"] != "flagged":
        out += _flagged(summary, ops)
    return out + _baselines(summary, data) + _objective(summary), n_alert


#: What a tree built for each objective does, in the headline's words.
_BUILT_FOR = {
    "agreement": "to predict the teacher's class as often as possible",
    "ranking": "to rank risk and flag patients as the teacher does",
}


def _objective(s: dict) -> list[str]:
    """Which objective built the tree, and why (a tree student only)."""
    objective = s.get("objective")
    if objective not in _BUILT_FOR:
        return []
    why = s.get("objective_reason") or ""
    return [f"The tree was built {_BUILT_FOR[objective]} ({why})."]
