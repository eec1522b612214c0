"""What a distillation run returns: the result object, its summary and its description."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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

    def summary(self) -> dict:
        """A small JSON-serialisable summary for scripts."""
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
                entry["leaves"] = int(model.student_.get_n_leaves())
                entry["depth"] = int(model.student_.get_depth())
            else:
                entry["trees"] = int(model.student_.n_trees())
            students[kind] = entry
        for kind, result in self.sweep.items():
            students[kind]["sweep_reason"] = result["reason"]
        return {
            "run_dir": str(self.out_dir),
            "students": students,
            "files": list(self.files),
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """A few human-readable lines about the run.

        They open as the report does: what is degenerate about the teacher, and
        for a rare outcome the flagged rows and the risk ranking.
        """
        headline = (self.report or {}).get("summary") or {}
        sentences = headline.get("sentences") or []
        n_first = headline.get("n_alert", 0)
        if headline.get("lead") == "flagged":
            n_first += 2  # flagged-row agreement, then ranking
        lines = list(sentences[:n_first])
        for kind, entry in self.summary()["students"].items():
            lo, hi = entry["agreement_ci"]
            size = (
                f"{entry['leaves']} leaves, depth {entry['depth']}"
                if kind == "tree"
                else f"{entry['trees']} trees"
            )
            lines.append(
                f"{kind} student ({size}): agrees with the teacher on "
                f"{entry['agreement']:.1%} of {entry['n_test']} held-out rows "
                f"(95% CI {lo:.1%}-{hi:.1%})"
            )
            if "sweep_reason" in entry:
                lines.append(f"  sweep: {entry['sweep_reason']}")
        lines.append(f"report: {Path(self.out_dir) / 'report.html'}")
        return "\n".join(lines)
