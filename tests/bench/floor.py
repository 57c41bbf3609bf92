"""The floor: DuckDB's own JSON reader, all files into one table per event name, nothing else.

No typing fixes, no flattening, no deduplication, no quarantine: the cost of parsing the
archive and writing it to a DuckDB file on this machine, which no loader can beat.

DuckDB's reader holds a buffer (32 MB) per file of a ``read_json`` call until it ends, so an
archive of hourly files (875 at 5M messages) is read ``FILES_PER_READ`` files at a time; the
events are then split from the union of those reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from pipelines.segment_archive.naming import event_table_name
from pipelines.segment_archive.sql import quote_identifier

FILES_PER_READ = 64


def load_floor(archive_root: Path, warehouse: Path) -> int:
    """Read every ``*.gz`` under ``archive_root`` and split it by event; the row count."""
    con = duckdb.connect(str(warehouse))
    files = sorted(str(path) for path in archive_root.glob("segment-logs/*/*/*.gz"))
    parts = []
    for start in range(0, len(files), FILES_PER_READ):
        part = f"part_{len(parts)}"
        con.execute(
            f"CREATE TEMP TABLE {part} AS SELECT * FROM "
            "read_json(?, format='newline_delimited', union_by_name=true)",
            [files[start : start + FILES_PER_READ]],
        )
        parts.append(part)
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {part}" for part in parts)
    con.execute(f"CREATE TEMP TABLE raw AS {union}")
    for part in parts:
        con.execute(f"DROP TABLE {part}")
    names = con.sql("SELECT DISTINCT coalesce(event, type) FROM raw").fetchall()
    for (name,) in names:
        con.execute(
            f"CREATE TABLE {quote_identifier(event_table_name(name))} AS "
            "SELECT * FROM raw WHERE coalesce(event, type) = ?",
            [name],
        )
    rows = con.sql("SELECT count(*) FROM raw").fetchall()[0][0]
    con.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("archive_root", type=Path)
    parser.add_argument("warehouse", type=Path)
    args = parser.parse_args()
    print(f"floor: {load_floor(args.archive_root, args.warehouse)} rows")


if __name__ == "__main__":
    main()
