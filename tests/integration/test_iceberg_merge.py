"""dlt's Iceberg merge of a message table, as the lake's loads run it (``engines/spark/merge.py``):
one commit per load job, the ids a table already holds skipped, the first copy kept. Through
dlt's own filesystem destination (pyiceberg; no Spark)."""

from __future__ import annotations

from pathlib import Path

import dlt
import pyarrow as pa
from pyiceberg.table import StaticTable

from pipelines.engines.spark.merge import first_copies, install
from pipelines.segment_archive import MERGE_UNIQUE


def newest(table_folder: Path) -> StaticTable:
    return StaticTable.from_metadata(str(max((table_folder / "metadata").glob("*.metadata.json"))))


def test_a_load_job_is_one_commit_and_a_known_id_is_not_inserted_again(tmp_path):
    install()
    install()  # twice: still one layer over dlt's merge
    pipeline = dlt.pipeline(
        "iceberg_merge",
        destination=dlt.destinations.filesystem(bucket_url=str(tmp_path / "lake")),
        dataset_name="raw",
        pipelines_dir=str(tmp_path / "dlt"),
    )

    @dlt.resource(name="messages", write_disposition=MERGE_UNIQUE, primary_key="id")
    def messages(rows: dict):
        yield pa.table(rows)

    first = {"id": [f"m{i:05d}" for i in range(2_500)], "v": [1] * 2_500}
    pipeline.run(messages(first), table_format="iceberg")
    # A later run: two ids already loaded (another copy of the message), two new, one of them
    # twice within the job, and a column the table did not have.
    second = {
        "id": ["m00000", "new-1", "m02499", "new-2", "new-1"],
        "v": [2, 2, 2, 2, 3],
        "w": ["a", "b", "c", "d", "e"],
    }
    pipeline.run(messages(second), table_format="iceberg")

    table = newest(tmp_path / "lake" / "raw" / "messages")
    rows = table.scan().to_arrow().sort_by("id").to_pylist()
    assert len(rows) == 2_502
    by_id = {row["id"]: row for row in rows}
    assert by_id["m00000"] == {**by_id["m00000"], "v": 1, "w": None}
    assert (by_id["new-1"]["v"], by_id["new-1"]["w"]) == (2, "b")
    assert (by_id["new-2"]["v"], by_id["new-2"]["w"]) == (2, "d")
    # dlt's own merge commits every 1,000 rows: three snapshots for the first load alone.
    assert len(table.metadata.snapshots) == 2


def test_first_copies_keeps_each_keys_first_row_in_order():
    data = pa.table({"id": ["b", "a", "b", "c", "a"], "n": [0, 1, 2, 3, 4]})
    assert first_copies(data, ["id"]).to_pydict() == {"id": ["b", "a", "c"], "n": [0, 1, 3]}
