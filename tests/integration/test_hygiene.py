"""Logs and the run log carry counts, file names and reasons, never payloads; the quarantine
keeps the raw line for repair; no credentials in the repository; the docs server stays local."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import SourceEmpty, describe
from tests.conftest import PROJECT, ingest, message, write_archive_file

EMAIL, PHONE, SMS = "jane.roe@example.com", "+14155550123", "my card ends 4242, call me"


def test_a_load_logs_no_payload_and_quarantines_the_raw_line(tmp_path):
    source = tmp_path / "segment-logs" / "src"
    personal = {"email": EMAIL, "phone": PHONE, "body": SMS}
    lines = [
        message("m1", "sms.sent", **personal),
        json.dumps(message("m2", **personal))[:-5],  # cut short: invalid JSON
        json.dumps({**message("m3", **personal), "email": EMAIL}),  # unknown top-level field
        '{"messageId": "m4", "messageId": "m4", "type": "track", "event": "sms.sent", '
        f'"properties": {{"body": "{SMS}", "phone": "{PHONE}"}}}}',
    ]
    write_archive_file(source, "1759622400000/a.gz", lines)
    warehouse = tmp_path / "warehouse.duckdb"
    result = ingest(warehouse, source)
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "1759622400000/a.gz" in output and "quarantined" in output
    for value in (EMAIL, PHONE, SMS, "4242"):
        assert value not in output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.sql("SELECT * FROM ops.load_runs").fetchall()
        raw = con.sql("SELECT raw_line FROM regal_voice._rejected_lines ORDER BY 1").fetchall()
    assert EMAIL not in repr(runs) and SMS not in repr(runs)
    assert len(raw) == 2 and all("4242" in line for (line,) in raw)


def test_an_unexpected_error_is_reported_without_the_value_it_quotes():
    with pytest.raises(duckdb.Error) as caught:
        duckdb.sql(f"SELECT '{EMAIL}'::INTEGER").fetchall()
    assert EMAIL in str(caught.value)
    wrapped = RuntimeError("loading failed")
    wrapped.__cause__ = caught.value
    reported = describe(wrapped)
    assert EMAIL not in reported and reported.startswith("ConversionException: ")


def test_our_own_errors_are_reported_as_written():
    error = SourceEmpty("regal_voice: no files found under s3://bucket/segment-logs/x")
    assert describe(error) == f"SourceEmpty: {error}"


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT, capture_output=True, check=True
    ).stdout
    return [PROJECT / name for name in listed.decode().split("\0") if name]


def test_secrets_file_is_ignored_and_no_credentials_are_tracked():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".dlt/secrets.toml"], cwd=PROJECT, check=False
    )
    assert ignored.returncode == 0
    access_key = re.compile(rb"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
    private_key = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")
    for path in tracked_files():
        if path.is_file():
            content = path.read_bytes()
            assert not access_key.search(content), path
            assert not private_key.search(content), path


def test_docs_server_binds_localhost_only():
    recipe = (PROJECT / "Makefile").read_text()
    serve = [line for line in recipe.splitlines() if "docs serve" in line]
    assert serve and all("--host 127.0.0.1" in line for line in serve)
