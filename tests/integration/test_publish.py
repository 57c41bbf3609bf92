"""The analysts' copy: DuckDB 1.x opens it, it equals the warehouse, and a publish rewrites only
what changed, never a file an analyst may hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.engines.duckdb import DuckDBFile
from pipelines.engines.duckdb.analysts_copy import RECORD, files_dir, publish
from pipelines.engines.duckdb.lock import published_path
from pipelines.ingest.load import load_source
from tests.conftest import checksums, message, write_archive_file

DAY_1, DAY_2 = "1759622400000", "1759708800000"  # 2025-10-05 and 2025-10-06 (received days)
# With no source registered (these tests load with load_source alone), the raw schemas are the
# two of earlier releases.
PUBLISHED_SCHEMAS = ("regal_voice", "segment", "analytics", "ops")


def track(message_id: str, day: str, event: str = "call.completed", **properties) -> dict:
    sent = {DAY_1: "2025-10-05T10:00:00Z", DAY_2: "2025-10-06T10:00:00Z"}[day]
    return {**message(message_id, event, **properties), "timestamp": sent, "receivedAt": sent}


def in_warehouse(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Checksums of every table analysts are given, as the warehouse holds it."""
    return checksums(warehouse, "BASE TABLE", schemas=PUBLISHED_SCHEMAS)


def in_copy(warehouse: Path) -> dict[str, tuple[int, int]]:
    """The same, as the analysts' copy shows it."""
    return checksums(published_path(warehouse), "VIEW", schemas=PUBLISHED_SCHEMAS)


def publish_now(warehouse: Path, keep_hours: float = 24):
    with duckdb.connect(str(warehouse)) as con:
        return publish(con, warehouse, keep_hours)


def catalog_files(warehouse: Path) -> dict[str, str]:
    """Table and part → file, as the warehouse records the current catalog."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(
            f"SELECT schema_name || '.' || table_name || '/' || part, path FROM {RECORD} "
            "WHERE superseded_at IS NULL"
        ).fetchall()
    return dict(rows)


@pytest.fixture
def loaded(tmp_path) -> tuple[Path, Path]:
    source = tmp_path / "source"
    write_archive_file(
        source, f"{DAY_1}/a.gz", [track(f"a{i}", DAY_1, talk_time=i) for i in range(6)]
    )
    write_archive_file(source, f"{DAY_2}/b.gz", [track(f"b{i}", DAY_2) for i in range(4)])
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    return source, warehouse


def test_duckdb_1x_opens_the_copy_and_reads_every_table(loaded):
    _, warehouse = loaded
    publish_now(warehouse)
    cli = Path(sys.executable).with_name("duckdb")
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("v1."), version.stdout
    expected = in_warehouse(warehouse)
    queries = "; ".join(f"SELECT '{name}', count(*) FROM {name}" for name in sorted(expected))
    result = subprocess.run(
        [str(cli), "-readonly", "-json", str(published_path(warehouse)), "-c", queries],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    counts = {}
    for chunk in result.stdout.split("]"):
        for row in json.loads(chunk + "]") if chunk.strip() else []:
            name, rows = list(row.values())
            counts[name] = rows
    assert counts == {name: rows for name, (rows, _) in expected.items()}
    assert counts["regal_voice.call_completed"] == 10


def test_the_copy_equals_the_warehouse_and_only_changed_days_are_rewritten(loaded):
    source, warehouse = loaded
    publish_now(warehouse)
    before = catalog_files(warehouse)
    assert in_copy(warehouse) == in_warehouse(warehouse)

    # A late file for day 2: day 1's files stay as they are.
    write_archive_file(source, f"{DAY_2}/c.gz", [track(f"c{i}", DAY_2) for i in range(3)])
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    published = publish_now(warehouse)
    after = catalog_files(warehouse)
    day_1 = "regal_voice.call_completed/2025-10-05"
    day_2 = "regal_voice.call_completed/2025-10-06"
    assert after[day_1] == before[day_1]
    assert after[day_2] != before[day_2]
    assert published.rows_written < 40  # day 2 of each table and the small bookkeeping ones
    assert in_copy(warehouse) == in_warehouse(warehouse)
    # The file day 2 had before is kept for connections opened before this publish.
    assert Path(before[day_2]).exists()


def test_rows_leaving_an_untouched_day_are_found(loaded):
    _, warehouse = loaded
    publish_now(warehouse)
    with duckdb.connect(str(warehouse)) as con:  # as a merged duplicate or a forgotten contact
        con.execute("DELETE FROM regal_voice.call_completed WHERE id = 'a1'")
        con.execute("DELETE FROM regal_voice.tracks WHERE id = 'a1'")
    publish_now(warehouse)
    published = in_copy(warehouse)
    assert published["regal_voice.call_completed"][0] == 9
    assert published == in_warehouse(warehouse)


def test_a_new_column_republishes_its_table(loaded):
    source, warehouse = loaded
    publish_now(warehouse)
    write_archive_file(source, f"{DAY_2}/d.gz", [track("d1", DAY_2, new_property="x")])
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    publish_now(warehouse)
    with duckdb.connect(str(published_path(warehouse)), read_only=True) as con:
        values = con.sql(
            "SELECT count(*), count(new_property) FROM regal_voice.call_completed"
        ).fetchall()
    assert values == [(11, 1)]


def test_superseded_files_are_removed_after_the_keep_window(loaded):
    source, warehouse = loaded
    publish_now(warehouse)
    old_day_2 = catalog_files(warehouse)["regal_voice.call_completed/2025-10-06"]
    write_archive_file(source, f"{DAY_2}/c.gz", [track("c1", DAY_2)])
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    publish_now(warehouse)
    assert Path(old_day_2).exists()
    removed = publish_now(warehouse, keep_hours=0).files_deleted
    assert removed >= 1 and not Path(old_day_2).exists()
    named = set(catalog_files(warehouse).values())
    on_disk = {str(path) for path in files_dir(warehouse).rglob("*.parquet")}
    assert on_disk == named


def test_a_removed_copy_is_published_again_whole(loaded):
    _, warehouse = loaded
    publish_now(warehouse)
    published_path(warehouse).unlink()
    again = publish_now(warehouse)
    assert again.files_written > 0
    assert in_copy(warehouse) == in_warehouse(warehouse)


def test_an_analyst_holding_the_copy_keeps_a_consistent_view(loaded):
    source, warehouse = loaded
    publish_now(warehouse)
    analyst = duckdb.connect(str(published_path(warehouse)), read_only=True)
    try:
        write_archive_file(source, f"{DAY_2}/c.gz", [track(f"c{i}", DAY_2) for i in range(3)])
        load_source("regal_voice", str(source), DuckDBFile(warehouse))
        publish_now(warehouse)
        # The open connection still reads the copy it opened, whole; a new one sees the load.
        assert analyst.sql("SELECT count(*) FROM regal_voice.call_completed").fetchall() == [(10,)]
    finally:
        analyst.close()
    with duckdb.connect(str(published_path(warehouse)), read_only=True) as fresh:
        assert fresh.sql("SELECT count(*) FROM regal_voice.call_completed").fetchall() == [(13,)]


def test_a_message_delivered_again_keeps_its_first_copy(loaded):
    source, warehouse = loaded
    publish_now(warehouse)
    # The same message id again, in a later run: the first copy Segment delivered stays.
    write_archive_file(source, f"{DAY_2}/again.gz", [track("b0", DAY_2, disposition="Sale")])
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    publish_now(warehouse)
    with duckdb.connect(str(published_path(warehouse)), read_only=True) as con:
        rows = con.sql(
            "SELECT count(*), max(disposition) FROM regal_voice.call_completed WHERE id = 'b0'"
        ).fetchall()
    assert rows == [(1, None)]
    assert in_copy(warehouse) == in_warehouse(warehouse)


def identify(message_id: str, plan: str, sent: str) -> dict:
    return {
        "messageId": message_id,
        "type": "identify",
        "userId": "u1",
        "timestamp": sent,
        "receivedAt": sent,
        "traits": {"plan": plan},
    }


def test_a_row_replaced_in_place_is_republished(loaded):
    source, warehouse = loaded
    write_archive_file(source, f"{DAY_2}/who.gz", [identify("i1", "basic", "2025-10-06T10:00:00Z")])
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    publish_now(warehouse)
    # A newer identify: the user's row in `users` is replaced in place (same row count), and
    # only its newer uuid_ts tells the publish.
    write_archive_file(
        source, f"{DAY_2}/who-again.gz", [identify("i2", "pro", "2025-10-06T11:00:00Z")]
    )
    load_source("regal_voice", str(source), DuckDBFile(warehouse))
    publish_now(warehouse)
    with duckdb.connect(str(published_path(warehouse)), read_only=True) as con:
        rows = con.sql("SELECT count(*), max(plan) FROM regal_voice.users").fetchall()
    assert rows == [(1, "pro")]
    assert in_copy(warehouse) == in_warehouse(warehouse)
