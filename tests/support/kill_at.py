"""``python -m tests.support.kill_at POINT ARGS…``: ``python -m pipelines ARGS…``, SIGKILLed
at POINT.

Each point wraps one real function of the load (ours, dlt's or the dbt call) so the process
group dies exactly there, as it would under ``kill -9`` or the OOM killer. Start it in its own
session: the whole group dies, dbt included, and nothing else.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

import dlt
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
from dlt.destinations.job_client_impl import SqlLoadJob
from dlt.load.load import Load
from dlt.normalize.items_normalizers.arrow import ArrowItemsNormalizer

import pipelines.cli
import pipelines.ingest.load
import pipelines.ops.run_log
import pipelines.segment_archive
import pipelines.segment_archive.preparation
import pipelines.transform.project
from pipelines.segment_archive.preparation import FilePreparer
from pipelines.settings import BRAND_SOURCE_ID


def kill() -> None:
    sys.stdout.flush()
    if os.getpgrp() == os.getpid():  # our own session: take dbt down with us
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def kill_on_call(
    owner: object,
    name: str,
    nth: int = 1,
    when: Callable[..., bool] | None = None,
    on_return: bool = False,
) -> None:
    """Die on entering (or ``on_return``, leaving) the ``nth`` call of ``owner.name`` for
    which ``when`` holds."""
    original = getattr(owner, name)
    calls = 0
    lock = threading.Lock()

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        nonlocal calls
        if when is None or when(*args, **kwargs):
            with lock:
                calls += 1
                fatal = calls == nth
            if fatal and not on_return:
                kill()
            result = original(*args, **kwargs)
            if fatal:
                kill()
            return result
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def kill_during_dbt_build(models_done: int) -> None:
    """Run dbt as the product does, and die once ``models_done`` models are built."""
    original = subprocess.run

    def run(command, *args, **kwargs):
        if "build" not in command:
            return original(command, *args, **kwargs)
        dbt = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=kwargs.get("env"))
        done = 0
        for line in dbt.stdout:
            sys.stdout.write(line)
            done += " OK created " in line
            if done == models_done:
                kill()
        return subprocess.CompletedProcess(command, dbt.wait())

    pipelines.transform.project.subprocess.run = run


def brand_files(_self, items) -> bool:
    return any(BRAND_SOURCE_ID in item["file_url"] for item in items)


def in_units_of(files: int) -> None:
    """Prepare at most ``files`` files together, so a run has several units to die between."""
    pipelines.segment_archive.preparation.BATCH_FILES = files


POINTS: dict[str, Callable[[], None]] = {
    "listing files": lambda: kill_on_call(pipelines.segment_archive, "is_archive_file", 3),
    "reading the first file": lambda: kill_on_call(FilePreparer, "prepare_files", 1),
    "reading, earlier files extracted": lambda: (
        in_units_of(2),
        kill_on_call(FilePreparer, "prepare_files", 3),
    ),
    "reading the second source": lambda: kill_on_call(
        FilePreparer, "prepare_files", 1, brand_files
    ),
    "extracted, not normalized": lambda: kill_on_call(dlt.Pipeline, "normalize", 1),
    "normalizing": lambda: kill_on_call(ArrowItemsNormalizer, "__call__", 3),
    "normalized, not loaded": lambda: kill_on_call(dlt.Pipeline, "load", 1),
    "loading, tables half copied": lambda: kill_on_call(DuckDbCopyJob, "run", 3),
    "loading, a copy committed but not recorded": lambda: kill_on_call(
        DuckDbCopyJob, "run", 2, on_return=True
    ),
    "loading, merging staged rows": lambda: kill_on_call(SqlLoadJob, "run", 1),
    "loaded, package not completed": lambda: kill_on_call(Load, "complete_package", 1),
    "loaded, users not refreshed": lambda: kill_on_call(pipelines.ingest.load, "refresh_users", 2),
    "dbt build half way": lambda: kill_during_dbt_build(models_done=12),
    "built, run not logged": lambda: kill_on_call(pipelines.ops.run_log, "finish_run", 1),
    "publishing the analysts' copy": lambda: kill_on_call(
        os, "replace", 1, lambda _src, dst, **_: str(dst).endswith(".analytics.duckdb")
    ),
}


def main(argv: list[str]) -> int:
    point, *arguments = argv
    POINTS[point]()
    return pipelines.cli.main(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
