"""dlt source for one Segment source's S3 archive (``segment-logs/<source-id>``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict, filesystem

from pipelines.errors import SourceConfigError
from pipelines.segment_archive.batching import TableBatches
from pipelines.segment_archive.dedup import RunIds, without_ids
from pipelines.segment_archive.drift import ColumnTypes
from pipelines.segment_archive.files import (
    FILES_SCHEMA,
    file_record,
    in_day_folder,
    is_archive_file,
    list_local_archive,
    local_archive_root,
    printable,
)
from pipelines.segment_archive.preparation import FilePreparer, PreparedFile, Suppression
from pipelines.segment_archive.settings import FILES_TABLE, REJECTED_TABLE
from pipelines.segment_archive.tally import RunTally

DEFAULT_WORKERS = os.cpu_count() or 2
# Files handed over per page of the listing: a large page shares small files out among more
# units of work and tells the progress display how many files a run has (for its time left).
FILES_PER_PAGE = 10_000

# Quarantine and file-record tables are keyed differently from the message tables.
OWN_KEYS = {REJECTED_TABLE: ["file_name", "line_number"], FILES_TABLE: ["file_name"]}
# The first copy of a message Segment delivered is the one kept, whichever run it came in:
# within a run the reader drops later copies (pipelines.segment_archive.dedup), and across runs the
# merge inserts only ids the table lacks. The copies hold the same message, but a file's own
# types decide whether a drifting value lands in its column or a variant: replacing the row
# with a later copy would make the warehouse depend on how files were grouped into runs.
# Staged rows are unique per run: dlt's merge need not dedup.
MERGE_UNIQUE = {"disposition": "merge", "strategy": "insert-only", "deduplicated": True}


@dataclass
class ArchiveRun:
    """What one source's run shares across the pages of files dlt hands the transformer."""

    tally: RunTally
    run_ids: RunIds
    workers: int
    memory_limit: str
    retry_memory_limit: str
    suppression: Suppression
    _column_types: ColumnTypes | None = None

    def column_types(self) -> ColumnTypes:
        """One record of column types for the whole run, read from dlt's schema on first use:
        dlt's schema learns an Arrow table's types only when it normalizes, after the run."""
        if self._column_types is None:
            self._column_types = ColumnTypes.from_dlt_schema(dlt.current.source_schema())
        return self._column_types


def as_dlt_item(named_table: tuple[str, pa.Table]) -> Any:
    """A batch as dlt takes it: dispatched to its table, with its own key where it has one."""
    name, table = named_table
    if name not in OWN_KEYS:
        return dlt.mark.with_table_name(table, name)
    hints = dlt.mark.make_hints(
        table_name=name, write_disposition="merge", primary_key=OWN_KEYS[name]
    )
    return dlt.mark.with_hints(table, hints, create_table_variant=True)


def new_archive_files(
    items: Iterable[FileItemDict], tally: RunTally, already_loaded: frozenset[str]
) -> Iterator[FileItemDict]:
    """The listed files that are archive files and not recorded as read (counting them all).

    A source's archive files sit in ``<received-day-ms>/`` folders; one anywhere else means
    the folder given is not one source's (``segment-logs`` itself, holding every source, or a
    single day's folder), and the run is refused before anything of it is written.
    """
    for item in items:
        name = item["relative_path"]
        tally.listed += 1
        if not is_archive_file(name):
            tally.skipped.append(name)
            continue
        if not in_day_folder(name):
            raise SourceConfigError(
                f"{printable(name)} is not in a <received-day-ms>/ folder: point the source at "
                "its segment-logs/<source-id> folder, whose folders are days "
                "(segment-logs/<source-id>/1759622400000/…gz); nothing of it was loaded"
            )
        if name not in already_loaded:
            yield item


def listed_pages(
    bucket_url: str, credentials: Any, tally: RunTally
) -> Iterator[list[FileItemDict]]:
    """Every file under ``bucket_url``, a page at a time: a local folder's by
    ``files.list_local_archive`` (links that leave it skipped), a bucket's by dlt's
    ``filesystem`` resource (``archive_listing``)."""
    root = local_archive_root(bucket_url)
    items = (
        list_local_archive(root, tally.links_skipped)
        if root is not None
        else iter(archive_listing(bucket_url, credentials))  # a source iterated: its items
    )
    page: list[FileItemDict] = []
    for item in items:
        page.append(item)
        if len(page) >= FILES_PER_PAGE:
            yield page
            page = []
    if page:
        yield page


@dlt.source(name="segment_archive_listing", section="segment_archive")
def archive_listing(bucket_url: str, credentials: Any = None) -> Any:
    """A bucket's files, listed by dlt's ``filesystem`` resource in the ``segment_archive``
    configuration section, where the archive's credentials, endpoint and region are set
    (``sources.segment_archive.credentials``). Without explicit ``credentials`` fsspec falls
    back to the environment (AWS_*, GOOGLE_*…)."""
    options = {"credentials": credentials} if credentials is not None else {}
    return filesystem(
        bucket_url=bucket_url, file_glob="**/*", files_per_page=FILES_PER_PAGE, **options
    )


def new_file_pages(
    pages: Iterable[list[FileItemDict]], tally: RunTally, already_loaded: frozenset[str]
) -> Iterator[list[FileItemDict]]:
    """The pages of the listing that hold new files, with only those (every file counted in
    ``tally`` as it is listed, the new ones expected by its progress). A run whose listing
    yields none reads nothing: it need not start dlt's extract at all."""
    for page in pages:
        new = list(new_archive_files(page, tally, already_loaded))
        tally.expect(len(new), more=len(page) >= FILES_PER_PAGE)
        if new:
            yield new


def unit_tables(
    unit: list[PreparedFile], run: ArchiveRun, batches: TableBatches
) -> Iterator[tuple[str, pa.Table]]:
    """The warehouse tables, quarantined lines and records of files prepared together, handed
    to ``batches``; the batches that filled up.

    Each file meets the run's ids and column types on its own, in order, as deduplication
    and type drift need; the unit's pieces of each table are then handed over together: the
    handing over, not the data, was most of a small file's cost.
    """
    present = []
    for prepared in unit:
        if prepared.vanished:  # no record: the next run reads it if listed again
            run.tally.vanished.append(prepared.item["relative_path"])
        else:
            present.append(prepared)
    pieces: dict[str, list[pa.Table]] = {}
    records = []
    repeated_by_file = run.run_ids.take_files([prepared.ids for prepared in present])
    for prepared, repeated in zip(present, repeated_by_file, strict=True):
        rows = 0
        for table_name, table in prepared.tables:
            table = run.column_types().reconcile(table_name, without_ids(table, repeated))
            rows += table.num_rows
            pieces.setdefault(table_name, []).append(table)
        read = prepared.read
        pieces.setdefault(REJECTED_TABLE, []).append(read.rejected_table())
        records.append(file_record(prepared.item, read, prepared.newest_received_at))
        repeats = prepared.repeats_within_file + len(repeated)
        run.tally.file_done(
            prepared.item["relative_path"],
            read,
            rows,
            prepared.seconds,
            repeats,
            prepared.suppressed,
        )
    if records:
        pieces[FILES_TABLE] = [pa.Table.from_pylist(records, schema=FILES_SCHEMA)]
    for table_name, tables in pieces.items():
        # After ``reconcile`` a column has one type in all files; files lack each other's.
        yield from batches.add(table_name, pa.concat_tables(tables, promote_options="default"))


@dlt.transformer(name="messages", write_disposition=MERGE_UNIQUE, primary_key="id")
def messages(new_files: list[FileItemDict], run: ArchiveRun) -> Iterator[Any]:
    """Segment tables of each new archive file of a page, its quarantined lines and record."""
    batches = TableBatches()
    with tempfile.TemporaryDirectory(prefix="segment-archive-") as work:
        preparer = FilePreparer(
            Path(work), run.workers, run.memory_limit, run.retry_memory_limit, run.suppression
        )
        try:
            for unit in preparer.map(new_files):
                yield from map(as_dlt_item, unit_tables(unit, run, batches))
        finally:
            preparer.close()
    # The quarantine table is yielded even when empty, so it exists from the first run.
    yield from map(as_dlt_item, batches.flush())


@dlt.source(name="segment_archive")
def segment_archive(
    new_pages: Iterable[list[FileItemDict]],
    tally: RunTally | None = None,
    run_ids: RunIds | None = None,
    workers: int = DEFAULT_WORKERS,
    duckdb_memory_limit: str = "400MB",
    duckdb_retry_memory_limit: str = "4GB",
    suppression: Suppression | None = None,
) -> Any:
    """The new files of one Segment source's archive, as Segment's warehouse tables.

    ``new_pages``: pages of files not recorded in ``_archive_files`` (``new_file_pages`` over
    ``listed_pages``), so each run reads only files it has not loaded (late files in old day
    folders too). ``workers`` files are read side by side, each by a DuckDB limited to
    ``duckdb_memory_limit``; a file that needs more (several lines of megabytes each) is read
    again with ``duckdb_retry_memory_limit``. ``suppression``: the messages of forgotten
    people, dropped before anything is written.
    """
    run = ArchiveRun(
        tally=tally if tally is not None else RunTally(),
        run_ids=run_ids if run_ids is not None else RunIds(),
        workers=workers,
        memory_limit=duckdb_memory_limit,
        retry_memory_limit=duckdb_retry_memory_limit,
        suppression=suppression or Suppression(),
    )
    return archive_files(new_pages) | messages(run=run)


@dlt.resource(name="filesystem", standalone=True)
def archive_files(pages: Iterable[list[FileItemDict]]) -> Iterator[list[FileItemDict]]:
    """The pages of new files, as dlt's ``filesystem`` resource hands a bucket's files on
    (the resource keeps that name: dlt's state and schemas know it)."""
    yield from pages
