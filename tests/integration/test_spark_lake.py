"""An Iceberg lake says what is wrong before anything is written, with the project's exit codes
(the lake's loads and builds: ``tests/e2e/test_marts_on_spark.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import SAMPLE_BRAND_SOURCES
from tests.conftest import PROJECT, free_port, moto_server, source_url

pytestmark = pytest.mark.slow


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

    with IcebergLake.from_setting(f"iceberg:{lake}").lock(0):
        ran = ingest(archive, f"iceberg:{lake}")
    assert ran.returncode == 75 and "another load is running" in ran.stderr, ran.stderr[-2000:]
    # A lake where no file system is known.
    ran = ingest(archive, "iceberg:gs://bucket/lake")
    assert ran.returncode == 78 and "iceberg:s3://bucket/prefix" in ran.stderr


def test_a_lake_on_s3_says_what_is_wrong_before_anything_is_written(tmp_path, sample_archive):
    archive, _ = sample_archive
    prefix = "DESTINATION__FILESYSTEM__CREDENTIALS__"
    secret = "planted-lake-secret-8Jq"
    credentials = {
        f"{prefix}AWS_ACCESS_KEY_ID": "AKIAPLANTED0LAKE",
        f"{prefix}AWS_SECRET_ACCESS_KEY": secret,
    }
    said = []

    def attempt(endpoint: str, lake: str) -> subprocess.CompletedProcess:
        ran = ingest(
            archive,
            f"iceberg:{lake}",
            STATE_DIR=str(tmp_path),
            **credentials,
            **{f"{prefix}ENDPOINT_URL": endpoint},
        )
        said.append(ran.stdout + ran.stderr)
        return ran

    # A bucket that does not exist.
    with moto_server() as endpoint:
        ran = attempt(endpoint, "s3://no-such-bucket/lake")
    assert ran.returncode == 78 and "its bucket does not exist" in ran.stderr, ran.stderr[-2000:]
    # Credentials the store does not know (moto checking them, as S3 does).
    with moto_server(INITIAL_NO_AUTH_ACTION_COUNT="0") as endpoint:
        ran = attempt(endpoint, "s3://bucket/lake")
    assert ran.returncode == 78 and "cannot be written with these credentials" in ran.stderr
    # An endpoint nobody answers at.
    ran = attempt(f"http://127.0.0.1:{free_port()}", "s3://bucket/lake")
    assert ran.returncode == 69 and "S3 did not answer" in ran.stderr, ran.stderr[-2000:]
    assert [text for text in said if secret in text] == []
    assert not list(tmp_path.rglob("*.dlt"))  # nothing was started
