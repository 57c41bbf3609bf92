"""A DuckDB file as the warehouse (the default, ``data/warehouse.duckdb``).

DuckDB lets one process write a file, and any connection keeps writers out: a load takes a
lock file beside it (``lock``), and analysts read a published copy of views over Parquet files
(``analysts_copy``) that no load writes in place.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from pipelines.engines import Engine
from pipelines.engines.duckdb.lock import (
    LoadLock,
    published_path,
    report_path,
    wait_for_warehouse,
)
from pipelines.errors import NoAnalystsCopy, NoWarehouse, WarehouseConfigError
from pipelines.segment_archive.sql import quote_literal
from pipelines.settings import RESERVED_SCHEMAS, SEGMENT_DATASET

log = logging.getLogger(__name__)

# DuckDB's memory for merging a run into the warehouse; beyond it DuckDB spills to disk. Keeps
# a load's peak memory bounded whatever the size of the run.
LOAD_MEMORY_LIMIT = "256MB"
REWRITE_MEMORY_LIMIT = "512MB"


@dataclass(frozen=True)
class DuckDBFile(Engine):
    """A DuckDB file: a lock file beside it, one writing process at a time, and an analysts'
    copy published after every run that changed something."""

    path: Path
    name = "duckdb"
    has_analysts_copy = True
    row_address = "rowid"

    @classmethod
    def accepts(cls, setting: str) -> bool:
        return True

    @classmethod
    def from_setting(
        cls, setting: str, state_folder: Path | None = None, reach: bool = True
    ) -> DuckDBFile:
        return cls(Path(setting))

    def __str__(self) -> str:
        return str(self.path)

    @property
    def is_new(self) -> bool:
        return not self.path.exists()

    def prepare(self, command: str, schemas: frozenset[str] = frozenset()) -> None:
        """Refuse, before anything is written, a path DuckDB or dlt cannot take, and say when a
        new warehouse is being created."""
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

    def connect(self, busy_wait: float) -> duckdb.DuckDBPyConnection:
        return wait_for_warehouse(self.path, busy_wait)

    def commit(self, connection) -> None:
        """Write what the run logged into the file itself, not only DuckDB's journal."""
        connection.execute("CHECKPOINT")

    @property
    def state_anchor(self) -> Path:
        return self.path

    def dlt_destination(self, connection):
        """Through the run's own connection (when given), so no other process can take the
        file between dlt's steps."""
        target = connection if connection is not None else str(self.path)
        return dlt.destinations.duckdb(
            DuckDbCredentials(target, global_config={"memory_limit": LOAD_MEMORY_LIMIT})
        )

    def dbt_environment(self) -> dict[str, str]:
        return {"WAREHOUSE": str(self.path.resolve())}

    def newest_value(self, column: str, order: str) -> str:
        return f"arg_max({column}, {order}) FILTER (WHERE {column} IS NOT NULL)"

    @contextmanager
    def raw_sql(self, pipeline, connection):
        """The loader's own steps after dlt's load (Segment's ``users``: one ``arg_max`` per
        trait over every identify) under the rewrite's bound, not the load's: at 5M messages
        the users of 186k identifies ran out of the load's 256 MB now and then, the run
        failing after every file was read."""
        from pipelines.engines.raw import dlt_raw_sql

        with dlt_raw_sql(pipeline) as raw:
            raw.execute_sql(f"SET memory_limit = '{REWRITE_MEMORY_LIMIT}'")
            try:
                yield raw
            finally:
                raw.execute_sql(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")

    def set_aside_older_sample(self, sample_root: Path) -> None:
        from pipelines.engines.duckdb.older_sample import replace_older_sample

        replace_older_sample(self.path, sample_root)

    def analysts_copy_exists(self) -> bool:
        return published_path(self.path).exists()

    def publish(self, connection, keep_hours: float):
        from pipelines.engines.duckdb.analysts_copy import publish

        return publish(connection, self.path, keep_hours)

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

    def shell(self, sql: str | None, to_terminal: bool) -> int:
        """DuckDB's shell on the analysts' copy, read-only."""
        catalog = published_path(self.path)
        if not catalog.exists():
            raise NoAnalystsCopy(
                f"no analysts' copy at {catalog}: run `make load` (or `make transform`) first"
            )
        code = subprocess.run(shell_command(catalog, sql, to_terminal), check=False).returncode
        # An interactive session ends with 1 when any statement in it failed: the analyst saw
        # each error already, and make would add its own "Error 1" line and exit 2.
        return code if sql else 0

    def analysts_file(self) -> Path:
        return published_path(self.path)

    def reader(self):
        import duckdb

        catalog = published_path(self.path)
        if not catalog.exists():
            raise NoAnalystsCopy(f"no analysts' copy at {catalog}: run `make load` first")
        return duckdb.connect(str(catalog), read_only=True)

    def report_path(self) -> Path:
        return report_path(self.path)


def shell_command(catalog: Path, sql: str | None, to_terminal: bool) -> list[str]:
    """DuckDB's shell on ``catalog``, read-only; ``sql`` run alone when given. Off a terminal
    (a pipe, a file, cron mail) no colour codes and no terminal queries."""
    command = [str(Path(sys.executable).with_name("duckdb")), "-readonly"]
    if not to_terminal:
        command += ["-light-mode", "-cmd", ".highlight_results off"]
    command.append(str(catalog))
    if sql:
        command += ["-c", sql]
    return command
