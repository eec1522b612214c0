"""Stage 5, scale: distillation on a Dask cluster, for data beyond one machine.

The tree student partition by partition (``_dask``), the boosted student with
``xgboost.dask`` (``_dask_boost``), the inputs a cluster run reads, checked first
(``_dask_inputs``), and held-out measures that add up over partitions
(``_dask_measures``). The run that uses them is ``runs._dask_run``.

May import: ``common``, ``data``, ``teachers``, ``distill``, ``measures``.
"""
