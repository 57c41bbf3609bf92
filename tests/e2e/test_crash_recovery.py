"""A load SIGKILLed anywhere, then re-run as cron would: the warehouse ends as if never killed.

History: day 1 is loaded; day 2 arrives and its load is killed at one point; day 3 arrives
and one ``make load`` runs. Every raw table and mart must equal, row for row, an uninterrupted
load of the same days — so a crash that leaves dlt work pending must not hold back new files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.engines.duckdb.lock import published_path
from pipelines.sample.archive import generate_archive
from pipelines.settings import SAMPLE_SOURCE_IDS
from tests.conftest import PROJECT, brand_sources, checksums, load_arguments, make, source_url
from tests.support.kill_at import POINTS

SOURCES = tuple(SAMPLE_SOURCE_IDS.values())
PUBLISHED_SCHEMAS = {*SAMPLE_SOURCE_IDS, "analytics", "ops"}
# Columns that say when or from where a row was loaded or built, not what it holds.
LOAD_METADATA = {
    "_dlt_load_id",
    "_dlt_id",
    "uuid_ts",
    "read_at",
    "file_url",
    "loaded_at",
    "refreshed_at",
}


def day_folders(root: Path) -> list[list[Path]]:
    """The archive's received-day folders, grouped by day across both sources."""
    days: dict[str, list[Path]] = {}
    for source in SOURCES:
        for folder in sorted((root / "segment-logs" / source).iterdir()):
            days.setdefault(folder.name, []).append(folder)
    return [days[name] for name in sorted(days)]


def add_days(archive: Path, folders: list[list[Path]], generated: Path) -> None:
    for day in folders:
        for folder in day:
            shutil.copytree(folder, archive / folder.relative_to(generated))


def make_load(archive: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return make(
        "load",
        REGAL_VOICE_URL=source_url(archive, "regal_voice"),
        SOURCES=brand_sources(archive),
        WAREHOUSE=warehouse,
    )


def fingerprint(warehouse: Path, kind: str = "BASE TABLE") -> dict[str, tuple[int, int]]:
    """Every raw table and mart, without the columns saying when or from where rows came."""
    return checksums(warehouse, kind, ignore_columns=frozenset(LOAD_METADATA))


def repeated_ids(warehouse: Path) -> dict[str, int]:
    """Raw tables holding a message id more than once, with how many extra rows."""
    repeats = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.sql(
            "SELECT table_schema, table_name FROM information_schema.columns "
            "WHERE column_name = 'id' AND table_schema IN ('regal_voice', 'web', 'ios', 'server')"
        ).fetchall()
        for schema, table in tables:
            extra = con.sql(
                f'SELECT count(*) - count(DISTINCT id) FROM "{schema}"."{table}"'
            ).fetchall()[0][0]
            if extra:
                repeats[f"{schema}.{table}"] = extra
    return repeats


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The generated three days, a warehouse holding day 1, and the uninterrupted result."""
    generated = tmp_path_factory.mktemp("generated")
    manifest = generate_archive(generated, days=3, tasks_per_day=25, messages_per_file=60)
    days = day_folders(generated)
    assert len(days) >= 3
    thirds = [days[: len(days) // 3], days[len(days) // 3 : 2 * len(days) // 3]]
    thirds.append(days[2 * len(days) // 3 :])

    base = tmp_path_factory.mktemp("base")
    add_days(base / "archive", thirds[0], generated)
    first = make_load(base / "archive", base / "wh" / "warehouse.duckdb")
    assert first.returncode == 0, first.stderr[-3000:]

    whole = tmp_path_factory.mktemp("uninterrupted")
    shutil.copytree(base, whole, dirs_exist_ok=True)
    add_days(whole / "archive", thirds[1] + thirds[2], generated)
    finished = make_load(whole / "archive", whole / "wh" / "warehouse.duckdb")
    assert finished.returncode == 0, finished.stderr[-3000:]
    expected = fingerprint(whole / "wh" / "warehouse.duckdb")
    for dataset, source in manifest["sources"].items():
        for table, rows in source["rows_per_table"].items():
            assert expected[f"{dataset}.{table}"][0] == rows, table
    return generated, thirds, base, expected


@pytest.mark.slow
@pytest.mark.parametrize("point", list(POINTS))
def test_killed_load_then_one_make_load_equals_an_uninterrupted_load(history, point, tmp_path):
    generated, thirds, base, expected = history
    shutil.copytree(base, tmp_path, dirs_exist_ok=True)
    archive, warehouse = tmp_path / "archive", tmp_path / "wh" / "warehouse.duckdb"
    add_days(archive, thirds[1], generated)

    killed = subprocess.run(
        [sys.executable, "-m", "tests.support.kill_at", point, *load_arguments(archive, warehouse)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
    )
    assert killed.returncode == -9, f"{point} was never reached:\n{killed.stderr[-3000:]}"

    add_days(archive, thirds[2], generated)
    rerun = make_load(archive, warehouse)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert repeated_ids(warehouse) == {}
    assert fingerprint(warehouse) == expected
    published = fingerprint(published_path(warehouse), kind="VIEW")
    assert published == {
        name: value for name, value in expected.items() if name.split(".")[0] in PUBLISHED_SCHEMAS
    }
