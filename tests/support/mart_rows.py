"""The marts of a DuckDB warehouse, a PostgreSQL one and an Iceberg lake, read into one
comparable form: the tests of issues 15 and 28 check that the engines compute the same rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2

# Columns that say when a row was computed, not what it holds.
BOOKKEEPING = {"refreshed_at"}


def normalised(value):
    """One spelling of a value on both engines: floats to 9 digits, instants in UTC."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def marts(
    rows_by_table: dict[str, tuple[list[str], list[tuple]]], sources: dict[str, str] | None = None
) -> dict[str, Counter]:
    """Each mart as a multiset of rows; ``sources`` renames the raw schemas a `source` column
    names, for warehouses whose raw schemas are named otherwise."""
    result = {}
    for table, (columns, rows) in rows_by_table.items():
        keep = [i for i, name in enumerate(columns) if name not in BOOKKEEPING]
        source = columns.index("source") if "source" in columns and sources else None
        result[table] = Counter(
            tuple(sources.get(row[i], row[i]) if i == source else normalised(row[i]) for i in keep)
            for row in rows
        )
    return result


def duckdb_marts(warehouse: Path) -> dict:
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        for (table,) in con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'analytics'"
        ).fetchall():
            relation = con.sql(f"SELECT * FROM analytics.{table}")
            found[table] = (relation.columns, relation.fetchall())
    return found


def lake_tables(lake: Path | str, schema: str, s3: dict[str, str] | None = None) -> dict:
    """Each Iceberg table of ``<lake>/<schema>/`` as an Arrow table, read with pyiceberg from
    its newest metadata file, as any engine opens it (no Spark). ``lake``: a folder, or
    ``s3://bucket/prefix`` with pyiceberg's ``s3.*`` properties."""
    import fsspec
    from pyiceberg.table import StaticTable

    if s3 is None:
        fs, root = fsspec.filesystem("file"), str(Path(lake) / schema)
    else:
        fs = fsspec.filesystem(
            "s3",
            key=s3["s3.access-key-id"],
            secret=s3["s3.secret-access-key"],
            endpoint_url=s3["s3.endpoint"],
            skip_instance_cache=True,
            use_listings_cache=False,
        )
        root = f"{str(lake).removeprefix('s3://')}/{schema}"
    found = {}
    for folder in sorted(fs.ls(root, detail=False, refresh=True)):
        metadata = sorted(fs.glob(f"{folder}/metadata/*.metadata.json"))
        if metadata:
            newest = metadata[-1] if s3 is None else f"s3://{metadata[-1]}"
            table = StaticTable.from_metadata(newest, properties=s3 or {})
            found[folder.rstrip("/").rsplit("/", 1)[-1]] = table.scan().to_arrow()
    return found


def lake_marts(lake: Path | str, s3: dict[str, str] | None = None) -> dict:
    """The marts of an Iceberg lake (``lake_tables``)."""
    return {
        name: (rows.column_names, [tuple(r.values()) for r in rows.to_pylist()])
        for name, rows in lake_tables(lake, "analytics", s3).items()
    }


def postgres_marts(url: str) -> dict:
    found = {}
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics' "
            "AND table_type = 'BASE TABLE'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"SELECT * FROM analytics.{table}")
            found[table] = ([d.name for d in cursor.description], cursor.fetchall())
    return found


def differences(expected: dict[str, Counter], actual: dict[str, Counter]) -> list[str]:
    assert set(actual) == set(expected)
    found = []
    for table, rows in expected.items():
        assert sum(rows.values()) > 0, f"{table} is empty: the archive tested nothing"
        missing, extra = rows - actual[table], actual[table] - rows
        if missing or extra:
            found.append(
                f"{table}: {sum(missing.values())} rows of the first missing from the second, "
                f"{sum(extra.values())} extra; e.g. {list(missing)[:1]} / {list(extra)[:1]}"
            )
    return found
