"""A PostgreSQL database as the warehouse: ``WAREHOUSE=postgresql://user@host:port/dbname``.

Reached as ``psql`` reaches it, locked with a session-level advisory lock, read by analysts
directly (there is no copy to publish); the server's details live in ``server``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from pipelines.engines import Engine
from pipelines.engines.postgres.server import (
    AdvisoryLock,
    Connection,
    PostgresServer,
    is_postgres,
)
from pipelines.errors import WarehouseConfigError
from pipelines.settings import DEFAULT_WAREHOUSE


@dataclass(frozen=True)
class PostgresDatabase(Engine):
    """A PostgreSQL database: an advisory lock, any number of connections, no copy."""

    server: PostgresServer
    state_folder: Path = DEFAULT_WAREHOUSE.parent
    name = "postgres"
    row_address = "ctid"

    @classmethod
    def accepts(cls, setting: str) -> bool:
        return is_postgres(setting)

    @classmethod
    def from_setting(
        cls, setting: str, state_folder: Path | None = None, reach: bool = True
    ) -> PostgresDatabase:
        # Reached once, before anything else: unreachable or refused is said at once, and dlt
        # and dbt connect as libpq settled (a socket folder, a .pgpass password…).
        server = PostgresServer.from_setting(setting)
        if reach:
            server = server.resolved()
        return cls(server, state_folder or DEFAULT_WAREHOUSE.parent)

    def __str__(self) -> str:
        return str(self.server)

    def lock(self, wait_seconds: float) -> AbstractContextManager:
        return AdvisoryLock(self.server, wait_seconds)

    def connect(self, busy_wait: float) -> Connection:
        return Connection(self.server.connect())

    def commit(self, connection: Connection) -> None:
        """Every statement of the run's bookkeeping has committed already (autocommit)."""

    @property
    def state_anchor(self) -> Path:
        return self.server.state_anchor(self.state_folder)

    def dlt_destination(self, connection):
        """dlt's postgres destination, on connections of its own."""
        return self.server.dlt_destination()

    def dbt_environment(self) -> dict[str, str]:
        return {"WAREHOUSE": str(self.server), **self.server.libpq_environment()}

    def newest_value(self, column: str, order: str) -> str:
        # PostgreSQL has no arg_max: the first of an ordered array_agg.
        return (
            f"(array_agg({column} ORDER BY {order} DESC) "
            f"FILTER (WHERE {column} IS NOT NULL AND {order} IS NOT NULL))[1]"
        )

    def erase_deleted(self, connection: Connection, tables: list[str]) -> Connection:
        """``VACUUM FULL`` each table rows were deleted from: PostgreSQL keeps deleted rows
        in its pages until then, and the rewrite leaves them in no table file (WAL and
        backups keep them until they age out)."""
        for table in tables:
            schema, name = table.split(".", 1)
            connection.execute(f'VACUUM FULL "{schema}"."{name}"')
        return connection

    def shell(self, sql: str | None, to_terminal: bool) -> int:
        """psql on the database: analysts read the server itself."""
        if shutil.which("psql") is None:
            raise WarehouseConfigError(
                "psql is not installed: install PostgreSQL's client (apt-get install -y "
                "postgresql-client), or connect with any PostgreSQL client"
            )
        command, environment = self.server.shell_command(sql)
        return subprocess.run(command, env={**os.environ, **environment}, check=False).returncode
