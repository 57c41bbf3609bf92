"""The archive's files: which ones count, a local path to read each, and the record of it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa
from dlt.sources.filesystem import FileItemDict

from pipelines.archive.reader import FileRead
from pipelines.settings import ARCHIVE_SUFFIXES

FILES_SCHEMA = pa.schema(
    [
        pa.field("file_name", pa.string(), nullable=False),
        ("file_url", pa.string()),
        ("size_bytes", pa.int64()),
        ("modified_at", pa.timestamp("us", tz="UTC")),
        ("lines_read", pa.int64()),
        ("messages", pa.int64()),
        ("rejected_lines", pa.int64()),
        ("status", pa.string()),
        ("read_at", pa.timestamp("us", tz="UTC")),
        ("newest_received_at", pa.timestamp("us", tz="UTC")),
    ]
)


def is_archive_file(relative_path: str) -> bool:
    """Archive files are ``<received-day-ms>/<name>.gz``; set-up checks and the like are not."""
    name = relative_path.rsplit("/", 1)[-1]
    return not name.startswith(".") and name.endswith(ARCHIVE_SUFFIXES)


def local_path(file_url: str) -> Path | None:
    """The local file a ``file://`` URL (or a bare path) names; None for any other scheme.
    dlt percent-encodes the URL: "/srv/Segment Archive" arrives as "Segment%20Archive"."""
    parsed = urlparse(file_url)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path))
    return None


@contextlib.contextmanager
def local_copy(item: FileItemDict, work_dir: Path, name: str = "download.bin") -> Iterator[Path]:
    """A local path DuckDB can read: the file itself when local, else a copy downloaded to
    ``work_dir / name``."""
    path = local_path(item["file_url"])
    if path is not None:
        yield path
        return
    target = work_dir / name
    target.write_bytes(item.read_bytes())
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def file_record(
    item: FileItemDict, read: FileRead, newest_received_at: datetime | None = None
) -> dict:
    modified = item.get("modification_date")
    if isinstance(modified, datetime) and modified.tzinfo is None:
        modified = modified.replace(tzinfo=UTC)
    return {
        "file_name": item["relative_path"],
        "file_url": item["file_url"],
        "size_bytes": item.get("size_in_bytes"),
        "modified_at": modified,
        "lines_read": read.lines,
        "messages": read.messages,
        "rejected_lines": sum(1 for r in read.rejected if r["line_number"]),
        "status": "salvaged_corrupt_gzip" if read.truncated else "loaded",
        "read_at": datetime.now(UTC),
        "newest_received_at": newest_received_at,
    }
