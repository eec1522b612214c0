"""The ``flagged`` output of an export: 1 where the positive class's probability
is at least a threshold (what ``treedistill predict`` writes at that threshold)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from treedistill.exceptions import ParameterError

__all__ = ["Flag", "resolve_flag"]


@dataclass(frozen=True)
class Flag:
    """Flag rows whose probability of ``classes[index]`` is >= ``threshold``."""

    index: int
    threshold: float

    def leaf(self, value) -> int:
        """1 when a leaf's probabilities ``value`` are flagged, else 0."""
        return int(float(value[self.index]) >= self.threshold)


def resolve_flag(classes, flag_threshold, positive_class) -> Flag | None:
    """``None`` without ``flag_threshold``; else the class flagged (by default the
    second of two classes) and the checked threshold."""
    if flag_threshold is None:
        if positive_class is not None:
            raise ParameterError(
                "positive_class applies only with flag_threshold",
                parameter="positive_class",
            )
        return None
    classes = list(classes)
    if len(classes) != 2:
        raise ParameterError(
            f"flag_threshold needs a student of two classes; this one has "
            f"{len(classes)}",
            parameter="flag_threshold",
        )
    if isinstance(flag_threshold, bool) or not isinstance(flag_threshold, (int, float)):
        raise ParameterError(
            f"flag_threshold must be a number in [0, 1], got {flag_threshold!r}",
            parameter="flag_threshold",
        )
    value = float(flag_threshold)
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise ParameterError(
            f"flag_threshold must be in [0, 1], got {value:g}",
            parameter="flag_threshold",
        )
    if positive_class is None:
        return Flag(1, value)
    for i, c in enumerate(classes):
        if c == positive_class or str(c) == str(positive_class):
            return Flag(i, value)
    raise ParameterError(
        f"positive_class {positive_class!r} is not a class of the student (its "
        f"classes: {classes})",
        parameter="positive_class",
    )


def leaf_cut(model, cut: float, positive_class) -> float:
    """``cut`` (as a report rounds it, to 6 significant digits) as the tree's own
    leaf probability of ``positive_class`` it stands for, so that the rows at the
    cut are flagged; ``cut`` unchanged for a boosted student or when no leaf is
    that close."""
    from treedistill.export._common import student_kind, tree_spec

    if student_kind(model) != "tree":
        return float(cut)
    spec = tree_spec(model, "python")
    flag = resolve_flag(spec.classes, float(cut), positive_class)
    values = [float(spec.value[leaf][flag.index]) for leaf in spec.leaves()]
    near = [v for v in values if abs(v - cut) <= 1e-5 * max(abs(cut), 1e-12)]
    return min(near, key=lambda v: abs(v - cut)) if near else float(cut)
