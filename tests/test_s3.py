"""Reading the archive from S3: a real moto server on 127.0.0.1, objects stored gzip-encoded."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.conftest import source_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_endpoint(monkeypatch):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_ACCESS_KEY_ID": "testing",
        "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_SECRET_ACCESS_KEY": "testing",
        "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


def upload(endpoint: str, bucket: str, root: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    for path in root.rglob("*"):
        if path.is_file() and path.name != "manifest.json":
            extra = {"ContentEncoding": "gzip"} if path.suffix == ".gz" else {}
            s3.upload_file(str(path), bucket, str(path.relative_to(root)), ExtraArgs=extra)


def test_loads_from_s3_like_from_disk(sample_archive, warehouse, s3_endpoint, tmp_path):
    root, manifest = sample_archive
    upload(s3_endpoint, "brand-archive", root)
    local_prefix = str(root) + "/"
    url = "s3://brand-archive/" + source_url(root, "segment").removeprefix(local_prefix)
    run = warehouse.load(url, "segment")
    expected = manifest["sources"]["segment"]
    assert run.tally.files_read == expected["files"]
    for table, count in expected["rows_per_table"].items():
        assert warehouse.scalar(f"SELECT count(DISTINCT id) FROM segment.{table}") == count
    assert warehouse.load(url, "segment").tally.files_read == 0
