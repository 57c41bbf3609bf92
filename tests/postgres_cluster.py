"""A throwaway PostgreSQL server for the tests: Debian's PostgreSQL 15 binaries, a cluster in
a temporary folder owned by the ``postgres`` user, listening on a free port of 127.0.0.1 with
trust authentication over loopback; stopped and removed afterwards.

Missing binaries fail the test that needs them with what to install, never skip it: a suite
that quietly skips the server tests would report a green run that tested nothing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_USER = "postgres"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str) -> subprocess.CompletedProcess:
    """Run ``command`` as the ``postgres`` user: initdb refuses to run as root."""
    if os.geteuid() != 0:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    return subprocess.run(
        ["runuser", "-u", POSTGRES_USER, "--", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_installed() -> None:
    missing = [name for name in ("initdb", "pg_ctl") if not (POSTGRES_BIN / name).exists()]
    if missing:
        pytest.fail(
            f"PostgreSQL server binaries not found in {POSTGRES_BIN} ({', '.join(missing)}): "
            "install Debian's postgresql-15 (apt-get install -y postgresql-15), or set "
            "POSTGRES_BIN to the folder holding initdb and pg_ctl"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            pytest.fail(f"no {POSTGRES_USER!r} user to run the server as: install postgresql-15")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields its URL (``postgresql://postgres@127.0.0.1:PORT/postgres``)."""
    _check_installed()
    folder = Path(tempfile.mkdtemp(prefix="regal-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, POSTGRES_USER, POSTGRES_USER)
    port = _free_port()
    try:
        created = _as_postgres(
            str(POSTGRES_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            POSTGRES_USER,
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
        )
        assert created.returncode == 0, f"initdb failed:\n{created.stdout}{created.stderr}"
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        started = _as_postgres(
            str(POSTGRES_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "server.log"),
            "-w",
            "start",
        )
        log = folder / "server.log"
        assert started.returncode == 0, (
            f"pg_ctl start failed:\n{started.stdout}{started.stderr}"
            + (log.read_text() if log.exists() else "")
        )
        yield f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def dlt_destination(url: str):
    """dlt's postgres destination for the server at ``url`` (trust authentication takes any
    password; dlt insists on one)."""
    import dlt

    return dlt.destinations.postgres(credentials=url.replace("@", ":trust@", 1))


def dbt_build(url: str, work: Path, *options: str) -> None:
    """``dbt build`` of the project on the server at ``url``, as the committed profile's
    postgres target reaches it (WAREHOUSE picks the target, the PG* variables connect);
    dbt's target and log folders in ``work``."""
    from pipelines.transform import dbt_command

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
