"""Command line: ``python -m pipelines load|ingest|transform|forget|shell|report|sample``.

Settings come from options, then the Makefile's environment variables (REGAL_VOICE_URL,
SOURCES, SEGMENT_URL, WAREHOUSE), then dlt config (``sources.regal_voice.bucket_url``,
``[sources.brands]`` …), then the bundled sample archive and ``data/warehouse.duckdb``. The
sample loads only when no source at all is given.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import redact
from pipelines.errors import (
    EXIT_ANOTHER_LOAD,
    EXIT_WAREHOUSE_BUSY,
    SourceConfigError,
    WarehouseConfigError,
    describe,
)
from pipelines.publish import DEFAULT_KEEP_HOURS
from pipelines.settings import DEFAULT_WAREHOUSE, SAMPLE_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pipelines.catalog import Sql
    from pipelines.registry import NamedSchemas
    from pipelines.run_log import Phases
    from pipelines.sources import Source, SourceSettings
    from pipelines.targets import DuckDBFile, PostgresTarget

    Target = DuckDBFile | PostgresTarget

log = logging.getLogger("pipelines.load")

# A schema named on the command line: a plain SQL identifier.
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

WAREHOUSE_HELP = (
    f"a DuckDB file, or postgresql://user@host:port/dbname (default $WAREHOUSE or "
    f"{DEFAULT_WAREHOUSE})"
)


def resolve_setting(option: str | None, env_var: str, default: str) -> str:
    return option or os.environ.get(env_var) or default


def print_summary(runs, seconds: float) -> None:
    out = sys.stdout
    out.write("\nLoad summary\n")
    for run in runs:
        tally = run.tally
        out.write(
            f"  {run.dataset}: {tally.files_read} new files read ({tally.listed} listed, "
            f"{len(tally.skipped)} not archive files, {len(tally.vanished)} gone when read), "
            f"{tally.lines} lines, "
            f"{tally.messages} messages, {tally.rejected} lines quarantined, {run.seconds:.1f}s\n"
        )
        suppressed = sum(tally.suppressed.values())
        if suppressed:
            out.write(
                f"      {'suppressed (forgotten on request)':<32} {suppressed:>10} messages\n"
            )
        for table, rows in run.rows_per_table.items():
            out.write(f"      {table:<32} {rows:>10} rows\n")
        if run.users:
            out.write(f"      {'users (refreshed)':<32} {run.users:>10} rows\n")
    out.write(f"  total: {seconds:.1f}s\n")
    for run in runs:
        for warning in run.tally.warnings(run.dataset):
            out.write(f"warning: {warning}\n")


def warehouse_setting(args: argparse.Namespace) -> str:
    """A DuckDB file, or a PostgreSQL server (``pipelines.targets``)."""
    return resolve_setting(args.warehouse, "WAREHOUSE", str(DEFAULT_WAREHOUSE))


def warehouse_path(args: argparse.Namespace) -> Path:
    """The DuckDB file of a command that reads one (``shell``, ``report``)."""
    from pipelines.postgres import is_postgres

    setting = warehouse_setting(args)
    if is_postgres(setting):
        raise WarehouseConfigError(
            f"`{args.command}` reads a DuckDB warehouse's analysts' copy; on PostgreSQL, "
            "analysts connect to the server itself (psql, or any BI tool), schema analytics"
        )
    return Path(setting)


def schema_list(text: str) -> list[str]:
    """``"web_prod, ios_prod"`` or ``"web_prod ios_prod"`` → ``["web_prod", "ios_prod"]``."""
    return [name for name in re.split(r"[\s,]+", text) if name]


def named_schemas(args: argparse.Namespace) -> NamedSchemas:
    """The raw schemas ``transform`` was told to read (a warehouse Segment loads), checked
    to be plain identifiers: they are spliced into SQL."""
    from pipelines.registry import NamedSchemas

    regal_voice = getattr(args, "regal_voice_schema", None)
    brands = tuple(getattr(args, "brand_schemas", None) or ())
    for name in filter(None, (regal_voice, *brands)):
        if not SCHEMA_NAME.fullmatch(name):
            raise SourceConfigError(
                f"{name!r} is not a schema name (letters, digits and _, not starting with a "
                "digit): check --regal-voice-schema / --brand-schemas"
            )
    return NamedSchemas(regal_voice, brands)


def source_layers(args: argparse.Namespace) -> Iterator[SourceSettings]:
    """What the options, the environment and dlt config each say about sources, in order
    (dlt config is read only when the others leave something unsaid)."""
    import dlt

    from pipelines.sources import SourceSettings, parse_assignments, settings_from_config

    yield SourceSettings(
        args.regal_voice_url,
        args.segment_url,
        parse_assignments(args.source or [], "--source"),
    )
    yield SourceSettings(
        os.environ.get("REGAL_VOICE_URL") or None,
        os.environ.get("SEGMENT_URL") or None,
        parse_assignments((os.environ.get("SOURCES") or "").split(), "SOURCES"),
    )
    yield settings_from_config(dlt.config.get)


def suppression_for(args: argparse.Namespace, target: Target):
    """The suppression list the loads of this warehouse check: the installation's
    (``--suppression-list``, ``$SUPPRESSION_LIST`` or ``data/suppression.json``), which every
    warehouse built here checks, with the one kept beside this warehouse. The installation's
    entries are copied beside the warehouse too."""
    from pipelines.privacy.suppression import Lists
    from pipelines.segment_archive.preparation import Suppression
    from pipelines.transform import default_country_code

    given = Path(args.suppression_list) if args.suppression_list else None
    lists = Lists.of(target.state_anchor, given)
    if not lists.installation_path.exists() and given is not None:
        log.warning(
            "no suppression list at %s yet: the first forget starts it (check the path if one "
            "should be there)",
            given,
        )
    if lists.keep_beside_warehouse():
        log.info("suppression list %s copied beside the warehouse", lists.installation_path)
    suppression = lists.for_loading()
    if suppression:
        where = {str(lists.installation_path), str(lists.own_path)}
        log.info(
            "suppressing the %d identifiers of %s",
            len(suppression.entries),
            ", ".join(sorted(where)),
        )
    return Suppression(suppression, default_country_code())


def ingest(
    sources: list[Source],
    is_sample: bool,
    target: Target,
    connection: Sql,
    runs: list,
    suppression=None,
) -> None:
    """Load every source, appending each one's run to ``runs`` as it ends.

    A source that cannot be read (empty, unreachable, refused credentials) does not keep the
    others from loading: the run goes on, then fails with the first such error, so cron still
    hears of it and the run log keeps what the others did.
    """
    from pipelines.errors import SourceUnreadable
    from pipelines.load import load_source
    from pipelines.registry import check_sources_fit, record_source

    check_sources_fit(connection, sources, is_sample)
    if is_sample:
        log.info("no source given: loading the bundled sample (%s)", SAMPLE_ROOT)
    started = time.monotonic()
    failures = []
    for source in sources:
        try:
            source_run = load_source(
                source.name,
                source.url,
                target.state_anchor,
                **target.load_arguments(connection),
                suppression=suppression,
                credentials=source.credentials,
            )
        except Exception as exc:
            if not hasattr(exc, "exit_code"):
                raise
            log.error("%s: %s", source.name, describe(exc))
            failures.append(exc)
            continue
        record_source(connection, source)
        runs.append(source_run)
    print_summary(runs, time.monotonic() - started)
    if failures:
        raise failures[0]
    vanished = [name for source_run in runs for name in source_run.tally.vanished]
    if vanished:
        raise SourceUnreadable(
            f"{len(vanished)} file(s) gone between listing and reading "
            f"({', '.join(vanished[:3])}); "
            "everything else is loaded, and the next run reads them if they are listed again"
        )


def build_models(
    args: argparse.Namespace,
    target: Target,
    connection: Sql,
    phases: Phases,
) -> Sql:
    """``dbt build`` as much as new data and the models need; the connection, reopened."""
    from pipelines.registry import raw_schemas
    from pipelines.transform import (
        BuildPlan,
        freshness_threshold_hours,
        plan_build,
        project_checksum,
        run_dbt_build,
        stale_sources,
    )

    started = time.monotonic()
    checksum = project_checksum()
    named = named_schemas(args)
    schemas = raw_schemas(connection, named)
    plan = plan_build(connection, checksum, schemas, full=args.full_refresh)
    forgotten = getattr(args, "forgotten", None)
    if forgotten and plan.mode == "skip":
        plan = BuildPlan("incremental", "a forget request removed rows the aggregates counted")
    phases.build_mode = plan.mode
    log.info("models: %s build, %s", plan.mode, plan.reason)
    if plan.mode != "skip":
        # dbt connects in its own process: a DuckDB file takes one process at a time, so
        # wait until nobody else holds it.
        connection.close()
        target.connect(args.busy_wait).close()
        run_dbt_build(target.dbt_environment(), plan, checksum, named, forgotten)
        connection = target.connect(args.busy_wait)
    phases.build = time.monotonic() - started
    for warning in stale_sources(connection, freshness_threshold_hours(), schemas):
        log.warning("freshness: %s", warning)
    return connection


def publish_for_analysts(args: argparse.Namespace, warehouse: Path, run_id: str) -> float:
    """Bring the analysts' copy up to date; the seconds it took."""
    from pipelines.publish import publish
    from pipelines.run_log import record_publish
    from pipelines.warehouse import wait_for_warehouse

    started = time.monotonic()
    connection = wait_for_warehouse(warehouse, args.busy_wait)
    try:
        published = publish(connection, warehouse, args.publish_keep_hours)
        seconds = time.monotonic() - started
        record_publish(connection, run_id, seconds)
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    log.info(
        "published for analysts: %s (%d of %d tables changed: %d files, %d rows written; "
        "%d old files removed)",
        published.catalog,
        published.tables_changed,
        published.tables,
        published.files_written,
        published.rows_written,
        published.files_deleted,
    )
    return seconds


def sum_suppressed(runs: list):
    """The messages every source's run suppressed, by forget request."""
    from collections import Counter

    total: Counter = Counter()
    for source_run in runs:
        total.update(source_run.tally.suppressed)
    return total


def forget(args: argparse.Namespace, target: Target, connection: Sql) -> Sql:
    """Forget one person everywhere; the aggregates they counted toward are built again
    after it, and the analysts' copy republished without keeping the files that held them.
    With ``--purge-archive`` their lines leave the archive files too; with ``--dry-run``
    nothing changes, and the files that would be rewritten are listed. The connection,
    reopened."""
    from pipelines.load import discard_pending_work
    from pipelines.privacy.archive import purge_archive
    from pipelines.privacy.command import forget_person
    from pipelines.privacy.forget import resolve
    from pipelines.registry import raw_schemas, registered_sources
    from pipelines.transform import default_country_code, project_var

    archives = [
        (s.name, s.url) for s in registered_sources(connection) if s.url and not s.is_sample
    ]
    if args.dry_run:
        person = resolve(connection, raw_schemas(connection), args.person, default_country_code())
        counts = ", ".join(
            f"{n} {kind.replace('_', ' ')}(s)" for kind, n in person.counts().items()
        )
        log.info("forget (dry run): the request names %s; nothing is changed", counts)
        if args.purge_archive:
            files = purge_archive(archives, person, default_country_code(), dry_run=True)
            log.info(
                "forget (dry run): %d archive file(s) would be rewritten, %d line(s) removed",
                len(files),
                sum(f.lines_removed for f in files),
            )
        return connection

    for dataset in discard_pending_work(target.state_anchor, **target.load_arguments(connection)):
        log.info(
            "forget: %s: work an interrupted load left unfinished was discarded; the next load "
            "reads its files again, without the forgotten",
            dataset,
        )
    forgotten = forget_person(
        connection,
        target.state_anchor,
        raw_schemas(connection),
        args.person,
        default_country_code(),
        str(project_var("reporting_timezone", "UTC")),
    )
    target.commit(connection)
    if args.purge_archive:
        files = purge_archive(archives, forgotten.person, default_country_code(), dry_run=False)
        log.info(
            "forget: %d archive file(s) rewritten without the person (%d lines removed)",
            len(files),
            sum(f.lines_removed for f in files),
        )
    started = time.monotonic()
    connection = target.erase_deleted(connection, sorted(forgotten.rows_removed))
    log.info("forget: deleted rows erased from the storage (%.1fs)", time.monotonic() - started)
    # The build that follows recomputes the aggregates that counted them.
    args.forgotten = {
        "forgotten_days": forgotten.touched.days,
        "forgotten_experiments": forgotten.touched.experiments,
    }
    args.publish_keep_hours = 0.0  # superseded files hold the person: none is kept
    if target.has_analysts_copy:
        log.info(
            "forget: the analysts' copy is republished without keeping older files: a session "
            "left open on it must reconnect (its next query reads 'No files found')"
        )
    return connection


def run(args: argparse.Namespace) -> None:
    """One scheduled run: the lock, the warehouse, the load, dbt, the run log, the copy."""
    from pipelines.privacy.requests import record_suppressed
    from pipelines.registry import ensure_registry
    from pipelines.run_log import Phases, finish_run, start_run
    from pipelines.sources import check_folders_exist, resolve_sources
    from pipelines.targets import DuckDBFile, target_of
    from pipelines.warehouse import published_path

    target = target_of(warehouse_setting(args), Path(args.state_dir) if args.state_dir else None)
    if args.command in ("load", "ingest"):
        # Checked before the warehouse is created or opened: a refused run writes nothing.
        sources, is_sample = resolve_sources(source_layers(args))
        if isinstance(target, DuckDBFile) and not target.path.exists():
            check_folders_exist(sources)
    if args.command == "forget":
        from pipelines.privacy.forget import requested_person
        from pipelines.transform import default_country_code

        code = default_country_code()
        args.person = requested_person(args.phone, args.email, args.user_id, code)
    written = (
        frozenset(source.name for source in sources)
        if args.command in ("load", "ingest")
        else frozenset()
    )
    target.prepare(args.command, written)
    started = time.monotonic()
    phases = Phases()
    with target.lock(args.lock_wait):
        if args.command in ("load", "ingest") and is_sample and isinstance(target, DuckDBFile):
            from pipelines.sample.older import replace_older_sample

            replace_older_sample(target.path, SAMPLE_ROOT)
        connection = target.connect(args.busy_wait)
        run_id = start_run(connection, args.command)
        ensure_registry(connection)  # the models find the brand sources in it
        runs, status, error = [], "failed", None
        try:
            if args.command in ("load", "ingest"):
                suppression = suppression_for(args, target)
                ingest(sources, is_sample, target, connection, runs, suppression)
                phases.ingest = time.monotonic() - started
                record_suppressed(connection, run_id, sum_suppressed(runs))
            if args.command == "forget":
                connection = forget(args, target, connection)
                phases.forget = time.monotonic() - started
            if args.command in ("load", "transform", "forget") and not args.dry_run:
                connection = build_models(args, target, connection, phases)
            status = "succeeded"
        except BaseException as exc:
            error = describe(exc)
            raise
        finally:
            connection.close()  # a failed run may have left it open
            connection = target.connect(args.busy_wait)
            try:
                finish_run(connection, run_id, status, runs, error, phases)
                target.commit(connection)
            finally:
                connection.close()
        if target.has_analysts_copy:
            loaded = any(source_run.tally.files_read for source_run in runs)
            built = phases.build_mode not in (None, "skip")
            if loaded or built or not published_path(target.path).exists():
                phases.publish = publish_for_analysts(args, target.path, run_id)
            else:
                # A scheduled no-op stays cheap: the analysts' copy already holds this data.
                log.info("nothing new: %s left as it was", published_path(target.path))
    log.info("run: %s, %.1fs in all", phases.describe(), time.monotonic() - started)


def shell(args: argparse.Namespace) -> int:
    """What analysts read, read-only: DuckDB's SQL shell on the analysts' copy, or psql on a
    PostgreSQL warehouse; with ``--sql``, one query."""
    from pipelines.errors import NoAnalystsCopy
    from pipelines.postgres import PostgresServer, is_postgres
    from pipelines.warehouse import published_path

    setting = warehouse_setting(args)
    if is_postgres(setting):
        command, environment = PostgresServer.from_setting(setting).shell_command(args.sql)
        if shutil.which("psql") is None:
            raise WarehouseConfigError(
                "psql is not installed: install PostgreSQL's client (apt-get install -y "
                "postgresql-client), or connect with any PostgreSQL client"
            )
        return subprocess.run(command, env={**os.environ, **environment}, check=False).returncode
    catalog = published_path(Path(setting))
    if not catalog.exists():
        raise NoAnalystsCopy(
            f"no analysts' copy at {catalog}: run `make load` (or `make transform`) first"
        )
    command = duckdb_shell_command(catalog, args.sql, sys.stdout.isatty())
    code = subprocess.run(command, check=False).returncode
    # An interactive session ends with 1 when any statement in it failed: the analyst saw
    # each error already, and make would add its own "Error 1" line and exit 2.
    return code if args.sql else 0


def duckdb_shell_command(catalog: Path, sql: str | None, to_terminal: bool) -> list[str]:
    """DuckDB's shell on ``catalog``, read-only; ``sql`` run alone when given. Off a terminal
    (a pipe, a file, cron mail) no colour codes and no terminal queries."""
    command = [str(Path(sys.executable).with_name("duckdb")), "-readonly"]
    if not to_terminal:
        command += ["-light-mode", "-cmd", ".highlight_results off"]
    command.append(str(catalog))
    if sql:
        command += ["-c", sql]
    return command


def sample(args: argparse.Namespace) -> None:
    from pipelines.sample.archive import generate_archive

    manifest = generate_archive(Path(args.output), days=args.days, tasks_per_day=args.tasks_per_day)
    for name, source in manifest["sources"].items():
        print(f"{name}: {source['files']} files, {source['lines']} lines in {args.output}")


PROGRAM = "regal-voice-warehouse"
DESCRIPTION = """\
Loads Segment's S3 archive of Regal Voice and your brand's own sources into a warehouse
(a DuckDB file, or PostgreSQL), builds the dbt models, and publishes a read-only copy for
analysts.

Where settings come from, first found wins: these options; the environment (REGAL_VOICE_URL,
SOURCES="web=s3://… ios=s3://…", SEGMENT_URL, WAREHOUSE, …); dlt's config (.dlt/config.toml,
.dlt/secrets.toml). With no source named anywhere, the bundled sample loads into
data/warehouse.duckdb.

Exit codes: 0 done; 66 a source lists no files; 69 the PostgreSQL server did not answer;
73 the warehouse file is held by another process; 74 the archive could not be read;
75 another load is running; 78 a setting is wrong (the error line says which); 1 anything
else. `regal-voice-warehouse COMMAND --help` lists a command's options."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("load", "load new archive files, then build the dbt models"),
        ("ingest", "load new archive files only"),
    ]:
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--regal-voice-url", help="Regal Voice source folder: path, file://, s3:// or gs://"
        )
        command.add_argument(
            "--segment-url", help="a brand Segment source folder, loaded into schema `segment`"
        )
        command.add_argument(
            "--source",
            action="append",
            metavar="NAME=URL",
            help="a brand Segment source folder, loaded into schema NAME (repeatable)",
        )
    for name in ("load", "ingest"):
        commands.choices[name].add_argument(
            "--suppression-list",
            default=os.environ.get("SUPPRESSION_LIST") or None,
            help="the installation's suppression list, which every warehouse built here "
            "checks besides its own (default $SUPPRESSION_LIST, else data/suppression.json); "
            "point a second machine loading the same archive at the same list",
        )
    command = commands.add_parser(
        "forget",
        help="forget a person on request: remove them everywhere and never load them again",
    )
    for option, variable, what in [
        ("--phone", "PHONE", "a phone number, any format"),
        ("--email", "EMAIL", "an email address"),
        ("--user-id", "USER_ID", "a Segment user id"),
    ]:
        command.add_argument(
            option,
            action="append",
            default=[value for value in [os.environ.get(variable)] if value],
            help=f"{what} of the person (repeatable; default ${variable})",
        )
    command = commands.add_parser("transform", help="build the dbt models only")
    command.add_argument(
        "--regal-voice-schema",
        default=os.environ.get("REGAL_VOICE_SCHEMA") or None,
        help="the Regal Voice source's raw schema, in a warehouse Segment loads (default "
        "$REGAL_VOICE_SCHEMA; else the one the loader registered, or regal_voice)",
    )
    command.add_argument(
        "--brand-schemas",
        type=schema_list,
        default=schema_list(os.environ.get("BRAND_SCHEMAS") or ""),
        help="the brand sources' raw schemas, comma- or space-separated, in a warehouse "
        "Segment loads (default $BRAND_SCHEMAS; else the ones the loader registered)",
    )
    for name in ("load", "transform"):
        commands.choices[name].add_argument(
            "--full-refresh",
            action="store_true",
            default=bool(os.environ.get("FULL")),
            help="rebuild every model from all history (default: $FULL; otherwise only what "
            "new data touched, and nothing when nothing was loaded)",
        )
    commands.choices["forget"].set_defaults(full_refresh=False)
    for option, variable, what in [
        (
            "--purge-archive",
            "PURGE_ARCHIVE",
            "take the person's lines out of the archive files too: only the files that name "
            "them are rewritten, each atomically",
        ),
        (
            "--dry-run",
            "DRY_RUN",
            "change nothing: say whom the request names and, with --purge-archive, list the "
            "archive files that would be rewritten",
        ),
    ]:
        commands.choices["forget"].add_argument(
            option,
            action="store_true",
            default=bool(os.environ.get(variable)),
            help=f"{what} (default ${variable})",
        )
    for name in ("load", "ingest", "transform"):
        commands.choices[name].set_defaults(dry_run=False)
    for name in ("load", "ingest", "transform", "forget"):
        command = commands.choices[name]
        command.add_argument(
            "--warehouse",
            help=WAREHOUSE_HELP,
        )
        for option, variable, default, outcome in [
            (
                "--lock-wait",
                "LOCK_WAIT",
                0,
                f"a load already running (then exit {EXIT_ANOTHER_LOAD})",
            ),
            (
                "--busy-wait",
                "BUSY_WAIT",
                120,
                f"another process holding the warehouse file (then exit {EXIT_WAREHOUSE_BUSY})",
            ),
        ]:
            command.add_argument(
                option,
                type=float,
                default=float(os.environ.get(variable) or default),
                help=f"seconds to wait for {outcome}; default ${variable} or {default}",
            )
        command.add_argument(
            "--state-dir",
            default=os.environ.get("STATE_DIR") or None,
            help="folder of dlt's pipeline state for a PostgreSQL warehouse (default $STATE_DIR "
            "or data/; a DuckDB warehouse keeps it beside its file)",
        )
        command.add_argument(
            "--publish-keep-hours",
            type=float,
            default=float(os.environ.get("PUBLISH_KEEP_HOURS") or DEFAULT_KEEP_HOURS),
            help="hours the analysts' copy keeps files a newer publish replaced, for "
            f"connections opened before it; default $PUBLISH_KEEP_HOURS or {DEFAULT_KEEP_HOURS:g}",
        )
    command = commands.add_parser(
        "shell", help="open what analysts read in DuckDB's SQL shell, read-only"
    )
    command.add_argument(
        "--warehouse",
        help=WAREHOUSE_HELP,
    )
    command.add_argument(
        "--sql",
        default=os.environ.get("SQL") or None,
        help="run this query, print its result and exit (default: $SQL; else interactive)",
    )
    command = commands.add_parser(
        "report", help="write the daily KPIs as one HTML page that opens offline"
    )
    command.add_argument("--warehouse", help=f"DuckDB file (default {DEFAULT_WAREHOUSE})")
    command = commands.add_parser("sample", help="generate the deterministic sample archive")
    command.add_argument("--output", default=str(SAMPLE_ROOT))
    command.add_argument("--days", type=int, default=7)
    command.add_argument("--tasks-per-day", type=int, default=150)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    redact.remember_environment(dict(os.environ))
    redact.install()
    try:
        if args.command in ("load", "ingest", "transform", "forget"):
            run(args)
        if args.command == "shell":
            return shell(args)
        if args.command == "report":
            from pipelines.report import build_report

            print(f"report: {build_report(warehouse_path(args))}")
        if args.command == "sample":
            sample(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for cron mail; the traceback only when asked for
        if os.environ.get("DEBUG"):
            raise
        print(f"error: {describe(exc)}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    return 0
