"""Exclusive use of a DuckDB warehouse file by one load.

DuckDB lets one process write a file, and any connection (even read-only) keeps writers out.
So a load takes a lock file first (two loads never interleave), then opens the warehouse,
waiting with backoff while another process holds it and naming that process. Analysts read
a published catalog instead (``analysts_copy``), which no load ever writes in place.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.engines.lockfile import LoadLock, lock_path  # noqa: F401 (the DuckDB file's lock)
from pipelines.errors import WarehouseBusy

log = logging.getLogger(__name__)

HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def published_path(warehouse: Path) -> Path:
    """Where analysts read: ``data/warehouse.duckdb`` → ``data/warehouse.analytics.duckdb``."""
    return warehouse.with_name(f"{warehouse.stem}.analytics{warehouse.suffix}")


def report_path(warehouse: Path) -> Path:
    """``make report``'s page: ``data/warehouse.duckdb`` → ``data/warehouse.report.html``."""
    return warehouse.with_name(f"{warehouse.stem}.report.html")


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
