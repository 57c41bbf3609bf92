"""Read and shape archive files on every core: one DuckDB connection per worker thread.

DuckDB reads one gzip stream on one thread, so files are prepared side by side; results come
back in listing order, with at most ``workers`` units of work in flight to keep memory bounded.
Consecutive small files are one unit, read in one query where their types agree
(``batch_reader``): for a file of a few hundred messages, a query of its own costs more than
its data.

Over 300 lines because reading files on every core with bounded memory, grouping small ones and
applying the suppression list is one pipeline stage whose parts share the in-flight bookkeeping.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources.filesystem import FileItemDict

from pipelines.errors import FileNeedsMoreMemory
from pipelines.privacy.suppression import SuppressionList
from pipelines.segment_archive.batch_reader import group_files, read_group
from pipelines.segment_archive.dedup import drop_repeats_within_file
from pipelines.segment_archive.files import local_copy
from pipelines.segment_archive.messages import Messages
from pipelines.segment_archive.reader import FileRead, read_archive_file
from pipelines.segment_archive.shaping import FileShaper
from pipelines.segment_archive.suppress import drop_suppressed, install, suppressed_lines

log = logging.getLogger(__name__)

# Files this small (compressed) are read several at a time, up to this much per query: about
# what one of Segment's busy hourly files holds, so a group needs no more memory than one.
SMALL_FILE_BYTES = 1 * 2**20
BATCH_BYTES = 1 * 2**20
BATCH_FILES = 200


@dataclass
class PreparedFile:
    """One file read and shaped: its warehouse tables, message ids and bad lines."""

    item: FileItemDict
    read: FileRead
    tables: list[tuple[str, pa.Table]] = field(default_factory=list)
    ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    repeats_within_file: int = 0
    newest_received_at: datetime | None = None
    seconds: float = 0.0
    vanished: bool = False  # listed, but gone when read
    # Messages and quarantined lines of forgotten people dropped, by the request that did.
    suppressed: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Suppression:
    """The suppression list a run checks every file against, and the country code its phones
    are normalised with (the dbt project's ``default_country_code``)."""

    entries: SuppressionList = field(default_factory=SuppressionList)
    country_code: str = "1"


class FilePreparer:
    """Prepares files in ``workers`` threads, each with its own DuckDB and scratch folder."""

    def __init__(
        self,
        work_dir: Path,
        workers: int,
        memory_limit: str,
        retry_memory_limit: str,
        suppression: Suppression | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.suppression = suppression or Suppression()
        self.workers = max(1, workers)
        self.memory_limit = memory_limit
        self.retry_memory_limit = retry_memory_limit
        self._local = threading.local()
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._lock = threading.Lock()

    def _worker_state(self) -> tuple[duckdb.DuckDBPyConnection, Path]:
        if not hasattr(self._local, "con"):
            with self._lock:
                scratch = self.work_dir / f"worker-{len(self._connections)}"
                scratch.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(
                    config={
                        "memory_limit": self.memory_limit,
                        "threads": 1,
                        "temp_directory": str(scratch / "spill"),
                    }
                )
                con.execute("SET TimeZone = 'UTC'")
                if self.suppression.entries:
                    install(con, self.suppression.entries)
                self._connections.append(con)
            self._local.con, self._local.scratch = con, scratch
        return self._local.con, self._local.scratch

    def prepare(self, item: FileItemDict, path: Path | None = None) -> PreparedFile:
        """One file read and shaped alone; ``path``: a local copy already made of it."""
        started = time.monotonic()
        con, scratch = self._worker_state()
        name = item["relative_path"]
        try:
            prepared = self._read_and_shape(con, scratch, item, path)
        except duckdb.OutOfMemoryException:
            # Several lines of megabytes each can need more than a worker's share (DuckDB's
            # JSON functions take ~10x the text they parse): better one slow file than a
            # failed run.
            log.warning(
                "%s: needs more than %s of memory; retrying with %s",
                name,
                self.memory_limit,
                self.retry_memory_limit,
            )
            Messages(con).drop()  # whatever the failed read left in this worker's connection
            con.execute(f"SET memory_limit = '{self.retry_memory_limit}'")
            try:
                prepared = self._read_and_shape(con, scratch, item, path)
            except duckdb.OutOfMemoryException:
                raise FileNeedsMoreMemory(
                    f"{name}: reading it needs more than {self.retry_memory_limit} of memory "
                    "(raise SOURCES__SEGMENT_ARCHIVE__DUCKDB_RETRY_MEMORY_LIMIT)"
                ) from None
            finally:
                Messages(con).drop()
                con.execute(f"SET memory_limit = '{self.memory_limit}'")
        prepared.seconds = time.monotonic() - started
        return prepared

    def _read_and_shape(
        self,
        con: duckdb.DuckDBPyConnection,
        scratch: Path,
        item: FileItemDict,
        path: Path | None,
    ) -> PreparedFile:
        try:
            with contextlib.ExitStack() as copy:
                local = path or copy.enter_context(local_copy(item, scratch))
                read = read_archive_file(con, local, item["relative_path"], scratch)
        except FileNotFoundError:
            return PreparedFile(item, FileRead(), vanished=True)
        prepared = PreparedFile(item, read)
        suppression = self.suppression
        forgotten = suppressed_lines(read.rejected, suppression.entries, suppression.country_code)
        if forgotten:
            read.rejected = [line for n, line in enumerate(read.rejected) if n not in forgotten]
            for requests in forgotten.values():
                prepared.suppressed.update(requests)
        if read.valid is not None:
            try:
                _shape_each_file(read.valid, {0: prepared}, suppression)
            finally:
                read.valid.drop()
                read.valid = None
        return prepared

    def prepare_files(self, items: list[FileItemDict]) -> list[PreparedFile]:
        """Small files read together where their types agree; any other file, and any that
        holds a line to quarantine, read alone by ``prepare`` (where bad lines are found and
        memory is retried) from the same local copy. Reading together is only faster, never
        different."""
        if len(items) == 1:
            return [self.prepare(items[0])]
        started = time.monotonic()
        con, scratch = self._worker_state()
        with contextlib.ExitStack() as copies:
            try:
                paths = [
                    copies.enter_context(local_copy(item, scratch, f"download-{n}.bin"))
                    for n, item in enumerate(items)
                ]
            except FileNotFoundError:
                # Gone since listed: each file is read (and reported) alone.
                return [self.prepare(item) for item in items]
            try:
                together = self._read_together(con, scratch, items, paths)
            except duckdb.OutOfMemoryException:
                Messages(con).drop()
                together = {}
            if together:
                share = (time.monotonic() - started) / len(together)
                for prepared in together.values():
                    prepared.seconds = share
            return [together.get(n) or self.prepare(item, paths[n]) for n, item in enumerate(items)]

    def _read_together(
        self,
        con: duckdb.DuckDBPyConnection,
        scratch: Path,
        items: list[FileItemDict],
        paths: list[Path],
    ) -> dict[int, PreparedFile]:
        """The files read in groups, by position in ``items`` (those left out: read alone)."""
        groups, _alone = group_files(con, paths)
        together: dict[int, PreparedFile] = {}
        for group in groups:
            try:
                read = read_group(con, paths, group, scratch)
            except duckdb.OutOfMemoryException:
                raise
            except duckdb.Error:
                # A line the reader refuses only once typed (an object repeating a key): the
                # group's files are read alone, where such lines are quarantined.
                continue
            prepared = {
                number: PreparedFile(items[number], FileRead(lines=count, messages=count))
                for number, count in read.counts.items()
            }
            try:
                _shape_each_file(read.messages, prepared, self.suppression, read.file_types)
            finally:
                read.messages.drop()
            together |= prepared
        return together

    def map(self, items: Iterable[FileItemDict]) -> Iterator[list[PreparedFile]]:
        """Prepare ``items`` in parallel, small files together, yielding each unit of work's
        files in order."""
        items = list(items)
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="archive-file")
        pending: deque[Future[list[PreparedFile]]] = deque()
        # Small files are shared out so that every worker gets some.
        per_unit = min(BATCH_FILES, max(1, math.ceil(len(items) / self.workers)))
        try:
            for unit in units_of_work(items, per_unit):
                pending.append(pool.submit(self.prepare_files, unit))
                if len(pending) >= self.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        for con in self._connections:
            con.close()
        self._connections.clear()


def _shape_each_file(
    messages: Messages,
    prepared: dict[int, PreparedFile],
    suppression: Suppression,
    file_types: dict[int, dict[str, duckdb.DuckDBPyType]] | None = None,
) -> None:
    """Deduplicate, suppress and shape ``messages``, giving each file (by its number in
    ``messages``) its own tables, ids, repeats, suppressed messages and newest receipt."""
    con = messages.con
    shaper = FileShaper(messages, datetime.now(UTC), file_types)
    id_expr = shaper.text("messageId")
    repeats = drop_repeats_within_file(messages, id_expr)
    suppressed = drop_suppressed(messages, suppression.entries, suppression.country_code)
    ids = con.sql(
        f"SELECT {messages.file_number} AS file, {id_expr} AS id FROM {messages.name} "
        "ORDER BY rowid"
    ).to_arrow_table()
    tables = shaper.tables()
    newest = shaper.newest_received_at()
    for number, each in prepared.items():
        each.repeats_within_file = repeats.get(number, 0)
        each.suppressed.update(suppressed.get(number, Counter()))
        each.ids = ids.filter(pc.equal(ids["file"], number))["id"].combine_chunks()
        each.tables = tables.get(number, [])
        each.newest_received_at = newest.get(number)


def units_of_work(items: list[FileItemDict], per_unit: int) -> Iterator[list[FileItemDict]]:
    """Consecutive small files together (up to ``per_unit`` files or ``BATCH_BYTES``); a large
    file, or one of unknown size, alone."""
    unit: list[FileItemDict] = []
    size = 0
    for item in items:
        item_size = item.get("size_in_bytes")
        if item_size is None or item_size > SMALL_FILE_BYTES:
            if unit:
                yield unit
                unit, size = [], 0
            yield [item]
            continue
        if unit and (size + item_size > BATCH_BYTES or len(unit) >= per_unit):
            yield unit
            unit, size = [], 0
        unit.append(item)
        size += item_size
    if unit:
        yield unit
