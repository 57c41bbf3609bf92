"""The ``ops`` schema: every table the product keeps beside the data, created here and
nowhere else. The DDL is SQL every engine takes (``DOUBLE PRECISION``, ``JSON``,
``TIMESTAMPTZ``); columns later releases added are added by ``pipelines.ops.migrations``.

``ops.dbt_builds`` is dbt's own record of its builds (``dbt_project/macros/incremental.sql``).
"""

from __future__ import annotations

from pipelines.ops.catalog import Sql, table_exists

SCHEMA = "ops"

# Every load, ingest, transform or forget run (``pipelines.ops.run_log``).
LOAD_RUNS = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.load_runs (
    run_id VARCHAR PRIMARY KEY,
    command VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status VARCHAR NOT NULL,
    files_read BIGINT,
    lines_read BIGINT,
    messages BIGINT,
    lines_quarantined BIGINT,
    rows_per_table JSON,
    error VARCHAR
)"""

# One row per source of each run.
SOURCE_LOADS = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.source_loads (
    run_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    files_listed BIGINT,
    files_read BIGINT,
    lines_read BIGINT,
    messages BIGINT,
    lines_quarantined BIGINT,
    rows_per_table JSON,
    users_refreshed BIGINT,
    seconds DOUBLE PRECISION,
    warnings JSON,
    PRIMARY KEY (run_id, source)
)"""

# The Segment sources this warehouse loads (``pipelines.ops.registry``).
SOURCES = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.sources (
    name VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    url VARCHAR,
    is_sample BOOLEAN,
    registered_at TIMESTAMPTZ NOT NULL,
    last_loaded_at TIMESTAMPTZ
)"""

# The audit of every forget request (``pipelines.privacy.requests``), made by the first one.
FORGET_REQUESTS = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.forget_requests (
    request_id VARCHAR PRIMARY KEY,
    requested_at TIMESTAMPTZ NOT NULL,
    requested_by VARCHAR NOT NULL,
    identifiers JSON NOT NULL,
    rows_removed JSON NOT NULL,
    suppressed_in_runs JSON NOT NULL
)"""

# The files of the analysts' copy, where an engine publishes one (a DuckDB file), made by the
# first publish.
PUBLISHED_FILES = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.published_files (
    schema_name VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    part VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    newest_stamp VARCHAR,
    columns_hash VARCHAR NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    superseded_at TIMESTAMPTZ
)"""

# What every run needs before it writes anything.
EVERY_RUN = (LOAD_RUNS, SOURCE_LOADS)


def create(con: Sql, *tables: str) -> None:
    """Create the schema and ``tables`` (their DDL above) where missing."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for ddl in tables:
        con.execute(ddl)


def prepare_ops(con: Sql) -> None:
    """The run log and the source registry, in this release's shape: created where missing,
    an older release's brought up to date."""
    from pipelines.ops.migrations import adopt_earlier_raw_schemas, upgrade_columns

    create(con, *EVERY_RUN)
    upgrade_columns(con)
    if not table_exists(con, SCHEMA, "sources"):
        create(con, SOURCES)
        adopt_earlier_raw_schemas(con)
