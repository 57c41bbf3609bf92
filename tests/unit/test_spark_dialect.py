"""The product's SQL (DuckDB's dialect) as Spark SQL: types Spark has, no constraints Spark
refuses, Iceberg tables, and INSERTs that name every column."""

from __future__ import annotations

from pipelines.engines.spark.dialect import to_spark
from pipelines.ops.schema import FORGET_REQUESTS, LOAD_RUNS, SOURCE_LOADS, SOURCES


def test_every_ops_table_is_an_iceberg_table_spark_can_create():
    for ddl in (LOAD_RUNS, SOURCE_LOADS, SOURCES, FORGET_REQUESTS):
        (statement,) = to_spark(ddl)
        assert statement.endswith("USING ICEBERG"), statement
        assert "JSON" not in statement and "PRIMARY KEY" not in statement, statement
        assert "TIMESTAMPTZ" not in statement and "VARCHAR" not in statement, statement


def test_an_insert_that_leaves_columns_out_names_them_as_null():
    columns = {"ops.runs": ["run_id", "command", "started_at", "status", "error"]}.get
    (values,) = to_spark(
        "INSERT INTO ops.runs (run_id, command, started_at, status) "
        "VALUES (?, ?, now(), 'running')",
        columns,
    )
    assert values == (
        "INSERT INTO ops.runs (run_id, command, started_at, status, error) "
        "VALUES (?, ?, NOW(), 'running', NULL)"
    )
    (select,) = to_spark("INSERT INTO ops.runs (status, run_id) SELECT s, r FROM t", columns)
    assert select == (
        "INSERT INTO ops.runs (run_id, command, started_at, status, error) "
        "SELECT run_id, NULL AS command, NULL AS started_at, status, NULL AS error "
        "FROM (SELECT s AS status, r AS run_id FROM t) AS given"
    )


def test_an_insert_of_every_column_and_a_query_pass_as_they_are():
    (insert,) = to_spark("INSERT INTO t (a, b) VALUES (1, 2)", lambda table: ["a", "b"])
    assert insert == "INSERT INTO t (a, b) VALUES (1, 2)"
    (query,) = to_spark('SELECT max(inserted_at) FROM "regal_voice"._dlt_loads WHERE x = ?')
    assert query == "SELECT MAX(inserted_at) FROM `regal_voice`._dlt_loads WHERE x = ?"


def test_several_statements_are_run_one_by_one():
    assert len(to_spark("CREATE SCHEMA IF NOT EXISTS ops; SELECT 1")) == 2
