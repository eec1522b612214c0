"""Stage 1, data: from a file or a DataFrame to checked features and labels.

Reading CSV / Parquet (``_tables``, ``_arrow_csv``, ``_delimiter``), cleaning cells
(``_cleaning``), two-valued and declared categorical columns (``_booleans``), the
column schema and the student's numeric encoding (``_schema``), preparing ``X`` and
``y`` (``_prepare``) and the checks before training (``_screening``).

May import: ``common``.
"""
