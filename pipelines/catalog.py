"""What the warehouse holds: the one place the loader asks whether a table exists.

``information_schema`` is the SQL standard's catalog, which DuckDB and PostgreSQL both keep.
"""

from __future__ import annotations


def table_exists(con, schema: str, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def schemas_with_table(con, table: str) -> list[str]:
    """Every schema holding a table of that name, in name order."""
    rows = con.execute(
        "SELECT table_schema FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_name = ? ORDER BY table_schema",
        [table],
    ).fetchall()
    return [schema for (schema,) in rows]
