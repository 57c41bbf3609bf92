"""Ingest: every source's new archive files into its raw schema, through dlt.

``sources`` says which sources a run loads (options, environment, dlt config); ``load`` runs
one source's dlt pipeline (``pipelines.segment_archive`` reads the archive). This module runs
them all for the runner, with the suppression list every load checks, and prints the summary.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import SourceUnreadable, describe

if TYPE_CHECKING:
    from pipelines.engines import Engine
    from pipelines.ingest.load import SourceRun
    from pipelines.ingest.sources import Source, SourceSettings
    from pipelines.ops.catalog import Sql
    from pipelines.segment_archive.preparation import Suppression

log = logging.getLogger(__name__)


def configured_sources(layers: Iterable[SourceSettings]) -> tuple[list[Source], bool]:
    """The sources of this run and whether they are the bundled sample: from ``layers``
    (options, environment), then dlt's config, read only when they leave something unsaid."""
    import dlt

    from pipelines.ingest.sources import resolve_sources, settings_from_config

    def every_layer() -> Iterator[SourceSettings]:
        yield from layers
        yield settings_from_config(dlt.config.get)

    return resolve_sources(every_layer())


def suppression_for(engine: Engine, given: Path | None, country_code: str) -> Suppression:
    """The suppression list the loads of this warehouse check: the installation's
    (``--suppression-list``, ``$SUPPRESSION_LIST`` or ``data/suppression.json``), which every
    warehouse built here checks, with the one kept beside this warehouse. The installation's
    entries are copied beside the warehouse too."""
    from pipelines.privacy.suppression import Lists
    from pipelines.segment_archive.preparation import Suppression

    lists = Lists.of(engine.state_anchor, given)
    if not lists.installation_path.exists() and given is not None:
        log.warning(
            "no suppression list at %s yet: the first forget starts it (check the path if one "
            "should be there)",
            given,
        )
    if lists.keep_beside_warehouse():
        log.info("suppression list %s copied beside the warehouse", lists.installation_path)
    suppression = lists.for_loading()
    if suppression:
        where = {str(lists.installation_path), str(lists.own_path)}
        log.info(
            "suppressing the %d identifiers of %s",
            len(suppression.entries),
            ", ".join(sorted(where)),
        )
    return Suppression(suppression, country_code)


def ingest(
    sources: list[Source],
    is_sample: bool,
    engine: Engine,
    connection: Sql,
    runs: list[SourceRun],
    suppression: Suppression | None = None,
) -> None:
    """Load every source, appending each one's run to ``runs`` as it ends.

    A source that cannot be read (empty, unreachable, refused credentials) does not keep the
    others from loading: the run goes on, then fails with the first such error, so cron still
    hears of it and the run log keeps what the others did.
    """
    from pipelines.ingest.load import load_source
    from pipelines.ingest.sources import check_sources_fit
    from pipelines.ops.registry import record_source
    from pipelines.settings import SAMPLE_ROOT

    check_sources_fit(connection, sources, is_sample)
    if is_sample:
        log.info("no source given: loading the bundled sample (%s)", SAMPLE_ROOT)
    started = time.monotonic()
    failures = []
    for source in sources:
        try:
            source_run = load_source(
                source.name,
                source.url,
                engine,
                connection,
                suppression=suppression,
                credentials=source.credentials,
            )
        except Exception as exc:
            if not hasattr(exc, "exit_code"):
                raise
            log.error("%s: %s", source.name, describe(exc))
            failures.append(exc)
            continue
        record_source(connection, source)
        runs.append(source_run)
    print_summary(runs, time.monotonic() - started)
    if failures:
        raise failures[0]
    vanished = [name for source_run in runs for name in source_run.tally.vanished]
    if vanished:
        raise SourceUnreadable(
            f"{len(vanished)} file(s) gone between listing and reading "
            f"({', '.join(vanished[:3])}); "
            "everything else is loaded, and the next run reads them if they are listed again"
        )


def sum_suppressed(runs: Iterable[SourceRun]) -> Counter:
    """The messages every source's run suppressed, by forget request."""
    total: Counter = Counter()
    for source_run in runs:
        total.update(source_run.tally.suppressed)
    return total


def print_summary(runs: list[SourceRun], seconds: float) -> None:
    out = sys.stdout
    out.write("\nLoad summary\n")
    for run in runs:
        tally = run.tally
        out.write(
            f"  {run.dataset}: {tally.files_read} new files read ({tally.listed} listed, "
            f"{len(tally.skipped)} not archive files, {len(tally.vanished)} gone when read), "
            f"{tally.lines} lines, "
            f"{tally.messages} messages, {tally.rejected} lines quarantined, {run.seconds:.1f}s\n"
        )
        suppressed = sum(tally.suppressed.values())
        if suppressed:
            out.write(
                f"      {'suppressed (forgotten on request)':<32} {suppressed:>10} messages\n"
            )
        for table, rows in run.rows_per_table.items():
            out.write(f"      {table:<32} {rows:>10} rows\n")
        if run.users:
            out.write(f"      {'users (refreshed)':<32} {run.users:>10} rows\n")
    out.write(f"  total: {seconds:.1f}s\n")
    for run in runs:
        for warning in run.tally.warnings(run.dataset):
            out.write(f"warning: {warning}\n")
