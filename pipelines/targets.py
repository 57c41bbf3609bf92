"""Where a run writes: a DuckDB file or a PostgreSQL server, as ``WAREHOUSE`` says.

The run itself (``pipelines.cli``) is one sequence for both: take the lock, open a connection
for the run log and the source registry, load through dlt, build with dbt, log the outcome.
A target answers the few questions whose answers differ: how loads are kept apart, how to
connect, where dlt keeps its state, what dbt's profile needs, and whether analysts read a
published copy (a DuckDB file, which one writer holds) or the warehouse itself (a server).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from pipelines.archive.sql import quote_literal
from pipelines.errors import NoWarehouse, WarehouseConfigError
from pipelines.postgres import AdvisoryLock, Connection, PostgresServer, is_postgres
from pipelines.settings import DEFAULT_WAREHOUSE, SEGMENT_DATASET
from pipelines.sources import RESERVED_SCHEMAS
from pipelines.warehouse import LoadLock, wait_for_warehouse

log = logging.getLogger("pipelines.load")

REWRITE_MEMORY_LIMIT = "512MB"


@dataclass(frozen=True)
class DuckDBFile:
    """A DuckDB file: a lock file beside it, one writing process at a time, and an analysts'
    copy published after every run that changed something."""

    path: Path
    has_analysts_copy = True

    def __str__(self) -> str:
        return str(self.path)

    def prepare(self, command: str, schemas: frozenset[str] = frozenset()) -> None:
        """Refuse, before anything is written, a path DuckDB or dlt cannot take, and say when a
        new warehouse is being created. ``schemas``: the raw schemas this run writes."""
        if self.path.is_dir():
            raise WarehouseConfigError(
                f"WAREHOUSE {self.path} is a folder: give the path of a DuckDB file in it, "
                f"e.g. {self.path / 'warehouse.duckdb'}"
            )
        if "'" in str(self.path.resolve()):
            raise WarehouseConfigError(
                f"WAREHOUSE {self.path}: its path holds an apostrophe, which dlt's DuckDB loader "
                "cannot put into SQL: choose a folder and file name without one"
            )
        # DuckDB names the file's catalog after its stem: a catalog named like one of its
        # schemas makes every `schema.table` ambiguous.
        taken = {*RESERVED_SCHEMAS, SEGMENT_DATASET, *schemas}
        if self.path.stem in taken:
            raise WarehouseConfigError(
                f"WAREHOUSE {self.path}: a file named {self.path.stem!r} clashes with the "
                f"warehouse's schema of that name (DuckDB names a file's catalog after it): "
                f"choose another name, e.g. {self.path.with_stem('warehouse')}"
            )
        if not self.path.exists():
            if command not in ("load", "ingest"):
                raise NoWarehouse(f"no warehouse at {self.path}: load it first (`make load`)")
            # A typo in WAREHOUSE would otherwise load a whole new warehouse without a word.
            log.warning("creating a new warehouse at %s", self.path.resolve())
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def lock(self, wait_seconds: float) -> AbstractContextManager:
        return LoadLock(self.path, wait_seconds)

    def connect(self, busy_wait: float):
        return wait_for_warehouse(self.path, busy_wait)

    def commit(self, connection) -> None:
        """Write what the run logged into the file itself, not only DuckDB's journal."""
        connection.execute("CHECKPOINT")

    @property
    def state_anchor(self) -> Path:
        return self.path

    def load_arguments(self, connection) -> dict:
        """How ``load.load_source`` reaches the file: through the run's own connection,
        so no other process can take the file between dlt's steps."""
        return {"connection": connection}

    def dbt_environment(self) -> dict[str, str]:
        return {"WAREHOUSE": str(self.path.resolve())}

    def erase_deleted(self, connection, tables: list[str]):
        """Rewrite the whole file: DuckDB keeps a deleted row's bytes in its blocks (and frees
        blocks without clearing them), so only a new file leaves nothing of it. The copy keeps
        every table, view, comment and constraint; the connection is opened again on it."""
        (catalog,) = connection.execute("SELECT current_database()").fetchone()
        fresh = self.path.with_name(self.path.name + ".rewrite")
        fresh.unlink(missing_ok=True)
        connection.execute("CHECKPOINT")
        # Bounded, as a load is: measured on a 1.4 GB warehouse of 5M messages, 27 s and a
        # 612 MB peak with this limit, 19 s and 3.4 GB without.
        connection.execute(f"SET memory_limit = '{REWRITE_MEMORY_LIMIT}'")
        connection.execute(f"ATTACH {quote_literal(str(fresh))} AS rewritten")
        connection.execute(f'COPY FROM DATABASE "{catalog}" TO rewritten')
        connection.execute("DETACH rewritten")
        connection.close()
        fresh.replace(self.path)
        return wait_for_warehouse(self.path, 0)


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL database: an advisory lock, any number of connections, no copy."""

    server: PostgresServer
    state_folder: Path = DEFAULT_WAREHOUSE.parent
    has_analysts_copy = False

    def __str__(self) -> str:
        return str(self.server)

    def prepare(self, command: str, schemas: frozenset[str] = frozenset()) -> None:
        """Nothing: the server was reached when the target was made (``target_of``)."""

    def lock(self, wait_seconds: float) -> AbstractContextManager:
        return AdvisoryLock(self.server, wait_seconds)

    def connect(self, busy_wait: float) -> Connection:
        return Connection(self.server.connect())

    def commit(self, connection: Connection) -> None:
        """Every statement of the run's bookkeeping has committed already (autocommit)."""

    @property
    def state_anchor(self) -> Path:
        return self.server.state_anchor(self.state_folder)

    def load_arguments(self, connection: Connection) -> dict:
        """How ``load.load_source`` reaches the server: dlt's postgres destination, on
        connections of its own."""
        return {"destination": self.server.dlt_destination()}

    def dbt_environment(self) -> dict[str, str]:
        return {"WAREHOUSE": str(self.server), **self.server.libpq_environment()}

    def erase_deleted(self, connection: Connection, tables: list[str]) -> Connection:
        """``VACUUM FULL`` each table rows were deleted from: PostgreSQL keeps deleted rows
        in its pages until then, and the rewrite leaves them in no table file (WAL and
        backups keep them until they age out)."""
        for table in tables:
            schema, name = table.split(".", 1)
            connection.execute(f'VACUUM FULL "{schema}"."{name}"')
        return connection


def target_of(setting: str, state_folder: Path | None = None) -> DuckDBFile | PostgresTarget:
    """The target a WAREHOUSE value names: a PostgreSQL URL (or ``postgres``, for the server
    in dlt's config), else a DuckDB file. ``state_folder`` holds dlt's state for a server
    (``data/`` by default); a DuckDB file keeps it beside itself."""
    if is_postgres(setting):
        # Reached once, before anything else: unreachable or refused is said at once, and dlt
        # and dbt connect as libpq settled (a socket folder, a .pgpass password…).
        server = PostgresServer.from_setting(setting).resolved()
        return PostgresTarget(server, state_folder or DEFAULT_WAREHOUSE.parent)
    return DuckDBFile(Path(setting))
