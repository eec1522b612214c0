"""treedistill: distil a black-box classifier into a small decision tree.

The public API lives here; the modules behind it are private.
"""

from treedistill._estimators import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill._metrics import (
    agreement,
    agreement_interval,
    fidelity,
    kl_divergence,
    total_variation,
)
from treedistill._rules import Rule, export_rules, extract_rules, rule_numbers
from treedistill._schema import TabularSchema
from treedistill._soften import blend, soften
from treedistill._students import SoftBoosting, SoftTree, soft_softmax_objective
from treedistill._teachers import EnsembleTeacher, TorchExportTeacher, teacher_logits
from treedistill._transfer import augment, box_sample, jitter, munge

__version__ = "0.1.0"


def __getattr__(name):
    # torch is heavy to import: load the MLP teacher only when it is asked for.
    if name == "MLPTeacher":
        from treedistill._mlp import MLPTeacher

        return MLPTeacher
    raise AttributeError(f"module 'treedistill' has no attribute {name!r}")


__all__ = [
    "DistilledBoostingClassifier",
    "DistilledTreeClassifier",
    "EnsembleTeacher",
    "MLPTeacher",
    "Rule",
    "SoftBoosting",
    "SoftTree",
    "TabularSchema",
    "TorchExportTeacher",
    "agreement",
    "agreement_interval",
    "augment",
    "blend",
    "box_sample",
    "export_rules",
    "extract_rules",
    "fidelity",
    "jitter",
    "kl_divergence",
    "munge",
    "rule_numbers",
    "soft_softmax_objective",
    "soften",
    "teacher_logits",
    "total_variation",
    "__version__",
]
