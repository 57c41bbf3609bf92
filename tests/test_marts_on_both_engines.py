"""Archive → marts on PostgreSQL equals archive → marts on DuckDB, row for row (issue 15).

DuckDB: the product as cron runs it. PostgreSQL: the loader's raw load into schemas named
otherwise (as a warehouse Segment itself loads names them), then `dbt build` on the postgres
target with the schema vars, no SQL edited. Both get a first load (a full build) and then the
last day (an incremental build).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg2
import pytest

from pipelines.load import load_source
from pipelines.registry import CREATE as REGISTRY_TABLE
from pipelines.run_log import CREATE as RUN_LOG_TABLES
from pipelines.sample.archive import generate_archive
from tests.conftest import load_arguments, run_pipelines, source_url
from tests.mart_rows import differences, duckdb_marts, marts, postgres_marts
from tests.postgres_cluster import dbt_build, dlt_destination, postgres_server

# The raw schemas on PostgreSQL, named otherwise than the loader names them by default.
SCHEMAS = {"regal_voice": "rv_raw", "web": "web_raw", "ios": "ios_raw", "server": "server_raw"}


# The raw schemas as vars: no SQL names them.
VARIABLES = {
    "regal_voice_schema": SCHEMAS["regal_voice"],
    "brand_schemas": [SCHEMAS[name] for name in ("web", "ios", "server")],
}


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
        # The run logs the loader keeps, made by hand as a brand would for a warehouse Segment
        # loads: the builds are then complete, and the second one recomputes only what the
        # last day touched. (`make load` on PostgreSQL: tests/test_cli_postgres.py.)
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
