"""Reading the archive from S3: a real moto server on 127.0.0.1, objects stored gzip-encoded."""

import pytest

from tests.conftest import moto_server, source_url, upload, use_s3


@pytest.fixture
def s3_endpoint(monkeypatch):
    with moto_server() as endpoint:
        use_s3(monkeypatch, endpoint)
        yield endpoint


def test_loads_from_s3_like_from_disk(sample_archive, warehouse, s3_endpoint, tmp_path):
    root, manifest = sample_archive
    upload(s3_endpoint, "brand-archive", root)
    local_prefix = str(root) + "/"
    url = "s3://brand-archive/" + source_url(root, "web").removeprefix(local_prefix)
    run = warehouse.load(url, "segment")
    expected = manifest["sources"]["web"]
    assert run.tally.files_read == expected["files"]
    for table, count in expected["rows_per_table"].items():
        assert warehouse.scalar(f"SELECT count(DISTINCT id) FROM segment.{table}") == count
    assert warehouse.load(url, "segment").tally.files_read == 0
