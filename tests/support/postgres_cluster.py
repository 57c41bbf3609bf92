"""A throwaway PostgreSQL server, for the tests and ``make bench``: Debian's PostgreSQL 15
binaries, a cluster in a temporary folder owned by the ``postgres`` user, listening on a free
port of 127.0.0.1 with trust authentication over loopback; stopped and removed afterwards.
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

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_USER = "postgres"


class NoPostgres(RuntimeError):
    """The server binaries (or the user to run them as) are not installed."""


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
        raise NoPostgres(
            f"PostgreSQL server binaries not found in {POSTGRES_BIN} ({', '.join(missing)}): "
            "install Debian's postgresql-15 (apt-get install -y postgresql-15), or set "
            "POSTGRES_BIN to the folder holding initdb and pg_ctl"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            raise NoPostgres(
                f"no {POSTGRES_USER!r} user to run the server as: install postgresql-15"
            ) from None


@contextmanager
def postgres_server(durable: bool = False) -> Iterator[str]:
    """A running server; yields its URL (``postgresql://postgres@127.0.0.1:PORT/postgres``).

    Not ``durable``, it skips fsync (tests need no crash safety and run faster); the bench
    asks for a durable one, as a production server is."""
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
        if created.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{created.stdout}{created.stderr}")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
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
        if started.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed:\n{started.stdout}{started.stderr}"
                + (log.read_text() if log.exists() else "")
            )
        yield f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
