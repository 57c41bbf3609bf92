"""Command line: ``python -m pipelines load|ingest|transform|sample``.

Settings come from options, then the Makefile's environment variables (REGAL_VOICE_URL,
SEGMENT_URL, WAREHOUSE), then dlt config (``sources.regal_voice.bucket_url`` …), then the
bundled sample archive and ``data/warehouse.duckdb``.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from pipelines.settings import (
    DEFAULT_REGAL_VOICE_URL,
    DEFAULT_SEGMENT_URL,
    DEFAULT_WAREHOUSE,
    PROJECT_ROOT,
    REGAL_VOICE_DATASET,
    SAMPLE_ROOT,
    SEGMENT_DATASET,
)

log = logging.getLogger("pipelines.load")
DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def _from_dlt_config(key: str) -> str | None:
    import dlt

    try:
        return dlt.config.get(key, str)
    except Exception:  # a malformed config.toml should not hide the real defaults
        return None


def resolve_setting(option: str | None, env_var: str, dlt_key: str | None, default: str) -> str:
    for value in (option, os.environ.get(env_var), _from_dlt_config(dlt_key) if dlt_key else None):
        if value:
            return value
    return default


def print_summary(runs, seconds: float) -> None:
    out = sys.stdout
    out.write("\nLoad summary\n")
    for run in runs:
        tally = run.tally
        out.write(
            f"  {run.dataset}: {tally.files_read} new files read ({tally.listed} listed, "
            f"{len(tally.skipped)} not archive files), {tally.lines} lines, "
            f"{tally.messages} messages, {tally.rejected} lines quarantined, {run.seconds:.1f}s\n"
        )
        for table, rows in run.rows_per_table.items():
            out.write(f"      {table:<32} {rows:>10} rows\n")
        if run.users:
            out.write(f"      {'users (refreshed)':<32} {run.users:>10} rows\n")
    out.write(f"  total: {seconds:.1f}s\n")


def ingest(args: argparse.Namespace) -> None:
    from pipelines.load import load_source

    warehouse = Path(resolve_setting(args.warehouse, "WAREHOUSE", None, str(DEFAULT_WAREHOUSE)))
    sources = [
        (
            REGAL_VOICE_DATASET,
            resolve_setting(
                args.regal_voice_url,
                "REGAL_VOICE_URL",
                "sources.regal_voice.bucket_url",
                DEFAULT_REGAL_VOICE_URL,
            ),
        ),
        (
            SEGMENT_DATASET,
            resolve_setting(
                args.segment_url, "SEGMENT_URL", "sources.segment.bucket_url", DEFAULT_SEGMENT_URL
            ),
        ),
    ]
    started = time.monotonic()
    runs = [load_source(dataset, url, warehouse) for dataset, url in sources]
    print_summary(runs, time.monotonic() - started)
    os.environ["WAREHOUSE"] = str(warehouse.resolve())


def transform(args: argparse.Namespace) -> None:
    """``dbt build`` on the warehouse, once the dbt project exists."""
    if not (DBT_PROJECT / "dbt_project.yml").exists():
        log.info("no dbt project yet: skipping dbt build")
        return
    warehouse = resolve_setting(args.warehouse, "WAREHOUSE", None, str(DEFAULT_WAREHOUSE))
    env = {**os.environ, "WAREHOUSE": str(Path(warehouse).resolve())}
    # The dbt next to this interpreter: cron and `make` run without the virtualenv activated.
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt) if dbt.exists() else "dbt",
        "build",
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
    ]
    completed = subprocess.run(command, env=env)
    if completed.returncode != 0:
        raise RuntimeError(
            f"dbt build failed (exit {completed.returncode}); the failing models and tests "
            "are listed above and in dbt_project/logs/dbt.log"
        )


def sample(args: argparse.Namespace) -> None:
    from pipelines.sample.archive import generate_archive

    manifest = generate_archive(Path(args.output), days=args.days, tasks_per_day=args.tasks_per_day)
    for name, source in manifest["sources"].items():
        print(f"{name}: {source['files']} files, {source['lines']} lines in {args.output}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description=__doc__,
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
        command.add_argument("--segment-url", help="the brand's Segment source folder")
        command.add_argument("--warehouse", help=f"DuckDB file (default {DEFAULT_WAREHOUSE})")
    command = commands.add_parser("transform", help="build the dbt models only")
    command.add_argument("--warehouse")
    command = commands.add_parser("sample", help="generate the deterministic sample archive")
    command.add_argument("--output", default=str(SAMPLE_ROOT))
    command.add_argument("--days", type=int, default=7)
    command.add_argument("--tasks-per-day", type=int, default=150)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        if args.command in ("load", "ingest"):
            ingest(args)
        if args.command in ("load", "transform"):
            transform(args)
        if args.command == "sample":
            sample(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for cron mail; the traceback only when asked for
        if os.environ.get("DEBUG"):
            raise
        cause = exc
        while cause.__cause__ is not None:
            cause = cause.__cause__
        message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        print(f"error: {type(cause).__name__}: {message}", file=sys.stderr)
        return 1
    return 0
