"""A planted secret never leaves the process: not in a log line, the error line, a table, a
file beside the warehouse (dlt's pickles included) or make's echo."""

from __future__ import annotations

import logging
import subprocess

import duckdb

from pipelines import redact
from pipelines.errors import describe
from tests.conftest import PROJECT, cli, message, moto_server, upload, use_s3, write_archive_file

KEY = "AKIAPLANTEDKEY7Q3Z"
SECRET = "Planted+Secret/Value-9f8e7d6c"
PG_PASSWORD = "PlantedPgPassw0rd-4411"


def everything_written(root) -> list[str]:
    """The files under ``root`` that hold ``SECRET``, ``KEY`` or ``PG_PASSWORD`` (in any of
    the forms a URL or a pickle would carry them)."""
    needles = [value.encode() for value in (SECRET, KEY, PG_PASSWORD)]
    needles += [b"Planted%2BSecret", b"Planted+Secret"]
    holding = []
    for path in root.rglob("*"):
        if path.is_file() and any(needle in path.read_bytes() for needle in needles):
            holding.append(str(path.relative_to(root)))
    return holding


def test_a_key_and_secret_in_a_source_url_load_and_never_leave_the_process(tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    write_archive_file(
        archive / "segment-logs" / "src", "1759622400000/a.gz", [message("m1"), message("m2")]
    )
    work = tmp_path / "work"
    warehouse = work / "warehouse.duckdb"
    with moto_server() as endpoint:
        use_s3(monkeypatch, endpoint)
        upload(endpoint, "brand-archive", archive)
        url = f"s3://{KEY}:{SECRET}@brand-archive/segment-logs/src"
        loaded = cli("ingest", "--regal-voice-url", url, "--warehouse", str(warehouse), DEBUG="")
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        # A run that fails (no such bucket) says so, in its error line and the run log.
        failed = cli(
            "ingest",
            "--regal-voice-url",
            f"s3://{KEY}:{SECRET}@no-such-bucket/segment-logs/src",
            "--warehouse",
            str(warehouse),
            DEBUG="",
        )
    assert failed.returncode != 0
    assert "error:" in failed.stderr and "s3://***:***@no-such-bucket" not in failed.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM regal_voice.tracks").fetchall()[0][0] == 2
        errors = con.sql("SELECT error FROM ops.load_runs WHERE error IS NOT NULL").fetchall()
    assert errors and all("no-such-bucket" in error for (error,) in errors)
    for output in (loaded.stdout, loaded.stderr, failed.stdout, failed.stderr):
        assert SECRET not in output and KEY not in output
    # The warehouse, the run log, dlt's state and trace pickles: nothing holds them.
    assert everything_written(work) == []


def test_a_postgres_url_without_a_database_names_what_is_missing_not_its_password():
    result = cli(
        "ingest",
        "--warehouse",
        f"postgresql://loader:{PG_PASSWORD}@127.0.0.1:1",
        PGPASSWORD="",
        DEBUG="",
    )
    assert result.returncode == 78, result.stderr
    assert PG_PASSWORD not in result.stdout + result.stderr
    assert "names no database" in result.stderr and "password" not in result.stderr.lower()


def test_make_never_echoes_a_warehouse_password():
    url = f"postgresql://loader:{PG_PASSWORD}@127.0.0.1:5432/warehouse"
    echoed = subprocess.run(
        ["make", "-n", "--no-print-directory", "docs", "docs-static", "lint", f"WAREHOUSE={url}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert echoed.returncode == 0, echoed.stderr
    assert "dbt docs generate" in echoed.stdout
    assert PG_PASSWORD not in echoed.stdout + echoed.stderr


def test_describe_masks_quoted_values_urls_and_remembered_secrets():
    redact.remember("remembered-secret-value")
    failure = RuntimeError(
        'Conversion Error: Could not convert string "4111-1111" to INT64 '
        "at s3://AKIAXYZ:sekrit@bucket/x with remembered-secret-value"
    )
    line = describe(failure)
    assert "4111-1111" not in line and "sekrit" not in line and "AKIAXYZ" not in line
    assert "remembered-secret-value" not in line
    assert line.startswith("RuntimeError: Conversion Error: Could not convert string")


def test_a_log_line_cannot_be_forged_or_carry_a_secret(caplog):
    redact.remember(PG_PASSWORD)
    record = logging.LogRecord(
        "pipelines", logging.WARNING, __file__, 1, "%s: gone", ("a\nerror: forged",), None
    )
    assert redact.RedactingFilter().filter(record)
    assert record.getMessage() == "a\\nerror: forged: gone"
    record = logging.LogRecord(
        "pipelines", logging.INFO, __file__, 1, "to %s", (f"postgres://u:{PG_PASSWORD}@h/d",), None
    )
    redact.RedactingFilter().filter(record)
    assert record.getMessage() == "to postgres://u:***@h/d"
