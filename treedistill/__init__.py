"""treedistill: distil a black-box classifier into a small decision tree.

The public API lives here; the modules behind it are private.
"""

from treedistill._bundle import StudentBundle, load_student, save_student
from treedistill._dask import distill_tree as distill_tree_dask
from treedistill._dask_boost import distill_boosted as distill_boosted_dask
from treedistill._estimators import DistilledBoostingClassifier, DistilledTreeClassifier
from treedistill._export_onnx import to_onnx
from treedistill._export_python import to_python
from treedistill._export_sql import to_sql
from treedistill._metrics import (
    agreement,
    agreement_interval,
    fidelity,
    kl_divergence,
    total_variation,
)
from treedistill._options import DistillParams
from treedistill._pipeline import run_distill
from treedistill._prepare import prepare_data
from treedistill._result import DistillResult
from treedistill._rules import Rule, export_rules, extract_rules, rule_numbers
from treedistill._saved import (
    find_student,
    load_run_student,
    predict_frame,
    predict_saved,
    read_report,
    render_report,
    write_predictions,
)
from treedistill._schema import TabularSchema
from treedistill._soften import blend, soften
from treedistill._stability import stability
from treedistill._students import SoftBoosting, SoftTree, soft_softmax_objective
from treedistill._tables import read_table
from treedistill._teacher_files import load_teacher, save_teacher
from treedistill._teachers import EnsembleTeacher, TorchExportTeacher, teacher_logits
from treedistill._train import train_teacher
from treedistill._transfer import augment, box_sample, jitter, munge

__version__ = "0.1.0"


def __getattr__(name):
    # torch is heavy to import: load the MLP teacher only when it is asked for.
    if name == "MLPTeacher":
        from treedistill._mlp import MLPTeacher

        return MLPTeacher
    raise AttributeError(f"module 'treedistill' has no attribute {name!r}")


__all__ = [
    "DistillParams",
    "DistillResult",
    "DistilledBoostingClassifier",
    "DistilledTreeClassifier",
    "EnsembleTeacher",
    "MLPTeacher",
    "Rule",
    "SoftBoosting",
    "SoftTree",
    "StudentBundle",
    "TabularSchema",
    "TorchExportTeacher",
    "agreement",
    "agreement_interval",
    "augment",
    "blend",
    "box_sample",
    "distill_boosted_dask",
    "distill_tree_dask",
    "export_rules",
    "extract_rules",
    "find_student",
    "fidelity",
    "stability",
    "jitter",
    "kl_divergence",
    "load_run_student",
    "load_student",
    "load_teacher",
    "munge",
    "predict_frame",
    "predict_saved",
    "prepare_data",
    "read_report",
    "read_table",
    "render_report",
    "rule_numbers",
    "run_distill",
    "save_student",
    "save_teacher",
    "soft_softmax_objective",
    "soften",
    "teacher_logits",
    "to_onnx",
    "to_python",
    "to_sql",
    "total_variation",
    "train_teacher",
    "write_predictions",
    "__version__",
]
