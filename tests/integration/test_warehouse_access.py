"""Loads against other processes: a second load, an analyst holding the file, the run log.

Every holder here is a real second process, as cron and an analyst's notebook would be.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.engines.duckdb.lock import (
    Backoff,
    lock_path,
    published_path,
)
from pipelines.errors import EXIT_ANOTHER_LOAD, EXIT_SOURCE_EMPTY, EXIT_WAREHOUSE_BUSY
from pipelines.ops.run_log import RUN_LOG, finish_run, start_run
from pipelines.ops.schema import prepare_ops
from tests.conftest import PROJECT, ingest, ingest_command, message, write_archive_file


def ingest_in_background(warehouse: Path, source: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        ingest_command(warehouse, source, *options),
        cwd=PROJECT,
        stderr=subprocess.PIPE,
        text=True,
    )


def hold(code: str, ready: Path) -> subprocess.Popen:
    """Run ``code`` in another Python process; return once it has written ``ready``."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code + f"\nopen({str(ready)!r}, 'w').close()\nimport time\ntime.sleep(600)",
        ],
        cwd=PROJECT,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert process.poll() is None, "the holder process died"
        assert time.monotonic() < deadline, "the holder never got ready"
        time.sleep(0.05)
    return process


def another_load_holding(warehouse: Path, ready: Path) -> subprocess.Popen:
    return hold(
        "from pathlib import Path\nfrom pipelines.engines.duckdb.lock import LoadLock\n"
        f"lock = LoadLock(Path({str(warehouse)!r})).__enter__()",
        ready,
    )


def analyst_holding(path: Path, ready: Path, read_only: bool = True) -> subprocess.Popen:
    return hold(
        f"import duckdb\ncon = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "con.sql('select 1').fetchall()",
        ready,
    )


def stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=30)


def count(path: Path, sql: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()[0][0]


@pytest.fixture
def source(tmp_path) -> Path:
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, "1759622400000/a.gz", [message(f"m{i}") for i in range(5)])
    return source


def test_a_second_load_exits_with_its_own_code_naming_the_first(tmp_path, source):
    warehouse = tmp_path / "warehouse.duckdb"
    other_load = another_load_holding(warehouse, tmp_path / "ready")
    try:
        result = ingest(warehouse, source)
    finally:
        stop(other_load)
    assert result.returncode == EXIT_ANOTHER_LOAD, result.stderr
    assert f"another load is running (pid {other_load.pid}" in result.stderr
    assert "LOCK_WAIT=<seconds>" in result.stderr  # how to wait instead
    assert not warehouse.exists()  # it touched nothing
    # The kernel released the dead holder's lock: the next run loads.
    assert ingest(warehouse, source).returncode == 0
    assert count(warehouse, "SELECT count(*) FROM regal_voice.call_completed") == 5
    assert lock_path(warehouse).read_text() == ""


def test_a_load_told_to_wait_runs_once_the_first_is_done(tmp_path, source):
    warehouse = tmp_path / "warehouse.duckdb"
    other_load = another_load_holding(warehouse, tmp_path / "ready")
    waiting = ingest_in_background(warehouse, source, "--lock-wait", "60")
    time.sleep(2)
    assert waiting.poll() is None  # still waiting for the lock
    stop(other_load)
    _, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, stderr
    assert count(warehouse, "SELECT count(*) FROM regal_voice.call_completed") == 5


@pytest.mark.parametrize("read_only", [True, False])
def test_a_load_waits_for_an_analyst_and_names_them(tmp_path, source, read_only):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    analyst = analyst_holding(warehouse, tmp_path / "ready", read_only)
    try:
        result = ingest(warehouse, source, "--busy-wait", "2")
    finally:
        stop(analyst)
    assert result.returncode == EXIT_WAREHOUSE_BUSY, result.stderr
    assert f"held by pid {analyst.pid}" in result.stderr
    # The holder's program only: its command line (a path, a password) is not for cron mail.
    assert "import duckdb" not in result.stderr and "read_only=" not in result.stderr
    assert str(published_path(warehouse)) in result.stderr  # tells them where to read instead

    analyst = analyst_holding(warehouse, tmp_path / "ready-2", read_only)
    waiting = ingest_in_background(warehouse, source, "--busy-wait", "120")
    time.sleep(3)
    stop(analyst)
    _, stderr = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, stderr
    assert f"held by pid {analyst.pid}" in stderr and "retrying in" in stderr
    assert count(warehouse, "SELECT count(*) FROM regal_voice.call_completed") == 5


def test_analysts_on_the_published_copy_never_block_a_load(tmp_path, source):
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(warehouse, source).returncode == 0
    copy = published_path(warehouse)
    analyst = analyst_holding(copy, tmp_path / "ready")
    try:
        write_archive_file(source, "1759708800000/b.gz", [message(f"n{i}") for i in range(3)])
        result = ingest(warehouse, source, "--busy-wait", "0")
        assert result.returncode == 0, result.stderr
    finally:
        stop(analyst)
    # The analyst's next connection sees the new load.
    assert count(copy, "SELECT count(*) FROM regal_voice.call_completed") == 8
    assert not copy.with_name(copy.name + ".partial").exists()


def test_each_run_is_recorded_with_its_outcome(tmp_path, source):
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(warehouse, source).returncode == 0
    assert ingest(warehouse, tmp_path / "no-such-folder").returncode == EXIT_SOURCE_EMPTY
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.sql(
            "SELECT status, files_read, messages, error, finished_at >= started_at, "
            f"json_extract(rows_per_table, '$.\"regal_voice.call_completed\"')::INT "
            f"FROM {RUN_LOG} ORDER BY started_at"
        ).fetchall()
    assert runs[0] == ("succeeded", 1, 5, None, True, 5)
    status, files, _, error, ended, _ = runs[1]
    assert (status, files, ended) == ("failed", 0, True)
    assert "no files found under" in error and "no-such-folder" in error
    # A run that fails on a brand source still records what Regal Voice's loaded.
    write_archive_file(source, "1759708800000/b.gz", [message("late")])
    command = ingest_command(warehouse, source)
    command += ["--source", f"ios={tmp_path / 'no-such-folder'}"]
    assert subprocess.run(command, cwd=PROJECT, capture_output=True).returncode == EXIT_SOURCE_EMPTY
    with duckdb.connect(str(warehouse), read_only=True) as con:
        last = con.sql(
            f"SELECT status, files_read, messages FROM {RUN_LOG} ORDER BY started_at DESC LIMIT 1"
        ).fetchall()[0]
    assert last == ("failed", 1, 1)


def test_a_run_that_died_is_marked_interrupted_by_the_next(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        prepare_ops(con)
        died = start_run(con, "load")
        current = start_run(con, "load")
        finish_run(con, current, "succeeded")
        statuses = dict(con.sql(f"SELECT run_id, status FROM {RUN_LOG}").fetchall())
    assert statuses == {died: "interrupted", current: "succeeded"}


def test_backoff_doubles_up_to_its_cap_and_spends_exactly_the_wait():
    assert Backoff(10).waits() == [1, 2, 4, 3]
    assert Backoff(100, longest=30).waits() == [1, 2, 4, 8, 16, 30, 30, 9]
    assert Backoff(0).waits() == []


def freshness(warehouse: Path, hours: int) -> str:
    """The status ``dbt source freshness`` gives the Regal Voice source with a ``hours`` limit."""
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            "source",
            "freshness",
            "--select",
            "source:regal_voice",
            "--vars",
            f"{{freshness_warn_after_hours: {hours}}}",
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WAREHOUSE": str(warehouse)},
    )
    assert result.returncode == 0, result.stdout[-2000:]
    line = next(
        line
        for line in result.stdout.splitlines()
        if "freshness of regal_voice" in line and "START" not in line
    )
    return "WARN" if "WARN" in line else "PASS" if "PASS" in line else line


def test_freshness_warns_once_the_newest_message_is_older_than_the_limit(tmp_path):
    source = tmp_path / "segment-logs" / "src"
    three_hours_ago = datetime.now(UTC) - timedelta(hours=3)
    fresh = message("f1")
    fresh["receivedAt"] = three_hours_ago.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    old = message("o1")  # received in 2026-10: older, and not what freshness looks at
    write_archive_file(source, "1759622400000/a.gz", [fresh, old])
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(warehouse, source).returncode == 0
    assert freshness(warehouse, hours=4) == "PASS"
    assert freshness(warehouse, hours=2) == "WARN"
