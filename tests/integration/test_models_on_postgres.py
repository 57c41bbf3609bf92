"""The dbt project on PostgreSQL (issue 15): the same models, unit tests and data tests as on
DuckDB, built by dbt-postgres on a throwaway PostgreSQL 15 server.

The raw schemas are empty here (the loader's PostgreSQL path is still to come): every model
builds from no rows, and every unit test runs on its own fixtures, so this proves the SQL of
each model and the logic of each unit test on the second engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.postgres import dbt_build, postgres_server

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_model_and_unit_test_builds_on_postgres(tmp_path):
    with postgres_server() as url:
        # The run logs are the loader's (ops.load_runs, ops.sources): not written here yet.
        dbt_build(url, tmp_path, "--exclude", "source:ops")
        assert "Using postgres connection" in (tmp_path / "logs" / "dbt.log").read_text()
    target = tmp_path / "target"
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        statuses.setdefault(kind, []).append(result["status"])
    assert len(statuses["unit_test"]) >= 15
    assert set(statuses["unit_test"]) == {"pass"}
    assert set(statuses["model"]) == {"success"}
    assert len(statuses["model"]) >= 30
