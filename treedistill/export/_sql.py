"""A tree student as SQL: one CASE expression per output over a table's columns.

The query computes, for every row of a table, the columns ``prediction``,
``proba_<class>`` for each class and ``rule_id`` (the rule number of the leaf the row
reaches, as in the rules and the report). Each is one self-contained nested
``CASE WHEN`` expression over the table's own columns, so it can also be pasted into
another query.

- Numeric columns are compared with the split value written so that it reads back
  as the very same float64 (shortest round-trip digits, in exponent form so no
  database takes it for a decimal); scikit-learn's float32 rounding is folded into
  that value (see ``_export_common``).
- ``NULL`` is a missing value and goes where the tree sends missing values; the
  ``duckdb`` dialect also treats a float ``NaN`` as missing, as treedistill does.
- Categorical columns are compared with the category names; a value the tree never
  saw matches no category and goes where "not this category" goes.
- Identifiers are double-quoted (``"`` doubled), text literals single-quoted (``'``
  doubled): any column name or category value is safe, including quotes,
  semicolons, line breaks and non-ASCII text.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from treedistill.exceptions import DataError, ParameterError
from treedistill.export._common import TreeSpec, tree_spec
from treedistill.export._flag import resolve_flag
from treedistill.export._names import SQL_DIALECTS

__all__ = ["SQL_DIALECTS", "to_sql"]

#: Supported SQL dialects. ``ansi`` is standard SQL (it runs in SQLite, DuckDB and
#: PostgreSQL); ``duckdb`` adds ``isnan`` so float NaN counts as missing.
_INDENT = "  "
# Columns are qualified with the table's alias: SQLite reads an unknown quoted
# name as a text literal, a qualified one is an error.
ALIAS = '"src"'


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    name = str(name)
    if "\x00" in name:
        raise DataError(
            f"column {name!r} holds a NUL character, which SQL text cannot carry",
            column=name,
        )
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value, *, column: str | None = None) -> str:
    """A Python value (text, bool, int, float) as a SQL literal."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return sql_number(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise DataError(
                f"a value of column {column!r} holds a NUL character, which SQL text "
                "cannot carry",
                column=column,
            )
        return "'" + value.replace("'", "''") + "'"
    raise DataError(
        f"cannot write the value {value!r} ({type(value).__name__}) of column "
        f"{column!r} in SQL",
        column=column,
    )


def sql_number(x: float) -> str:
    """A finite float as a literal that reads back exactly (``6.35e+1``)."""
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"cannot write {x!r} as a SQL number")
    return format(Decimal(repr(x)), "e")


class _Writer:
    """Turns a :class:`TreeSpec` into SQL conditions and CASE expressions."""

    def __init__(self, spec: TreeSpec, dialect: str):
        self.spec = spec
        self.dialect = dialect

    def column(self, name: str) -> str:
        """A column of the scored table, qualified by its alias."""
        return f"{ALIAS}.{quote_identifier(name)}"

    def missing(self, column: str, numeric: bool) -> str:
        q = self.column(column)
        if numeric and self.dialect == "duckdb":
            return f"({q} IS NULL OR isnan({q}))"
        return f"{q} IS NULL"

    def goes_left(self, node: int) -> str:
        """A condition that is TRUE exactly for the rows the node sends left.

        It is built without NOT, so a NULL inside it only ever means "no".
        """
        spec = self.spec
        feat = spec.schema.features[int(spec.feature[node])]
        q = self.column(feat.column)
        miss_left = bool(spec.missing_left[node])
        parts = []
        if feat.is_indicator:
            if miss_left:
                parts.append(self.missing(feat.column, numeric=False))
            match_left, other_left = spec.sides(node)
            level = sql_literal(feat.level, column=feat.column)
            if match_left and other_left:
                parts.append(f"{q} IS NOT NULL")
            elif match_left:
                parts.append(f"{q} = {level}")
            elif other_left:
                parts.append(f"{q} <> {level}")
        else:
            cut = float(spec.cut[node])
            if miss_left:
                parts.append(self.missing(feat.column, numeric=True))
            if cut == np.inf:
                parts.append(f"{q} IS NOT NULL")
            elif cut != -np.inf:
                parts.append(f"{q} <= {sql_number(cut)}")
        if not parts:
            return "1 = 0"
        # (In DuckDB NaN <= c is FALSE, so a NaN goes right unless sent left above.)
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def case(self, leaf_value, node: int = 0, depth: int = 1) -> str:
        """A nested CASE giving ``leaf_value(leaf)`` for the leaf each row reaches."""
        spec = self.spec
        if spec.is_leaf(node):
            return leaf_value(node)
        pad = _INDENT * depth
        left = self.case(leaf_value, int(spec.left[node]), depth + 1)
        right = self.case(leaf_value, int(spec.right[node]), depth + 1)
        return (
            f"CASE WHEN {self.goes_left(node)}\n"
            f"{pad}THEN {left}\n"
            f"{pad}ELSE {right}\n"
            f"{pad[: -len(_INDENT)]}END"
        )


def _table_name(table) -> str:
    if isinstance(table, str):
        return quote_identifier(table)
    if isinstance(table, Sequence) and table and all(isinstance(t, str) for t in table):
        return ".".join(quote_identifier(t) for t in table)
    raise ParameterError(
        f"table must be a name or a sequence of names (schema, table), got {table!r}",
        parameter="table",
    )


def output_names(classes: Sequence) -> list[str]:
    """The result columns: prediction, proba_<class> per class, rule_id."""
    return ["prediction", *[f"proba_{c}" for c in classes], "rule_id"]


def to_sql(
    model,
    *,
    table: str | Sequence[str] = "data",
    dialect: str = "ansi",
    passthrough: Sequence[str] = (),
    flag_threshold: float | None = None,
    positive_class=None,
) -> str:
    """A SELECT statement that scores a table with a tree student.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier, or a saved tree student
        (``StudentBundle``)
    table : str or sequence of str, default="data"
        The table to score: a name, or ``("schema", "table")``.
    dialect : {"ansi", "duckdb", "sqlite"}, default="ansi"
        ``"ansi"`` and ``"sqlite"`` write standard SQL; ``"duckdb"`` also treats a
        float NaN as missing.
    passthrough : sequence of str, default=()
        Columns of the table copied first into the result (an identifier, say).
    flag_threshold : float, default=None
        Adds the output ``flagged``: 1 where the probability of
        ``positive_class`` (default: the second of two classes) is at least
        this, else 0, as ``treedistill predict`` flags at that threshold.
    positive_class : class label, default=None

    Returns
    -------
    str
        ``SELECT <passthrough>, <prediction>, <proba_...>, <rule_id> FROM table``:
        one nested ``CASE WHEN`` per output. Probabilities equal
        ``predict_proba`` exactly (float64), ``prediction`` is ``predict`` and
        ``rule_id`` the rule number of the leaf (see
        :func:`treedistill.export_rules`).

    Raises
    ------
    ParameterError
        An unknown dialect, a bad table name, or a student that is not a tree.
    DataError
        A column name or category that SQL text cannot carry (a NUL character).

    Examples
    --------
    >>> import sqlite3  # doctest: +SKIP
    >>> sql = to_sql(model, table="patients", passthrough=["id"])  # doctest: +SKIP
    >>> sqlite3.connect("ward.db").execute(sql).fetchall()  # doctest: +SKIP
    """
    if dialect not in SQL_DIALECTS:
        raise ParameterError(
            f"dialect must be one of {', '.join(SQL_DIALECTS)}; got {dialect!r}",
            parameter="dialect",
        )
    source = _table_name(table)
    spec = tree_spec(model, "sql")
    writer = _Writer(spec, dialect)
    names = output_names(spec.classes)
    exprs = [
        writer.case(lambda leaf: sql_literal(spec.prediction(leaf), column="class"))
    ]
    for k in range(len(spec.classes)):
        exprs.append(
            writer.case(lambda leaf, k=k: sql_number(float(spec.value[leaf, k])))
        )
    exprs.append(writer.case(lambda leaf: str(spec.rule[leaf])))
    flag = resolve_flag(spec.classes, flag_threshold, positive_class)
    if flag is not None:
        names.append("flagged")
        exprs.append(writer.case(lambda leaf: str(flag.leaf(spec.value[leaf]))))
    select = [writer.column(c) for c in passthrough]
    select += [
        f"{expr} AS {quote_identifier(name)}"
        for expr, name in zip(exprs, names, strict=True)
    ]
    body = ",\n".join(_INDENT + s for s in select)
    return f"SELECT\n{body}\nFROM {source} AS {ALIAS}"
