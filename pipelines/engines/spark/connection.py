"""The run's connection to a lake: the ``Sql`` protocol over one Spark session.

Statements are written in DuckDB's dialect, as for every engine, and transpiled to Spark SQL
(``dialect.to_spark``); ``?`` parameters go to Spark as positional arguments. Spark keeps no
``information_schema``: the catalog questions (``table_exists``, ``schemas_with_table``,
``columns_of``) are answered from Spark's catalog.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.engines.spark.dialect import to_spark
from pipelines.engines.spark.store import LakeStore


def _utc(value):
    """Spark's timestamps are instants shown in the session's zone (UTC): say so, as DuckDB
    and PostgreSQL do for a TIMESTAMPTZ."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


NO_TRANSACTIONS = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "BEGIN TRANSACTION"})


class SparkSql:
    def __init__(self, session, store: LakeStore) -> None:
        self.session = session
        self.store = store
        self._rows: list[tuple] = []

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> SparkSql:
        rows: list = []
        if sql.strip().upper() in NO_TRANSACTIONS:
            # Spark has none: each Iceberg table commits on its own. A run that stops between
            # two tables' commits is completed by the next (forget: the suppression list).
            self._rows = []
            return self
        for statement in to_spark(sql, self._table_columns):
            if statement.upper().startswith(("CREATE SCHEMA", "CREATE DATABASE")):
                statement = self._located(statement)
            result = self.session.sql(statement, args=list(parameters) if parameters else None)
            rows = result.collect()
        self._rows = [tuple(map(_utc, row)) for row in rows]
        return self

    def _located(self, statement: str) -> str:
        """A schema's tables at ``<lake>/<schema>/<table>/`` (Hive would add ``.db``)."""
        name = statement.split()[-1].strip("`")
        return f"{statement} LOCATION '{self.store.join(name)}'"

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple]:
        return list(self._rows)

    def close(self) -> None:
        """The session stays for the run (dbt runs in it too); the process's end stops it."""

    def _table_columns(self, qualified: str) -> list[str]:
        return [column.name for column in self.session.catalog.listColumns(qualified)]

    # The catalog questions, from Spark's catalog.
    def table_exists(self, schema: str, table: str) -> bool:
        return self.session.catalog.tableExists(f"{schema}.{table}")

    def schemas_with_table(self, table: str) -> list[str]:
        return sorted(
            database.name
            for database in self.session.catalog.listDatabases()
            if self.session.catalog.tableExists(f"{database.name}.{table}")
        )

    def columns_of(self, schema: str, table: str) -> list[str]:
        return self._table_columns(f"{schema}.{table}")

    def base_table_columns(self, schemas) -> list[tuple[str, str, str, str]]:
        found = []
        catalog = self.session.catalog
        for schema in schemas:
            if not catalog.databaseExists(schema):
                continue
            for table in sorted(catalog.listTables(schema), key=lambda table: table.name):
                if table.isTemporary or table.tableType == "VIEW":
                    continue
                for column in catalog.listColumns(f"{schema}.{table.name}"):
                    found.append((schema, table.name, column.name, column.dataType.lower()))
        return found


class SparkRawSql:
    """SQL on one raw schema of the lake (``pipelines.engines.raw``'s interface)."""

    def __init__(self, connection: SparkSql, dataset: str) -> None:
        self.connection = connection
        self.dataset = dataset

    def execute_sql(self, sql: str) -> list[tuple]:
        return self.connection.execute(sql).fetchall()

    def qualified(self, table: str) -> str:
        return f'"{self.dataset}"."{table}"'

    def table_exists(self, table: str) -> bool:
        return self.connection.table_exists(self.dataset, table)

    def columns_of(self, table: str) -> list[str]:
        if not self.table_exists(table):
            return []
        return self.connection.columns_of(self.dataset, table)

    def scratch_table(self, name: str, select: str) -> str:
        """An Iceberg table beside the raw ones (Spark has no temporary tables), dropped by
        the caller; one left by a killed run is replaced."""
        table = self.qualified(name)
        self.drop_scratch_table(table, if_exists=True)
        self.execute_sql(f"CREATE TABLE {table} AS {select}")
        return table

    def drop_scratch_table(self, table: str, if_exists: bool = False) -> None:
        """Its files too (``PURGE``): a dropped Iceberg table otherwise leaves its folder."""
        exists = "IF EXISTS " if if_exists else ""
        self.connection.session.sql(
            f"DROP TABLE {exists}{table.replace(chr(34), '`')} PURGE"
        ).collect()
        # Spark deletes the files of a local table, not its folders (S3 has no folders).
        if self.connection.store.is_remote:
            return
        name = table.split(".")[-1].strip('"`')
        folder = Path(self.connection.store.join(self.dataset, name))
        if folder.is_dir() and not any(path.is_file() for path in folder.rglob("*")):
            shutil.rmtree(folder)
