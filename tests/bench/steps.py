"""The commands ``make bench`` times, and the warehouse snapshots between them."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from pipelines.engines.duckdb.analysts_copy import files_dir
from pipelines.engines.duckdb.lock import published_path
from pipelines.privacy.suppression import default_path as suppression_path
from pipelines.privacy.suppression import installation_path
from pipelines.settings import state_dir
from tests.bench.archive import BenchArchive

PYTHON = sys.executable


def warehouse_files(warehouse: Path) -> list[Path]:
    """The DuckDB file, its WAL, dlt's state folder, the analysts' copy and the suppression
    list: everything a load or a forget leaves behind."""
    return [
        warehouse,
        warehouse.with_name(warehouse.name + ".wal"),
        state_dir(warehouse),
        published_path(warehouse),
        files_dir(warehouse),
        suppression_path(warehouse),
    ]


def remove_warehouse(warehouse: Path) -> None:
    for path in warehouse_files(warehouse):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def snapshot(warehouse: Path, copy: Path) -> None:
    """Copy a warehouse, its dlt state and the analysts' copy, so a timed step can start from
    it again. The published Parquet files never change once written: they are hard-linked."""
    remove_warehouse(copy)
    for source, target in zip(warehouse_files(warehouse), warehouse_files(copy), strict=True):
        if source == files_dir(warehouse) and source.is_dir():
            shutil.copytree(source, target, copy_function=os.link)
        elif source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy2(source, target)


def restore(copy: Path, warehouse: Path) -> None:
    """``warehouse`` as ``copy`` was, and no one forgotten: the bench's installation list
    (``run.main`` points ``SUPPRESSION_LIST`` at its own) goes too, so a timed forget
    suppresses no one in the steps after it."""
    snapshot(copy, warehouse)
    installation_path().unlink(missing_ok=True)


def link_archive(
    sources: list[BenchArchive], target: Path, extra_files: list[Path] = ()
) -> BenchArchive:
    """One archive made of hard links to several, files unchanged, plus ``extra_files`` (new
    files of another archive, linked under the same source folders)."""
    if target.exists():
        shutil.rmtree(target)
    combined = BenchArchive(target)
    for archive in sources:
        for path in archive.files:
            link = target / path.relative_to(archive.root)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
            combined.files.append(link)
        combined.messages += archive.messages
    for path in extra_files:
        # …/segment-logs/<source-id>/<day>/<file>: keep the last three parts.
        link = target.joinpath("segment-logs", *path.parts[-3:])
        link.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, link)
        combined.files.append(link)
    return combined


def ingest_command(archive: BenchArchive, warehouse: Path, *options: str) -> list[str]:
    return [
        PYTHON,
        "-m",
        "pipelines",
        "ingest",
        "--regal-voice-url",
        archive.regal_voice_url,
        "--segment-url",
        archive.segment_url,
        "--warehouse",
        str(warehouse),
        *options,
    ]


def load_command(archive: BenchArchive, warehouse: Path, *options: str) -> list[str]:
    """``make load`` as cron runs it: ingest, models, publish."""
    command = ingest_command(archive, warehouse, *options)
    command[command.index("ingest")] = "load"
    return command


def run_phases(warehouse: Path | str) -> dict[str, float]:
    """Seconds of each part of the warehouse's latest run, as ``ops.load_runs`` recorded them
    (a DuckDB file, a PostgreSQL URL, or a lake, read without starting Spark)."""
    from pipelines.engines import engine_for

    engine = engine_for(str(warehouse))
    reader = engine.reader() if str(warehouse).startswith("iceberg:") else None
    connection = reader or engine.connect(busy_wait=0)
    try:
        row = connection.execute(
            "SELECT ingest_seconds, forget_seconds, build_seconds, publish_seconds "
            "FROM ops.load_runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    finally:
        connection.close()
    return {
        name: value
        for name, value in zip(("ingest", "forget", "models", "publish"), row, strict=True)
        if value is not None
    }


def empty_database(url: str) -> None:
    """Drop and create again the database ``url`` names (the bench's own, on a server of its
    own), so a timed load starts from nothing."""
    from pipelines.engines.postgres.server import PostgresServer

    server = PostgresServer.from_setting(url)  # named only: the database may not exist yet
    database = server.database
    admin = replace(server, database="postgres").connect("bench")
    admin.autocommit = True  # DROP/CREATE DATABASE run outside a transaction
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        admin.close()


def floor_command(archive: BenchArchive, warehouse: Path) -> list[str]:
    return [PYTHON, "-m", "tests.bench.floor", str(archive.root), str(warehouse)]


def peer_command(files: list[Path], warehouse: Path) -> list[str]:
    return [PYTHON, "-m", "tests.bench.peer", str(warehouse), *map(str, files)]


def busiest_contact(warehouse: Path) -> str:
    """The phone of the contact with the most tasks: the forget the bench times."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT contact_phone FROM analytics.fct_tasks WHERE contact_phone IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchall()[0][0]


def forget_command(warehouse: Path, phone: str) -> list[str]:
    """``make forget PHONE=…``: find, remove, erase, build the aggregates again, publish."""
    return [PYTHON, "-m", "pipelines", "forget", "--phone", phone, "--warehouse", str(warehouse)]
