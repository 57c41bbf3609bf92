"""``ops.load_runs``: one row per load, so analysts can see when the data was last refreshed.

A run is recorded as ``running`` when it starts and given its outcome when it ends; a row
still ``running`` when the next load takes the lock belongs to a load that died, and is
marked ``interrupted``. ``ops.source_loads`` has one row per source of each run.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.ops.catalog import Sql

RUN_LOG = "ops.load_runs"
SOURCE_LOG = "ops.source_loads"


@dataclass
class Phases:
    """What each part of a run cost: for the closing log line and ``ops.load_runs``."""

    ingest: float | None = None
    forget: float | None = None
    build_mode: str | None = None  # skip, incremental or full
    build: float | None = None
    publish: float | None = None

    def describe(self) -> str:
        parts = []
        if self.ingest is not None:
            parts.append(f"ingest {self.ingest:.1f}s")
        if self.forget is not None:
            parts.append(f"forget {self.forget:.1f}s")
        if self.build is not None:
            parts.append(f"models ({self.build_mode}) {self.build:.1f}s")
        parts.append(f"publish {self.publish:.1f}s" if self.publish is not None else "no publish")
        return ", ".join(parts)


def start_run(con: Sql, command: str) -> str:
    """Record a new run (and close out runs that died); its id. The run log exists
    (``pipelines.ops.schema.prepare_ops``)."""
    con.execute(f"UPDATE {RUN_LOG} SET status = 'interrupted' WHERE status = 'running'")
    run_id = str(uuid.uuid4())
    con.execute(
        f"INSERT INTO {RUN_LOG} (run_id, command, started_at, status) "
        "VALUES (?, ?, now(), 'running')",
        [run_id, command],
    )
    return run_id


def finish_run(
    con: Sql,
    run_id: str,
    status: str,
    source_runs: Iterable = (),
    error: str | None = None,
    phases: Phases | None = None,
) -> None:
    """Give the run its outcome and what it loaded (counts only, never payloads)."""
    source_runs = list(source_runs)
    phases = phases or Phases()
    rows = {
        f"{run.dataset}.{table}": count
        for run in source_runs
        for table, count in run.rows_per_table.items()
    }

    def total(field: str) -> int:
        return sum(getattr(run.tally, field) for run in source_runs)

    con.execute(
        f"UPDATE {RUN_LOG} SET finished_at = now(), status = ?, files_read = ?, lines_read = ?, "
        "messages = ?, lines_quarantined = ?, rows_per_table = ?, error = ?, build_mode = ?, "
        "ingest_seconds = ?, build_seconds = ?, warnings = ?, messages_suppressed = ?, "
        "forget_seconds = ? WHERE run_id = ?",
        [
            status,
            total("files_read"),
            total("lines"),
            total("messages"),
            total("rejected"),
            json.dumps(rows),
            error,
            phases.build_mode,
            phases.ingest,
            phases.build,
            json.dumps(
                [w for run in source_runs for w in run.tally.warnings(run.dataset)],
                ensure_ascii=False,
            ),
            sum(sum(run.tally.suppressed.values()) for run in source_runs),
            phases.forget,
            run_id,
        ],
    )
    record_sources(con, run_id, source_runs)


def record_sources(con: Sql, run_id: str, source_runs: Iterable) -> None:
    """One row per source the run loaded: what each source's own run read and wrote."""
    for run in source_runs:
        tally = run.tally
        con.execute(
            f"INSERT INTO {SOURCE_LOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                run.dataset,
                run.url,
                tally.listed,
                tally.files_read,
                tally.lines,
                tally.messages,
                tally.rejected,
                json.dumps(run.rows_per_table),
                run.users,
                run.seconds,
                json.dumps(tally.warnings(run.dataset), ensure_ascii=False),
            ],
        )


def record_publish(con: Sql, run_id: str, seconds: float) -> None:
    """The analysts' copy is published after the run is logged: add what it cost."""
    con.execute(f"UPDATE {RUN_LOG} SET publish_seconds = ? WHERE run_id = ?", [seconds, run_id])
