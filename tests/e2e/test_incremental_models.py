"""Incremental builds over many scheduled loads give the marts one full build gives, row for row.

The generated archive's messages are dealt at random over several loads, so task lifecycles,
consent histories and agent shifts are split across loads, events arrive after later ones
(late files in old day folders), and some messages arrive again in a later load.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from pipelines.settings import (
    BRAND_SOURCE_ID,
    REGAL_VOICE_SOURCE_ID,
    SAMPLE_BRAND_SOURCES,
    SAMPLE_SOURCE_IDS,
)
from tests.conftest import PROJECT, load_arguments

LOADS = 4
# Columns that record when a row was loaded or built, not what it says.
BOOKKEEPING = {"refreshed_at"}


def archive_messages(root: Path, source_id: str) -> list[str]:
    lines = []
    for path in sorted((root / "segment-logs" / source_id).rglob("*.gz")):
        lines.extend(line for line in gzip.decompress(path.read_bytes()).decode().splitlines())
    return [line for line in lines if line.strip()]


def received_day(line: str) -> str:
    try:
        received = json.loads(line)["receivedAt"][:10]
    except (ValueError, KeyError, TypeError):
        return "0"  # bad lines of the sample: any folder will do
    from datetime import date

    return str(int(date.fromisoformat(received).strftime("%s")) * 1000)


def deal_into_loads(lines: list[str], rng: random.Random) -> list[list[str]]:
    """Each line into a random load; one in twenty also into a later one (at least once)."""
    loads: list[list[str]] = [[] for _ in range(LOADS)]
    for line in lines:
        load = rng.randrange(LOADS)
        loads[load].append(line)
        if load < LOADS - 1 and rng.random() < 0.05:
            loads[rng.randrange(load + 1, LOADS)].append(line)
    return loads


def envelope(message_id: str, kind: str, at: str, **body) -> str:
    return json.dumps(
        {
            "messageId": message_id,
            "type": kind,
            "timestamp": at,
            "receivedAt": at,
            "sentAt": at,
            **body,
        }
    )


# Changes that move rows between keys, each in its own load, appended to the dealt ones.
MOVES = {
    BRAND_SOURCE_ID: [
        # u-move identifies on the website with one phone, then opts in to voice in an identify
        # of the iOS app without a phone (the record falls back to that phone, across
        # sources), then identifies on the website with a new phone: the record moves, and
        # +19990001111 is left with no consent history at all.
        [
            envelope(
                "move-i1",
                "identify",
                "2026-10-05T08:00:00Z",
                userId="u-move",
                traits={"phone": "+19990001111"},
            )
        ],
        [],
        [
            envelope(
                "move-i3",
                "identify",
                "2026-10-06T09:00:00Z",
                userId="u-move",
                traits={"phone": "+19990002222"},
            )
        ],
        [],
    ],
    SAMPLE_BRAND_SOURCES["ios"]: [
        [],
        [
            envelope(
                "move-i2",
                "identify",
                "2026-10-05T09:00:00Z",
                userId="u-move",
                traits={
                    "optIn": [
                        {
                            "channel": "voice",
                            "subscribed": True,
                            "timestamp": "2026-10-05T09:00:00Z",
                        }
                    ]
                },
            )
        ],
        [],
        [],
    ],
    REGAL_VOICE_SOURCE_ID: [
        # A task with no task.created, alone on its day, until an earlier reservation arrives
        # late: the task moves to an earlier day, and its old day must vanish from the KPIs.
        [
            envelope(
                "move-t1",
                "track",
                "2026-09-01T10:00:00Z",
                event="task.reservation.created",
                properties={"task_id": "WTmove", "queue": "Sales", "channel": "voice"},
            )
        ],
        [],
        [
            envelope(
                "move-t2",
                "track",
                "2026-08-30T10:00:00Z",
                event="task.reservation.created",
                properties={"task_id": "WTmove", "queue": "Sales", "channel": "voice"},
            )
        ],
        [],
    ],
}


def write_load(archive: Path, source_id: str, load: int, lines: list[str]) -> None:
    """One load's lines as new files in their received-day folders, as Segment would add them."""
    by_day: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        by_day[received_day(line)].append(line)
    for day, day_lines in by_day.items():
        path = archive / "segment-logs" / source_id / day / f"load{load}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(("\n".join(day_lines) + "\n").encode()))


def load(archive: Path, warehouse: Path, *options: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", *load_arguments(archive, warehouse, *options)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    return result


def mart_rows(warehouse: Path) -> dict[str, Counter]:
    """Every analytics table as a multiset of rows, bookkeeping columns left out."""
    marts = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.sql(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'analytics'"
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for name, *_ in con.sql(f"DESCRIBE analytics.{table}").fetchall()
                if name not in BOOKKEEPING
            ]
            listed = ", ".join(f'"{name}"' for name in columns)
            rows = con.sql(f"SELECT {listed} FROM analytics.{table}").fetchall()
            marts[table] = Counter(rows)
    return marts


def built_mode(result: subprocess.CompletedProcess) -> str:
    line = next(line for line in result.stderr.splitlines() if "models: " in line)
    return line.split("models: ")[1].split()[0]


@pytest.mark.slow
def test_incremental_builds_over_split_loads_equal_one_full_build(tmp_path):
    original = tmp_path / "original"
    generate_archive(original, days=3, tasks_per_day=60, messages_per_file=300)
    rng = random.Random(7)
    dealt = {
        source_id: deal_into_loads(archive_messages(original, source_id), rng)
        for source_id in SAMPLE_SOURCE_IDS.values()
    }
    for source_id, moves in MOVES.items():
        for number, lines in enumerate(moves):
            dealt[source_id][number].extend(lines)

    live = tmp_path / "live"
    incremental = tmp_path / "incremental" / "warehouse.duckdb"
    modes = []
    for number in range(LOADS):
        for source_id, loads in dealt.items():
            write_load(live, source_id, number, loads[number])
        modes.append(built_mode(load(live, incremental)))
    assert modes == ["full"] + ["incremental"] * (LOADS - 1)
    assert built_mode(load(live, incremental)) == "skip"

    full = tmp_path / "full" / "warehouse.duckdb"
    assert built_mode(load(live, full)) == "full"

    with duckdb.connect(str(incremental), read_only=True) as con:
        moved = con.sql(
            "SELECT phone FROM analytics.fct_consent_history "
            "WHERE phone IN ('+19990001111', '+19990002222')"
        ).fetchall()
        assert moved == [("+19990002222",)]
        days = con.sql(
            "SELECT activity_date::VARCHAR FROM analytics.agg_queue_daily "
            "WHERE activity_date BETWEEN '2026-08-29' AND '2026-09-02'"
        ).fetchall()
        assert days == [("2026-08-30",)]

    expected, actual = mart_rows(full), mart_rows(incremental)
    assert set(actual) == set(expected)
    for table, rows in expected.items():
        assert sum(rows.values()) > 0, table
        missing, extra = rows - actual[table], actual[table] - rows
        assert not missing and not extra, (
            f"{table}: {sum(missing.values())} rows of the full build missing, "
            f"{sum(extra.values())} extra, e.g. {list(missing)[:1]} / {list(extra)[:1]}"
        )
