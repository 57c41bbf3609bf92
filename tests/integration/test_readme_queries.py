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
# The blocks that say so run on Spark too (`test_marts_on_spark` runs them on a lake).
EVERY_ENGINE = "-- Runs unchanged on DuckDB, PostgreSQL and Spark."


def every_engine_queries() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL)
    statements = []
    for block in blocks:
        if block.lstrip().startswith(EVERY_ENGINE):
            statements += [part.strip() for part in block.split(";") if part.strip()]
    return statements


def test_the_readme_asks_each_new_question_on_every_engine():
    asked = " ".join(every_engine_queries())
    for table in (
        "agg_queue_interval",
        "agg_speed_to_lead_daily",
        "within_calling_window",
        "fct_sms_opt_out_requests",
        "agg_campaign_daily",
        "reservations_offered",
        "is_repeat_inbound",
    ):
        assert table in asked, table
    # Spark 3.5 reads neither `::` casts nor PostgreSQL's interval arithmetic.
    assert "::" not in asked


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
