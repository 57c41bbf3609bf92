"""An Iceberg lake says what is wrong before anything is written, with the project's exit codes
(the lake's loads and builds: ``tests/e2e/test_marts_on_spark.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import SAMPLE_BRAND_SOURCES
from tests.conftest import PROJECT, source_url

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

    with IcebergLake(lake).lock(0):
        ran = ingest(archive, f"iceberg:{lake}")
    assert ran.returncode == 75 and "another load is running" in ran.stderr, ran.stderr[-2000:]
    # A lake in a bucket is not taken yet, and says how to give a folder.
    ran = ingest(archive, "iceberg:s3://bucket/lake")
    assert ran.returncode == 78 and "iceberg:/path/to/lake" in ran.stderr
