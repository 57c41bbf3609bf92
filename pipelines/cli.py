"""The command line: ``regal-voice-warehouse load|ingest|transform|forget|shell|report|sample``
(``python -m pipelines …``, or the Makefile's targets).

It only parses: options first, then the Makefile's environment variables (REGAL_VOICE_URL,
SOURCES, SEGMENT_URL, WAREHOUSE, …), each option's default naming its variable; dlt's config
and the bundled sample are read by the ingest when neither names a source. The settings go to
the runner (``pipelines.runner``) or to the one command asked for.

Over 300 lines because every option's help text is written for a user, with its variable and
default; the module does nothing but parse.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from pipelines import redact
from pipelines.config import LOADING, RUN_COMMANDS, ForgetRequest, RunSettings
from pipelines.errors import (
    EXIT_ANOTHER_LOAD,
    EXIT_WAREHOUSE_BUSY,
    SourceConfigError,
    WarehouseConfigError,
    describe,
)
from pipelines.settings import DEFAULT_KEEP_HOURS, DEFAULT_WAREHOUSE, SAMPLE_ROOT

# A schema named on the command line: a plain SQL identifier.
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

WAREHOUSE_HELP = (
    "a DuckDB file, postgresql://user@host:port/dbname, or iceberg:<folder or "
    f"s3://bucket/prefix> (default $WAREHOUSE or {DEFAULT_WAREHOUSE})"
)


def schema_list(text: str) -> list[str]:
    """``"web_prod, ios_prod"`` or ``"web_prod ios_prod"`` → ``["web_prod", "ios_prod"]``."""
    return [name for name in re.split(r"[\s,]+", text) if name]


PROGRAM = "regal-voice-warehouse"
DESCRIPTION = """\
Loads Segment's S3 archive of Regal Voice and your brand's own sources into a warehouse
(a DuckDB file, PostgreSQL, or an Iceberg lake run by Spark), builds the dbt models, and
publishes a read-only copy for analysts.

Where settings come from, first found wins: these options; the environment (REGAL_VOICE_URL,
SOURCES="web=s3://… ios=s3://…", SEGMENT_URL, WAREHOUSE, …); dlt's config (.dlt/config.toml,
.dlt/secrets.toml). With no source named anywhere, the bundled sample loads into
data/warehouse.duckdb.

Exit codes: 0 done; 66 a source lists no files; 69 the PostgreSQL server did not answer;
73 the warehouse file is held by another process; 74 the archive could not be read;
75 another load is running; 78 a setting is wrong (the error line says which); 1 anything
else. `regal-voice-warehouse COMMAND --help` lists a command's options."""


def env_flag(variable: str) -> bool:
    return bool(os.environ.get(variable))


def env_float(variable: str, default: float) -> float:
    return float(os.environ.get(variable) or default)


def add_source_options(command: argparse.ArgumentParser) -> None:
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
    command.add_argument(
        "--suppression-list",
        default=os.environ.get("SUPPRESSION_LIST") or None,
        help="the installation's suppression list, which every warehouse built here "
        "checks besides its own (default $SUPPRESSION_LIST, else data/suppression.json); "
        "point a second machine loading the same archive at the same list",
    )


def add_forget_options(command: argparse.ArgumentParser) -> None:
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
        command.add_argument(
            option,
            action="store_true",
            default=env_flag(variable),
            help=f"{what} (default ${variable})",
        )


def add_schema_options(command: argparse.ArgumentParser) -> None:
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


def add_full_refresh(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--full-refresh",
        action="store_true",
        default=env_flag("FULL"),
        help="rebuild every model from all history (default: $FULL; otherwise only what "
        "new data touched, and nothing when nothing was loaded)",
    )


def add_run_options(command: argparse.ArgumentParser) -> None:
    """The options of every command that runs the sequence (``pipelines.runner``)."""
    command.add_argument("--warehouse", help=WAREHOUSE_HELP)
    for option, variable, default, outcome in [
        ("--lock-wait", "LOCK_WAIT", 0, f"a load already running (then exit {EXIT_ANOTHER_LOAD})"),
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
            default=env_float(variable, default),
            help=f"seconds to wait for {outcome}; default ${variable} or {default}",
        )
    command.add_argument(
        "--state-dir",
        default=state_folder(),
        help="folder of dlt's pipeline state for a PostgreSQL warehouse, and of an S3 lake's "
        "metastore (default $STATE_DIR or data/; a DuckDB warehouse or a lake in a folder keeps "
        "it beside its files)",
    )
    command.add_argument(
        "--publish-keep-hours",
        type=float,
        default=env_float("PUBLISH_KEEP_HOURS", DEFAULT_KEEP_HOURS),
        help="hours the analysts' copy keeps files a newer publish replaced, for "
        f"connections opened before it; default $PUBLISH_KEEP_HOURS or {DEFAULT_KEEP_HOURS:g}",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load new archive files, then build the dbt models")
    ingest = commands.add_parser("ingest", help="load new archive files only")
    transform = commands.add_parser("transform", help="build the dbt models only")
    forget = commands.add_parser(
        "forget",
        help="forget a person on request: remove them everywhere and never load them again",
    )
    for command in (load, ingest):
        add_source_options(command)
    add_forget_options(forget)
    add_schema_options(transform)
    for command in (load, transform):
        add_full_refresh(command)
    for command in (load, ingest, transform, forget):
        add_run_options(command)

    shell = commands.add_parser(
        "shell", help="open what analysts read in DuckDB's SQL shell, read-only"
    )
    shell.add_argument("--warehouse", help=WAREHOUSE_HELP)
    shell.add_argument(
        "--sql",
        default=os.environ.get("SQL") or None,
        help="run this query, print its result and exit (default: $SQL; else interactive)",
    )
    report = commands.add_parser(
        "report", help="write the daily KPIs as one HTML page that opens offline"
    )
    report.add_argument("--warehouse", help=f"DuckDB file (default {DEFAULT_WAREHOUSE})")
    sample = commands.add_parser("sample", help="generate the deterministic sample archive")
    sample.add_argument("--output", default=str(SAMPLE_ROOT))
    sample.add_argument("--days", type=int, default=7)
    sample.add_argument("--tasks-per-day", type=int, default=150)
    return parser


def warehouse_setting(args: argparse.Namespace) -> str:
    """A DuckDB file, or a server's URL (``pipelines.engines``)."""
    return args.warehouse or os.environ.get("WAREHOUSE") or str(DEFAULT_WAREHOUSE)


def named_schemas(args: argparse.Namespace):
    """The raw schemas ``transform`` was told to read (a warehouse Segment loads), checked
    to be plain identifiers: they are spliced into SQL."""
    from pipelines.ops.registry import NamedSchemas

    regal_voice = getattr(args, "regal_voice_schema", None)
    brands = tuple(getattr(args, "brand_schemas", None) or ())
    for name in filter(None, (regal_voice, *brands)):
        if not SCHEMA_NAME.fullmatch(name):
            raise SourceConfigError(
                f"{name!r} is not a schema name (letters, digits and _, not starting with a "
                "digit): check --regal-voice-schema / --brand-schemas"
            )
    return NamedSchemas(regal_voice, brands)


def source_layers(args: argparse.Namespace) -> tuple:
    """What the options and the environment each say about sources, in that order."""
    from pipelines.ingest.sources import SourceSettings, parse_assignments

    return (
        SourceSettings(
            args.regal_voice_url, args.segment_url, parse_assignments(args.source or [], "--source")
        ),
        SourceSettings(
            os.environ.get("REGAL_VOICE_URL") or None,
            os.environ.get("SEGMENT_URL") or None,
            parse_assignments((os.environ.get("SOURCES") or "").split(), "SOURCES"),
        ),
    )


def run_settings(args: argparse.Namespace) -> RunSettings:
    """The parsed options of a command the runner runs, as its settings."""
    loads = args.command in LOADING
    forget = args.command == "forget"
    return RunSettings(
        command=args.command,
        warehouse=warehouse_setting(args),
        state_dir=Path(args.state_dir) if args.state_dir else None,
        lock_wait=args.lock_wait,
        busy_wait=args.busy_wait,
        publish_keep_hours=args.publish_keep_hours,
        full_refresh=getattr(args, "full_refresh", False),
        source_layers=source_layers(args) if loads else (),
        suppression_list=Path(args.suppression_list) if loads and args.suppression_list else None,
        named_schemas=named_schemas(args),
        forget=ForgetRequest(
            tuple(args.phone),
            tuple(args.email),
            tuple(args.user_id),
            args.purge_archive,
            args.dry_run,
        )
        if forget
        else ForgetRequest(),
    )


def state_folder() -> Path | None:
    """``STATE_DIR``: where a PostgreSQL warehouse's or an S3 lake's local files are."""
    return Path(os.environ["STATE_DIR"]) if os.environ.get("STATE_DIR") else None


def shell(args: argparse.Namespace) -> int:
    """What analysts read, read-only: the engine's SQL prompt; with ``--sql``, one query."""
    from pipelines.engines import engine_for

    engine = engine_for(warehouse_setting(args), state_folder(), reach=False)
    return engine.shell(args.sql, sys.stdout.isatty())


def report(args: argparse.Namespace) -> Path:
    from pipelines.engines import engine_for
    from pipelines.report import build_report

    engine = engine_for(warehouse_setting(args), state_folder(), reach=False)
    reader = engine.reader()
    if reader is None:
        raise WarehouseConfigError(
            f"`report` reads a DuckDB warehouse's analysts' copy or a lake; {engine} is read "
            "directly (`make shell`, or any BI tool), schema analytics"
        )
    with reader:
        return build_report(reader, engine.report_path())


def sample(args: argparse.Namespace) -> None:
    from pipelines.sample.archive import generate_archive

    manifest = generate_archive(Path(args.output), days=args.days, tasks_per_day=args.tasks_per_day)
    for name, source in manifest["sources"].items():
        print(f"{name}: {source['files']} files, {source['lines']} lines in {args.output}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    # pyiceberg says which file reader it picked, and py4j each call into Spark's JVM.
    for chatty in ("pyiceberg", "py4j"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    redact.remember_environment(dict(os.environ))
    redact.install()
    try:
        if args.command in RUN_COMMANDS:
            from pipelines.runner import run

            run(run_settings(args))
        if args.command == "shell":
            return shell(args)
        if args.command == "report":
            print(f"report: {report(args)}")
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
