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
