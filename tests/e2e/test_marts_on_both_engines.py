"""Archive → marts on PostgreSQL equals archive → marts on DuckDB, row for row (issue 15),
on a warehouse Segment loads.

DuckDB: the product as cron runs it. PostgreSQL: raw schemas named otherwise (as a warehouse
Segment itself loads names them), holding Segment's tables and none of our loader's
bookkeeping, then `make transform` with the schemas named, no SQL edited. Both get a first
load (a full build) and then the last day (an incremental build). `make load` on PostgreSQL:
`tests/test_cli_postgres.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg2
import pytest

from pipelines.ingest.load import load_source
from pipelines.sample.archive import generate_archive
from tests.conftest import load_arguments, run_pipelines, source_url
from tests.support.mart_rows import differences, duckdb_marts, marts, postgres_marts
from tests.support.postgres import postgres_engine, postgres_server

# The raw schemas on PostgreSQL, named otherwise than the loader names them by default.
SCHEMAS = {"regal_voice": "rv_raw", "web": "web_raw", "ios": "ios_raw", "server": "server_raw"}


# What Segment's own warehouse loader leaves in a schema is its tables, with `uuid_ts`: none of
# our loader's bookkeeping. These are hidden from the build (renamed), and shown again for the
# next raw load, which needs them.
LOADER_TABLES = ("_dlt_loads", "_dlt_version", "_dlt_pipeline_state", "_archive_files")
LOADER_TABLES += ("_rejected_lines",)


def hide_the_loader(url: str, hidden: bool) -> None:
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        for schema in SCHEMAS.values():
            for table in LOADER_TABLES:
                old, new = (table, f"hidden{table}") if hidden else (f"hidden{table}", table)
                cursor.execute(f'ALTER TABLE IF EXISTS {schema}."{old}" RENAME TO "{new}"')


@pytest.mark.slow
def test_make_transform_on_a_warehouse_segment_loads_equals_duckdb(tmp_path):
    """A brand whose Segment loads PostgreSQL runs only `make transform`, naming its raw
    schemas: a full build, an incremental one after the last day (its watermark taken from
    Segment's `uuid_ts`), then nothing to do; the marts equal DuckDB's after each build."""
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
        engine = postgres_engine(url, tmp_path / "pg-state")
        transform = [
            "transform",
            "--warehouse",
            url,
            "--regal-voice-schema",
            SCHEMAS["regal_voice"],
        ]
        transform += [
            "--brand-schemas",
            ",".join(SCHEMAS[name] for name in ("web", "ios", "server")),
        ]
        environment = {"PGPASSWORD": "trust"}
        for step, (paths, mode) in enumerate(
            [
                ([path for path in files if path.parent.name != last_day], "full"),
                ([path for path in files if path.parent.name == last_day], "incremental"),
            ]
        ):
            add(paths)
            run_pipelines(*load_arguments(archive, on_duckdb))
            hide_the_loader(url, hidden=False)
            for dataset in manifest["sources"]:
                url_of = source_url(archive, dataset)
                load_source(SCHEMAS[dataset], url_of, engine)
            hide_the_loader(url, hidden=True)
            built = run_pipelines(*transform, env=environment)
            assert f"models: {mode} build" in built.stderr, built.stderr[-3000:]
            on_postgres = marts(postgres_marts(url), {raw: name for name, raw in SCHEMAS.items()})
            found = differences(marts(duckdb_marts(on_duckdb)), on_postgres)
            assert not found, f"after load {step + 1}:\n" + "\n".join(found)
        again = run_pipelines(*transform, env=environment)
        assert "models: skip build" in again.stderr, again.stderr[-3000:]
        with psycopg2.connect(url) as con, con.cursor() as cursor:
            cursor.execute("SELECT name, kind, registered_at FROM ops.sources")
            assert cursor.fetchall() == []  # nothing registered: the schemas were named
