"""Every SQL query the README shows runs unchanged on every engine it names: DuckDB (the
analysts' copy) and PostgreSQL (the warehouse itself), with the same number of rows."""

from __future__ import annotations

import re

import duckdb
import psycopg2

from tests.conftest import PROJECT

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


def check_readme_queries(duckdb_copy, postgres_url: str) -> None:
    """Every README query, on DuckDB's analysts' copy and on PostgreSQL: both run it, and
    return as many rows (called by ``test_cli_postgres``, which loads both engines)."""
    failures = []
    for sql in QUERIES:
        try:
            with duckdb.connect(str(duckdb_copy), read_only=True) as con:
                on_duckdb = con.sql(sql).fetchall()
            with psycopg2.connect(postgres_url) as con, con.cursor() as cursor:
                cursor.execute(sql)
                on_postgres = cursor.fetchall()
        except (duckdb.Error, psycopg2.Error) as error:
            failures.append(f"{sql.splitlines()[0]}: {error}")
            continue
        if len(on_duckdb) != len(on_postgres):
            failures.append(f"{sql.splitlines()[0]}: {len(on_duckdb)} vs {len(on_postgres)} rows")
    assert not failures, "\n".join(failures)
