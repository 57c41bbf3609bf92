"""Shared fixtures: generated archives, and a loader that runs the real pipelines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

from pipelines.load import load_source
from pipelines.sample.archive import generate_archive
from pipelines.settings import BRAND_SOURCE_ID, REGAL_VOICE_SOURCE_ID

# Property tests check behaviour, not speed: a first call that warms up pyarrow on a busy CI
# machine took 305 ms and failed hypothesis's 200 ms deadline. Timing lives in `make bench`.
settings.register_profile("behaviour", deadline=None)
settings.load_profile("behaviour")


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory) -> tuple[Path, dict]:
    """A small generated archive of both sources and the manifest of what it holds."""
    root = tmp_path_factory.mktemp("archive")
    manifest = generate_archive(root, days=2, tasks_per_day=60, messages_per_file=400)
    return root, manifest


def source_url(root: Path, dataset: str) -> str:
    source_id = REGAL_VOICE_SOURCE_ID if dataset == "regal_voice" else BRAND_SOURCE_ID
    return str(root / "segment-logs" / source_id)


def message(message_id: str, event: str = "call.completed", **properties) -> dict:
    return {
        "messageId": message_id,
        "type": "track",
        "event": event,
        "userId": "user_1",
        "timestamp": "2026-10-05T10:00:00.000Z",
        "receivedAt": "2026-10-05T10:00:01.000Z",
        "context": {"library": {"name": "regal-voice"}},
        "properties": properties,
    }


def write_archive_file(source: Path, relative: str, lines: list, raw: bool = False) -> Path:
    """Write ``lines`` (dicts as JSON, strings as they are) as one gzipped archive file."""
    path = source / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    path.write_bytes(text.encode() if raw else gzip.compress(text.encode()))
    return path


class Warehouse:
    """Runs the loader for one source into a temp warehouse and queries it read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, url: Path | str, dataset: str = "regal_voice"):
        return load_source(dataset, str(url), self.path)

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.sql(sql).fetchall()

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "wh" / "warehouse.duckdb")
