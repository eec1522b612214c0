"""The report's stability section, and the headline warnings about the explanation.

Two questions an auditor asks of the tree that a single run cannot answer:

* Would another run give the same explanation? The tree student is refit on
  bootstrap resamples (:mod:`treedistill.measures._stability`); the headline warns when the
  main tree's root column is at the root in fewer than 70% of the refits.
* Does the tree match the teacher's reasons, not only its predictions? The
  headline warns when the student's SHAP ranking of the columns correlates with
  the teacher's below :data:`MIN_SHAP_SPEARMAN`, or when one column carries most
  of the student's attribution while the teacher spreads it.
"""

from __future__ import annotations

import numpy as np

from treedistill.common._json import scalar
from treedistill.distill._sample_size import SMALL_SAMPLE_ROWS, augment_factor_of
from treedistill.measures._stability import refit_stability
from treedistill.report._format import pct
from treedistill.report._inputs import Inputs
from treedistill.report._operating import OperatingPoints

__all__ = [
    "CONCENTRATED_SHARE",
    "MIN_SHAP_SPEARMAN",
    "reasons_check",
    "stability_section",
    "warning_sentences",
]

MIN_SHAP_SPEARMAN = 0.6
CONCENTRATED_SHARE = 0.5  # one column carries at least half of the attribution
# A report refits transfer sets of at most this many rows: a larger one is drawn
# from a seeded sample of the training rows (stated in the section), so that the
# refits cost the same at any size of data; treedistill.stability() refits all
# rows when called directly.
MAX_REPORT_TRANSFER_ROWS = 250_000


def stability_section(
    inputs: Inputs, ops: OperatingPoints, *, n_refits: int, seed: int
) -> dict:
    """Bootstrap refits of the tree student measured on the held-out rows.

    ``n_refits == 0`` turns the section off; a report without a tree student says
    why it has none. When the training rows and their augmented rows make more
    than :data:`MAX_REPORT_TRANSFER_ROWS`, the refits resample a pool drawn from a
    seeded sample of the training rows (``sampled``, ``n_train`` of
    ``n_train_total``); a model fit in chunks is refit in memory on such a pool.
    """
    name = inputs.tree_name
    if not n_refits:
        return {"status": "off", "reason": "not asked for (0 refits)"}
    if name is None:
        return {"status": "skipped", "reason": "there is no tree student"}
    model = inputs.models[name]
    rate = ops.flag_rate if ops.positive is not None else None
    limit = int(MAX_REPORT_TRANSFER_ROWS / (1.0 + augment_factor_of(model)))
    shared = model.augmentation == "munge" and len(inputs.train.frame) <= limit
    out = refit_stability(
        model,
        inputs.train.model_in,
        inputs.y_train,
        inputs.test.model_in,
        inputs.test.teacher_proba,
        n_refits=n_refits,
        positive=ops.positive,
        threshold=ops.threshold,
        flag_rate=rate,
        random_state=seed,
        max_transfer_rows=MAX_REPORT_TRANSFER_ROWS,
        neighbours=inputs.train_neighbours() if shared else None,
    )
    return {
        "status": "ok",
        "model": name,
        **out,
        "max_transfer_rows": MAX_REPORT_TRANSFER_ROWS,
        "few_rows": _few_rows_note(out),
    }


def _few_rows_note(out: dict) -> str | None:
    """What the refits measure when the training rows are few (``None`` otherwise)."""
    n = out.get("n_train")
    if n is None or n >= SMALL_SAMPLE_ROWS or out.get("sampled"):
        return None
    text = (
        f"With only {n:,} training rows, the refits show how much the tree depends "
        "on which of these rows it is given"
    )
    if out.get("n_augmented"):
        text += (
            f". The {out['n_augmented']:,} augmented rows, most of the transfer set, "
            "are drawn around these same rows in every refit, so another sample of "
            f"{n:,} patients could change the tree more than the refits do"
        )
    return text + "."


def _shares(importance) -> np.ndarray | None:
    arr = np.asarray(importance, dtype=np.float64)
    total = arr.sum()
    return arr / total if arr.size and total > 0 else None


def reasons_check(shap: dict, name: str) -> dict | None:
    """Whether model ``name`` matches the teacher's reasons (SHAP), or ``None``
    when SHAP did not explain both."""
    teacher = shap.get("teacher") or {}
    student = (shap.get("students") or {}).get(name) or {}
    if teacher.get("status") != "ok" or student.get("status") != "ok":
        return None
    t_share = _shares(teacher["importance"])
    s_share = _shares(student["importance"])
    if t_share is None or s_share is None:
        return None
    rho = shap.get("spearman", {}).get(name)
    top = int(np.argmax(s_share))
    concentrated = bool(
        s_share[top] >= CONCENTRATED_SHARE and t_share[top] <= s_share[top] / 2
    )
    return {
        "model": name,
        "spearman": rho,
        "low_correlation": bool(rho is not None and rho < MIN_SHAP_SPEARMAN),
        "min_spearman": MIN_SHAP_SPEARMAN,
        "top_column": scalar(shap["columns"][top]),
        "student_share": float(s_share[top]),
        "teacher_share": float(t_share[top]),
        "teacher_top_share": float(t_share.max()),
        "concentrated": concentrated,
        "warn": bool(rho is not None and rho < MIN_SHAP_SPEARMAN) or concentrated,
    }


def _root_sentence(st: dict) -> list[str]:
    root = st["root"]
    if root["column"] is None or root["stable"]:
        return []
    others = [
        c for c in st["columns"] if c["column"] != root["column"] and c["root"] > 0
    ]
    rows = "the training rows"
    if st.get("sampled"):
        rows = (
            f"a sample of {st['n_train']:,} of the {st['n_train_total']:,} training "
            "rows (fewer rows than the tree was fit on, which overstates the "
            "instability)"
        )
    text = (
        f"Another run could give a different explanation: refit on "
        f"{st['n_refits']} bootstrap resamples of {rows}, the tree splits "
        f"first on {root['column']} in only {root['n_same']} "
        f"({pct(root['share'], 0)})"
    )
    if others:
        best = others[0]
        text += f"; {best['column']} is at the root in {pct(best['root'], 0)}"
    agreement = st.get("agreement") or {}
    if agreement.get("p05") is not None:
        text += (
            f" (held-out agreement of the refits {pct(agreement['p05'])}–"
            f"{pct(agreement['p95'])}, 5th–95th percentile)"
        )
    return [text + "."]


def _reasons_sentence(check: dict | None) -> list[str]:
    if not check or not check["warn"]:
        return []
    parts = []
    if check["low_correlation"]:
        parts.append(
            f"its SHAP ranking of the columns correlates with the teacher's at "
            f"Spearman ρ {check['spearman']:.2f} (below {check['min_spearman']:g})"
        )
    if check["concentrated"]:
        parts.append(
            f"{check['top_column']} carries {pct(check['student_share'], 0)} of its "
            f"attribution against {pct(check['teacher_share'], 0)} of the teacher's"
        )
    return [
        "The student matches the teacher's predictions more than its reasons: "
        + " and ".join(parts)
        + "."
    ]


def warning_sentences(stability: dict, reasons: dict | None) -> list[str]:
    """Headline warnings: an unstable root split; predictions without reasons."""
    out = []
    if stability.get("status") == "ok":
        out += _root_sentence(stability)
    return out + _reasons_sentence(reasons)
