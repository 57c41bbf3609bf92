"""SQL on one source's raw schema, for the loader's own steps after dlt's load (the record of
read files, Segment's ``users`` table): through dlt's client where dlt's destination has one
that writes (DuckDB, PostgreSQL); an engine without one (Spark) gives its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation


class DltRawSql:
    """dlt's SQL client on the pipeline's dataset."""

    def __init__(self, client) -> None:
        self.client = client

    def execute_sql(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.client.execute_sql(sql) or []]

    def qualified(self, table: str) -> str:
        return self.client.make_qualified_table_name(table)

    def table_exists(self, table: str) -> bool:
        try:
            self.client.execute_sql(f"SELECT 1 FROM {self.qualified(table)} WHERE 1 = 0")
        except DatabaseUndefinedRelation:
            return False
        return True

    def scratch_table(self, name: str, select: str) -> str:
        """A temporary table of ``select``'s rows, for this connection only; its name."""
        self.client.execute_sql(f"DROP TABLE IF EXISTS {name}")
        self.client.execute_sql(f"CREATE TEMP TABLE {name} AS {select}")
        return name

    def drop_scratch_table(self, name: str) -> None:
        self.client.execute_sql(f"DROP TABLE {name}")

    def columns_of(self, table: str) -> list[str]:
        rows = self.client.execute_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            f"current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
        )
        return [row[0] for row in rows or []]


@contextmanager
def dlt_raw_sql(pipeline: dlt.Pipeline) -> Iterator[DltRawSql]:
    with pipeline.sql_client() as client:
        yield DltRawSql(client)
