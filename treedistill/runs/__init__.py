"""Stage 7, runs: a whole run, from a data file to a finished run directory.

:func:`treedistill.run_distill` (``_run``) runs the single-machine job
(``_pipeline``) or the cluster job (``_dask_run``); output folders that are never
overwritten by accident (``_outdir``), the run's record (``_record``), the result
(``_result``), the temperature and alpha sweep (``_sweep``) and finished runs:
loading, predicting, re-rendering (``_saved``).

May import: every stage below it: ``common``, ``data``, ``teachers``, ``distill``,
``measures``, ``scale``, ``report``.
"""
