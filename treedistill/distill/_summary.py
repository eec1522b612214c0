"""A fitted student in a few lines of plain text (what ``repr`` shows).

For a fitted :class:`~treedistill.DistilledTreeClassifier` or
:class:`~treedistill.DistilledBoostingClassifier`, or a loaded
:class:`~treedistill.StudentBundle`: the kind and size of the student, its
classes, the teacher, the objective (temperature, alpha, criterion), the size
settings, the transfer set and the held-out fidelity where one was recorded (the
automatic size choice of a live model, the run's measures in a saved student).
Every line fits a terminal of :data:`WIDTH` columns.
"""

from __future__ import annotations

__all__ = ["WIDTH", "fitted_summary", "size_text", "summary_lines"]

#: Columns every line fits in.
WIDTH = 80


def _cut(line: str, width: int = WIDTH) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def _num(x) -> str:
    return f"{float(x):g}"


def _pct(x) -> str:
    return f"{100 * float(x):.1f}%"


def size_text(model) -> str:
    """``"8 leaves, depth 3"`` for a tree student, ``"10 trees"`` for boosting."""
    student = model.student_
    if hasattr(student, "get_n_leaves"):
        return f"{student.get_n_leaves()} leaves, depth {student.get_depth()}"
    n = student.n_trees()
    return f"{n} tree" if n == 1 else f"{n} trees"


def _kind(model) -> str:
    kind = getattr(model, "kind", None)
    if kind is not None:  # a saved student
        return kind
    return "tree" if hasattr(model.student_, "get_n_leaves") else "boosted"


def _classes(model) -> str:
    names = getattr(model, "class_names_", None)
    shown = [str(n) for n in (names if names is not None else model.classes_)]
    return "classes: " + ", ".join(shown)


def _objective(model, params: dict, kind: str) -> str:
    objective = getattr(model, "objective_", None)
    if kind == "tree" and objective == "agreement":
        out = "objective: agreement (splits on the teacher's class)"
        if params.get("alpha"):
            out += f", alpha {_num(params['alpha'])}"
    else:
        out = "objective: ranking, " if kind == "tree" and objective else "objective: "
        out += (
            f"soft labels at temperature {_num(model.temperature)}, "
            f"alpha {_num(params.get('alpha', 0.0))}"
        )
    if kind == "tree" and params.get("criterion"):
        out += f", criterion {params['criterion']}"
    return out


def _size_settings(model, params: dict, kind: str) -> str:
    if kind == "boosted":
        return (
            f"settings: n_estimators={params.get('n_estimators')}, "
            f"max_depth={params.get('max_depth')}, "
            f"learning_rate={params.get('learning_rate')}"
        )
    budget = params.get("max_leaf_nodes")
    chosen = getattr(model, "max_leaf_nodes_", None)
    if budget == "auto" and chosen is not None:
        budget = f"'auto' (chose {chosen})"
    out = f"settings: max_leaf_nodes={budget}, max_depth={params.get('max_depth')}"
    search = getattr(model, "search_", None) or params.get("search")
    if search:
        out += f", search {search}"
    return out


def _transfer(model, params: dict) -> str | None:
    n = int(getattr(model, "n_transfer_", 0) or 0)
    if not n:
        return None
    extra = getattr(model, "n_augmented_", None)
    if extra is None:
        return f"transfer set: {n} rows"
    how = params.get("augmentation") or "augmentation"
    return f"transfer set: {n} rows ({n - extra} real, {extra} added by {how})"


def _monotone(params: dict) -> str | None:
    cst = params.get("monotone_constraints")
    if not cst:
        return None
    return "monotone: " + ", ".join(f"{c} {int(s):+d}" for c, s in cst.items())


def _held_out(model) -> str | None:
    """The held-out fidelity the model carries, if any."""
    fid = (getattr(model, "metadata", None) or {}).get("held_out_fidelity")
    if isinstance(fid, dict) and fid.get("agreement") is not None:
        out = f"held-out: agrees with the teacher on {_pct(fid['agreement'])}"
        ci = fid.get("agreement_ci")
        if ci:
            out += f" (95% CI {_pct(ci[0])}-{_pct(ci[1])})"
        if fid.get("n"):
            out += f" of {fid['n']} rows"
        return out
    curve = getattr(model, "size_curve_", None)
    if curve:
        point = next(
            (p for p in curve["points"] if p["max_leaf_nodes"] == curve["chosen"]),
            None,
        )
        if point is not None:
            return (
                f"held-out: agrees with the teacher on {_pct(point['agreement'])} "
                f"of {curve['n_held_out']} rows kept out to choose the size"
            )
    return None


def summary_lines(model) -> list[str]:
    """The lines of :func:`fitted_summary` (each at most :data:`WIDTH` long)."""
    kind = _kind(model)
    params = dict(getattr(model, "params", None) or {})
    if not hasattr(model, "params"):  # a live estimator: its own parameters
        params = model.get_params(deep=False)
    if hasattr(model, "path"):
        head = f"StudentBundle ({kind} student, {size_text(model)})"
        teacher = getattr(model, "teacher_name", "") or None
        where = f"file: {model.path}"
    else:
        head = f"{type(model).__name__} (fitted: {size_text(model)})"
        teacher = type(model.teacher_).__name__
        where = None
    lines = [
        head,
        _classes(model),
        f"teacher: {teacher}" if teacher else None,
        _objective(model, params, kind),
        _size_settings(model, params, kind),
        _monotone(params),
        _transfer(model, params),
        _held_out(model),
        where,
    ]
    return [
        _cut(line if i == 0 else "  " + line) for i, line in enumerate(lines) if line
    ]


def fitted_summary(model) -> str:
    """A fitted student (live or saved) in at most ten lines of plain text."""
    return "\n".join(summary_lines(model))
