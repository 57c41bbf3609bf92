"""Logs and the run log carry counts, file names and reasons, never payloads; the quarantine
keeps the raw line for repair."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import SourceEmpty, describe
from tests.conftest import message, write_archive_file

PROJECT = Path(__file__).resolve().parent.parent
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
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", "--warehouse", str(warehouse)]
        + ["--regal-voice-url", str(source), "--segment-url", str(source)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DEBUG": ""},
    )
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
