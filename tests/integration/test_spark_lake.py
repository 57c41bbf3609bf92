"""The raw tables in an Iceberg lake, loaded through a real Spark standalone cluster (a master
and two workers on 127.0.0.1), equal a DuckDB warehouse's of the same archive, row for row,
and stay equal when new files arrive; any Iceberg reader opens them from their metadata."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from pipelines.settings import SAMPLE_BRAND_SOURCES
from tests.conftest import PROJECT, checksums, source_url
from tests.support.spark_cluster import spark_cluster

pytestmark = pytest.mark.slow

# What says when or in which run a row was written, not what it holds.
RUN_COLUMNS = frozenset({"_dlt_load_id", "_dlt_id", "uuid_ts", "read_at"})


def ingest(archive: Path, warehouse: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable, "-m", "pipelines", "ingest",
            "--regal-voice-url", source_url(archive, "regal_voice"),
            *(f"--source={name}={source_url(archive, name)}" for name in SAMPLE_BRAND_SOURCES),
            "--warehouse", warehouse,
        ],
        cwd=PROJECT, capture_output=True, text=True, timeout=900, env={**os.environ, **env},
    )  # fmt: skip


def lake_checksums(lake: Path) -> dict[str, tuple[int, int]]:
    """``checksums`` of every Iceberg table of the lake's raw schemas, read with pyiceberg
    from each table's newest metadata file, as any other engine would open it."""
    from pyiceberg.table import StaticTable

    copy = lake.parent / "lake-as-duckdb.duckdb"
    copy.unlink(missing_ok=True)
    with duckdb.connect(str(copy)) as con:
        for schema in sorted(p for p in lake.iterdir() if p.is_dir() and p.name != "_spark"):
            if schema.name == "ops":
                continue
            con.execute(f'CREATE SCHEMA "{schema.name}"')
            for table in sorted(p for p in schema.iterdir() if (p / "metadata").is_dir()):
                newest = sorted((table / "metadata").glob("*.metadata.json"))[-1]
                rows = StaticTable.from_metadata(str(newest)).scan().to_arrow()
                con.register("rows", rows)
                con.execute(f'CREATE TABLE "{schema.name}"."{table.name}" AS SELECT * FROM rows')
                con.unregister("rows")
    return checksums(copy, ignore_columns=RUN_COLUMNS)


def texts(warehouse: Path) -> dict[str, tuple[int, int]]:
    return checksums(warehouse, ignore_columns=RUN_COLUMNS)


def test_raw_tables_in_the_lake_equal_duckdbs_on_a_standalone_cluster(tmp_path):
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
    with spark_cluster() as master:
        for step, paths in enumerate(
            [
                [path for path in files if path.parent.name != last_day],
                [path for path in files if path.parent.name == last_day],
            ]
        ):
            add(paths)
            ran = ingest(archive, f"iceberg:{lake}", SPARK_MASTER=master)
            assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
            assert ingest(archive, str(on_duckdb)).returncode == 0
            in_lake, in_duckdb = lake_checksums(lake), texts(on_duckdb)
            assert in_lake == in_duckdb, f"after ingest {step + 1}"
    for table in ("regal_voice/call_completed", "web/identifies", "web/users"):
        assert (lake / table / "metadata").is_dir() and (lake / table / "data").is_dir(), table


def test_a_lake_says_what_is_wrong_before_anything_is_written(tmp_path, sample_archive):
    archive, _ = sample_archive
    lake = tmp_path / "lake"
    # No Java on the path.
    no_java = {"PATH": str(Path(sys.executable).parent), "JAVA_HOME": ""}
    ran = ingest(archive, f"iceberg:{lake}", **no_java)
    assert ran.returncode == 78 and "needs Java 17" in ran.stderr, ran.stderr[-2000:]
    assert not lake.exists()
    # A master nobody runs.
    ran = ingest(archive, f"iceberg:{lake}", SPARK_MASTER="spark://127.0.0.1:9")
    assert ran.returncode == 69, ran.stderr[-2000:]
    assert "Spark did not start on master spark://127.0.0.1:9" in ran.stderr
    # A second run while one holds the lake: nothing interleaves, the second says why.
    from pipelines.engines.spark import IcebergLake

    with IcebergLake(lake).lock(0):
        ran = ingest(archive, f"iceberg:{lake}")
    assert ran.returncode == 75 and "another load is running" in ran.stderr, ran.stderr[-2000:]
    # A lake in a bucket is not taken yet, and says how to give a folder.
    ran = ingest(archive, "iceberg:s3://bucket/lake")
    assert ran.returncode == 78 and "iceberg:/path/to/lake" in ran.stderr
