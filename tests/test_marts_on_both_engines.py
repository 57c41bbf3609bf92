"""Archive → marts on PostgreSQL equals archive → marts on DuckDB, row for row (issue 15).

DuckDB: the product as cron runs it. PostgreSQL: the loader's raw load into schemas named
otherwise (as a warehouse Segment itself loads names them), then `dbt build` on the postgres
target with the schema vars, no SQL edited. Both get a first load (a full build) and then the
last day (an incremental build).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from pipelines.load import load_source
from pipelines.registry import CREATE as REGISTRY_TABLE
from pipelines.run_log import CREATE as RUN_LOG_TABLES
from pipelines.sample.archive import generate_archive
from tests.conftest import load_arguments, run_pipelines, source_url
from tests.postgres_cluster import dbt_build, dlt_destination, postgres_server

# The raw schemas on PostgreSQL, named otherwise than the loader names them by default.
SCHEMAS = {"regal_voice": "rv_raw", "web": "web_raw", "ios": "ios_raw", "server": "server_raw"}
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


def marts(rows_by_table: dict[str, tuple[list[str], list[tuple]]]) -> dict[str, Counter]:
    result = {}
    for table, (columns, rows) in rows_by_table.items():
        keep = [i for i, name in enumerate(columns) if name not in BOOKKEEPING]
        result[table] = Counter(tuple(normalised(row[i]) for i in keep) for row in rows)
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


# The raw schemas as vars: no SQL names them.
VARIABLES = {
    "regal_voice_schema": SCHEMAS["regal_voice"],
    "brand_schemas": [SCHEMAS[name] for name in ("web", "ios", "server")],
}


def differences(expected: dict[str, Counter], actual: dict[str, Counter]) -> list[str]:
    assert set(actual) == set(expected)
    found = []
    for table, rows in expected.items():
        assert sum(rows.values()) > 0, f"{table} is empty: the archive tested nothing"
        missing, extra = rows - actual[table], actual[table] - rows
        if missing or extra:
            found.append(
                f"{table}: {sum(missing.values())} DuckDB rows missing on PostgreSQL, "
                f"{sum(extra.values())} extra; e.g. {list(missing)[:1]} / {list(extra)[:1]}"
            )
    return found


@pytest.mark.slow
def test_marts_on_postgres_equal_the_marts_on_duckdb(tmp_path):
    generated = tmp_path / "generated"
    manifest = generate_archive(generated, days=3, tasks_per_day=40, messages_per_file=400)
    files = sorted(generated.rglob("*.gz"))
    last_day = max(path.parent.name for path in files)
    archive = tmp_path / "archive"

    def add(paths: list[Path]) -> None:
        for path in paths:
            target = archive / path.relative_to(generated)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)

    on_duckdb = tmp_path / "duckdb" / "warehouse.duckdb"
    with postgres_server() as url:
        # The run logs the loader keeps (its PostgreSQL path is to come): the same tables, so
        # the builds are complete and the second one recomputes only what the last day touched.
        with psycopg2.connect(url) as con, con.cursor() as cursor:
            cursor.execute(RUN_LOG_TABLES + REGISTRY_TABLE)
        destination = dlt_destination(url)
        state = tmp_path / "pg-state" / "warehouse.duckdb"
        for step, paths in enumerate(
            [
                [path for path in files if path.parent.name != last_day],
                [path for path in files if path.parent.name == last_day],
            ]
        ):
            add(paths)
            run_pipelines(*load_arguments(archive, on_duckdb))
            for dataset in manifest["sources"]:
                url_of = source_url(archive, dataset)
                load_source(SCHEMAS[dataset], url_of, state, None, destination)
            # The first build in full, the second incremental: as the product plans them.
            full = ["--full-refresh"] if step == 0 else []
            dbt_build(url, tmp_path, *full, "--vars", json.dumps(VARIABLES))
            found = differences(marts(duckdb_marts(on_duckdb)), marts(postgres_marts(url)))
            assert not found, f"after load {step + 1}:\n" + "\n".join(found)
