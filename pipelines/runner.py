"""One run, in order: lock → ingest → forget → transform → log → publish.

Every engine runs the same sequence (``pipelines.engines`` answers what differs). The run is
recorded in ``ops.load_runs`` as ``running`` before any work and given its outcome after,
whatever happens; the analysts' copy is published only after that record is durable.
"""

from __future__ import annotations

import logging
import time

from pipelines.config import RunSettings
from pipelines.errors import describe

log = logging.getLogger(__name__)


def run(settings: RunSettings) -> None:
    from pipelines.engines import engine_for
    from pipelines.ingest import configured_sources, ingest, sum_suppressed, suppression_for
    from pipelines.ingest.sources import check_folders_exist
    from pipelines.ops.run_log import Phases, finish_run, start_run
    from pipelines.ops.schema import prepare_ops
    from pipelines.privacy.command import ForgetStep, forget
    from pipelines.privacy.forget import requested_person
    from pipelines.privacy.requests import record_suppressed
    from pipelines.settings import SAMPLE_ROOT
    from pipelines.transform.build import build_models
    from pipelines.transform.project import default_country_code, reporting_timezone

    engine = engine_for(settings.warehouse, settings.state_dir)
    country_code = default_country_code()
    # Checked before the warehouse is created or opened: a refused run writes nothing.
    sources, is_sample = [], False
    if settings.loads:
        sources, is_sample = configured_sources(settings.source_layers)
        if engine.is_new:
            check_folders_exist(sources)
    person = None
    if settings.command == "forget":
        request = settings.forget
        person = requested_person(request.phones, request.emails, request.user_ids, country_code)
    engine.prepare(settings.command, frozenset(source.name for source in sources))

    started = time.monotonic()
    phases = Phases()
    step = ForgetStep()
    with engine.lock(settings.lock_wait):
        if settings.loads and is_sample:
            engine.set_aside_older_sample(SAMPLE_ROOT)
        connection = engine.connect(settings.busy_wait)
        prepare_ops(connection)  # the models find the brand sources in ops.sources
        run_id = start_run(connection, settings.command)
        runs, status, error = [], "failed", None
        try:
            if settings.loads:
                suppression = suppression_for(engine, settings.suppression_list, country_code)
                ingest(sources, is_sample, engine, connection, runs, suppression)
                phases.ingest = time.monotonic() - started
                record_suppressed(connection, run_id, sum_suppressed(runs))
            if person is not None:
                connection, step = forget(
                    engine,
                    connection,
                    person,
                    settings.forget.purge_archive,
                    settings.forget.dry_run,
                    country_code,
                    reporting_timezone(),
                )
                phases.forget = time.monotonic() - started
            if settings.builds:
                build_started = time.monotonic()
                connection, phases.build_mode = build_models(
                    engine,
                    connection,
                    settings.busy_wait,
                    settings.full_refresh,
                    settings.named_schemas,
                    step.build_vars,
                )
                phases.build = time.monotonic() - build_started
            status = "succeeded"
        except BaseException as exc:
            error = describe(exc)
            raise
        finally:
            connection.close()  # a failed run may have left it open
            connection = engine.connect(settings.busy_wait)
            try:
                finish_run(connection, run_id, status, runs, error, phases)
                engine.commit(connection)
            finally:
                connection.close()
        if engine.has_analysts_copy:
            loaded = any(source_run.tally.files_read for source_run in runs)
            built = phases.build_mode not in (None, "skip")
            if loaded or built or not engine.analysts_copy_exists():
                keep_hours = settings.publish_keep_hours if step.keep_published_files else 0.0
                phases.publish = publish(engine, settings.busy_wait, keep_hours, run_id)
            else:
                # A scheduled no-op stays cheap: the analysts' copy already holds this data.
                log.info("nothing new: %s left as it was", engine.analysts_file())
    log.info("run: %s, %.1fs in all", phases.describe(), time.monotonic() - started)


def publish(engine, busy_wait: float, keep_hours: float, run_id: str) -> float:
    """Bring what analysts read up to date, and record it in the run's row; the seconds it
    took."""
    from pipelines.ops.run_log import record_publish

    started = time.monotonic()
    connection = engine.connect(busy_wait)
    try:
        published = engine.publish(connection, keep_hours)
        seconds = time.monotonic() - started
        record_publish(connection, run_id, seconds)
        engine.commit(connection)
    finally:
        connection.close()
    log.info("published for analysts: %s", published.describe())
    return seconds
