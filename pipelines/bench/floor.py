"""The floor: DuckDB's own JSON reader, all files into one table per event name, nothing else.

No typing fixes, no flattening, no deduplication, no quarantine: the cost of parsing the
archive and writing it to a DuckDB file on this machine, which no loader can beat.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from pipelines.archive.sql import quote_identifier
from pipelines.naming import event_table_name


def load_floor(archive_root: Path, warehouse: Path) -> int:
    """Read every ``*.gz`` under ``archive_root`` and split it by event; the row count."""
    con = duckdb.connect(str(warehouse))
    files = str(archive_root / "segment-logs" / "*" / "*" / "*.gz")
    con.execute(
        "CREATE TEMP TABLE raw AS SELECT * FROM "
        "read_json(?, format='newline_delimited', union_by_name=true)",
        [files],
    )
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
