"""The tools the README hands analysts and operators, run as they would run them: the SQL
shell on the published copy, and dlt's own CLI on the project's pipelines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import state_dir
from tests.conftest import PROJECT, make, run_pipelines, source_url
from tests.integration.test_warehouse_access import hold

DLT = Path(sys.executable).with_name("dlt")


@pytest.mark.slow
def test_make_shell_runs_one_query_on_the_copy_while_a_load_holds_the_warehouse(
    built_warehouse, tmp_path
):
    with duckdb.connect(str(built_warehouse.with_name("warehouse.analytics.duckdb")), True) as con:
        calls = con.sql("SELECT count(*) FROM analytics.fct_calls").fetchall()[0][0]
    holder = hold(f"import duckdb\ncon = duckdb.connect({str(built_warehouse)!r})", tmp_path / "h")
    try:
        shell = make(
            "shell",
            WAREHOUSE=built_warehouse,
            SQL="SELECT count(*) AS calls FROM analytics.fct_calls",
        )
    finally:
        holder.kill()
        holder.wait()
    assert shell.returncode == 0, shell.stderr[-2000:]
    assert str(calls) in shell.stdout and "calls" in shell.stdout


@pytest.mark.slow
def test_a_shell_session_ends_well_after_a_failed_statement_and_pipes_stay_plain(
    built_warehouse,
):
    """An analyst's session in which one statement failed ends with 0 (make then adds no
    "Error 1"); a query given with SQL= that fails still says so to a script; a pipe gets
    no colour codes."""
    session = subprocess.run(
        ["make", "--no-print-directory", "shell", f"WAREHOUSE={built_warehouse}"],
        cwd=PROJECT,
        input="SELECT no_such_column FROM analytics.fct_calls;\nSELECT 42 AS answer;\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert session.returncode == 0, session.stderr[-2000:]
    assert "42" in session.stdout and "no_such_column" in session.stderr
    failing = make("shell", WAREHOUSE=built_warehouse, SQL="SELECT no_such_column")
    assert failing.returncode != 0
    piped = make("shell", WAREHOUSE=built_warehouse, SQL="SELECT NULL AS nothing, 1 AS one")
    assert piped.returncode == 0 and "\x1b" not in piped.stdout + piped.stderr


def test_make_shell_on_a_warehouse_never_loaded_says_what_to_do(tmp_path):
    shell = make("shell", WAREHOUSE=tmp_path / "nothing.duckdb", SQL="SELECT 1")
    assert shell.returncode != 0
    assert "no analysts' copy at" in shell.stderr and "make load" in shell.stderr


def dlt_cli(warehouse: Path, pipeline: str, command: str) -> str:
    done = subprocess.run(
        [str(DLT), "pipeline", "--pipelines-dir", str(state_dir(warehouse)), pipeline, command],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_dlt_cli_tells_the_pipelines_apart_and_traces_the_last_real_run(sample_archive, tmp_path):
    root, _ = sample_archive
    warehouse = tmp_path / "warehouse.duckdb"
    for _ in range(2):  # a load, then a run with nothing new
        run_pipelines(
            "ingest",
            "--warehouse",
            str(warehouse),
            "--regal-voice-url",
            source_url(root, "regal_voice"),
            "--segment-url",
            source_url(root, "web"),
            timeout=300,
        )
    assert "schema_names: ['regal_voice']" in dlt_cli(warehouse, "regal_voice_archive", "info")
    assert "schema_names: ['segment']" in dlt_cli(warehouse, "segment_archive", "info")
    trace = dlt_cli(warehouse, "regal_voice_archive", "trace")
    assert "Step load COMPLETED" in trace
    assert "is LOADED and contains no failed jobs" in trace
