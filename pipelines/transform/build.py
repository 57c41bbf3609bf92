"""Build the dbt models for what the warehouse holds: only what new data touched, everything when
the models themselves changed, nothing when neither did.

dbt records every build in ``ops.dbt_builds`` (``dbt_project/macros/incremental.sql``): the
raw data's high-water mark when it started, the checksum of the project it ran, and whether it
succeeded. A scheduled run compares that record with the warehouse and the project on disk:

- no load committed since the last good build, same project: nothing to build (a no-op run
  stays a few seconds however large the warehouse);
- new loads, same project: an incremental build, whose data tests check the changed rows;
  the views are left as the last build made them unless a load since changed a raw table's
  columns (a view is SQL over the raw tables: it only changes with them or the project);
- a changed project (an upgrade, an edited model) or no good build on record: a full build,
  unit tests included, so no row computed by older SQL survives.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from pipelines.ops.catalog import Sql, table_exists
from pipelines.ops.registry import NamedSchemas
from pipelines.segment_archive.settings import FILES_TABLE
from pipelines.transform.project import (
    freshness_threshold_hours,
    invoke_dbt,
    project_checksum,
    project_var,
)

log = logging.getLogger(__name__)

BUILDS_TABLE = "ops.dbt_builds"


class DbtFailed(RuntimeError):
    """dbt exited non-zero: its own output above says which model or test."""


def raw_watermark(con: Sql, schemas: list[str]) -> datetime | None:
    """When the raw data last changed (as ``raw_watermark_sql`` in dbt): the newest load dlt
    committed to a schema our loader writes; in a schema Segment loads, which keeps no load
    log, the newest ``uuid_ts`` of the ``segment_loaded_tables`` var's tables less the
    ``segment_load_margin_minutes`` var (both in ``dbt_project.yml``, read by dbt too)."""
    margin = int(project_var("segment_load_margin_minutes", 60))
    parts = []
    for schema in schemas:
        if table_exists(con, schema, "_dlt_loads"):
            parts.append(f'SELECT max(inserted_at) AS loaded_at FROM "{schema}"._dlt_loads')
            continue
        parts += [
            f"SELECT max(uuid_ts) - INTERVAL '{margin} minutes' AS loaded_at "
            f'FROM "{schema}".{table}'
            for table in project_var("segment_loaded_tables", [])
            if table_exists(con, schema, table)
        ]
    if not parts:
        return None
    loads = " UNION ALL ".join(parts)
    return con.execute(f"SELECT max(loaded_at) FROM ({loads}) AS loads").fetchone()[0]


@dataclass(frozen=True)
class BuildPlan:
    """What ``dbt build`` must do this run, and why (for the log)."""

    mode: str  # "skip", "incremental" or "full"
    reason: str
    # Whether the views are created again: always in a full build; in an incremental one only
    # when a raw table's columns changed since the last build (staging reads which exist).
    views: bool = True


def plan_build(
    con: Sql, checksum: str, schemas: list[str], full: bool = False, named: bool = False
) -> BuildPlan:
    """``schemas``: the raw schemas the models read (``registry.raw_schemas``); ``named``:
    whether the command line named them (they may not be the last build's, whose views read
    others)."""
    if full:
        return BuildPlan("full", "a full build was asked for")
    if not table_exists(con, "ops", "dbt_builds"):
        return BuildPlan("full", "no earlier build is recorded in this warehouse")
    last = con.execute(
        f"SELECT project_checksum, raw_watermark FROM {BUILDS_TABLE} "
        "WHERE status = 'succeeded' AND is_complete ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    if last is None:
        return BuildPlan("full", "no earlier build succeeded")
    built_checksum, built_watermark = last
    if built_checksum != checksum:
        return BuildPlan("full", "the models changed since the last build")
    newest = raw_watermark(con, schemas)
    if newest is None or (built_watermark is not None and newest <= built_watermark):
        return BuildPlan("skip", "nothing was loaded since the last build")
    if named or raw_columns_changed(con, schemas, built_watermark):
        return BuildPlan("incremental", "new data and new raw columns since the last build")
    return BuildPlan("incremental", "new data since the last build", views=False)


def raw_columns_changed(con: Sql, schemas: list[str], since: datetime | None) -> bool:
    """Whether a raw table or column may have appeared after the build of ``since`` (its raw
    watermark): dlt stores a schema's new version in ``_dlt_version`` before the load that
    brought it commits (the lake's is a Spark table too). A schema without that record
    (Segment's own loads) may have changed."""
    if since is None:
        return True
    for schema in schemas:
        if not table_exists(con, schema, "_dlt_version"):
            return True
        changed = con.execute(
            f'SELECT count(*) FROM "{schema}"._dlt_version WHERE inserted_at > ?', [since]
        ).fetchone()[0]
        if changed:
            return True
    return False


def build_arguments(
    plan: BuildPlan,
    checksum: str,
    named: NamedSchemas | None = None,
    forgotten: dict | None = None,
) -> list[str]:
    """``forgotten``: the ``forgotten_days`` / ``forgotten_experiments`` vars of the build
    after a forget request."""
    variables = {
        "project_checksum": checksum,
        **(named.variables() if named else {}),
        **(forgotten or {}),
    }
    if plan.mode == "full":
        return ["build", "--full-refresh", "--vars", json.dumps(variables)]
    # Unit tests check the SQL, and seeds hold reference data, neither changed since the last
    # (full) build: the project's checksum covers both. The data tests check the rows this
    # build recomputed (a build without --full-refresh: `get_where_subquery`). The vars are
    # the full build's, so dbt's parse of it is reused.
    skipped = ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "seed"]
    if not plan.views:
        # The views stay; their data tests still run on the new rows (``empty``: excluding a
        # model would exclude its tests too).
        skipped += ["--exclude", "config.materialized:view", "--indirect-selection", "empty"]
    return ["build", *skipped, "--vars", json.dumps(variables)]


def run_dbt_build(
    connection_environment: dict[str, str],
    plan: BuildPlan,
    checksum: str,
    named: NamedSchemas | None = None,
    forgotten: dict | None = None,
    in_process: bool = False,
) -> None:
    """``connection_environment``: what the committed profile reads to reach the warehouse
    (``WAREHOUSE``, and the ``PG*`` variables for a server; ``targets.py``)."""
    # Colours only for a person at a terminal: in cron mail they are escape codes.
    env = {**connection_environment, "DBT_USE_COLORS": "true" if sys.stdout.isatty() else "false"}
    arguments = build_arguments(plan, checksum, named, forgotten)
    code = invoke_dbt(arguments, env, in_process)
    if code != 0:
        raise DbtFailed(
            f"dbt build failed (exit {code}); the failing models and tests "
            "are listed above and in dbt_project/logs/dbt.log. The next run builds them again"
        )


def stale_sources(con, hours: float, schemas: list[str], now: datetime | None = None) -> list[str]:
    """One warning per source whose newest message Segment received more than ``hours`` ago.

    The same check as ``dbt source freshness`` on ``_archive_files.newest_received_at``, done
    here because starting dbt for it would cost a scheduled no-op run most of its time.
    """
    now = now or datetime.now(UTC)
    warnings = []
    for schema in schemas:
        if not table_exists(con, schema, FILES_TABLE):
            continue
        newest = con.execute(f'SELECT max(newest_received_at) FROM "{schema}".{FILES_TABLE}')
        newest = newest.fetchone()[0]
        if newest is None:
            continue
        age = (now - newest).total_seconds() / 3600
        if age > hours:
            warnings.append(
                f"{schema}: the newest message was received {newest:%Y-%m-%d %H:%M} UTC, "
                f"{age:,.0f} h ago (warns after {hours:g} h: freshness_warn_after_hours)"
            )
    return warnings


def build_models(
    engine,
    connection: Sql,
    busy_wait: float,
    full: bool = False,
    named: NamedSchemas | None = None,
    forgotten: dict | None = None,
) -> tuple[Sql, str]:
    """The runner's transform step: ``dbt build`` as much as new data and the models need.
    The connection (reopened) and the build's mode (``skip``, ``incremental``, ``full``)."""
    from pipelines.ops.registry import raw_schemas

    named = named or NamedSchemas()
    checksum = project_checksum()
    schemas = raw_schemas(connection, named)
    plan = plan_build(connection, checksum, schemas, full, bool(named.variables()))
    if forgotten and plan.mode == "skip":
        plan = BuildPlan("incremental", "a forget request removed rows the aggregates counted")
    log.info(
        "models: %s build, %s%s",
        plan.mode,
        plan.reason,
        "" if plan.views else " (the views are kept: no raw table has new columns)",
    )
    if plan.mode != "skip":
        # dbt connects in its own process: a DuckDB file takes one process at a time, so
        # wait until nobody else holds it.
        connection.close()
        engine.connect(busy_wait).close()
        run_dbt_build(
            engine.dbt_environment(), plan, checksum, named, forgotten, engine.dbt_in_process
        )
        connection = engine.connect(busy_wait)
    for warning in stale_sources(connection, freshness_threshold_hours(), schemas):
        log.warning("freshness: %s", warning)
    return connection, plan.mode
