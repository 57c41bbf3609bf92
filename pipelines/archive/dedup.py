"""Keep one copy of each message per run: Segment delivers at least once.

A message repeated inside one file is dropped there; one repeated across files of the same
run is dropped against the ids this run already took. Copies across runs are dlt's merge's
job; with the staged data already unique, dlt can skip its own (costly) deduplication.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.archive.messages import Messages


def drop_repeats_within_file(messages: Messages, id_expr: str) -> int:
    """Delete all but the first line of each message id of one file; how many went."""
    total, distinct = messages.con.sql(
        f"SELECT count(*), count(DISTINCT {id_expr}) FROM {messages.name}"
    ).fetchall()[0]
    if total == distinct:
        return 0
    messages.con.execute(
        f"DELETE FROM {messages.name} WHERE rowid NOT IN "
        f"(SELECT min(rowid) FROM {messages.name} GROUP BY {id_expr})"
    )
    return total - distinct


class RunIds:
    """The message ids taken so far in this run, in DuckDB (a run can hold millions)."""

    def __init__(self) -> None:
        self.con = duckdb.connect(config={"threads": 1})
        self.con.execute("CREATE TABLE taken (id VARCHAR)")

    def take(self, ids: pa.Array) -> pa.Array:
        """Record ``ids``; return those an earlier file of this run already took."""
        incoming = pa.table({"id": ids})
        self.con.register("incoming", incoming)
        try:
            repeated = self.con.sql(
                "SELECT id FROM incoming WHERE id IN (SELECT id FROM taken)"
            ).to_arrow_table()["id"]
            self.con.execute("INSERT INTO taken SELECT id FROM incoming")
        finally:
            self.con.unregister("incoming")
        return repeated.combine_chunks()

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
