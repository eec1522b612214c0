"""SQL export of tree students, executed in SQLite and DuckDB."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pandas as pd
import pytest

from tests._export_cases import (
    AGE,
    FLAG,
    GLUCOSE,
    LEVELS,
    SMOKER,
    fitted,
    scoring_rows,
    student_outputs,
)
from treedistill import to_sql
from treedistill.distill._bundle import load_student, save_student
from treedistill.exceptions import DataError, ParameterError
from treedistill.export._common import float32_cut
from treedistill.export._sql import (
    SQL_DIALECTS,
    quote_identifier,
    sql_literal,
    sql_number,
)

duckdb = pytest.importorskip("duckdb", reason="duckdb is a test dependency (dev extra)")

CASES = [(kind, k) for kind in ("tree", "tree-hist") for k in (2, 3)]
ID = "row id"


def _with_id(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, ID, np.arange(len(frame)))
    return out


def _records(frame: pd.DataFrame) -> list[tuple]:
    """Rows as Python values with None for every missing value."""
    obj = frame.astype(object)
    return [
        tuple(
            None if v is None or (isinstance(v, float) and math.isnan(v)) else v
            for v in row
        )
        for row in obj.itertuples(index=False)
    ]


def _sqlite_table(frame: pd.DataFrame) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    cols = ", ".join(quote_identifier(c) for c in frame.columns)
    con.execute(f"CREATE TABLE scores_in ({cols})")
    marks = ", ".join("?" for _ in frame.columns)
    con.executemany(f"INSERT INTO scores_in VALUES ({marks})", _records(frame))
    return con


def _duckdb_table(frame: pd.DataFrame, *, nan_values: bool):
    """A DuckDB table; missing numbers stored as NULL or (nan_values) as NaN."""
    con = duckdb.connect()
    source = frame.copy()
    source[FLAG] = source[FLAG].astype("boolean")
    source[SMOKER] = source[SMOKER].astype(object)
    con.register("source_frame", source)
    con.execute("CREATE TABLE scores_in AS SELECT * FROM source_frame")
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
        ).fetchall()
    )
    assert types[SMOKER] == "VARCHAR" and types[FLAG] == "BOOLEAN"
    numeric = [c for c, dtype in types.items() if dtype == "DOUBLE"]
    for q in map(quote_identifier, numeric if nan_values else []):
        con.execute(f"UPDATE scores_in SET {q} = 'NaN'::DOUBLE WHERE {q} IS NULL")
    n_nan = con.execute(
        f"SELECT count(*) FROM scores_in WHERE isnan({quote_identifier(GLUCOSE)})"
    ).fetchone()[0]
    assert (n_nan > 0) == nan_values
    return con


def _check(rows, k, proba, pred, rules):
    rows = sorted(rows, key=lambda r: r[0])
    assert [r[0] for r in rows] == list(range(len(proba)))
    got = np.array([r[2 : 2 + k] for r in rows], dtype=np.float64)
    assert np.max(np.abs(got - proba)) <= 1e-12
    np.testing.assert_array_equal(got, proba)  # written exactly, read back exactly
    assert [r[1] for r in rows] == list(pred)
    np.testing.assert_array_equal([r[-1] for r in rows], rules)


@pytest.fixture(scope="module", params=CASES, ids=[f"{a}-{b}" for a, b in CASES])
def case(request):
    kind, k = request.param
    model = fitted(kind, k)
    frame = scoring_rows(model)
    return model, k, frame, student_outputs(model, frame)


def test_sqlite_scores_exactly_like_the_student(case):
    model, k, frame, (proba, pred, rules) = case
    assert pd.isna(frame).any().any() and (frame[SMOKER] == "never seen ☹").any()
    con = _sqlite_table(_with_id(frame))
    sql = to_sql(model, table="scores_in", dialect="sqlite", passthrough=[ID])
    rows = con.execute(sql).fetchall()
    assert [d[0] for d in con.execute(sql).description] == [
        ID,
        "prediction",
        *[f"proba_{c}" for c in model.classes_],
        "rule_id",
    ]
    _check(rows, k, proba, pred, rules)


@pytest.mark.parametrize("nan_values", [False, True], ids=["null", "nan"])
def test_duckdb_scores_exactly_like_the_student(case, nan_values):
    model, k, frame, (proba, pred, rules) = case
    con = _duckdb_table(_with_id(frame), nan_values=nan_values)
    sql = to_sql(model, table="scores_in", dialect="duckdb", passthrough=[ID])
    _check(con.execute(sql).fetchall(), k, proba, pred, rules)


def test_ansi_sql_runs_in_both_databases(case):
    model, k, frame, (proba, pred, rules) = case
    sql = to_sql(model, table="scores_in", passthrough=[ID])
    _check(
        _sqlite_table(_with_id(frame)).execute(sql).fetchall(), k, proba, pred, rules
    )
    duck = _duckdb_table(_with_id(frame), nan_values=False)
    _check(duck.execute(sql).fetchall(), k, proba, pred, rules)


def test_saved_student_exports_the_same_sql(case, tmp_path):
    model = case[0]
    bundle = load_student(save_student(model, tmp_path / "student.json"))
    for dialect in SQL_DIALECTS:
        assert to_sql(bundle, dialect=dialect) == to_sql(model, dialect=dialect)


def test_hostile_names_and_values_stay_inside_their_quotes():
    model = fitted("tree", 3)
    sql = to_sql(model, table='my "table"; DROP')
    assert sql.endswith('FROM "my ""table""; DROP" AS "src"')
    tree = model.student_.tree_
    used = [model.schema_.features[j] for j in set(tree.feature[tree.feature >= 0])]
    assert {f.column for f in used} >= {AGE, GLUCOSE, SMOKER}
    for feat in used:
        assert '"src".' + quote_identifier(feat.column) in sql
        if feat.is_indicator:
            assert sql_literal(feat.level) in sql
    assert sql_literal(LEVELS[1]) == "'it''s \"current\"; --'"
    assert quote_identifier(AGE) == '"age ""years""; DROP TABLE t; --"'
    # one statement: every semicolon sits inside an identifier or a literal
    con = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        con.execute(sql)  # (more than one statement raises ProgrammingError)


def test_numbers_are_read_back_exactly_by_both_databases():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.normal(0, 1, 300) * 10.0 ** rng.integers(-30, 30, 300),
            float32_cut(rng.normal(100, 50, 300)),
            [0.1, 1 / 3, 2**-1074, 1.7976931348623157e308, -0.0, 5e-324, 1.0],
        ]
    )
    literals = [sql_number(v) for v in values]
    assert all("e" in lit for lit in literals)
    query = "SELECT " + ", ".join(literals)
    for got in (
        sqlite3.connect(":memory:").execute(query).fetchone(),
        duckdb.connect().execute(query).fetchone(),
    ):
        np.testing.assert_array_equal(np.asarray(got, dtype=np.float64), values)


def test_float32_cut_reproduces_float32_rounding():
    rng = np.random.default_rng(1)
    t = np.concatenate(
        [
            rng.normal(0, 1, 2000) * 10.0 ** rng.integers(-40, 40, 2000),
            np.float32(rng.normal(0, 100, 500)).astype(np.float64),
            [0.0, -0.0, 1e-50, -1e-50, 3.5e38, -3.5e38, 0.5],
        ]
    )
    cut = float32_cut(t)
    with np.errstate(over="ignore"):
        assert np.all(cut.astype(np.float32) <= t)
        assert np.all(np.nextafter(cut, np.inf).astype(np.float32) > t)
    assert np.array_equal(float32_cut([np.inf, -np.inf]), [np.inf, -np.inf])


def test_unknown_dialect_is_refused_naming_the_choices():
    with pytest.raises(ParameterError, match="dialect must be one of ansi, duckdb"):
        to_sql(fitted("tree", 2), dialect="mysql")


def test_boosted_student_is_refused_saying_what_exports():
    with pytest.raises(ParameterError, match="boosted students to onnx"):
        to_sql(fitted("boosted", 2))


def test_other_objects_are_refused():
    with pytest.raises(ParameterError, match="cannot export a dict"):
        to_sql({})


def test_nul_characters_are_refused():
    with pytest.raises(DataError, match="NUL"):
        quote_identifier("a\x00b")


def test_table_may_be_schema_qualified():
    sql = to_sql(fitted("tree", 2), table=("main", "scores in"))
    assert sql.endswith('FROM "main"."scores in" AS "src"')
    with pytest.raises(ParameterError, match="table must be"):
        to_sql(fitted("tree", 2), table=3)


def test_a_column_missing_from_the_table_is_an_error_not_a_literal():
    """SQLite reads an unknown "name" as text; qualified names cannot be."""
    model = fitted("tree", 2)
    frame = scoring_rows(model).iloc[:10].drop(columns=[AGE])
    con = _sqlite_table(frame)
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        con.execute(to_sql(model, table="scores_in"))
