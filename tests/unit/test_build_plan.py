"""The hourly build keeps the views unless a raw table may have new columns: the plan reads
dlt's schema versions against the last good build's raw watermark."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from pipelines.transform.build import BuildPlan, build_arguments, plan_build

BUILT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def warehouse():
    """A built warehouse whose raw schema ``regal_voice`` had one load after the build."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA ops; CREATE SCHEMA regal_voice")
    con.execute(
        "CREATE TABLE ops.dbt_builds (project_checksum varchar, raw_watermark timestamptz, "
        "status varchar, is_complete boolean, started_at timestamptz)"
    )
    built = "INSERT INTO ops.dbt_builds VALUES ('abc', ?, 'succeeded', true, ?)"
    con.execute(built, [BUILT, BUILT])
    con.execute("CREATE TABLE regal_voice._dlt_loads (load_id varchar, inserted_at timestamptz)")
    con.execute("INSERT INTO regal_voice._dlt_loads VALUES ('2', '2026-12-01 11:00:00+00')")
    con.execute(
        "CREATE TABLE regal_voice._dlt_version (version_hash varchar, inserted_at timestamptz)"
    )
    con.execute("INSERT INTO regal_voice._dlt_version VALUES ('v1', '2026-12-01 09:00:00+00')")
    return con


def test_new_rows_in_known_columns_keep_the_views(warehouse):
    plan = plan_build(warehouse, "abc", ["regal_voice"])
    assert (plan.mode, plan.views) == ("incremental", False)
    arguments = build_arguments(plan, "abc")
    assert arguments[arguments.index("--exclude") + 1] == "config.materialized:view"
    # The views' data tests still run.
    assert arguments[arguments.index("--indirect-selection") + 1] == "empty"


def test_a_schema_version_after_the_build_rebuilds_the_views(warehouse):
    version = "INSERT INTO regal_voice._dlt_version VALUES ('v2', '2026-12-01 10:59:00+00')"
    warehouse.execute(version)
    plan = plan_build(warehouse, "abc", ["regal_voice"])
    assert (plan.mode, plan.views) == ("incremental", True)
    assert "--exclude" not in build_arguments(plan, "abc")


def test_a_schema_without_dlt_versions_rebuilds_the_views(warehouse):
    """A schema Segment loads keeps no schema versions: its columns may have changed."""
    warehouse.execute("CREATE SCHEMA segment")
    plan = plan_build(warehouse, "abc", ["regal_voice", "segment"])
    assert (plan.mode, plan.views) == ("incremental", True)


def test_schemas_named_on_the_command_line_rebuild_the_views(warehouse):
    plan = plan_build(warehouse, "abc", ["regal_voice"], named=True)
    assert (plan.mode, plan.views) == ("incremental", True)


def test_full_and_skipped_builds_are_unchanged(warehouse):
    assert plan_build(warehouse, "changed", ["regal_voice"]).mode == "full"
    assert "--full-refresh" in build_arguments(BuildPlan("full", "asked"), "abc")
    warehouse.execute("DELETE FROM regal_voice._dlt_loads")
    warehouse.execute("INSERT INTO regal_voice._dlt_loads VALUES ('1', '2026-12-01 09:30:00+00')")
    assert plan_build(warehouse, "abc", ["regal_voice"]).mode == "skip"
