"""One source's dlt pipeline: the new files of its archive into its raw schema, and what the
run did. The warehouse is an engine (``pipelines.engines``), handed in.

Over 300 lines because one source's dlt run has steps that only make sense together: finishing
an interrupted run, extracting, normalizing and loading, the credentials it reads with, and the
pending work a forget discards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import dlt
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import AwsCredentials
from dlt.common.typing import TSecretStrValue
from dlt.pipeline.trace import TRACE_FILE_NAME

from pipelines.errors import (
    CREDENTIALS_HELP,
    CloudCredentials,
    SourceConfigError,
    SourceEmpty,
    SourceUnreadable,
    credentials_trouble,
    is_source_trouble,
    one_line,
    root_cause,
)
from pipelines.ops.migrations import LEGACY_SCHEMA, adopt_own_schema
from pipelines.segment_archive import listed_pages, new_file_pages, segment_archive
from pipelines.segment_archive.dedup import RunIds
from pipelines.segment_archive.preparation import Suppression
from pipelines.segment_archive.progress import Progress
from pipelines.segment_archive.settings import FILES_TABLE
from pipelines.segment_archive.sql import quote_literal
from pipelines.segment_archive.tally import RunTally
from pipelines.segment_archive.users import refresh_users
from pipelines.settings import state_dir

if TYPE_CHECKING:
    from dlt.sources.filesystem import FileItemDict

    from pipelines.engines import Engine
    from pipelines.ops.catalog import Sql

log = logging.getLogger(__name__)


# Settings the product relies on, whatever the user's dlt config says (dlt reads them from
# the environment, where they are set for the process and the processes it starts).
DLT_SETTINGS = {
    "SCHEMA__NAMING": "direct",  # columns are already named as Segment names them
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    # Loaded packages would keep a parquet copy of every run, and the staging dataset a copy
    # of the last one: the warehouse is the only copy we keep.
    "LOAD__DELETE_COMPLETED_JOBS": "true",
    "LOAD__TRUNCATE_STAGING_DATASET": "true",
}
# Defaults the user may override. One DuckDB file takes one writer at a time: dlt's default
# of 20 load threads only contends for it (measured at 1M events: 11.4 s with 20, 9.7 s
# with 2).
DLT_DEFAULTS = {"RUNTIME__DLTHUB_TELEMETRY": "false", "LOAD__WORKERS": str(os.cpu_count() or 2)}


def configure_dlt() -> None:
    os.environ.update(DLT_SETTINGS)
    for name, value in DLT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def make_pipeline(dataset: str, engine: Engine, connection: Sql | None = None) -> dlt.Pipeline:
    """dlt's pipeline for one source into ``engine``; ``connection``, when given, is the run's
    own, which the engine may hand to dlt (a DuckDB file: so no other process can take the
    file between dlt's steps). dlt's state lives beside ``engine.state_anchor``."""
    configure_dlt()
    folder = state_dir(engine.state_anchor)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"{dataset}_archive",
        destination=engine.dlt_destination(connection),
        dataset_name=dataset,
        pipelines_dir=str(folder),
    )


def discard_pending_work(engine: Engine, connection: Sql | None = None) -> list[str]:
    """Abort the packages interrupted loads left behind, for every source of ``warehouse``;
    the sources that had some.

    A forget calls it: finishing such a package later would load what it extracted before
    the person was forgotten. Its files were not recorded as read (the record travels in the
    package), so the next load reads them again, through the suppression list.
    """
    folder = state_dir(engine.state_anchor)
    discarded = []
    if not folder.is_dir():
        return discarded
    for pipeline_dir in sorted(folder.iterdir()):
        if not pipeline_dir.name.endswith("_archive") or not pipeline_dir.is_dir():
            continue
        dataset = pipeline_dir.name.removesuffix("_archive")
        pipeline = make_pipeline(dataset, engine, connection)
        if pipeline.has_pending_data:
            pipeline.abort_packages()
            discarded.append(dataset)
    return discarded


def loaded_files(raw) -> frozenset[str]:
    """Files recorded as read in earlier runs (an empty set for a new warehouse)."""
    if not raw.table_exists(FILES_TABLE):
        return frozenset()
    rows = raw.execute_sql(f"SELECT file_name FROM {raw.qualified(FILES_TABLE)}")
    return frozenset(row[0] for row in rows)


def own_schema(pipeline: dlt.Pipeline, dataset: str) -> dlt.Schema | None:
    """The dlt schema of the dataset's tables: its own, or the one shared by earlier releases
    (dlt's default schema may still name that one in a pipeline folder they created)."""
    for name in (dataset, LEGACY_SCHEMA):
        if name in pipeline.schema_names:
            return pipeline.schemas[name]
    return None


def drop_repeated_rows(raw, schema: dlt.Schema, load_ids: list[str], row_address: str) -> int:
    """Keep one row per message id among the rows of ``load_ids``; how many went.

    Staged rows are unique per run, so the merge skips dlt's own deduplication. But a load
    killed after a copy into the staging table committed, and before dlt recorded the job as
    done, copies it again when the package is finished: only then can an id repeat.
    """
    if not load_ids:
        return 0
    loads = ", ".join(quote_literal(load_id) for load_id in load_ids)
    rowid = row_address  # the engine's own address of a row
    dropped = 0
    for table in schema.data_table_names(seen_data_only=True):
        columns = schema.get_table_columns(table)
        if "id" not in columns or "_dlt_load_id" not in columns:
            continue
        name = raw.qualified(table)
        repeats = (
            f"SELECT {rowid} FROM (SELECT {rowid}, row_number() OVER (PARTITION BY id) "
            f"AS copy FROM {name} WHERE _dlt_load_id IN ({loads})) AS copies WHERE copy > 1"
        )
        dropped += raw.execute_sql(f"SELECT count(*) FROM ({repeats}) AS repeated")[0][0]
        raw.execute_sql(f"DELETE FROM {name} WHERE {rowid} IN ({repeats})")
    return dropped


def archive_credentials(url: str) -> AwsCredentials | None:
    """The credentials dlt's config gives the archive (for S3; other stores read theirs from
    the environment), for tools that read or write it outside a load."""
    if not url.startswith("s3://"):
        return None
    return resolve_configuration(
        AwsCredentials(), sections=("sources", "segment_archive", "credentials")
    )


def s3_credentials(key: str, secret: str) -> AwsCredentials:
    """The key and secret given with a source, with the rest (endpoint, region) from dlt's
    config for the archive, as a source without them would read it."""
    configured = resolve_configuration(
        AwsCredentials(), sections=("sources", "segment_archive", "credentials")
    )
    configured.aws_access_key_id = key
    configured.aws_secret_access_key = TSecretStrValue(secret)
    return configured


def credentials_error(dataset: str, url: str, trouble: str, exc: Exception) -> CloudCredentials:
    scheme = url.split("://", 1)[0] if "://" in url else "file"
    what = "no credentials found" if trouble == "missing" else "the credentials were refused"
    help_text = CREDENTIALS_HELP.get(scheme, "check the credentials of this storage")
    detail = "" if trouble == "missing" else f" ({one_line(root_cause(exc))})"
    return CloudCredentials(f"{dataset}: {url}: {what}{detail}: {help_text}")


@dataclass
class SourceRun:
    """What one source's run did, for the closing summary."""

    dataset: str
    url: str
    tally: RunTally
    rows_per_table: dict[str, int] = field(default_factory=dict)
    users: int = 0
    seconds: float = 0.0


def load_source(
    dataset: str,
    url: str,
    engine: Engine,
    connection: Sql | None = None,
    suppression: Suppression | None = None,
    credentials: tuple[str, str] | None = None,
) -> SourceRun:
    """Load every new file under ``url`` into the ``dataset`` schema of the warehouse
    (through ``connection`` where the engine takes it, see ``make_pipeline``), without the
    messages ``suppression`` drops.
    ``credentials``: an S3 key and secret given with the source (else dlt's config)."""
    started = time.monotonic()
    pipeline = make_pipeline(dataset, engine, connection)
    if not pipeline.schema_names and not pipeline.has_pending_data:
        # A state folder new to this warehouse (another machine, a lost folder): dlt's state
        # and the schemas come back from the warehouse, so the tables' types continue.
        pipeline.sync_destination()
    finish_interrupted_work(pipeline, dataset, engine, connection)
    adopt_own_schema(pipeline, dataset)
    tally = RunTally(progress=Progress(dataset))
    trace_file = Path(pipeline.working_dir) / TRACE_FILE_NAME
    last_trace = trace_file.read_bytes() if trace_file.exists() else None
    with engine.raw_sql(pipeline, connection) as raw:
        already_loaded = loaded_files(raw)
    log.info("%s: reading %s", dataset, url)
    with as_source_trouble(dataset, url, tally):
        listed = listed_pages(url, s3_credentials(*credentials) if credentials else None, tally)
        pages = new_file_pages(listed, tally, already_loaded)
        first = next(pages, None)
    normalize = None
    if first is not None:
        pages = chain([first], pages)
        extract(pipeline, dataset, url, tally, pages, engine.table_format, suppression)
        normalize = normalize_and_load(pipeline, tally, last_trace)
    else:
        # Nothing new: dlt's extract is not started (it cost a scheduled no-op run 0.3 s a
        # source), and no package is left to abort.
        tally.progress.finish()
        log.info("%s: no new file among %d listed", dataset, tally.listed)
    engine.after_load(connection, dataset)
    if tally.listed == 0:
        raise SourceEmpty(
            f"{dataset}: no files found under {url} — check the URL, that it points at "
            "segment-logs/<source-id>, and the credentials"
        )
    if tally.vanished:
        log.warning(
            "%s: %d listed files were gone when read (e.g. %s); the rest is loaded",
            dataset,
            len(tally.vanished),
            tally.vanished[0],
        )
    run = SourceRun(dataset=dataset, url=url, tally=tally)
    if normalize is not None:
        run.rows_per_table = {
            table: count
            for table, count in sorted(normalize.row_counts.items())
            if not table.startswith("_dlt")
        }
    with engine.raw_sql(pipeline, connection) as raw:
        run.users = refresh_users(raw, own_schema(pipeline, dataset), engine.newest_value)
    run.seconds = time.monotonic() - started
    return run


def finish_interrupted_work(
    pipeline: dlt.Pipeline, dataset: str, engine: Engine, connection: Sql | None
) -> None:
    """A run that died after extracting left packages behind: finish them before new work."""
    if not pipeline.has_pending_data:
        return
    log.info("%s: finishing work left by an interrupted run", dataset)
    pipeline.normalize()
    loads = pipeline.load().loads_ids
    engine.after_load(connection, dataset)
    if engine.row_address is None:
        return  # the engine's table commits cannot repeat a row
    with engine.raw_sql(pipeline, connection) as raw:
        schema = own_schema(pipeline, dataset)
        repeated = drop_repeated_rows(raw, schema, loads, engine.row_address)
    if repeated:
        log.info("%s: %d rows staged twice by the interrupted run dropped", dataset, repeated)


@contextlib.contextmanager
def as_source_trouble(dataset: str, url: str, tally: RunTally) -> Iterator[None]:
    """A failure to list or read the archive, said as the source's trouble: a setting, the
    credentials, or the source unreadable."""
    try:
        yield
    except Exception as exc:
        tally.progress.finish()
        if isinstance(root_cause(exc), SourceConfigError):
            raise root_cause(exc) from None
        trouble = credentials_trouble(exc)
        if trouble is not None:
            raise credentials_error(dataset, url, trouble, exc) from exc
        if not is_source_trouble(root_cause(exc)):
            raise
        said = one_line(root_cause(exc))
        raise SourceUnreadable(f"{dataset}: reading {url} failed: {said}") from exc


def extract(
    pipeline: dlt.Pipeline,
    dataset: str,
    url: str,
    tally: RunTally,
    new_pages: Iterable[list[FileItemDict]],
    table_format: str | None,
    suppression: Suppression | None,
) -> None:
    """Read the new files into a load package; a failure said as the source's trouble."""
    with RunIds() as run_ids, as_source_trouble(dataset, url, tally):
        # The source is named after the dataset: its dlt schema is ``regal_voice`` or
        # ``segment``; its configuration section stays ``sources.segment_archive``.
        source = segment_archive.with_args(name=dataset)(
            new_pages=new_pages, tally=tally, run_ids=run_ids, suppression=suppression
        )
        pipeline.extract(source, **({"table_format": table_format} if table_format else {}))
    tally.progress.finish()
    log.info(
        "%s: %d new files read, %d messages, %d lines quarantined, %d suppressed",
        dataset,
        tally.files_read,
        tally.messages,
        tally.rejected,
        sum(tally.suppressed.values()),
    )


def normalize_and_load(pipeline: dlt.Pipeline, tally: RunTally, last_trace: bytes | None):
    """dlt's normalize and load of what was extracted; its normalize info (None when no new
    file was read). ``last_trace``: dlt's trace file as it was before this run."""
    if tally.files_read:
        normalize = pipeline.normalize()
        pipeline.load()
        return normalize
    # Nothing new: the package holds no data, and normalizing and loading it would cost a
    # second of every scheduled no-op run.
    pipeline.abort_packages()
    if last_trace is not None:
        # dlt's trace would now show that empty package as extracted and never loaded;
        # `dlt pipeline … trace` shows the last run that loaded something instead.
        (Path(pipeline.working_dir) / TRACE_FILE_NAME).write_bytes(last_trace)
    return None
