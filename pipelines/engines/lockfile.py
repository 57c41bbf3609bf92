"""A run's lock: a file beside the warehouse (or in the lake) that the kernel releases when the
process holding it dies, so two runs never interleave and a killed one leaves nothing behind.
The DuckDB and Spark engines take it; a server engine takes the server's own lock instead."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from pipelines.errors import AnotherLoadRunning


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


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
