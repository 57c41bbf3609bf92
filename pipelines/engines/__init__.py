"""Where a run writes: one module per engine behind one small interface.

The run (``pipelines.runner``) is one sequence for every engine: take the lock, open a
connection for the run log and the source registry, load through dlt, build with dbt, publish
for analysts, log the outcome. An engine answers the few questions whose answers differ, and
nothing outside ``pipelines/engines/`` (and ``dbt_project/macros/cross_db.sql`` for the
models) names one. Adding an engine is adding a module here, its entry in ``ENGINES`` and a
target in ``dbt_project/profiles.yml``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from dlt.common.destination import Destination

    from pipelines.ops.catalog import Sql


class Engine(ABC):
    """A warehouse on one engine, as ``WAREHOUSE`` names it."""

    name: ClassVar[str]
    # Whether analysts read a published copy (and ``publish`` writes it) rather than the
    # warehouse itself.
    has_analysts_copy: ClassVar[bool] = False
    # The engine's own address of a row, to delete one copy of two identical rows; None where
    # a load's table commits cannot repeat a row (Iceberg's merges).
    row_address: ClassVar[str | None]
    # Whether dbt runs inside this process (sharing a session the engine started) rather than
    # as its own program.
    dbt_in_process: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def accepts(cls, setting: str) -> bool:
        """Whether a ``WAREHOUSE`` value names a warehouse on this engine."""

    @classmethod
    @abstractmethod
    def from_setting(
        cls, setting: str, state_folder: Path | None = None, reach: bool = True
    ) -> Engine:
        """The warehouse ``setting`` names. With ``reach``, a server is reached once here, so
        that an unreachable or refusing one is said before anything else (a command that
        hands the setting to another program, such as ``shell``, leaves that to it)."""

    @property
    def is_new(self) -> bool:
        """True when nothing was ever written there (checks that only a new warehouse
        needs); False when unknown."""
        return False

    def prepare(self, command: str, schemas: frozenset[str] = frozenset()) -> None:
        """Refuse, before anything is written, a warehouse the command cannot use.
        ``schemas``: the raw schemas this run writes."""
        return None

    @abstractmethod
    def lock(self, wait_seconds: float) -> AbstractContextManager:
        """Held for a whole run: two runs never interleave."""

    @abstractmethod
    def connect(self, busy_wait: float) -> Sql:
        """A connection for the run's bookkeeping (run log, registry, build plan, forget)."""

    def commit(self, connection: Sql) -> None:
        """Make what the run logged durable."""
        return None

    @property
    @abstractmethod
    def state_anchor(self) -> Path:
        """dlt's pipeline state lives beside this path (``<name>.dlt``), and the warehouse's
        own suppression list."""

    @abstractmethod
    def dlt_destination(self, connection: Sql) -> Destination:
        """Where dlt loads the raw tables; ``connection`` is the run's own."""

    # The table format dlt writes the raw tables in, where it is not the engine's own.
    table_format: ClassVar[str | None] = None

    def raw_sql(self, pipeline, connection: Sql | None):
        """A context manager giving SQL on the pipeline's raw schema (``engines.raw``)."""
        from pipelines.engines.raw import dlt_raw_sql

        return dlt_raw_sql(pipeline)

    def after_load(self, connection: Sql | None, dataset: str) -> None:
        """What the engine does once dlt has loaded a source (Spark registers its tables)."""
        return None

    @abstractmethod
    def dbt_environment(self) -> dict[str, str]:
        """What the committed ``profiles.yml`` reads to reach the warehouse."""

    @abstractmethod
    def newest_value(self, column: str, order: str) -> str:
        """SQL for a column's newest non-null value in a group, by ``order``."""

    def set_aside_older_sample(self, sample_root: Path) -> None:
        """Before the bundled sample loads: move aside a warehouse built from an older
        release's sample (see ``pipelines.engines.duckdb.older_sample``)."""
        return None

    def analysts_copy_exists(self) -> bool:
        """Whether the published copy is there (asked only of an engine that has one)."""
        return False

    def publish(self, connection: Sql, keep_hours: float):
        """Bring what analysts read up to date and return what was done (its ``describe()``
        is logged); None when they read the warehouse itself."""
        return None

    @abstractmethod
    def erase_deleted(self, connection: Sql, tables: list[str]) -> Sql:
        """Leave nothing of deleted rows in the storage; the connection, reopened if needed."""

    @abstractmethod
    def shell(self, sql: str | None, to_terminal: bool) -> int:
        """The SQL prompt on what analysts read (``make shell``), read-only; ``sql`` run alone
        when given. Its exit code."""

    def analysts_file(self) -> Path | None:
        """The DuckDB file analysts open; None where they read a server or a lake."""
        return None

    def reader(self):
        """A read-only DuckDB connection on what analysts read (``make report`` reads it),
        which never waits for a load; None where the engine has none (a server, read
        directly)."""
        return None

    def report_path(self) -> Path | None:
        """Where ``make report`` writes its page."""
        return None


def engine_classes() -> list[type[Engine]]:
    """Every engine, most specific first: the last accepts any path (a DuckDB file)."""
    from pipelines.engines.duckdb import DuckDBFile
    from pipelines.engines.postgres import PostgresDatabase
    from pipelines.engines.spark import IcebergLake

    return [PostgresDatabase, IcebergLake, DuckDBFile]


def engine_for(setting: str, state_folder: Path | None = None, reach: bool = True) -> Engine:
    """The warehouse a ``WAREHOUSE`` value names. ``state_folder`` holds dlt's state for a
    warehouse that is no file (``data/`` by default); a DuckDB file keeps it beside itself."""
    for engine in engine_classes():
        if engine.accepts(setting):
            return engine.from_setting(setting, state_folder, reach)
    raise AssertionError("the last engine accepts any setting")
