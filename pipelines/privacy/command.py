"""``python -m pipelines forget`` (``make forget``): one request, from the identifiers asked for
to the suppression list, the removal and its audit record.

The order keeps a failure safe. The suppression list is written first: a run that dies after
it leaves the person's rows in place but never loads them again, and running the request
again removes them. The rows are then removed in one transaction with the audit record.
Logs carry counts only.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.ops.catalog import Sql
from pipelines.privacy.forget import Person, Touched, remove, resolve, touched
from pipelines.privacy.requests import record_request
from pipelines.privacy.suppression import Lists
from pipelines.transform.project import model_schemas, model_tables

if TYPE_CHECKING:
    from pipelines.engines import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forgotten:
    request_id: str
    person: Person  # every identifier found
    identifiers: dict[str, int]  # how many of each kind
    rows_removed: dict[str, int]  # per table, raw and models
    touched: Touched  # the aggregates' days and experiments to build again


def forget_person(
    con: Sql,
    state_anchor: Path,
    schemas: list[str],
    requested: Person,
    country_code: str,
    timezone: str,
) -> Forgotten:
    """Forget the person ``requested`` names (``requested_person``): their rows go from the
    raw ``schemas`` and from the models' tables; the aggregates they counted toward
    (``Forgotten.touched``) are the caller's to build again."""
    person = resolve(con, schemas, requested, country_code)
    counts = person.counts()
    log.info(
        "forget: the request names %s",
        ", ".join(f"{count} {kind.replace('_', ' ')}(s)" for kind, count in counts.items()),
    )
    request_id = str(uuid.uuid4())
    lists = Lists.of(state_anchor)
    entries = lists.add(person.all(), request_id)
    log.info(
        "forget: %d identifier hashes added to %s (every warehouse built here checks it) and %s",
        len(entries),
        lists.installation_path,
        lists.own_path,
    )
    # The schemas dbt writes tables into: the person's rows there go with the raw ones, and
    # the aggregates they counted toward are built again.
    models = model_schemas()
    experiments = {
        (table.schema, table.name): table.meta["forget_recomputes"]
        for table in model_tables()
        if "forget_recomputes" in table.meta
    }
    con.execute("BEGIN")
    try:
        counted = touched(con, models, person, country_code, timezone, experiments)
        removed = remove(con, [*schemas, *models], person, country_code)
        record_request(con, request_id, entries, removed)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if not removed:
        log.warning(
            "forget: nothing of this person is in the warehouse (check the identifiers); they "
            "are on the suppression list all the same, and no load will bring them in"
        )
    log.info(
        "forget: %d rows removed from %d tables (request %s in ops.forget_requests)",
        sum(removed.values()),
        len(removed),
        request_id,
    )
    log.info(
        "forget: the aggregates of %d reporting days and %d experiments are built again",
        len(counted.days),
        len(counted.experiments),
    )
    return Forgotten(request_id, person, counts, removed, counted)


@dataclass(frozen=True)
class ForgetStep:
    """What the rest of the run does after a forget: the ``forgotten_*`` vars of the build
    that recomputes the aggregates the person counted toward, and whether older files of
    the analysts' copy may be kept (never: they hold the person)."""

    build_vars: dict | None = None
    keep_published_files: bool = True


def forget(
    engine: Engine,
    connection: Sql,
    person: Person,
    purge: bool,
    dry_run: bool,
    country_code: str,
    timezone: str,
) -> tuple[Sql, ForgetStep]:
    """Forget one person everywhere (the runner's forget step). With ``purge`` their lines
    leave the archive files too; with ``dry_run`` nothing changes, and the files that would
    be rewritten are listed. The connection, reopened, and what the run does next."""
    from pipelines.ingest.load import discard_pending_work
    from pipelines.ops.registry import raw_schemas, registered_sources
    from pipelines.privacy.archive import purge_archive

    archives = [
        (s.name, s.url) for s in registered_sources(connection) if s.url and not s.is_sample
    ]
    if dry_run:
        found = resolve(connection, raw_schemas(connection), person, country_code)
        counts = ", ".join(f"{n} {kind.replace('_', ' ')}(s)" for kind, n in found.counts().items())
        log.info("forget (dry run): the request names %s; nothing is changed", counts)
        if purge:
            files = purge_archive(archives, found, country_code, dry_run=True)
            log.info(
                "forget (dry run): %d archive file(s) would be rewritten, %d line(s) removed",
                len(files),
                sum(f.lines_removed for f in files),
            )
        return connection, ForgetStep()

    for dataset in discard_pending_work(engine, connection):
        log.info(
            "forget: %s: work an interrupted load left unfinished was discarded; the next load "
            "reads its files again, without the forgotten",
            dataset,
        )
    forgotten = forget_person(
        connection,
        engine.state_anchor,
        raw_schemas(connection),
        person,
        country_code,
        timezone,
    )
    engine.commit(connection)
    if purge:
        files = purge_archive(archives, forgotten.person, country_code, dry_run=False)
        log.info(
            "forget: %d archive file(s) rewritten without the person (%d lines removed)",
            len(files),
            sum(f.lines_removed for f in files),
        )
    started = time.monotonic()
    connection = engine.erase_deleted(connection, sorted(forgotten.rows_removed))
    log.info("forget: deleted rows erased from the storage (%.1fs)", time.monotonic() - started)
    if engine.has_analysts_copy:
        log.info(
            "forget: the analysts' copy is republished without keeping older files: a session "
            "left open on it must reconnect (its next query reads 'No files found')"
        )
    build_vars = {
        "forgotten_days": forgotten.touched.days,
        "forgotten_experiments": forgotten.touched.experiments,
    }
    return connection, ForgetStep(build_vars, keep_published_files=False)
