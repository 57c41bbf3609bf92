"""Every failure says what to do in one line, and cron sees the documented exit codes.

One test per message a user can meet; the crontab line is the README's own, run as cron
runs it (a shell, the project's installed command), once per documented exit code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import boto3
import duckdb
import pytest

from pipelines.cli import main
from pipelines.errors import (
    EXIT_ANOTHER_LOAD,
    EXIT_CONFIG,
    EXIT_SOURCE_EMPTY,
    EXIT_SOURCE_UNREADABLE,
    EXIT_WAREHOUSE_BUSY,
)
from tests.conftest import PROJECT, free_port, message, moto_server, use_s3, write_archive_file
from tests.integration.test_warehouse_access import another_load_holding, hold

README = PROJECT / "README.md"


def ingest(url: str, warehouse: Path) -> list[str]:
    return ["ingest", "--regal-voice-url", url, "--warehouse", str(warehouse)]


def error_line(capsys) -> str:
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.fixture
def source(tmp_path) -> Path:
    folder = tmp_path / "segment-logs" / "src"
    write_archive_file(folder, "1759622400000/a.gz", [message(f"m{i}") for i in range(3)])
    return folder


def test_missing_s3_credentials_name_the_variables(tmp_path, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith(("AWS_", "SOURCES__")):
            monkeypatch.delenv(name)
    url = "s3://brand-archive/segment-logs/RgLvC3xAmP"
    assert main(ingest(url, tmp_path / "warehouse.duckdb")) == EXIT_CONFIG
    error = error_line(capsys)
    assert error.startswith(f"error: CloudCredentials: regal_voice: {url}: no credentials found")
    assert "AWS_ACCESS_KEY_ID" in error and "AWS_SECRET_ACCESS_KEY" in error


@pytest.mark.slow
def test_refused_s3_credentials_name_the_variables(tmp_path, monkeypatch, capsys):
    # moto checks credentials after the set-up calls (the bucket and its one object).
    with moto_server(INITIAL_NO_AUTH_ACTION_COUNT="2") as endpoint:
        use_s3(monkeypatch, endpoint)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="brand-archive")
        s3.put_object(Bucket="brand-archive", Key="segment-logs/src/1/a.gz", Body=b"")
        use_s3(monkeypatch, endpoint, "no-such-key-id", "wrong")
        url = "s3://brand-archive/segment-logs/src"
        assert main(ingest(url, tmp_path / "warehouse.duckdb")) == EXIT_CONFIG
    error = error_line(capsys)
    assert "the credentials were refused" in error and "AWS_ACCESS_KEY_ID" in error


def test_a_file_system_error_shows_the_users_own_path(tmp_path, source, capsys):
    in_the_way = tmp_path / "not-a-folder"
    in_the_way.write_text("a file where the warehouse's folder should be")
    assert main(ingest(str(source), in_the_way / "warehouse.duckdb")) == 1
    assert str(in_the_way) in error_line(capsys)


def test_a_file_that_is_not_gzip_gets_its_own_reason_and_a_warning(tmp_path, source, capsys):
    (source / "1759622400000" / "x.gz").write_bytes(bytes(range(256)) * 12)
    warehouse = tmp_path / "warehouse.duckdb"
    assert main(ingest(str(source), warehouse)) == 0
    output = capsys.readouterr()
    warning = [line for line in output.out.splitlines() if line.startswith("warning: ")]
    assert warning == [
        "warning: regal_voice: 1 file(s) are not Segment archive files and were quarantined "
        "whole: 1759622400000/x.gz (not_gzip) — remove them from the archive folder",
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejected = con.sql(
            "SELECT file_name, line_number, reason FROM regal_voice._rejected_lines"
        ).fetchall()
        warnings = json.loads(con.sql("SELECT warnings FROM ops.load_runs").fetchall()[0][0])
        loaded = con.sql("SELECT count(*) FROM regal_voice.tracks").fetchall()[0][0]
    assert rejected == [("1759622400000/x.gz", 0, "not_gzip")]
    assert warnings == [line.removeprefix("warning: ") for line in warning]
    assert loaded == 3  # the real file beside it loads


def test_a_binary_file_of_any_name_is_not_json_lines(tmp_path, source, capsys):
    (source / "1759622400000" / "x.json").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    assert main(ingest(str(source), tmp_path / "warehouse.duckdb")) == 0
    assert "1759622400000/x.json (not_json_lines)" in capsys.readouterr().out


def test_a_new_warehouse_is_announced_and_a_missing_one_is_not_transformed(
    tmp_path, source, caplog
):
    warehouse = tmp_path / "typo" / "warehuose.duckdb"
    assert main(["transform", "--warehouse", str(warehouse)]) == EXIT_SOURCE_EMPTY
    assert not warehouse.exists()
    with caplog.at_level("INFO", logger="pipelines"):
        assert main(ingest(str(source), warehouse)) == 0
    assert f"creating a new warehouse at {warehouse}" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="pipelines"):
        assert main(ingest(str(source), warehouse)) == 0
    assert "creating a new warehouse" not in caplog.text


def crontab_line() -> str:
    """The command of the README's crontab entry (after its five schedule fields)."""
    block = re.search(r"```crontab\n(.*?)```", README.read_text(), re.DOTALL)
    assert block, "the README has no ```crontab block"
    entries = [line for line in block.group(1).splitlines() if line and line[0].isdigit()]
    assert len(entries) == 1, entries
    return entries[0].split(None, 5)[5]


def run_cron_line(regal_voice_url: str, warehouse: Path, **env: str) -> subprocess.CompletedProcess:
    """The README's crontab command with its paths replaced by ours, run by ``sh``."""
    command = crontab_line()
    command = command.replace("/srv/regal-voice-warehouse", str(PROJECT))
    command = re.sub(r"--regal-voice-url \S+", f"--regal-voice-url {regal_voice_url}", command)
    # The brand sources are left out: each exit code below comes from the Regal Voice source.
    command = re.sub(r"--(source|segment-url)[ =]\S+", "", command)
    command = re.sub(r"--warehouse \S+", f"--warehouse {warehouse}", command)
    command = re.sub(r">>\s*\S+", "", command)  # keep the output here
    # No cloud credentials but those given: cron's environment is nearly empty too.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SOURCES__"))}
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, "DEBUG": "", **env},
    )


@pytest.mark.slow
def test_the_readme_crontab_line_passes_every_documented_exit_code(tmp_path, source):
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    assert run_cron_line(str(source), warehouse).returncode == 0

    empty = tmp_path / "segment-logs" / "empty"
    empty.mkdir(parents=True)
    assert run_cron_line(str(empty), warehouse).returncode == EXIT_SOURCE_EMPTY

    assert run_cron_line("s3://brand-archive/x", warehouse).returncode == EXIT_CONFIG

    with moto_server():  # an S3 endpoint nobody listens on: unreadable
        closed = f"http://127.0.0.1:{free_port()}"
        unreadable = run_cron_line(
            "s3://brand-archive/segment-logs/src",
            warehouse,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_ACCESS_KEY_ID="testing",
            SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_SECRET_ACCESS_KEY="testing",
            SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__ENDPOINT_URL=closed,
        )
    assert unreadable.returncode == EXIT_SOURCE_UNREADABLE, unreadable.stderr[-500:]

    holder = another_load_holding(warehouse, tmp_path / "locked")
    try:
        assert run_cron_line(str(source), warehouse).returncode == EXIT_ANOTHER_LOAD
    finally:
        holder.kill()
        holder.wait()

    analyst = hold(f"import duckdb\ncon = duckdb.connect({str(warehouse)!r})", tmp_path / "held")
    try:
        busy = run_cron_line(str(source), warehouse, BUSY_WAIT="0")
        assert busy.returncode == EXIT_WAREHOUSE_BUSY
    finally:
        analyst.kill()
        analyst.wait()

    broken = tmp_path / "segment-logs" / "broken"
    write_archive_file(broken, "1759622400000/a.gz", [message("m1")])
    (tmp_path / "wh2").write_text("a file where the warehouse's folder should be")
    failed = run_cron_line(str(broken), tmp_path / "wh2" / "warehouse.duckdb")
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1].startswith("error: ")
