"""The decisions a report measures fidelity at: positive class, threshold, flag rate.

A binary problem has a positive class (by default the minority class of the
training labels) and two operating points: a probability threshold and a flag rate
(each model flags its own top share of risk, by default the training prevalence).
A problem with more classes is measured one class against the rest, each class at
a flag rate equal to its training share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from treedistill.common._json import scalar
from treedistill.distill._choices import RARE_PREVALENCE
from treedistill.measures._fidelity import flag_weights, operating_point, weighted_auc

__all__ = [
    "MEASURE_KEYS",
    "RARE_PREVALENCE",
    "OperatingPoints",
    "curve_measures",
    "operating_points",
]

#: Keys of :func:`treedistill.fidelity`'s result that the report keeps per model.
MEASURE_KEYS = (
    "positive",
    "overall_agreement",
    "per_class",
    "operating_points",
    "ranking",
    "probability",
    "truth",
    "degenerate",
)


@dataclass(frozen=True)
class OperatingPoints:
    """Where fidelity is measured; see the module docstring."""

    classes: list
    positive: int | None  # index of the positive class (binary only)
    threshold: float
    flag_rate: float | list[float]  # one rate (binary) or one per class
    flag_rate_given: bool
    prevalence: list[float]  # training share of each class
    names: list[str] | None = None  # display names (``class_names``), classes order

    @property
    def rare(self) -> bool:
        """Whether the positive class of a binary problem is rare."""
        return self.positive is not None and (
            self.prevalence[self.positive] < RARE_PREVALENCE
        )

    @property
    def display_names(self) -> list[str]:
        """Each class's display name (its label when none was given)."""
        return list(self.names or [str(scalar(c)) for c in self.classes])

    def fidelity_kwargs(self) -> dict:
        """The operating-point arguments of :func:`treedistill.fidelity`."""
        return {
            "positive": self.positive,
            "threshold": self.threshold,
            "flag_rate": self.flag_rate,
            "class_names": self.display_names,
        }

    def describe(self) -> dict:
        """The settings as they are written into the report."""
        return {
            "positive_class": (
                None if self.positive is None else self.classes[self.positive]
            ),
            "positive_index": self.positive,
            "positive_name": (
                None if self.positive is None else self.display_names[self.positive]
            ),
            "threshold": self.threshold if self.positive is not None else None,
            "flag_rate": self.flag_rate,
            "flag_rate_source": "given" if self.flag_rate_given else "prevalence",
            "prevalence": self.prevalence,
            "rare": self.rare,
            "rare_below": RARE_PREVALENCE,
        }


def operating_points(
    positive_class, threshold, flag_rate, classes, y_train_idx, names=None
) -> OperatingPoints:
    """Resolve the defaults (minority class, training prevalence) from the labels."""
    k = len(classes)
    n = max(len(y_train_idx), 1)
    prevalence = np.bincount(y_train_idx, minlength=k) / n
    # A class that never occurs in training still gets one row's worth of flags.
    rates = np.clip(prevalence, 1.0 / n, 1.0 - 1.0 / n)
    positive = None
    if k == 2:
        if positive_class is not None:
            positive = classes.tolist().index(positive_class)
        else:
            positive = 1 if prevalence[1] <= prevalence[0] else 0
    if flag_rate is not None:
        chosen = float(flag_rate)
    elif positive is not None:
        chosen = float(rates[positive])
    else:
        chosen = [float(r) for r in rates]
    return OperatingPoints(
        classes=[scalar(c) for c in classes],
        positive=positive,
        threshold=float(threshold),
        flag_rate=chosen,
        flag_rate_given=flag_rate is not None,
        prevalence=[float(p) for p in prevalence],
        names=None if names is None else [str(n) for n in names],
    )


def curve_measures(ops: OperatingPoints, p_teacher, p_model) -> dict:
    """The size curve's measures at one budget, without intervals.

    Binary: flagged-row agreement and overlap at the threshold and at the flag
    rate, and the flag AUC; more classes: the lowest per-class recall.
    """
    t_cls, s_cls = np.argmax(p_teacher, axis=1), np.argmax(p_model, axis=1)
    out = {"agreement": float(np.mean(t_cls == s_cls))}
    if ops.positive is None:
        recalls = [
            float(np.mean(s_cls[t_cls == c] == c))
            for c in range(p_teacher.shape[1])
            if np.any(t_cls == c)
        ]
        out["worst_class_recall"] = min(recalls) if recalls else None
        return out
    c = ops.positive
    for kind, value in (("threshold", ops.threshold), ("flag_rate", ops.flag_rate)):
        point, _ = operating_point(kind, c, value, p_teacher[:, c], p_model[:, c], 0.95)
        out[f"flagged_{kind}"] = point["flagged_agreement"]["value"]
        out[f"overlap_{kind}"] = point["overlap"]["value"]
    t_flags = flag_weights(p_teacher[:, c], ops.flag_rate)
    out["flag_auc"] = float(weighted_auc(p_model[:, c], t_flags))
    return out
