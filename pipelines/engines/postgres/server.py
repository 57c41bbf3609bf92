"""A PostgreSQL server as the warehouse: ``WAREHOUSE=postgresql://user@host:port/dbname``.

A run on a server is the run on a DuckDB file (``pipelines.cli``): dlt's postgres destination
writes the raw schemas, the run log and the source registry go through the same SQL, and the
committed profile's ``postgres`` target builds the models. What differs lives here:

- **Credentials.** Connections are made the way ``psql`` makes them: libpq reads the URL, then
  the ``PG*`` variables, ``.pgpass`` and its socket folders, so a server with ``trust`` or
  ``peer`` authentication needs no password at all. A password given in the URL, else in
  dlt's config (``DESTINATION__POSTGRES__CREDENTIALS__PASSWORD``, or ``[destination.postgres.
  credentials]`` in ``.dlt/secrets.toml``), is handed to libpq; never from the repo. The
  first connection tells what libpq settled on (host or socket folder, port, user, password),
  and dlt and dbt connect with exactly that. ``WAREHOUSE=postgres`` takes the whole server
  from dlt's ``destination.postgres.credentials``.
- **Two loads at once.** A session-level advisory lock, held on its own connection for the
  whole run. The server releases it when that connection ends, so a killed load never leaves
  it behind, as the kernel does for the lock file beside a DuckDB warehouse.
- **Readers.** Analysts and BI tools connect to the server itself, which serves readers while
  a load writes; there is no analysts' copy to publish.

Over 300 lines because reaching a server as ``psql`` does (URL, ``PG*`` variables, ``.pgpass``,
sockets, dlt's config), the refusals that map to exit codes and the advisory lock are one
concern: how this product talks to a PostgreSQL server.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import psycopg2
import psycopg2.extensions
from dlt.common.configuration import configspec, resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from pipelines import redact
from pipelines.errors import AnotherLoadRunning, WarehouseConfigError, WarehouseUnreachable

log = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")
# WAREHOUSE values that name no server: dlt's destination config does.
FROM_DLT_CONFIG = ("postgres", "postgresql", *SCHEMES)
CONFIG_SECTIONS = ("destination", "postgres")
PASSWORD_HELP = (
    "give its password as DESTINATION__POSTGRES__CREDENTIALS__PASSWORD or PGPASSWORD in the "
    "environment, or as password under [destination.postgres.credentials] in .dlt/secrets.toml"
)
# One advisory lock key for every load of a database (advisory locks are per database); below
# 2**31, so pg_locks shows it whole in `objid`.
LOAD_LOCK_KEY = 0x5E6A1
CONNECT_TIMEOUT_SECONDS = 15


def is_postgres(setting: str) -> bool:
    """Whether a WAREHOUSE value names a PostgreSQL server rather than a DuckDB file."""
    return setting.startswith(SCHEMES) or setting in FROM_DLT_CONFIG


@configspec(init=False)
class LibpqCredentials(PostgresCredentials):
    """dlt's PostgreSQL credentials with the password optional, as it is to libpq: a server
    with ``trust`` or ``peer`` authentication, ``PGPASSWORD`` or ``.pgpass`` needs none."""

    password: Optional[TSecretStrValue] = None  # noqa: UP045 (dlt reads the annotation)


# What libpq says when the server refused who we are rather than could not be reached: no
# next run fixes these, so they are configuration errors.
REFUSALS = (
    "authentication failed",
    "no password supplied",
    "password is required",
    "pg_hba.conf",
    "does not exist",  # the role or the database
    "permission denied for database",
    "invalid integer value",
    "invalid port",
    "invalid connection option",
)


@dataclass(frozen=True)
class PostgresServer:
    """The server and database a run writes to. ``host`` is a host name or a socket folder,
    ``None`` where libpq is to choose (``PGHOST``, its default socket); ``password`` is None
    where libpq is to find it (``PGPASSWORD``, ``.pgpass``) or none is needed."""

    host: str | None
    port: int | None
    user: str | None
    database: str
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_setting(cls, setting: str) -> PostgresServer:
        if setting in FROM_DLT_CONFIG:
            credentials = _resolve_credentials(None)
            server = cls(
                host=credentials.host,
                port=int(credentials.port or 5432),
                user=credentials.username,
                database=credentials.database,
                password=str(credentials.password) if credentials.password else None,
            )
        else:
            server = cls._from_url(setting)
        redact.remember(server.password)
        return server

    @classmethod
    def _from_url(cls, url: str) -> PostgresServer:
        shown = redact.redact(url.split("?")[0])
        try:
            params = psycopg2.extensions.parse_dsn(url)
        except psycopg2.ProgrammingError as error:
            reason = redact.redact(" ".join(str(error).split()))
            raise WarehouseConfigError(
                f"WAREHOUSE is not a PostgreSQL URL ({reason}): give it as "
                "postgresql://user@host:port/dbname"
            ) from None
        if not params.get("dbname"):
            raise WarehouseConfigError(
                f"{shown}: the URL names no database: give it as postgresql://user@host:port/dbname"
            )
        port = params.get("port")
        if port is not None and not port.isdigit():
            raise WarehouseConfigError(
                f"{shown}: the port {port!r} is not a number: give it as "
                "postgresql://user@host:port/dbname"
            )
        password = params.get("password") or _configured_password()
        return cls(
            host=params.get("host") or None,
            port=int(port) if port else None,
            user=params.get("user") or None,
            database=params["dbname"],
            password=password,
        )

    def __str__(self) -> str:
        """The server as logs name it: never with its password."""
        host = self.host or ""
        if host.startswith("/"):  # a socket folder, as libpq's URLs take one
            return f"postgresql://{self.user or ''}@/{self.database}?host={host}" + (
                f"&port={self.port}" if self.port else ""
            )
        port = f":{self.port}" if self.port else ""
        user = f"{self.user}@" if self.user else ""
        return f"postgresql://{user}{host}{port}/{self.database}"

    def _libpq_params(self) -> dict:
        given = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.database,
        }
        return {name: value for name, value in given.items() if value not in (None, "")}

    def connect(self, purpose: str = "load") -> psycopg2.extensions.connection:
        """A connection in autocommit mode, named in ``pg_stat_activity`` as this process's."""
        try:
            return psycopg2.connect(
                **self._libpq_params(),
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name=f"regal-voice {purpose} ({socket.gethostname()}:{os.getpid()})",
            )
        except psycopg2.OperationalError as error:
            reason = redact.redact(" ".join(str(error).split()).rstrip("."))
            if any(words in reason for words in REFUSALS):
                help_text = (
                    PASSWORD_HELP
                    if "password" in reason
                    else "check the user, the database and the server's pg_hba.conf"
                )
                raise WarehouseConfigError(
                    f"{self}: the server refused the connection ({reason}) — {help_text}; "
                    "nothing was written"
                ) from None
            raise WarehouseUnreachable(
                f"{self}: {reason} — check that the server runs and accepts this user; "
                "nothing was written, and the next run tries again"
            ) from None

    def resolved(self) -> PostgresServer:
        """This server as libpq reached it (the host or socket folder, port, user and password
        it settled on), for dlt and dbt to connect with exactly that."""
        connection = self.connect("check")
        try:
            info = connection.info
            server = PostgresServer(
                host=info.host,
                port=int(info.port),
                user=info.user,
                database=info.dbname,
                password=info.password or self.password,
            )
        finally:
            connection.close()
        redact.remember(server.password)
        return server

    def libpq_environment(self) -> dict[str, str]:
        """The ``PG*`` variables the committed profile's postgres target (and psql) connect
        with; ``PGPASSWORD`` only when a password is known."""
        variables = {
            "PGHOST": self.host,
            "PGPORT": str(self.port) if self.port else None,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
        }
        return {name: value for name, value in variables.items() if value}

    def dlt_destination(self):
        import dlt

        credentials = LibpqCredentials()
        credentials.port = self.port or 5432
        credentials.username, credentials.password = self.user, self.password
        credentials.database = self.database
        if self.host and self.host.startswith("/"):
            # A socket folder goes in the query, where libpq takes it over the URL's host (dlt
            # insists on a host name; a folder there would break the URL).
            credentials.host, credentials.query = "localhost", {"host": self.host}
        else:
            credentials.host = self.host
        # Complete as it is: dlt would otherwise resolve it again as its own credentials
        # class, which demands a password.
        credentials.resolve()
        return dlt.destinations.postgres(credentials=credentials)

    def state_anchor(self, state_folder: Path) -> Path:
        """A name in ``state_folder`` that dlt's pipeline state is kept beside, one per
        server and database (dlt also keeps the state in the database and restores it
        from there when the folder is lost)."""
        host = (self.host or "local").strip("/").replace("/", "_")
        return state_folder / f"postgres-{host}-{self.port or 5432}-{self.database}"

    def shell_command(self, sql: str | None) -> tuple[list[str], dict[str, str]]:
        """psql on this database in read-only transactions, and its environment."""
        command = ["psql", "--no-psqlrc", "--set=ON_ERROR_STOP=1"]
        if sql:
            command += ["--command", sql]
        environment = {
            **self.libpq_environment(),
            "PGOPTIONS": "-c default_transaction_read_only=on",
            "PGAPPNAME": "regal-voice shell",
        }
        return command, environment


def _configured_password() -> str | None:
    """The password dlt's config gives the PostgreSQL destination, if any."""
    import dlt

    value = dlt.secrets.get("destination.postgres.credentials.password")
    return str(value) if value else None


def _resolve_credentials(explicit: str | None) -> PostgresCredentials:
    """The server dlt's config names (``WAREHOUSE=postgres``)."""
    try:
        return resolve_configuration(
            LibpqCredentials(), sections=CONFIG_SECTIONS, explicit_value=explicit
        )
    except ConfigFieldMissingException:
        raise WarehouseConfigError(
            "WAREHOUSE=postgres takes the server from dlt's config, which names none: set "
            "DESTINATION__POSTGRES__CREDENTIALS=postgresql://user@host:port/dbname, or "
            "credentials under [destination.postgres] in .dlt/secrets.toml, or give the "
            "URL as WAREHOUSE"
        ) from None
    except ValueError as error:
        raise WarehouseConfigError(
            f"WAREHOUSE is not a PostgreSQL URL: {redact.redact(str(error))}"
        ) from None


class Connection:
    """A psycopg2 connection with the slice of DuckDB's connection API the run's bookkeeping
    uses (``execute`` with ``?`` parameters, then ``fetchone``/``fetchall``), so the run log,
    the source registry and the build planner have one implementation for both engines."""

    def __init__(self, connection: psycopg2.extensions.connection) -> None:
        connection.autocommit = True  # as DuckDB's: every statement commits
        self._connection = connection
        self._cursor = connection.cursor()

    def execute(self, sql: str, parameters: list | tuple | None = None) -> Connection:
        if parameters:
            sql = sql.replace("%", "%%").replace("?", "%s")
        self._cursor.execute(sql, parameters or None)
        return self

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    def close(self) -> None:
        self._connection.close()


class AdvisoryLock:
    """One load per database at a time: PostgreSQL's session-level advisory lock."""

    def __init__(self, server: PostgresServer, wait_seconds: float = 0.0) -> None:
        self.server = server
        self.wait_seconds = wait_seconds
        self._connection = None

    def _holder(self, connection) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
                "FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
                "AND l.objid = %s AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                [LOAD_LOCK_KEY],
            )
            row = cursor.fetchone()
        if row is None:
            return "a session that has just ended"
        pid, application, address, since = row
        return (
            f"server pid {pid}, {application or 'an unnamed client'} from "
            f"{address or 'a local socket'}, connected {since:%Y-%m-%d %H:%M:%S %Z}"
        )

    def __enter__(self) -> AdvisoryLock:
        connection = self.server.connect("load lock")
        connection.autocommit = True
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOAD_LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
            if time.monotonic() >= deadline:
                holder = self._holder(connection)
                connection.close()
                raise AnotherLoadRunning(
                    f"another load is running on {self.server} ({holder}); this run did "
                    f"nothing. Advisory lock key: {LOAD_LOCK_KEY}. To wait for it instead, set "
                    "LOCK_WAIT=<seconds> (or --lock-wait)"
                )
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        self._connection = connection
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._connection is not None:
            # Closing the session releases the lock, even if the unlock below cannot run.
            try:
                with self._connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOAD_LOCK_KEY])
            finally:
                self._connection.close()
                self._connection = None
