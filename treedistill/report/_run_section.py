"""The report's "Run" section in brief: what was read, and what differs from the
defaults.

Built from ``report["run"]`` alone (as :func:`treedistill.run_distill` records
it). The full record stays in ``report.json`` and ``config.json``; the page
shows only what a reader needs to tell this run from a default one.
"""

from __future__ import annotations

import dataclasses

__all__ = ["changed_settings", "run_summary", "trained_teacher"]

#: Options shown in their own rows (or not at all) rather than as settings.
_OWN_ROWS = frozenset({"data", "target", "teacher", "out", "force", "copy_data"})


def _defaults() -> dict:
    from treedistill.distill._options import DistillParams

    out = {}
    for f in dataclasses.fields(DistillParams):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def _same(value, default) -> bool:
    if isinstance(default, tuple | list) or isinstance(value, tuple | list):
        return list(value or []) == list(default or [])
    return value == default


def changed_settings(options: dict) -> list[dict]:
    """``{"setting", "value", "default"}`` for each option not at its default."""
    defaults = _defaults()
    rows = []
    for key in sorted(options):
        if key in _OWN_ROWS or key not in defaults:
            continue
        if not _same(options[key], defaults[key]):
            rows.append(
                {"setting": key, "value": options[key], "default": defaults[key]}
            )
    return rows


def trained_teacher(report: dict) -> bool:
    """Whether the teacher is the MLP treedistill trained (no teacher file given)."""
    run = report.get("run") or {}
    options = run.get("options")
    return isinstance(options, dict) and "teacher" in options and not options["teacher"]


def _text(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)


def run_summary(report: dict) -> dict | None:
    """Rows of the compact Run table, or ``None`` for a free-form ``run``.

    Returns ``{"rows": [(label, text)], "changed": [...], "notes": [...]}``.
    """
    run = report.get("run") or {}
    options = run.get("options")
    if not isinstance(options, dict):
        return None
    data = run.get("data") or {}
    split = run.get("split") or {}
    teacher = run.get("teacher") or {}
    sha = str(data.get("sha256") or "")
    rows = [
        (
            "Data",
            f"{data.get('file', options.get('data'))}"
            + (f" (sha256 {sha[:12]}…)" if sha else "")
            + f", target {data.get('target', options.get('target'))}",
        ),
    ]
    if split:
        rows.append(
            (
                "Split",
                f"{split.get('n_train')} training rows, {split.get('n_test')} held out "
                f"(test_size {split.get('test_size')}, seed {split.get('seed')}"
                + (", stratified)" if split.get("stratified") else ")"),
            )
        )
    if trained_teacher(report):
        who = (
            f"{teacher.get('model', 'MLP')} trained by treedistill on the training rows"
        )
    else:
        who = _text(options.get("teacher"))
    rows.append(("Teacher", who))
    rows.append(("Students", _text(list((run.get("students") or {}).keys()))))
    changed = [
        {**c, "value": _text(c["value"]), "default": _text(c["default"])}
        for c in changed_settings(options)
    ]
    return {"rows": rows, "changed": changed, "notes": list(run.get("notes") or [])}
