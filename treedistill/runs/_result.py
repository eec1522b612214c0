"""What a distillation run returns: the result object, its summary and its description."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from treedistill.report._lead import lead_lines
from treedistill.report._notebook import notebook_html, notebook_text

__all__ = ["DistillResult"]


@dataclass
class DistillResult:
    """What :func:`treedistill.run_distill` produced.

    Attributes
    ----------
    out_dir : Path
        The finished run directory.
    files : list of str
        Files written, relative to ``out_dir``, sorted.
    models : dict
        ``"tree"`` / ``"boosted"`` → the fitted distiller.
    fidelity : dict
        Per student: the held-out fidelity numbers, those of the report's
        fidelity table (the keys of :func:`treedistill.fidelity`); a Dask run's
        are its measures over every held-out row.
    sweep : dict
        Per student: the sweep result as a dict (empty without ``sweep``).
    report : dict
        The evaluated report (as written to ``report.json``).
    timings : dict
        Seconds per stage.
    warnings : list of str
        Notes from data preparation and the run, one line each.
    """

    out_dir: Path
    files: list[str]
    models: dict
    fidelity: dict
    sweep: dict
    report: dict
    timings: dict
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        """The run folder, the headline and each student's size, in 80 columns."""
        return notebook_text(self)

    def _repr_html_(self) -> str:
        """In Jupyter: the headline, each student's size and objective, and the
        tree as the report draws it."""
        return notebook_html(self)

    def summary(self) -> dict:
        """A small JSON-serialisable summary for scripts.

        Per student, besides agreement and accuracy, the measures the report's
        headline leads with, read from the report (``summary["students"]``):
        ``lead`` (``"flagged"`` for a rare outcome), ``degenerate`` (what the
        teacher does not do), ``operating_point`` (flags of teacher and student
        and flagged-row agreement), ``ranking`` (Spearman, flag AUC),
        ``no_information_rate`` and ``rare_classes``. ``warnings`` lists the
        run's notes and the alerts of the report's data checks.
        """
        leads = ((self.report or {}).get("summary") or {}).get("students") or {}
        students = {}
        for kind, model in self.models.items():
            fid = self.fidelity[kind]
            entry = {
                "agreement": fid["agreement"],
                "agreement_ci": fid["agreement_ci"],
                "kl": fid["kl"],
                "student_accuracy": fid.get("student_accuracy"),
                "teacher_accuracy": fid.get("teacher_accuracy"),
                "n_test": fid["n"],
                "temperature": float(model.temperature),
                "alpha": float(model.alpha),
            }
            if kind == "tree":
                entry["objective"] = getattr(model, "objective_", None)
                entry["objective_reason"] = getattr(model, "objective_reason_", None)
                entry["leaves"] = int(model.student_.get_n_leaves())
                entry["depth"] = int(model.student_.get_depth())
            else:
                entry["trees"] = int(model.student_.n_trees())
            lead = leads.get(kind) or {}
            for key in (
                "lead",
                "degenerate",
                "operating_point",
                "ranking",
                "no_information_rate",
                "majority_class",
                "rare_classes",
            ):
                if key in lead:
                    entry[key] = lead[key]
            students[kind] = entry
        for kind, result in self.sweep.items():
            students[kind]["sweep_reason"] = result["reason"]
        teacher = ((self.report or {}).get("run") or {}).get("teacher") or {}
        return {
            "run_dir": str(self.out_dir),
            "students": students,
            "teacher_held_out_overlap": teacher.get("held_out_overlap"),
            "files": list(self.files),
            "warnings": self._warnings(),
        }

    def _warnings(self) -> list[str]:
        """The run's notes, then the alerts of the report's data checks (an
        identifier column left out, a possible leak), each once."""
        checks = ((self.report or {}).get("run") or {}).get("data_checks") or {}
        out = list(self.warnings)
        for line in checks.get("lines") or []:
            if line.get("level") == "alert" and line["text"] not in out:
                out.append(line["text"])
        return out

    def describe(self) -> str:
        """A few human-readable lines about the run.

        They open as the report does: what is degenerate about the teacher. Each
        student's line then leads with the report's measures (for a rare outcome
        the flagged rows and the risk ranking, overall agreement after them; rare
        classes with their recall and precision), then accuracy beside the
        no-information rate.
        """
        headline = (self.report or {}).get("summary") or {}
        sentences = headline.get("sentences") or []
        lines = list(sentences[: headline.get("n_alert", 0)])
        students = self.summary()["students"]
        for kind in headline.get("students") or {}:
            if kind not in students:  # a result without its models: the report's
                lines += lead_lines(self.report, kind, kind)
        for kind, entry in students.items():
            size = (
                f"{entry['leaves']} leaves, depth {entry['depth']}"
                if kind == "tree"
                else f"{entry['trees']} trees"
            )
            who = f"{kind} student ({size})"
            said = lead_lines(self.report, kind, who) if self.report else []
            if not said:
                lo, hi = entry["agreement_ci"]
                said = [
                    f"{who}: agrees with the teacher on {entry['agreement']:.1%} of "
                    f"{entry['n_test']} held-out rows (95% CI {lo:.1%}-{hi:.1%})"
                ]
            lines += said
            model = self.models.get(kind)
            if kind == "tree" and getattr(model, "objective_reason_", None):
                lines.append(
                    f"  objective: {model.objective_} ({model.objective_reason_})"
                )
            if "sweep_reason" in entry:
                lines.append(f"  sweep: {entry['sweep_reason']}")
        lines.append(f"report: {Path(self.out_dir) / 'report.html'}")
        return "\n".join(lines)
