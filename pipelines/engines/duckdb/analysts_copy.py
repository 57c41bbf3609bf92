"""The analysts' copy: the tables analysts query, as Parquet files behind a small catalog file.

Analysts open ``<name>.analytics.duckdb``: a DuckDB database of views only, written in DuckDB
1.4's storage format so that DuckDB 1.x tools (CLI 1.5, DBeaver, BI drivers) open it, over
Parquet files in ``<name>.analytics/``. Nothing is ever written to a file an analyst may hold:

- each table is cut into partitions (a day of its own time column, or the whole table), and a
  publish writes again only the partitions whose row count or newest stamp (``uuid_ts`` for
  raw tables, ``refreshed_at`` for marts) changed since the last one, each as a new file;
- then a new catalog is written beside the old one and renamed over it: a connection open on
  the old catalog keeps reading the files it names, the next connection sees the new ones;
- files no catalog names any more are deleted ``keep_hours`` after they were superseded.

What was published is recorded in the warehouse (``ops.published_files``), where only the load
writes. The cost of a publish follows what changed, not the size of the warehouse: besides the
rewritten partitions, one scan of two columns per table finds them.

Over 300 lines because the copy is one protocol (which parts changed, write them, swap the
catalog atomically, record, remove old files) whose steps share their record of published files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.engines.duckdb.lock import published_path
from pipelines.ops.registry import raw_schemas
from pipelines.ops.schema import PUBLISHED_FILES, create
from pipelines.segment_archive.sql import quote_identifier, quote_literal
from pipelines.settings import DEFAULT_KEEP_HOURS
from pipelines.transform.project import marts_schemas, publish_partitions

log = logging.getLogger(__name__)

RECORD = "ops.published_files"
# DuckDB 2.0 writes storage version 69 by default, which DuckDB 1.x cannot open.
CATALOG_STORAGE_VERSION = "v1.4.0"
PUBLISH_MEMORY_LIMIT = "512MB"

# Marts are cut by a day of their own time (their ``meta.publish_partition`` in the dbt
# project): an hour's changes touch the days of the tasks and events it touched. Marts without
# one (consent, contacts) change all over their history every hour (re-sent consent, returning
# contacts) and are one file each.
# Raw tables are cut by the day Segment received each message, the archive's own day folders.
RAW_PARTITION = "received_at"
# The column whose newest value moves whenever rows are written, per kind of table.
STAMPS = ("refreshed_at", "uuid_ts", "read_at", "_dlt_load_id")
NOT_PUBLISHED = {"published_files"}


@dataclass(frozen=True)
class TableSpec:
    """How one table is cut into files and how a changed file is recognised."""

    schema: str
    table: str
    columns: list[tuple[str, str]]  # name, DuckDB type
    partition: str | None  # SQL expression whose day names a file; None: one file
    stamp: str | None  # None: written again on every publish (small bookkeeping tables)

    @property
    def relation(self) -> str:
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.table)}"

    @property
    def columns_hash(self) -> str:
        described = "\n".join(f"{name} {kind}" for name, kind in self.columns)
        return hashlib.sha256(described.encode()).hexdigest()[:16]


def table_specs(con: duckdb.DuckDBPyConnection) -> list[TableSpec]:
    """Every table analysts query: the raw schemas, the marts and the run logs."""
    partitions = publish_partitions()
    schemas = [*raw_schemas(con), *marts_schemas(), "ops"]
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        f"WHERE database_name = current_database() AND schema_name IN ({placeholders}) "
        "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY schema_name, table_name, "
        "column_index",
        schemas,
    ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, kind in rows:
        tables.setdefault((schema, table), []).append((column, kind))
    base_tables = {
        (schema, table)
        for schema, table in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
    }
    specs = []
    for (schema, table), columns in sorted(tables.items()):
        if (schema, table) not in base_tables or table in NOT_PUBLISHED:
            continue
        names = {name for name, _ in columns}
        stamp = next((name for name in STAMPS if name in names), None)
        if schema == "ops":
            stamp = None  # rows change in place (a run's status): rewrite, they are small
        if (schema, table) in partitions:
            partition = partitions[schema, table]
        elif RAW_PARTITION in names and table != "users" and stamp == "uuid_ts":
            partition = quote_identifier(RAW_PARTITION)
        else:
            partition = None
        specs.append(TableSpec(schema, table, columns, partition, stamp))
    return specs


@dataclass(frozen=True)
class Part:
    """One file's worth of a table: its day (None: the whole table or rows without a time)."""

    key: str
    rows: int
    stamp: str | None


WHOLE_TABLE = "all"
NO_DAY = "none"


def current_parts(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> dict[str, Part]:
    """The table's parts as the warehouse holds them now, each with its rows and newest stamp."""
    stamp = f"max({quote_identifier(spec.stamp)})::VARCHAR" if spec.stamp else "NULL"
    if spec.partition is None:
        rows, newest = con.execute(f"SELECT count(*), {stamp} FROM {spec.relation}").fetchone()
        return {WHOLE_TABLE: Part(WHOLE_TABLE, rows, newest)} if rows else {}
    day = f"CAST({spec.partition} AS DATE)"
    found = con.execute(
        f"SELECT coalesce({day}::VARCHAR, '{NO_DAY}'), count(*), {stamp} "
        f"FROM {spec.relation} GROUP BY 1"
    ).fetchall()
    return {key: Part(key, rows, newest) for key, rows, newest in found}


def parts_now(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, published: dict[str, PublishedFile]
) -> dict[str, Part]:
    """``current_parts``, cheaply when the table was published before: only the parts that
    hold rows stamped since then are counted again, the others are taken as published.

    Written rows always carry a newer stamp, so an untouched part can only have lost rows
    (a merged duplicate, a task that moved to another day); the table's total, which DuckDB
    keeps at hand, says whether one did, and then every part is counted.
    """
    fresh = spec.stamp is not None and published
    if not fresh or any(f.columns_hash != spec.columns_hash for f in published.values()):
        return current_parts(con, spec)
    stamp = quote_identifier(spec.stamp)
    stamp_type = dict(spec.columns)[spec.stamp]
    since = con.execute(
        f"SELECT max(CAST(s AS {stamp_type}))::VARCHAR FROM unnest(?::VARCHAR[]) AS u(s)",
        [[f.stamp for f in published.values() if f.stamp is not None]],
    ).fetchone()[0]
    newer = f"{stamp} > CAST({quote_literal(since)} AS {stamp_type})" if since else "true"
    if spec.partition is None:
        keys = [WHOLE_TABLE]
    else:
        day = f"coalesce(CAST({spec.partition} AS DATE)::VARCHAR, '{NO_DAY}')"
        keys = [
            row[0]
            for row in con.execute(
                f"SELECT DISTINCT {day} FROM {spec.relation} WHERE {newer}"
            ).fetchall()
        ]
    parts = {key: Part(key, f.rows, f.stamp) for key, f in published.items()}
    for key in keys:
        rows, newest = con.execute(
            f"SELECT count(*), max({stamp})::VARCHAR FROM {spec.relation} "
            f"WHERE {part_filter(spec, key)}"
        ).fetchone()
        parts[key] = Part(key, rows, newest)
    parts = {key: part for key, part in parts.items() if part.rows}
    total = con.execute(f"SELECT count(*) FROM {spec.relation}").fetchone()[0]
    if sum(part.rows for part in parts.values()) != total:
        return current_parts(con, spec)
    return parts


def part_filter(spec: TableSpec, key: str) -> str:
    if key == WHOLE_TABLE:
        return "true"
    if key == NO_DAY:
        return f"({spec.partition}) IS NULL"
    # A range on the expression itself lets DuckDB skip row groups by their min/max.
    start = f"TIMESTAMPTZ {quote_literal(key + ' 00:00:00+00')}"
    return f"({spec.partition}) >= {start} AND ({spec.partition}) < {start} + INTERVAL 1 DAY"


@dataclass
class PublishedFile:
    schema: str
    table: str
    key: str
    path: str
    rows: int
    stamp: str | None
    columns_hash: str


def files_dir(warehouse: Path) -> Path:
    """The Parquet files behind the catalog: ``data/warehouse.analytics/``."""
    return warehouse.with_name(f"{warehouse.stem}.analytics")


def published_files(con: duckdb.DuckDBPyConnection) -> list[PublishedFile]:
    rows = con.execute(
        f"SELECT schema_name, table_name, part, path, row_count, newest_stamp, columns_hash "
        f"FROM {RECORD} WHERE superseded_at IS NULL"
    ).fetchall()
    return [PublishedFile(*row) for row in rows]


@dataclass
class PublishResult:
    catalog: Path
    tables: int = 0
    tables_changed: int = 0
    files_written: int = 0
    rows_written: int = 0
    files_deleted: int = 0

    def describe(self) -> str:
        return (
            f"{self.catalog} ({self.tables_changed} of {self.tables} tables changed: "
            f"{self.files_written} files, {self.rows_written} rows written; "
            f"{self.files_deleted} old files removed)"
        )


def publish(
    con: duckdb.DuckDBPyConnection, warehouse: Path, keep_hours: float = DEFAULT_KEEP_HOURS
) -> PublishResult:
    """Bring the analysts' catalog and files up to date with the warehouse ``con`` holds."""
    con.execute("SET TimeZone = 'UTC'")
    # Bounded like the load: beyond it DuckDB spills, and a first publish of millions of rows
    # otherwise keeps the warehouse's blocks in memory (1.3 GB at 5M messages).
    con.execute(f"SET memory_limit = '{PUBLISH_MEMORY_LIMIT}'")
    create(con, PUBLISHED_FILES)
    catalog, folder = published_path(warehouse), files_dir(warehouse)
    result = PublishResult(catalog)
    previous = published_files(con)
    if not catalog.exists() or any(not Path(f.path).exists() for f in previous):
        previous = []  # the copy was removed or damaged (or is 0.1's full copy): start over
    by_table: dict[tuple[str, str], dict[str, PublishedFile]] = {}
    for published in previous:
        by_table.setdefault((published.schema, published.table), {})[published.key] = published

    token = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    current: list[PublishedFile] = []
    specs = table_specs(con)
    for spec in specs:
        before = by_table.pop((spec.schema, spec.table), {})
        written = result.files_written
        for key, part in parts_now(con, spec, before).items():
            old = before.pop(key, None)
            unchanged = (
                old is not None
                and spec.stamp is not None
                and (old.rows, old.stamp, old.columns_hash)
                == (part.rows, part.stamp, spec.columns_hash)
            )
            if unchanged:
                current.append(old)
                continue
            current.append(write_part(con, spec, part, folder, token))
            result.files_written += 1
            result.rows_written += part.rows
        # Days left in ``before`` have no rows any more: the new catalog does not name them.
        result.tables_changed += result.files_written > written or bool(before)
    write_catalog(con, catalog, specs, current)
    record(con, current, previous)
    result.tables = len(specs)
    result.files_deleted = remove_old_files(con, folder, keep_hours)
    return result


def write_part(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, part: Part, folder: Path, token: str
) -> PublishedFile:
    target = folder / spec.schema / spec.table / f"{part.key}-{token}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(quote_identifier(name) for name, _ in spec.columns)
    con.execute(
        f"COPY (SELECT {columns} FROM {spec.relation} WHERE {part_filter(spec, part.key)}) "
        f"TO {quote_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)"
    )
    return PublishedFile(
        spec.schema, spec.table, part.key, str(target), part.rows, part.stamp, spec.columns_hash
    )


def view_sql(spec: TableSpec, files: list[PublishedFile]) -> str:
    if not files:
        typed = ", ".join(
            f"CAST(NULL AS {kind}) AS {quote_identifier(name)}" for name, kind in spec.columns
        )
        return f"SELECT {typed} WHERE false"
    columns = ", ".join(quote_identifier(name) for name, _ in spec.columns)
    paths = ", ".join(quote_literal(f.path) for f in sorted(files, key=lambda f: f.key))
    return f"SELECT {columns} FROM read_parquet([{paths}], union_by_name = true)"


def write_catalog(
    con: duckdb.DuckDBPyConnection,
    catalog: Path,
    specs: list[TableSpec],
    files: list[PublishedFile],
) -> None:
    """A new catalog of views, with the warehouse's table and column comments, renamed into
    place only once complete."""
    partial = catalog.with_name(catalog.name + ".partial")
    partial.unlink(missing_ok=True)
    by_table: dict[tuple[str, str], list[PublishedFile]] = {}
    for published in files:
        by_table.setdefault((published.schema, published.table), []).append(published)
    comments: dict[tuple[str, str], list[tuple[str | None, str]]] = {}
    for schema, table, column, comment in con.execute(
        "SELECT schema_name, table_name, NULL, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND comment IS NOT NULL "
        "UNION ALL SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND comment IS NOT NULL"
    ).fetchall():
        comments.setdefault((schema, table), []).append((column, comment))
    con.execute(
        f"ATTACH {quote_literal(str(partial))} AS analysts_catalog "
        f"(STORAGE_VERSION '{CATALOG_STORAGE_VERSION}')"
    )
    try:
        for schema in sorted({spec.schema for spec in specs}):
            con.execute(f"CREATE SCHEMA analysts_catalog.{quote_identifier(schema)}")
        for spec in specs:
            view = f"analysts_catalog.{spec.relation}"
            definition = view_sql(spec, by_table.get((spec.schema, spec.table), []))
            con.execute(f"CREATE VIEW {view} AS {definition}")
            for column, comment in comments.get((spec.schema, spec.table), []):
                target = f"COLUMN {view}.{quote_identifier(column)}" if column else f"VIEW {view}"
                con.execute(f"COMMENT ON {target} IS {quote_literal(comment)}")
    finally:
        con.execute("DETACH analysts_catalog")
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, catalog)


def record(
    con: duckdb.DuckDBPyConnection, current: list[PublishedFile], previous: list[PublishedFile]
) -> None:
    """What the new catalog names, in one transaction with what it no longer names."""
    kept = {f.path for f in previous} & {f.path for f in current}
    con.execute("BEGIN")
    try:
        # Everything the new catalog does not name: rewritten parts, days with no rows left,
        # and the records of a copy that was found damaged.
        con.execute(
            f"UPDATE {RECORD} SET superseded_at = now() WHERE superseded_at IS NULL "
            "AND path NOT IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(kept)],
        )
        new = [f for f in current if f.path not in kept]
        if new:
            con.executemany(
                f"INSERT INTO {RECORD} VALUES (?, ?, ?, ?, ?, ?, ?, now(), NULL)",
                [[f.schema, f.table, f.key, f.path, f.rows, f.stamp, f.columns_hash] for f in new],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def remove_old_files(con: duckdb.DuckDBPyConnection, folder: Path, keep_hours: float) -> int:
    """Delete files superseded more than ``keep_hours`` ago, and files no record names (left by
    a publish that was killed) once they are that old."""
    cutoff = datetime.now(UTC) - timedelta(hours=keep_hours)
    expired = [
        row[0]
        for row in con.execute(
            f"SELECT path FROM {RECORD} WHERE superseded_at < ?", [cutoff]
        ).fetchall()
    ]
    named = {row[0] for row in con.execute(f"SELECT path FROM {RECORD}").fetchall()}
    removed = 0
    for path in expired:
        Path(path).unlink(missing_ok=True)
        removed += 1
    if expired:
        con.execute(f"DELETE FROM {RECORD} WHERE superseded_at < ?", [cutoff])
    if folder.exists():
        for path in folder.rglob("*.parquet"):
            if str(path) in named:
                continue
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if modified < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
