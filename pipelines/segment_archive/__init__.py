"""dlt source for one Segment source's S3 archive (``segment-logs/<source-id>``)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict, filesystem

from pipelines.archive.drift import ColumnTypes
from pipelines.archive.reader import read_archive_file
from pipelines.archive.shaping import FileShaper
from pipelines.segment_archive.helpers import (
    FILES_SCHEMA,
    RunTally,
    file_record,
    is_archive_file,
    local_copy,
)
from pipelines.settings import FILES_TABLE, REJECTED_TABLE


def _hinted(table: pa.Table, name: str, primary_key: list[str]) -> Any:
    """Quarantine and file-record tables are keyed differently from message tables."""
    hints = dlt.mark.make_hints(table_name=name, write_disposition="merge", primary_key=primary_key)
    return dlt.mark.with_hints(table, hints, create_table_variant=True)


@dlt.source(name="segment_archive")
def segment_archive(
    bucket_url: str = dlt.config.value,
    credentials: Any = None,
    already_loaded: frozenset[str] = frozenset(),
    tally: RunTally | None = None,
    duckdb_memory_limit: str = "1GB",
) -> Any:
    """Every new file of one Segment source's archive, as Segment's warehouse tables.

    ``already_loaded`` holds the relative paths recorded in ``_archive_files``; those files are
    skipped, so each run reads only files it has not loaded (late files in old day folders too).
    """
    tally = tally if tally is not None else RunTally()
    # Without explicit credentials fsspec falls back to the environment (AWS_*, GOOGLE_*…).
    options = {"credentials": credentials} if credentials is not None else {}
    files = filesystem(bucket_url=bucket_url, file_glob="**/*", **options)

    @dlt.transformer(name="messages", write_disposition="merge", primary_key="id")
    def messages(items: list[FileItemDict]) -> Iterator[Any]:
        """Segment tables of each new archive file, its quarantined lines and its file record."""
        column_types = ColumnTypes.from_dlt_schema(dlt.current.source_schema())
        con = duckdb.connect(config={"memory_limit": duckdb_memory_limit, "threads": 2})
        con.execute("SET TimeZone = 'UTC'")
        with tempfile.TemporaryDirectory(prefix="segment-archive-") as work:
            work_dir = Path(work)
            for item in items:
                name = item["relative_path"]
                tally.listed += 1
                if not is_archive_file(name):
                    tally.skipped.append(name)
                    continue
                if name in already_loaded:
                    continue
                started = time.monotonic()
                with local_copy(item, work_dir) as path:
                    read = read_archive_file(con, path, name, work_dir)
                rows = 0
                if read.messages:
                    shaper = FileShaper(con, datetime.now(UTC))
                    for table_name, table in shaper.tables():
                        rows += table.num_rows
                        yield dlt.mark.with_table_name(
                            column_types.reconcile(table_name, table), table_name
                        )
                # Always yielded, even empty, so the quarantine table exists from the first run.
                yield _hinted(read.rejected_table(), REJECTED_TABLE, ["file_name", "line_number"])
                record = file_record(item, read)
                yield _hinted(
                    pa.Table.from_pylist([record], schema=FILES_SCHEMA), FILES_TABLE, ["file_name"]
                )
                tally.file_done(name, read, rows, time.monotonic() - started)
        con.close()

    return files | messages
