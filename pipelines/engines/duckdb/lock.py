"""Exclusive use of a DuckDB warehouse file by one load.

DuckDB lets one process write a file, and any connection (even read-only) keeps writers out.
So a load takes a lock file first (two loads never interleave), then opens the warehouse,
waiting with backoff while another process holds it and naming that process. Analysts read
a published catalog instead (``analysts_copy``), which no load ever writes in place.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import AnotherLoadRunning, WarehouseBusy

log = logging.getLogger(__name__)

HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def published_path(warehouse: Path) -> Path:
    """Where analysts read: ``data/warehouse.duckdb`` → ``data/warehouse.analytics.duckdb``."""
    return warehouse.with_name(f"{warehouse.stem}.analytics{warehouse.suffix}")


def report_path(warehouse: Path) -> Path:
    """``make report``'s page: ``data/warehouse.duckdb`` → ``data/warehouse.report.html``."""
    return warehouse.with_name(f"{warehouse.stem}.report.html")


class LoadLock:
    """An advisory lock beside the warehouse, released by the kernel if the load dies."""

    def __init__(self, warehouse: Path, wait_seconds: float = 0.0) -> None:
        self.path = lock_path(warehouse)
        self.wait_seconds = wait_seconds
        self._file = None

    def _holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def __enter__(self) -> LoadLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # held open for the whole load
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise AnotherLoadRunning(
                        f"another load is running ({self._holder()}); this run did nothing. "
                        f"Lock file: {self.path}. To wait for it instead, set LOCK_WAIT=<seconds> "
                        "(or --lock-wait)"
                    ) from None
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def describe_holder(message: str) -> str | None:
    """``pid N (command line)`` of the process DuckDB names in a lock conflict."""
    match = HOLDER.search(message)
    if match is None:
        return None
    pid = match["pid"]
    # The program only: its arguments may hold a password or a path that is nobody's business
    # in cron mail, and `ps -p PID` shows the rest to whoever may see it.
    try:
        program = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        program = Path(match["program"].split()[0]).name if match["program"].strip() else ""
    return f"pid {pid} ({program or 'unknown program'})"


@dataclass
class Backoff:
    """Waits of 1, 2, 4 … seconds (at most ``longest``) until ``total`` seconds have passed."""

    total: float
    first: float = 1.0
    longest: float = 30.0

    def waits(self) -> list[float]:
        waits, wait, spent = [], self.first, 0.0
        while spent < self.total:
            step = min(wait, self.longest, self.total - spent)
            waits.append(step)
            spent += step
            wait *= 2
        return waits


def wait_for_warehouse(warehouse: Path, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write, retrying with backoff while another process holds it;
    ``WarehouseBusy`` once ``wait_seconds`` have passed."""
    waits = Backoff(wait_seconds).waits()
    while True:
        try:
            return duckdb.connect(str(warehouse))
        except duckdb.IOException as error:
            holder = describe_holder(str(error))
            if holder is None:
                raise
            if not waits:
                raise WarehouseBusy(
                    f"{warehouse} is held by {holder} and was not released within "
                    f"{wait_seconds:g}s; analysts should open {published_path(warehouse)} "
                    "instead (README, 'Scheduled loads, analysts and other loads')"
                ) from None
            wait = waits.pop(0)
            log.warning("%s is held by %s; retrying in %gs", warehouse, holder, wait)
            time.sleep(wait)
