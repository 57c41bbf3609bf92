"""What the warehouse holds: the one place the loader asks whether a table exists; and what
the run's bookkeeping needs of a connection to ask it, on either engine.

``information_schema`` is the SQL standard's catalog, which DuckDB and PostgreSQL both keep.
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
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def schemas_with_table(con: Sql, table: str) -> list[str]:
    """Every schema holding a table of that name, in name order."""
    rows = con.execute(
        "SELECT table_schema FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_name = ? ORDER BY table_schema",
        [table],
    ).fetchall()
    return [schema for (schema,) in rows]
