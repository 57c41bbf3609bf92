"""The archive's files: which ones count, a local path to read each, and the record of it."""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow as pa
from dlt.common.storages.configuration import FilesystemConfiguration
from dlt.common.storages.fsspec_filesystem import FileItem, guess_mime_type
from dlt.sources.filesystem import FileItemDict
from fsspec.implementations.local import LocalFileSystem

from pipelines.segment_archive.reader import FileRead
from pipelines.segment_archive.settings import ARCHIVE_SUFFIXES

log = logging.getLogger(__name__)

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


DAY_FOLDER = re.compile(r"[0-9]+/[^/]+")


def in_day_folder(relative_path: str) -> bool:
    """Whether an archive file sits where Segment writes one: ``<received-day-ms>/<name>``."""
    return DAY_FOLDER.fullmatch(relative_path) is not None


def local_path(file_url: str) -> Path | None:
    """The local file a ``file://`` URL (or a bare path) names; None for any other scheme.
    dlt percent-encodes the URL: "/srv/Segment Archive" arrives as "Segment%20Archive"."""
    parsed = urlparse(file_url)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path))
    return None


def local_archive_root(bucket_url: str) -> Path | None:
    """The local folder a source URL names: a bare path as written, a ``file://`` URL
    percent-decoded (as dlt reads one); None for a bucket (``s3://``, ``gs://``…)."""
    if bucket_url.startswith("file://"):
        return Path(unquote(urlparse(bucket_url).path))
    if "://" in bucket_url:
        return None
    return Path(bucket_url).expanduser()


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
        "status": read.status,
        "read_at": datetime.now(UTC),
        "newest_received_at": newest_received_at,
    }


def printable(name: str) -> str:
    """A file name as a log line may show it: a newline in a name cannot forge a line."""
    return name.encode("unicode_escape").decode("ascii") if not name.isprintable() else name


def list_local_archive(root: Path, skipped_links: list[str]) -> Iterator[FileItemDict]:
    """Every file under the local folder ``root``, in name order.

    Symbolic links are followed only where they point inside the archive: a link that leaves
    it (to a passwd file, another source, a day folder elsewhere) or points at nothing is
    never read; its path goes to ``skipped_links`` and a warning. A folder reached twice
    (through a link inside the archive, or a loop of links) is listed once. Each file is read
    from where its links lead, inside the archive.
    """
    real_root = root.resolve()
    client = LocalFileSystem()
    visited = {real_root}

    def walk(folder: Path, prefix: str) -> Iterator[FileItemDict]:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except FileNotFoundError:
            return  # removed while listed
        for entry in entries:
            relative = f"{prefix}{entry.name}"
            real = Path(os.path.realpath(entry.path))
            if entry.is_symlink():
                why = None
                if not real.exists():
                    why = "points at nothing"
                elif not real.is_relative_to(real_root):
                    why = "leaves the archive"
                if why is not None:
                    skipped_links.append(relative)
                    log.warning(
                        "%s: a symbolic link that %s: skipped, never read",
                        printable(relative),
                        why,
                    )
                    continue
            try:
                if entry.is_dir():
                    if real not in visited:
                        visited.add(real)
                        yield from walk(real, f"{relative}/")
                    continue
                if not entry.is_file():
                    continue  # sockets, devices, fifos: no archive file
                stat = real.stat()
            except FileNotFoundError:
                continue  # removed while listed
            mime_type, encoding = guess_mime_type(relative)
            item = FileItem(
                file_name=entry.name,
                relative_path=relative,
                file_url=FilesystemConfiguration.make_file_url(str(real)),
                mime_type=mime_type,
                modification_date=datetime.fromtimestamp(stat.st_mtime, UTC),
                size_in_bytes=stat.st_size,
            )
            if encoding is not None:
                item["encoding"] = encoding
            yield FileItemDict(item, client)

    yield from walk(real_root, "")
