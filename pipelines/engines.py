"""SQL the loader runs in the warehouse that differs between the engines dlt writes to
(DuckDB, PostgreSQL): one place to look when an engine is added, as
``dbt_project/macros/cross_db.sql`` is for the models."""

from __future__ import annotations

import dlt


def engine_of(pipeline: dlt.Pipeline) -> str:
    """``postgres`` or ``duckdb``: the engine a pipeline loads into."""
    return "postgres" if pipeline.destination.destination_name == "postgres" else "duckdb"


# The engine's own address of a row, to delete one copy of two identical rows.
ROW_ADDRESS = {"duckdb": "rowid", "postgres": "ctid"}

# A column's newest non-null value in a group: DuckDB's arg_max, an ordered array_agg in
# PostgreSQL (which has no arg_max).
NEWEST_VALUE = {
    "duckdb": lambda column, order: (
        f"arg_max({column}, {order}) FILTER (WHERE {column} IS NOT NULL)"
    ),
    "postgres": lambda column, order: (
        f"(array_agg({column} ORDER BY {order} DESC) "
        f"FILTER (WHERE {column} IS NOT NULL AND {order} IS NOT NULL))[1]"
    ),
}
