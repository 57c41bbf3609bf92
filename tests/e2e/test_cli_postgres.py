"""`make load` with WAREHOUSE=postgresql://… (issue 15): the command line, the lock, the
credentials and what readers see, on a throwaway PostgreSQL server."""

from __future__ import annotations

import gzip
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import psycopg2
import pytest

from pipelines.cli import main
from pipelines.engines.postgres.server import LOAD_LOCK_KEY, PostgresServer
from pipelines.errors import EXIT_ANOTHER_LOAD, EXIT_CONFIG, EXIT_WAREHOUSE_UNREACHABLE
from pipelines.sample.archive import generate_archive
from tests.conftest import cli, load_arguments, message, run_pipelines, write_archive_file
from tests.integration.test_readme_queries import check_readme_queries
from tests.support.mart_rows import differences, duckdb_marts, marts, postgres_marts
from tests.support.postgres import postgres_server

# Trust authentication takes any password; the product insists on one, as dlt does.
PASSWORD = {"PGPASSWORD": "trust"}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def database(server, request) -> str:
    """A database of its own on the module's server: its URL, without a password."""
    name = "t_" + request.node.name.lower()[:40].replace("[", "_").replace("]", "")
    con = psycopg2.connect(server)
    con.autocommit = True  # CREATE DATABASE runs outside a transaction
    try:
        con.cursor().execute(f'CREATE DATABASE "{name}"')
    finally:
        con.close()
    return server.rsplit("/", 1)[0] + "/" + name


def query(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


class Reader(threading.Thread):
    """An analyst querying while a load runs: every count each query returned."""

    def __init__(self, url: str, tables: list[str]) -> None:
        super().__init__(daemon=True)
        self.url, self.tables = url, tables
        self.seen: dict[str, set[int]] = {table: set() for table in tables}
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        con = psycopg2.connect(self.url)
        con.autocommit = True  # each count its own snapshot, as a BI tool's queries
        with con.cursor() as cursor:
            while not self.stop.is_set():
                for table in self.tables:
                    try:
                        cursor.execute(f"SELECT count(*) FROM {table}")
                        self.seen[table].add(cursor.fetchone()[0])
                    except psycopg2.Error as error:
                        self.errors.append(f"{table}: {error}")
                time.sleep(0.005)
        con.close()


@pytest.mark.slow
def test_make_load_on_postgres_builds_the_duckdb_marts_and_readers_never_see_half(
    tmp_path, database
):
    """Two scheduled runs into PostgreSQL and into DuckDB on the same archive (the second one
    brings the last day): equal marts after each; a no-op third run; an analyst querying
    throughout the second run sees each table before it or after it, never in between."""
    generated = tmp_path / "generated"
    generate_archive(generated, days=3, tasks_per_day=40, messages_per_file=400)
    files = sorted(generated.rglob("*.gz"))
    last_day = max(path.parent.name for path in files)
    archive = tmp_path / "archive"
    on_duckdb = tmp_path / "duckdb" / "warehouse.duckdb"
    state = tmp_path / "state"
    watched = ["regal_voice.tracks", "regal_voice.call_completed", "web.identifies"]
    watched += ["analytics.fct_calls", "analytics.fct_tasks", "analytics.agg_queue_daily"]
    for step in (1, 2):
        for path in files:
            if (path.parent.name == last_day) == (step == 2):
                target = archive / path.relative_to(generated)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        run_pipelines(*load_arguments(archive, on_duckdb))
        if step == 2:
            before = {t: query(database, f"SELECT count(*) FROM {t}")[0][0] for t in watched}
            reader = Reader(database, watched)
            reader.start()
        loaded = cli(*load_arguments(archive, database, "--state-dir", str(state)), **PASSWORD)
        assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
        if step == 2:
            reader.stop.set()
            reader.join()
            assert not reader.errors, reader.errors[:3]
            for table in watched:
                after = query(database, f"SELECT count(*) FROM {table}")[0][0]
                assert after > before[table], f"{table}: the last day added nothing"
                # It queried before the load committed and after: it saw nothing else.
                assert reader.seen[table] == {before[table], after}, (
                    f"{table}: a reader saw {sorted(reader.seen[table])} rows, "
                    f"not only {before[table]} (before) or {after} (after)"
                )
        found = differences(marts(duckdb_marts(on_duckdb)), marts(postgres_marts(database)))
        assert not found, f"after load {step}:\n" + "\n".join(found)
    # Every query the README shows runs unchanged on both engines.
    check_readme_queries(on_duckdb.with_name("warehouse.analytics.duckdb"), database)

    runs = query(
        database, "SELECT status, build_mode, files_read FROM ops.load_runs ORDER BY started_at"
    )
    assert [run[:2] for run in runs] == [("succeeded", "full"), ("succeeded", "incremental")]
    assert runs[0][2] + runs[1][2] == len(files)
    assert query(database, "SELECT name FROM ops.sources ORDER BY name") == [
        ("ios",),
        ("regal_voice",),
        ("server",),
        ("web",),
    ]
    # dlt's state for the server is where it was asked to be; no analysts' copy is written.
    address = urlparse(database)
    expected = f"postgres-{address.hostname}-{address.port}-{address.path.lstrip('/')}.dlt"
    assert sorted(p.name for p in state.iterdir()) == [expected]
    nothing_new = cli(*load_arguments(archive, database, "--state-dir", str(state)), **PASSWORD)
    assert nothing_new.returncode == 0, nothing_new.stderr[-3000:]
    assert "models: skip build" in nothing_new.stderr
    assert "no publish" in nothing_new.stderr
    # A transform on the server needs no load first: it plans against the same run log.
    transformed = cli("transform", "--warehouse", database, **PASSWORD)
    assert transformed.returncode == 0, transformed.stderr[-3000:]
    assert "models: skip build" in transformed.stderr


@pytest.mark.slow
def test_two_loads_on_one_database_are_kept_apart_by_an_advisory_lock(tmp_path, database):
    source = tmp_path / "rv"
    write_archive_file(source, "1759622400000/a.gz", [message("m1")])
    arguments = ["ingest", "--regal-voice-url", str(source), "--warehouse", database]
    arguments += ["--state-dir", str(tmp_path / "state")]
    holder = psycopg2.connect(database, application_name="the other load")
    holder.autocommit = True
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOAD_LOCK_KEY])
    refused = cli(*arguments, **PASSWORD)
    assert refused.returncode == EXIT_ANOTHER_LOAD, refused.stderr
    assert "another load is running" in refused.stderr
    assert "the other load" in refused.stderr  # who holds it, for the person on call
    assert query(database, "SELECT count(*) FROM pg_namespace WHERE nspname = 'regal_voice'") == [
        (0,)
    ]
    # A load that dies lets go: the server ends its session, and with it the lock.
    holder.close()
    loaded = cli(*arguments, **PASSWORD)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert query(database, "SELECT count(*) FROM regal_voice.tracks") == [(1,)]


@pytest.mark.slow
def test_the_password_can_live_in_dlt_secrets(tmp_path, database, monkeypatch):
    """A URL without a password and ``.dlt/secrets.toml`` beside the project, as a user keeps
    credentials out of the repo and out of crontab."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    source = tmp_path / "rv"
    write_archive_file(source, "1759622400000/a.gz", [message("m1")])
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "secrets.toml").write_text(
        '[destination.postgres.credentials]\npassword = "trust"\n'
    )
    arguments = ["ingest", "--regal-voice-url", str(source), "--warehouse", database]
    run_pipelines(*arguments, "--state-dir", str(tmp_path / "state"), cwd=project)
    assert query(database, "SELECT count(*) FROM regal_voice.tracks") == [(1,)]


def test_the_password_comes_from_the_url_then_dlt_config_then_pgpassword(monkeypatch):
    for variable in ("PGPASSWORD", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PGPASSWORD", "from-libpq")
    url = "postgresql://bob@db.example:6543/wh"
    # libpq reads PGPASSWORD (and .pgpass) itself, when it connects (``resolved``).
    assert PostgresServer.from_setting(url).password is None
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD", "from-dlt")
    server = PostgresServer.from_setting(url)
    assert (server.password, server.host, server.port, server.user, server.database) == (
        "from-dlt",
        "db.example",
        6543,
        "bob",
        "wh",
    )
    assert PostgresServer.from_setting("postgresql://bob:inline@db.example/wh").password == (
        "inline"
    )
    assert "from-dlt" not in str(server) and "from-dlt" not in repr(server)
    # WAREHOUSE=postgres: the whole server from dlt's destination config.
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://al:pw@h2:5433/db2")
    monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD")
    assert str(PostgresServer.from_setting("postgres")) == "postgresql://al@h2:5433/db2"


def test_a_server_out_of_reach_or_misnamed_is_refused_before_any_work(
    tmp_path, monkeypatch, capsys
):
    for variable in ("PGPASSWORD", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt/secrets.toml
    source = tmp_path / "rv"
    write_archive_file(source, "1759622400000/a.gz", [message("m1")])
    state = tmp_path / "state"
    arguments = ["ingest", "--regal-voice-url", str(source), "--state-dir", str(state)]
    # No password needed to try: libpq decides (trust, peer, .pgpass…); nobody answers here.
    monkeypatch.setenv("PGPASSWORD", "secret-value")
    code = main([*arguments, "--warehouse", "postgresql://bob@127.0.0.1:1/wh"])
    assert code == EXIT_WAREHOUSE_UNREACHABLE
    error = capsys.readouterr().err
    assert "postgresql://bob@127.0.0.1:1/wh" in error and "secret-value" not in error
    # A URL that cannot be right is a configuration error, said before connecting.
    for url, says in [
        ("postgresql://bob:pw-secret@127.0.0.1:1", "names no database"),
        ("postgresql://bob@127.0.0.1:port/wh", "is not a number"),
    ]:
        assert main([*arguments, "--warehouse", url]) == EXIT_CONFIG
        error = capsys.readouterr().err
        assert says in error and "pw-secret" not in error
    assert not state.exists()


@pytest.mark.slow
def test_a_server_that_needs_no_password_is_reached_as_psql_reaches_it(
    tmp_path, database, monkeypatch
):
    """Trust authentication, no password anywhere; then the same server through its socket
    folder (``?host=/folder``), as on a laptop or a server reached locally."""
    for variable in ("PGPASSWORD", "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    regal = tmp_path / "regal"
    write_archive_file(regal, "1791158400000/a.gz", [message("m1"), message("m2")])
    state = tmp_path / "state"
    loaded = cli(
        "load", "--regal-voice-url", str(regal), "--warehouse", database, "--state-dir", str(state)
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert query(database, "SELECT count(*) FROM regal_voice.tracks") == [(2,)]
    socket_folder = query(database, "SHOW unix_socket_directories")[0][0].split(",")[0]
    address = urlparse(database)
    via_socket = (
        f"postgresql://{address.username}@/{address.path.lstrip('/')}"
        f"?host={socket_folder}&port={address.port}"
    )
    write_archive_file(regal, "1791158400000/b.gz", [message("m3")])
    loaded = cli(
        "load",
        "--regal-voice-url",
        str(regal),
        "--warehouse",
        via_socket,
        "--state-dir",
        str(tmp_path / "state-socket"),
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert query(database, "SELECT count(*) FROM regal_voice.tracks") == [(3,)]
    # A role or a database the server does not know: a configuration error, not "try again".
    for wrong in (
        database.replace(f"{address.username}@", "nobody_here@"),
        database.rsplit("/", 1)[0] + "/no_such_database",
    ):
        refused = cli("ingest", "--regal-voice-url", str(regal), "--warehouse", wrong)
        assert refused.returncode == EXIT_CONFIG, refused.stderr
        assert "does not exist" in refused.stderr


def test_attribute_edits_give_numbers_as_their_decimal_text_on_both_engines(database, tmp_path):
    """A file whose edits send whole and fractional numbers makes the raw columns DOUBLE: a
    whole number still reads `120000` (as sent), not `120000.0`, on DuckDB and PostgreSQL."""
    regal = tmp_path / "regal"

    def edit(message_id: str, old, new) -> dict:
        changes = {"custom_properties": {"annual_income": {"old_value": old, "new_value": new}}}
        return message(
            message_id, "contact.attribute.edited", contact_phone="+19175550001", changes=changes
        )

    edits = [edit("e1", 120000, 95000.5), edit("e2", 95000.5, 300000), edit("e3", None, 7)]
    write_archive_file(regal, "1791158400000/a.gz", edits)
    expected = [("e1", "120000", "95000.5"), ("e2", "95000.5", "300000"), ("e3", None, "7")]
    sql = (
        "SELECT message_id, old_value, new_value "
        "FROM analytics.fct_contact_attribute_changes ORDER BY 1"
    )

    on_duckdb = tmp_path / "warehouse.duckdb"
    run_pipelines("load", "--regal-voice-url", str(regal), "--warehouse", str(on_duckdb))
    with duckdb.connect(str(on_duckdb), read_only=True) as con:
        assert con.sql(sql).fetchall() == expected
    state = tmp_path / "state"
    loaded = cli(
        "load",
        "--regal-voice-url",
        str(regal),
        "--warehouse",
        database,
        "--state-dir",
        str(state),
        **PASSWORD,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert query(database, sql) == expected


def postgres_text_hits(url: str, needles: list[str]) -> list[tuple]:
    """Every text column of every table in every schema of the database holding a needle."""
    columns = query(
        url,
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('character varying', 'text', 'json', 'jsonb') "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    hits = []
    for schema, table, column in columns:
        text = f'CAST("{column}" AS VARCHAR)'
        for needle in needles:
            found = query(
                url,
                f'SELECT count(*) FROM "{schema}"."{table}" '
                f"WHERE lower({text}) LIKE '%{needle.lower()}%' "
                f"OR regexp_replace({text}, '[^0-9]', '', 'g') LIKE '%{needle}%'",
            )[0][0]
            if found:
                hits.append((schema, table, column, needle, found))
    return hits


@pytest.mark.slow
def test_forget_on_postgres_gives_what_it_gives_on_duckdb(tmp_path, database):
    """The same person forgotten in both engines: nothing of them in any schema of the
    database, and the same marts as on DuckDB; a re-delivered file brings nothing back."""
    archive = tmp_path / "archive"
    generate_archive(archive, days=2, tasks_per_day=50, contacts=20, messages_per_file=300)
    on_duckdb = tmp_path / "duckdb" / "warehouse.duckdb"
    state = tmp_path / "state"
    run_pipelines(*load_arguments(archive, on_duckdb))
    loaded = cli(*load_arguments(archive, database, "--state-dir", str(state)), **PASSWORD)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    phone = query(database, "SELECT min(contact_phone) FROM analytics.fct_sms_conversations")[0][0]
    digits, user_id = phone[2:], f"user_{phone[2:]}"
    needles = [digits, user_id, f"{user_id}@mail.example"]
    assert postgres_text_hits(database, needles)

    run_pipelines("forget", "--phone", phone, "--warehouse", str(on_duckdb))
    forgot = cli(
        "forget", "--phone", phone, "--warehouse", database, "--state-dir", str(state), **PASSWORD
    )
    assert forgot.returncode == 0, forgot.stderr[-3000:]
    assert "models: incremental build" in forgot.stderr
    assert postgres_text_hits(database, needles) == []
    # Nor do the tables' files: the deleted rows' bytes were rewritten away.
    removed = query(database, "SELECT rows_removed FROM ops.forget_requests")[0][0]  # json → dict
    data_directory = Path(query(database, "SHOW data_directory")[0][0])
    with psycopg2.connect(database) as con, con.cursor() as cursor:
        cursor.execute("CHECKPOINT")  # every page on disk: the files hold what the tables do
    for table in removed:
        relation = query(database, f"SELECT pg_relation_filepath('{table}')")[0][0]
        assert user_id.encode() not in (data_directory / relation).read_bytes(), table
    found = differences(marts(duckdb_marts(on_duckdb)), marts(postgres_marts(database)))
    assert not found, "\n".join(found)
    assert query(database, "SELECT count(*) FROM ops.forget_requests")[0][0] == 1

    person_file = next(
        path
        for path in sorted((archive / "segment-logs").rglob("*.gz"))
        if user_id.encode() in gzip.decompress(path.read_bytes())
    )
    shutil.copy2(person_file, person_file.with_name("9" + person_file.name))
    again = cli(*load_arguments(archive, database, "--state-dir", str(state)), **PASSWORD)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "suppressed (forgotten on request)" in again.stdout
    assert postgres_text_hits(database, needles) == []


@pytest.mark.slow
def test_a_password_server_takes_it_from_pgpass_and_a_wrong_one_is_a_setting(tmp_path):
    """A role that must give a password (scram-sha-256): a wrong one is a setting to fix (78),
    not "the next run tries again" (69); the right one is found in ~/.pgpass, as psql finds it."""
    source = tmp_path / "rv"
    write_archive_file(source, "1759622400000/a.gz", [message("m1")])
    with postgres_server() as url:
        address = urlparse(url)
        with psycopg2.connect(url) as con, con.cursor() as cursor:
            cursor.execute("CREATE ROLE loader LOGIN SUPERUSER PASSWORD 'right-password-4471'")
            cursor.execute("SHOW hba_file")
            hba = Path(cursor.fetchone()[0])
        rules = hba.read_text()
        hba.write_text(f"host all loader 127.0.0.1/32 scram-sha-256\n{rules}")
        with psycopg2.connect(url) as con, con.cursor() as cursor:
            cursor.execute("SELECT pg_reload_conf()")
        database = f"postgresql://loader@127.0.0.1:{address.port}{address.path}"
        arguments = ["ingest", "--regal-voice-url", str(source), "--warehouse", database]
        arguments += ["--state-dir", str(tmp_path / "state")]
        home = tmp_path / "home"
        home.mkdir()
        wrong = cli(*arguments, PGPASSWORD="wrong-password-0000", HOME=str(home))
        assert wrong.returncode == EXIT_CONFIG, wrong.stderr
        assert "authentication failed" in wrong.stderr and "wrong-password" not in wrong.stderr
        pgpass = home / ".pgpass"
        pgpass.write_text(f"127.0.0.1:{address.port}:*:loader:right-password-4471\n")
        pgpass.chmod(0o600)
        found = cli(*arguments, PGPASSWORD="", HOME=str(home))
        assert found.returncode == 0, found.stderr[-3000:]
        assert "right-password" not in found.stdout + found.stderr
        assert query(url, "SELECT count(*) FROM regal_voice.tracks") == [(1,)]
