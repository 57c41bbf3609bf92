"""`make load` into an Iceberg lake through a real Spark standalone cluster (a master and two
1.5 GB workers on 127.0.0.1) equals `make load` into DuckDB, row for row: the raw tables
(read with pyiceberg from their newest metadata, as any Iceberg reader opens them) and every
mart, after a first load (a full build), after new files (an incremental build, equal to a
full build of everything) and after `make forget`, which leaves no file of the lake holding
the person. `make report` reads the lake. Issue 28.

`make test` runs the first load (every model, data test and unit test on the cluster);
`make test-spark` (marker ``spark_full``) runs the whole story, the S3 lake's too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from pipelines.settings import SAMPLE_BRAND_SOURCES
from tests.conftest import checksums, load_arguments, run_pipelines
from tests.e2e.test_forget import files_naming
from tests.integration.test_readme_queries import every_engine_queries
from tests.support.mart_rows import differences, duckdb_marts, lake_marts, lake_tables, marts
from tests.support.spark_cluster import spark_cluster

pytestmark = pytest.mark.slow

RAW_SCHEMAS = ("regal_voice", *SAMPLE_BRAND_SOURCES)
# What says when or in which run a row was written, not what it holds.
RUN_COLUMNS = frozenset({"_dlt_load_id", "_dlt_id", "uuid_ts", "read_at"})


def lake_checksums(lake: Path | str, copy: Path, s3: dict[str, str] | None = None) -> dict:
    """``checksums`` of every raw Iceberg table of the lake (``lake_tables``), through a
    DuckDB file at ``copy``."""
    copy.unlink(missing_ok=True)
    with duckdb.connect(str(copy)) as con:
        for schema in RAW_SCHEMAS:
            con.execute(f'CREATE SCHEMA "{schema}"')
            for table, rows in lake_tables(lake, schema, s3).items():
                con.register("rows", rows)
                con.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM rows')
                con.unregister("rows")
    return raw_checksums(copy)


def raw_checksums(warehouse: Path) -> dict[str, tuple[int, int]]:
    return checksums(warehouse, schemas=RAW_SCHEMAS, ignore_columns=RUN_COLUMNS)


def load_both(archive: Path, lake: Path, on_duckdb: Path, cluster: dict, step: int, tmp: Path):
    """``make load`` of the archive into the lake on the cluster and into DuckDB: the lake's
    raw tables and marts equal DuckDB's. ``step``: 0 for the first load (a full build)."""
    ran = run_pipelines(*load_arguments(archive, f"iceberg:{lake}"), env=cluster)
    assert f"models: {'full' if step == 0 else 'incremental'} build" in ran.stderr
    run_pipelines(*load_arguments(archive, on_duckdb))
    on_lake = lake_checksums(lake, tmp / "copy.duckdb")
    assert on_lake == raw_checksums(on_duckdb), f"raw, after load {step + 1}"
    found = differences(marts(duckdb_marts(on_duckdb)), marts(lake_marts(lake)))
    assert found == [], f"marts, after load {step + 1}: {found}"


def read_without_spark(lake: Path) -> None:
    """The report reads the lake without Spark; every table is where the README says, and
    nothing staged is left among them."""
    run_pipelines("report", "--warehouse", f"iceberg:{lake}")
    assert "tasks created" in (lake / "report.html").read_text()
    for table in ("regal_voice/call_completed", "web/identifies", "analytics/fct_calls"):
        assert (lake / table / "metadata").is_dir() and (lake / table / "data").is_dir(), table
    assert [p.name for p in (lake / "analytics").iterdir() if "__dbt" in p.name] == []


def test_make_load_on_a_standalone_cluster_builds_duckdbs_marts(tmp_path):
    """The Spark tier of `make test`: one load, every model, data test and unit test."""
    archive = tmp_path / "archive"
    generate_archive(archive, days=2, tasks_per_day=30, messages_per_file=150)
    lake, on_duckdb = tmp_path / "lake", tmp_path / "duckdb" / "warehouse.duckdb"
    with spark_cluster() as master:
        load_both(archive, lake, on_duckdb, {"SPARK_MASTER": master}, 0, tmp_path)
    read_without_spark(lake)


@pytest.mark.spark_full
def test_make_load_on_a_standalone_cluster_equals_duckdb(tmp_path):
    generated = tmp_path / "generated"
    generate_archive(generated, days=2, tasks_per_day=30, messages_per_file=150)
    archive = tmp_path / "archive"
    files = sorted(generated.rglob("*.gz"))
    last_day = max(path.parent.name for path in files)

    def add(paths: list[Path]) -> None:
        for path in paths:
            target = archive / path.relative_to(generated)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)

    lake, on_duckdb = tmp_path / "lake", tmp_path / "duckdb" / "warehouse.duckdb"
    on_cluster = {}
    with spark_cluster() as master:
        on_cluster["SPARK_MASTER"] = master
        for step, paths in enumerate(
            [
                [path for path in files if path.parent.name != last_day],
                [path for path in files if path.parent.name == last_day],
            ]
        ):
            add(paths)
            load_both(archive, lake, on_duckdb, on_cluster, step, tmp_path)
        # The incremental build equals a full build of the whole archive.
        full = tmp_path / "full" / "warehouse.duckdb"
        run_pipelines(*load_arguments(archive, full))
        assert differences(marts(duckdb_marts(full)), marts(lake_marts(lake))) == []

        # A person forgotten: gone from every file of the lake, the marts still DuckDB's.
        columns, calls = lake_marts(lake)["fct_calls"]
        phone = min(filter(None, (row[columns.index("contact_phone")] for row in calls)))
        assert files_naming(lake, [phone]), "the person is not in the lake to begin with"
        lake_forgot = run_pipelines(
            "forget", "--phone", phone, "--warehouse", f"iceberg:{lake}", env=on_cluster
        )
        assert "forget: deleted rows erased from the storage" in lake_forgot.stderr
        run_pipelines("forget", "--phone", phone, "--warehouse", str(on_duckdb))
        # The README's questions said to run on every engine run on the cluster, as
        # `make shell SQL=…` runs them (spark-sql stops at the first that fails).
        asked = every_engine_queries()
        answered = run_pipelines(
            "shell", "--warehouse", f"iceberg:{lake}", "--sql", ";\n".join(asked), env=on_cluster
        )
        assert "agent" in answered.stdout
    digits = phone[2:]
    spellings = [phone, digits, f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"]
    assert files_naming(lake, [*spellings, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"]) == []
    assert differences(marts(duckdb_marts(on_duckdb)), marts(lake_marts(lake))) == []
    read_without_spark(lake)
