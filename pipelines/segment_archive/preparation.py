"""Read and shape archive files on every core: one DuckDB connection per worker thread.

DuckDB reads one gzip stream on one thread, so files are prepared side by side; results come
back in listing order, with at most ``workers`` files in flight to keep memory bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict

from pipelines.archive.dedup import drop_repeats_within_file
from pipelines.archive.messages import Messages
from pipelines.archive.reader import FileRead, read_archive_file
from pipelines.archive.shaping import FileShaper
from pipelines.errors import FileNeedsMoreMemory
from pipelines.segment_archive.files import local_copy

log = logging.getLogger("pipelines.load")


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


class FilePreparer:
    """Prepares files in ``workers`` threads, each with its own DuckDB and scratch folder."""

    def __init__(
        self, work_dir: Path, workers: int, memory_limit: str, retry_memory_limit: str
    ) -> None:
        self.work_dir = work_dir
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
                self._connections.append(con)
            self._local.con, self._local.scratch = con, scratch
        return self._local.con, self._local.scratch

    def prepare(self, item: FileItemDict) -> PreparedFile:
        started = time.monotonic()
        con, scratch = self._worker_state()
        name = item["relative_path"]
        try:
            prepared = self._read_and_shape(con, scratch, item)
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
                prepared = self._read_and_shape(con, scratch, item)
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

    @staticmethod
    def _read_and_shape(
        con: duckdb.DuckDBPyConnection, scratch: Path, item: FileItemDict
    ) -> PreparedFile:
        try:
            with local_copy(item, scratch) as path:
                read = read_archive_file(con, path, item["relative_path"], scratch)
        except FileNotFoundError:
            return PreparedFile(item, FileRead(), vanished=True)
        prepared = PreparedFile(item, read)
        messages = read.valid
        if messages is not None:
            try:
                shaper = FileShaper(messages, datetime.now(UTC))
                id_expr = shaper.text("messageId")
                prepared.repeats_within_file = drop_repeats_within_file(messages, id_expr)
                prepared.ids = con.sql(f"SELECT {id_expr} FROM {messages.name}").to_arrow_table()[0]
                prepared.tables = list(shaper.tables())
                prepared.newest_received_at = shaper.newest_received_at()
            finally:
                messages.drop()
                read.valid = None
        return prepared

    def map(self, items: Iterable[FileItemDict]) -> Iterator[PreparedFile]:
        """``prepare`` over ``items`` in parallel, yielding in order."""
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="archive-file")
        pending: deque[Future[PreparedFile]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(self.prepare, item))
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
