"""A source that cannot be read: a clear one-line error, its own exit code, and a next run that
catches up. S3 is a real moto server; an unreachable one is a closed port."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import boto3
import duckdb
import pytest

import pipelines.segment_archive.preparation as preparation
from pipelines.cli import main
from pipelines.errors import EXIT_SOURCE_EMPTY, EXIT_SOURCE_UNREADABLE
from tests.conftest import free_port, moto_server, source_url, upload, use_s3

BUCKET = "brand-archive"
LOG_LINE = re.compile(r"\d\d:\d\d:\d\d ")


def ingest(url: str, warehouse) -> list[str]:
    return ["ingest", "--regal-voice-url", url, "--warehouse", str(warehouse)]


def error_line(capsys) -> str:
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors
    return errors[0]


def files_loaded(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("SELECT count(*) FROM regal_voice._archive_files").fetchall()[0][0]


def s3_url(root, dataset: str = "web") -> str:
    return f"s3://{BUCKET}/" + source_url(root, dataset).removeprefix(str(root) + "/")


@pytest.mark.slow
def test_unreachable_bucket_fails_clearly_and_the_next_run_catches_up(
    sample_archive, tmp_path, monkeypatch, capsys
):
    root, manifest = sample_archive
    warehouse = tmp_path / "warehouse.duckdb"
    with moto_server() as endpoint:
        use_s3(monkeypatch, endpoint)
        upload(endpoint, BUCKET, root)
        use_s3(monkeypatch, f"http://127.0.0.1:{free_port()}")  # nothing listens there
        assert main(ingest(s3_url(root), warehouse)) == EXIT_SOURCE_UNREADABLE
        error = error_line(capsys)
        assert f"regal_voice: reading {s3_url(root)} failed" in error
        assert "Could not connect" in error

        use_s3(monkeypatch, endpoint)
        assert main(ingest(s3_url(root), warehouse)) == 0
    assert files_loaded(warehouse) == manifest["sources"]["web"]["files"]


@pytest.mark.slow
def test_permission_denied_fails_clearly_and_the_next_run_catches_up(
    sample_archive, tmp_path, monkeypatch, capsys
):
    root, manifest = sample_archive
    warehouse = tmp_path / "warehouse.duckdb"
    archive_files = sum(1 for p in root.rglob("*") if p.is_file() and p.name != "manifest.json")
    # moto checks credentials after the set-up calls: the bucket, its objects, a user, a key.
    with moto_server(INITIAL_NO_AUTH_ACTION_COUNT=str(archive_files + 1 + 2)) as endpoint:
        use_s3(monkeypatch, endpoint)
        assert upload(endpoint, BUCKET, root) == archive_files + 1
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
        iam.create_user(UserName="no-rights")
        key = iam.create_access_key(UserName="no-rights")["AccessKey"]
        use_s3(monkeypatch, endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        # As cron runs it: stderr holds the log lines and one error line, nothing else.
        failed = subprocess.run(
            [sys.executable, "-m", "pipelines", *ingest(s3_url(root), warehouse)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "DEBUG": ""},
        )
        assert failed.returncode == EXIT_SOURCE_UNREADABLE
        lines = failed.stderr.splitlines()
        assert lines[-1].startswith("error: SourceUnreadable: regal_voice: reading s3://")
        assert "AccessDenied" in lines[-1]
        assert all(LOG_LINE.match(line) for line in lines[:-1]), failed.stderr[-2000:]

    with moto_server() as endpoint:  # the same archive, now readable
        use_s3(monkeypatch, endpoint)
        upload(endpoint, BUCKET, root)
        assert main(ingest(s3_url(root), warehouse)) == 0
    assert files_loaded(warehouse) == manifest["sources"]["web"]["files"]


@pytest.mark.slow
def test_empty_bucket_is_an_error_not_a_quiet_success(tmp_path, monkeypatch, capsys):
    with moto_server() as endpoint:
        use_s3(monkeypatch, endpoint)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        url = f"s3://{BUCKET}/segment-logs/RgLvC3xAmP"
        assert main(ingest(url, tmp_path / "warehouse.duckdb")) == EXIT_SOURCE_EMPTY
    assert "no files found under" in error_line(capsys)


def delete_before_reading(monkeypatch, victim: str, delete) -> None:
    """Delete ``victim`` after it was listed, just before it is read."""
    prepare = preparation.FilePreparer.prepare

    def prepare_after_deleting(self, item, path=None):
        if item["relative_path"] == victim:
            delete()
        return prepare(self, item, path)

    monkeypatch.setattr(preparation.FilePreparer, "prepare", prepare_after_deleting)


def test_file_deleted_between_listing_and_reading(sample_archive, tmp_path, monkeypatch, capsys):
    root, manifest = sample_archive
    source = tmp_path / "source"
    shutil.copytree(source_url(root, "regal_voice"), source)
    victim = sorted(p for p in source.rglob("*.gz"))[3]
    name = str(victim.relative_to(source))
    kept = victim.read_bytes()
    delete_before_reading(monkeypatch, name, victim.unlink)
    warehouse = tmp_path / "warehouse.duckdb"

    assert main(ingest(str(source), warehouse)) == EXIT_SOURCE_UNREADABLE
    error = error_line(capsys)
    assert "1 file(s) gone between listing and reading" in error and name in error
    assert files_loaded(warehouse) == manifest["sources"]["regal_voice"]["files"] - 1

    monkeypatch.undo()
    victim.write_bytes(kept)  # listed again: the next run reads it
    assert main(ingest(str(source), warehouse)) == 0
    assert files_loaded(warehouse) == manifest["sources"]["regal_voice"]["files"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql("SELECT count(*), count(DISTINCT id) FROM regal_voice.tracks").fetchall()
    expected = manifest["sources"]["regal_voice"]["rows_per_table"]["tracks"]
    assert rows == [(expected, expected)]


@pytest.mark.slow
def test_s3_object_deleted_between_listing_and_reading(
    sample_archive, tmp_path, monkeypatch, capsys
):
    root, manifest = sample_archive
    with moto_server() as endpoint:
        use_s3(monkeypatch, endpoint)
        upload(endpoint, BUCKET, root)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        prefix = s3_url(root).removeprefix(f"s3://{BUCKET}/") + "/"
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
        victim = next(k for k in keys if k.startswith(prefix) and k.endswith(".gz"))
        delete_before_reading(
            monkeypatch,
            victim.removeprefix(prefix),
            lambda: s3.delete_object(Bucket=BUCKET, Key=victim),
        )
        warehouse = tmp_path / "warehouse.duckdb"
        assert main(ingest(s3_url(root), warehouse)) == EXIT_SOURCE_UNREADABLE
        assert victim.removeprefix(prefix) in error_line(capsys)
    assert files_loaded(warehouse) == manifest["sources"]["web"]["files"] - 1
