"""dlt source for one Segment source's S3 archive (``segment-logs/<source-id>``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict, filesystem

from pipelines.archive.dedup import RunIds, without_ids
from pipelines.archive.drift import ColumnTypes
from pipelines.segment_archive.batching import TableBatches
from pipelines.segment_archive.helpers import FILES_SCHEMA, RunTally, file_record, is_archive_file
from pipelines.segment_archive.preparation import FilePreparer
from pipelines.settings import FILES_TABLE, REJECTED_TABLE

DEFAULT_WORKERS = os.cpu_count() or 2


# Quarantine and file-record tables are keyed differently from the message tables.
OWN_KEYS = {REJECTED_TABLE: ["file_name", "line_number"], FILES_TABLE: ["file_name"]}


def _item(named_table: tuple[str, pa.Table]) -> Any:
    """A batch as dlt takes it: dispatched to its table, with its own key where it has one."""
    name, table = named_table
    if name not in OWN_KEYS:
        return dlt.mark.with_table_name(table, name)
    hints = dlt.mark.make_hints(
        table_name=name, write_disposition="merge", primary_key=OWN_KEYS[name]
    )
    return dlt.mark.with_hints(table, hints, create_table_variant=True)


@dlt.source(name="segment_archive")
def segment_archive(
    bucket_url: str = dlt.config.value,
    credentials: Any = None,
    already_loaded: frozenset[str] = frozenset(),
    tally: RunTally | None = None,
    run_ids: RunIds | None = None,
    workers: int = DEFAULT_WORKERS,
    duckdb_memory_limit: str = "400MB",
    duckdb_retry_memory_limit: str = "4GB",
) -> Any:
    """Every new file of one Segment source's archive, as Segment's warehouse tables.

    ``already_loaded`` holds the relative paths recorded in ``_archive_files``; those files are
    skipped, so each run reads only files it has not loaded (late files in old day folders too).
    ``workers`` files are read side by side, each by a DuckDB limited to ``duckdb_memory_limit``;
    a file that needs more (several lines of megabytes each) is read again with
    ``duckdb_retry_memory_limit``.
    """
    tally = tally if tally is not None else RunTally()
    # Without explicit credentials fsspec falls back to the environment (AWS_*, GOOGLE_*…).
    options = {"credentials": credentials} if credentials is not None else {}
    files = filesystem(bucket_url=bucket_url, file_glob="**/*", **options)
    run_ids = run_ids if run_ids is not None else RunIds()
    run_column_types: list[ColumnTypes] = []

    def new_files(items: list[FileItemDict]) -> Iterator[FileItemDict]:
        for item in items:
            name = item["relative_path"]
            tally.listed += 1
            if not is_archive_file(name):
                tally.skipped.append(name)
            elif name not in already_loaded:
                yield item

    # Staged rows are unique per run (see pipelines.archive.dedup): dlt's merge need not dedup.
    merge_unique = {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}

    @dlt.transformer(name="messages", write_disposition=merge_unique, primary_key="id")
    def messages(items: list[FileItemDict]) -> Iterator[Any]:
        """Segment tables of each new archive file, its quarantined lines and its file record."""
        # One record of column types for the whole run: dlt calls this once per page of files,
        # and its schema learns an Arrow table's types only at normalize.
        if not run_column_types:
            run_column_types.append(ColumnTypes.from_dlt_schema(dlt.current.source_schema()))
        column_types = run_column_types[0]
        batches = TableBatches()
        with tempfile.TemporaryDirectory(prefix="segment-archive-") as work:
            preparer = FilePreparer(
                Path(work), workers, duckdb_memory_limit, duckdb_retry_memory_limit
            )
            try:
                for prepared in preparer.map(new_files(items)):
                    if prepared.vanished:
                        # No file record: the next run reads it if it is listed again.
                        tally.vanished.append(prepared.item["relative_path"])
                        continue
                    repeated = run_ids.take(prepared.ids)
                    rows = 0
                    for table_name, table in prepared.tables:
                        table = column_types.reconcile(table_name, without_ids(table, repeated))
                        rows += table.num_rows
                        yield from map(_item, batches.add(table_name, table))
                    read = prepared.read
                    record = pa.Table.from_pylist(
                        [file_record(prepared.item, read, prepared.newest_received_at)],
                        schema=FILES_SCHEMA,
                    )
                    yield from map(_item, batches.add(REJECTED_TABLE, read.rejected_table()))
                    yield from map(_item, batches.add(FILES_TABLE, record))
                    repeats = prepared.repeats_within_file + len(repeated)
                    tally.file_done(
                        prepared.item["relative_path"], read, rows, prepared.seconds, repeats
                    )
            finally:
                preparer.close()
        # The quarantine table is yielded even when empty, so it exists from the first run.
        yield from map(_item, batches.flush())

    return files | messages
