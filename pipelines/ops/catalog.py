"""What the warehouse holds: the one place the loader asks whether a table exists; and what
the run's bookkeeping needs of a connection to ask it, on either engine.

``information_schema`` is the SQL standard's catalog, which DuckDB and PostgreSQL both keep; a
connection to an engine without it (Spark) answers these questions itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Sql(Protocol):
    """A connection as the run log, the source registry and the build plan use it: DuckDB's
    own, or ``pipelines.engines.postgres.server.Connection`` over psycopg2. ``?`` marks a
    parameter."""

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Sql: ...

    def fetchone(self) -> tuple | None: ...

    def fetchall(self) -> list[tuple]: ...

    def close(self) -> None: ...


def table_exists(con: Sql, schema: str, table: str) -> bool:
    if hasattr(con, "table_exists"):  # an engine without information_schema answers itself
        return con.table_exists(schema, table)
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def schemas_with_table(con: Sql, table: str) -> list[str]:
    """Every schema holding a table of that name, in name order."""
    if hasattr(con, "schemas_with_table"):
        return con.schemas_with_table(table)
    rows = con.execute(
        "SELECT table_schema FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_name = ? ORDER BY table_schema",
        [table],
    ).fetchall()
    return [schema for (schema,) in rows]


def columns_of(con: Sql, schema: str, table: str) -> list[str]:
    """A table's columns, in order."""
    if hasattr(con, "columns_of"):
        return con.columns_of(schema, table)
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
        "current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [name for (name,) in rows]


def base_table_columns(con: Sql, schemas: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """``(schema, table, column, lower-case type)`` of every base table (not a view) of
    ``schemas``, tables in name order and columns in theirs."""
    if hasattr(con, "base_table_columns"):
        return con.base_table_columns(schemas)
    marks = ", ".join("?" for _ in schemas)
    return con.execute(
        "SELECT c.table_schema, c.table_name, c.column_name, lower(c.data_type) "
        "FROM information_schema.columns AS c JOIN information_schema.tables AS t "
        "ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema "
        "AND c.table_name = t.table_name "
        f"WHERE c.table_catalog = current_database() AND c.table_schema IN ({marks}) "
        "AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_schema, c.table_name, c.ordinal_position",
        list(schemas),
    ).fetchall()
