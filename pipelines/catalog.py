"""What the DuckDB warehouse holds: the one place the loader asks whether a table exists."""

from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def schemas_with_table(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Every schema holding a table of that name, in name order."""
    rows = con.execute(
        "SELECT schema_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = ? ORDER BY schema_name",
        [table],
    ).fetchall()
    return [schema for (schema,) in rows]
