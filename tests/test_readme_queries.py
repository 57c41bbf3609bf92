"""Every SQL query the README shows runs unchanged on every engine it names: DuckDB (the
analysts' copy) and PostgreSQL (the warehouse itself), with the same number of rows."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
import psycopg2
import pytest

from tests.conftest import PROJECT, load_arguments
from tests.postgres_cluster import postgres_server

README = PROJECT / "README.md"


def readme_queries() -> list[str]:
    """Each statement of each ```sql block of the README, comments kept."""
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL)
    statements = []
    for block in blocks:
        text = re.sub(r"(?m)^\s+", " ", block)  # blocks indented inside a list item
        statements += [part.strip() for part in text.split(";") if part.strip()]
    return statements


QUERIES = readme_queries()


def test_the_readme_shows_queries():
    assert len(QUERIES) >= 9


@pytest.fixture(scope="module")
def engines(built_warehouse, sample_archive, tmp_path_factory):
    """The sample in DuckDB (its analysts' copy) and in PostgreSQL."""
    root, _ = sample_archive
    with postgres_server() as url:
        state = tmp_path_factory.mktemp("pg-state")
        loaded = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines",
                *load_arguments(root, url, "--state-dir", str(state)),
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "DEBUG": ""},
        )
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        yield built_warehouse.with_name("warehouse.analytics.duckdb"), url


@pytest.mark.slow
@pytest.mark.parametrize("sql", QUERIES, ids=[q.splitlines()[0][:60] for q in QUERIES])
def test_a_readme_query_runs_unchanged_on_every_engine(engines, sql):
    copy, url = engines
    with duckdb.connect(str(copy), read_only=True) as con:
        on_duckdb = con.sql(sql).fetchall()
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(sql)
        on_postgres = cursor.fetchall()
    assert len(on_duckdb) == len(on_postgres)
