"""The dbt project on PostgreSQL (issue 15): the same models, unit tests and data tests as on
DuckDB, built by dbt-postgres on a throwaway PostgreSQL 15 server.

The raw schemas are empty here (the loader's PostgreSQL path is still to come): every model
builds from no rows, and every unit test runs on its own fixtures, so this proves the SQL of
each model and the logic of each unit test on the second engine.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pipelines.transform import dbt_command
from tests.postgres_cluster import postgres_server

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_every_model_and_unit_test_builds_on_postgres(tmp_path):
    with postgres_server() as url:
        address = urlparse(url)
        env = {
            **os.environ,
            "WAREHOUSE": url,
            "PGHOST": address.hostname,
            "PGPORT": str(address.port),
            "PGUSER": address.username,
            "PGDATABASE": address.path.lstrip("/"),
            "DBT_USE_COLORS": "false",
        }
        target = tmp_path / "target"
        # The run logs are the loader's (ops.load_runs, ops.sources): not written here yet.
        command = dbt_command(
            "build",
            "--exclude",
            "source:ops",
            "--target-path",
            str(target),
            "--log-path",
            str(tmp_path / "logs"),
        )
        built = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        assert built.returncode == 0, built.stdout[-6000:]
        assert "Using postgres connection" in (tmp_path / "logs" / "dbt.log").read_text()
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        statuses.setdefault(kind, []).append(result["status"])
    assert len(statuses["unit_test"]) >= 15
    assert set(statuses["unit_test"]) == {"pass"}
    assert set(statuses["model"]) == {"success"}
    assert len(statuses["model"]) >= 30
