"""The export formats and SQL dialects, by name (plain Python, so that the
command line lists them without loading an exporter)."""

from __future__ import annotations

__all__ = ["FORMATS", "SQL_DIALECTS"]

#: What ``treedistill export`` writes.
FORMATS = ("sql", "onnx", "python")
#: The SQL dialects ``to_sql`` writes.
SQL_DIALECTS = ("ansi", "duckdb", "sqlite")
