"""The peer: the loader a user would write from dlt's docs, for the benchmark to beat.

Rows are parsed in Python and yielded as dicts, each dispatched to a table named after its
event (or its type), merged on ``messageId``, with dlt's default normalizer and loader.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import dlt

from pipelines.ingest.load import DLT_SETTINGS


def table_of(message: dict) -> str:
    return message.get("event") or message["type"]


def archive_messages(files: list[Path]) -> Iterator[dict]:
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def load_peer(files: list[Path], warehouse: Path, pipelines_dir: Path) -> int:
    messages = dlt.resource(
        archive_messages(files),
        name="segment_messages",
        table_name=table_of,
        write_disposition="merge",
        primary_key="messageId",
    )
    pipeline = dlt.pipeline(
        pipeline_name="peer",
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name="plain_dlt",
        pipelines_dir=str(pipelines_dir),
    )
    pipeline.run(messages)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return sum(count for table, count in counts.items() if not table.startswith("_dlt"))


def main() -> None:
    # dlt's defaults, not the product's settings a parent process may have set.
    for name in DLT_SETTINGS:
        os.environ.pop(name, None)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    rows = load_peer(args.files, args.warehouse, args.warehouse.with_suffix(".dlt"))
    print(f"peer: {rows} rows")


if __name__ == "__main__":
    main()
