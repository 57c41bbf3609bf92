"""The tests' PostgreSQL helpers: a throwaway server (which fails the test, never skips it,
when PostgreSQL is not installed), dlt's destination for it, and dbt on its postgres target."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import postgres_cluster as cluster


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running throwaway server (``tests/support/postgres_cluster.py``); yields its URL.

    Missing binaries fail the test that needs them with what to install, never skip it: a
    suite that quietly skips the server tests would report a green run that tested nothing.
    """
    try:
        with cluster.postgres_server() as url:
            yield url
    except cluster.NoPostgres as missing:
        pytest.fail(str(missing))


def postgres_engine(url: str, state_folder: Path):
    """The warehouse engine for the server at ``url``, as ``WAREHOUSE=url`` makes it; dlt's
    state in ``state_folder``."""
    from pipelines.engines.postgres import PostgresDatabase

    return PostgresDatabase.from_setting(url, state_folder)


def dbt_build(url: str, work: Path, *options: str) -> None:
    """``dbt build`` of the project on the server at ``url``, as the committed profile's
    postgres target reaches it (WAREHOUSE picks the target, the PG* variables connect);
    dbt's target and log folders in ``work``."""
    from pipelines.transform.project import dbt_command

    address = urlparse(url)
    env = {
        **os.environ,
        "WAREHOUSE": url,
        "PGHOST": address.hostname,
        "PGPORT": str(address.port),
        "PGUSER": address.username,
        "PGDATABASE": address.path.lstrip("/"),
        "DBT_USE_COLORS": "false",
    }
    command = dbt_command(
        "build", *options, "--target-path", str(work / "target"), "--log-path", str(work / "logs")
    )
    built = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout[-6000:]
