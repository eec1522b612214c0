"""The whole distillation job as one function: on this machine or on a Dask cluster.

:func:`run_distill` checks the parameters and the output folder, then runs the
single-machine job (:mod:`treedistill.runs._pipeline`) or, with ``dask`` set, the
cluster job (:mod:`treedistill.runs._dask_run`), which shares the pipeline's
stages. Neither of those imports this module, so the two never import each other.
"""

from __future__ import annotations

from treedistill.distill._options import DistillParams
from treedistill.runs._outdir import check_out_dir
from treedistill.runs._pipeline import Progress, _distill, staged_run
from treedistill.runs._result import DistillResult

__all__ = ["run_distill"]


def run_distill(
    params: DistillParams, *, progress: Progress | None = None
) -> DistillResult:
    """Run a whole distillation and write its run directory.

    Parameters
    ----------
    params : DistillParams
        The settings.
    progress : callable, optional
        Called as ``progress(stage, index, total)`` when each stage starts.

    Returns
    -------
    DistillResult

    Raises
    ------
    ParameterError
        A parameter with a bad value (checked before any work).
    OutputError
        The output folder exists and is not empty (without ``force``, or not a
        folder treedistill wrote), or cannot be written. Checked before any work.
    DataError, TeacherError
        Unreadable data or teacher. Nothing is written then.
    """
    params.validate()
    if params.dask is not None:
        from treedistill.runs._dask_run import run_distill_dask

        return run_distill_dask(params, progress=progress)
    out = check_out_dir(
        params.out,
        params.force,
        keep=[params.data, *params.teacher],
        replaces=("run", "report"),
    )
    return staged_run(
        out,
        params.force,
        lambda staging, stale: _distill(params, staging, progress, stale),
    )
