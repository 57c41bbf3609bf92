"""Keep one copy of each message per run: Segment delivers at least once.

A message repeated inside one file is dropped there (files read together are kept apart); one
repeated across files of the same run is dropped against the ids this run already took. Copies
across runs are dlt's merge's job; with the staged data already unique, dlt can skip its own
(costly) deduplication.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.segment_archive.messages import Messages


def drop_repeats_within_file(messages: Messages, id_expr: str) -> dict[int, int]:
    """Delete all but the first line of each message id of each file; how many went, by file."""
    file = messages.file_number
    rows = messages.con.sql(
        f"SELECT {file}, count(*) - count(DISTINCT {id_expr}) FROM {messages.name} GROUP BY ALL"
    ).fetchall()
    repeats = {number: count for number, count in rows if count}
    if repeats:
        messages.con.execute(
            f"DELETE FROM {messages.name} WHERE rowid NOT IN "
            f"(SELECT min(rowid) FROM {messages.name} GROUP BY {file}, {id_expr})"
        )
    return repeats


class RunIds:
    """The message ids taken so far in this run, in DuckDB (a run can hold millions)."""

    def __init__(self) -> None:
        self.con = duckdb.connect(config={"threads": 1})
        self.con.execute("CREATE TABLE taken (id VARCHAR)")

    def take_files(self, ids_by_file: list[pa.Array]) -> list[pa.Array]:
        """Record the ids of consecutive files; for each file, those an earlier file of this
        run (or of this call) already took."""
        if not ids_by_file:
            return []
        numbers = [
            pa.repeat(pa.scalar(n, pa.int32()), len(ids)) for n, ids in enumerate(ids_by_file)
        ]
        incoming = pa.table(
            {
                "file": pa.concat_arrays(numbers),
                "id": pa.concat_arrays([ids.cast(pa.string()) for ids in ids_by_file]),
            }
        )
        self.con.register("incoming", incoming)
        try:
            repeated = self.con.sql(
                "SELECT file, id FROM incoming QUALIFY id IN (SELECT id FROM taken) "
                "OR row_number() OVER (PARTITION BY id ORDER BY file) > 1"
            ).to_arrow_table()
            self.con.execute("INSERT INTO taken SELECT DISTINCT id FROM incoming")
        finally:
            self.con.unregister("incoming")
        if not repeated.num_rows:  # the usual case: nothing to split by file
            return [pa.array([], pa.string()) for _ in ids_by_file]
        return [
            repeated.filter(pc.equal(repeated["file"], n))["id"].combine_chunks()
            for n in range(len(ids_by_file))
        ]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> RunIds:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def without_ids(table: pa.Table, ids: pa.Array) -> pa.Table:
    if len(ids) == 0:
        return table
    return table.filter(pc.invert(pc.is_in(table["id"], value_set=ids)))
