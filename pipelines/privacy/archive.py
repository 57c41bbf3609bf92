"""``make forget … PURGE_ARCHIVE=1``: the person's lines taken out of the archive files too.

Only the files that name the person are rewritten, each whole and atomically (a local file is
written beside itself under a hidden name and renamed over it; an object is put in one
request), every other line byte for byte as it was. A file left with no line is removed.
``DRY_RUN=1`` lists the files and the lines that would go, and touches nothing.

A line is the person's when an identifier in it, found by the patterns the suppression list
applies to quarantined lines (``pipelines.segment_archive.suppress.identifiers_in_text``), is one of
theirs. A file is only parsed line by line when its bytes hold one of the person's values at
all, so the archive is read once, at the speed of decompression.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.privacy.forget import Person
from pipelines.privacy.identifiers import PHONE
from pipelines.segment_archive.files import (
    is_archive_file,
    list_local_archive,
    local_archive_root,
    printable,
)
from pipelines.segment_archive.reader import GZIP_MAGIC
from pipelines.segment_archive.suppress import identifiers_in_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgedFile:
    source: str
    file_name: str
    lines_removed: int
    lines_kept: int


def needles(person: Person) -> list[bytes]:
    """What a file's bytes must hold for a line of it to be the person's: each value as
    written, and a phone's national digits (the bytes are searched with separators removed)."""
    found = []
    for identifier in person.all():
        if identifier.kind == PHONE:
            found.append(identifier.value.lstrip("+")[-10:].encode())
        else:
            found.append(identifier.value.lower().encode())
    return found


def might_name(data: bytes, person_needles: list[bytes]) -> bool:
    lowered = data.lower()
    digits = re.sub(rb"[^0-9]", b"", data)
    return any(needle in lowered or needle in digits for needle in person_needles)


def without_person(
    text: bytes, packed: bool, person: Person, country_code: str
) -> tuple[bytes | None, int, int]:
    """The file's bytes (``text`` decompressed, gzip again when ``packed``) without the
    person's lines: None when every line was theirs; the lines removed and kept."""
    wanted = set(person.all())
    lines = text.split(b"\n")
    ends_with_newline = bool(lines) and lines[-1] == b""
    if ends_with_newline:
        lines.pop()
    kept, removed = [], 0
    for line in lines:
        decoded = line.decode("utf-8", errors="backslashreplace")
        if any(found in wanted for found in identifiers_in_text(decoded, country_code)):
            removed += 1
        else:
            kept.append(line)
    if not removed:
        return None, 0, len(kept)
    if not any(line.strip() for line in kept):
        return None, removed, 0
    body = b"\n".join(kept) + (b"\n" if ends_with_newline else b"")
    return (gzip.compress(body) if packed else body), removed, len(kept)


class Archive:
    """One source's archive files, read and written in place: a local folder or a bucket."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url
        self.root = local_archive_root(url)
        self._fs = None

    def files(self) -> Iterator[str]:
        """Relative paths of the archive files."""
        if self.root is not None:
            for item in list_local_archive(self.root, []):
                if is_archive_file(item["relative_path"]):
                    yield item["relative_path"]
            return
        prefix = self._client_path()
        for path in sorted(self.client().find(prefix)):
            relative = path[len(prefix) :].lstrip("/")
            if is_archive_file(relative):
                yield relative

    def client(self):
        if self._fs is None:
            from dlt.common.storages.fsspec_filesystem import fsspec_filesystem

            from pipelines.ingest.load import archive_credentials

            self._fs = fsspec_filesystem(self.url, archive_credentials(self.url))[0]
        return self._fs

    def _client_path(self) -> str:
        return self.client()._strip_protocol(self.url).rstrip("/")

    def read(self, relative: str) -> bytes:
        if self.root is not None:
            return (self.root / relative).read_bytes()
        return self.client().cat_file(f"{self._client_path()}/{relative}")

    def replace(self, relative: str, data: bytes | None) -> None:
        """Write ``data`` as the file, atomically (None: remove the file)."""
        if self.root is not None:
            target = Path(os.path.realpath(self.root / relative))
            if data is None:
                target.unlink()
                return
            partial = target.with_name(f".{target.name}.forget-partial")
            with open(partial, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
            return
        path = f"{self._client_path()}/{relative}"
        if data is None:
            self.client().rm_file(path)
        else:
            self.client().pipe_file(path, data)  # one PUT: readers see the old or the new


def purge_archive(
    sources: list[tuple[str, str]], person: Person, country_code: str, dry_run: bool
) -> list[PurgedFile]:
    """Take the person's lines out of every archive file of ``sources`` (name, URL) that holds
    any; with ``dry_run``, only say which files and how many lines."""
    person_needles = needles(person)
    purged = []
    for name, url in sources:
        archive = Archive(name, url)
        for relative in archive.files():
            data = archive.read(relative)
            is_gzip = data[:2] == GZIP_MAGIC
            text = gzip.decompress(data) if is_gzip else data
            # A client that decompressed a gzip-encoded object gave its text: written back, it
            # is gzip again, as its name says.
            packed = is_gzip or relative.endswith(".gz")
            if not might_name(text, person_needles):
                continue
            rewritten, removed, kept = without_person(text, packed, person, country_code)
            if not removed:
                continue
            purged.append(PurgedFile(name, relative, removed, kept))
            verb = "would remove" if dry_run else "removed"
            log.info(
                "forget: %s: %s %d of %d lines from %s%s",
                name,
                verb,
                removed,
                removed + kept,
                printable(relative),
                "" if kept else " (the whole file)",
            )
            if not dry_run:
                archive.replace(relative, rewritten)
    return purged
