"""Insert-only merges into an Iceberg table in one scan and one commit per load job.

dlt's filesystem destination merges a load job into an Iceberg table
(``dlt.common.libs.pyiceberg.merge_iceberg_table``) by pyiceberg upserts of 1,000 rows at a
time. Each upsert scans every column of the whole table for its keys (a set of 1,000 random
message ids rules out no data file) and commits a snapshot with a data file of its own, so a
table receiving n rows costs n/1,000 scans of a table that grows by a file each time:
quadratic. Measured here (pyiceberg 0.12, 30,000 new rows into an empty table): 4.3 s, against
0.4 s for this module's one scan of the id column and one append.

A message table's merge is insert-only (``segment_archive.MERGE_UNIQUE``): the rows whose id
the table lacks are appended, the first copy within the job kept. Every other merge (the
quarantine's and the file records' upserts on composite keys) is dlt's own.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

_ROW = "__row_number"


def first_copies(data: pa.Table, keys: list[str]) -> pa.Table:
    """The rows of ``data`` whose key no earlier row has (staged rows are unique per run, so
    this is a guard, not a cost)."""
    numbered = data.append_column(_ROW, pa.array(range(data.num_rows), pa.int64()))
    first = numbered.group_by(keys, use_threads=False).aggregate([(_ROW, "min")])
    rows = first.column(f"{_ROW}_min")
    return data.take(rows.take(pc.sort_indices(rows)))


def insert_new_rows(table: Any, data: pa.Table, keys: list[str]) -> int:
    """Append the rows of ``data`` whose ``keys`` the Iceberg ``table`` lacks, in one commit;
    how many. Reads only the key columns of the table."""
    from pyiceberg.expressions import In

    if len(keys) != 1:
        raise ValueError(f"an insert-only merge here keys on one column, not {keys}")
    (key,) = keys
    data = first_copies(data, keys)
    wanted = data.column(key).drop_null().unique()
    known = (
        table.scan(row_filter=In(key, wanted.to_pylist()), selected_fields=(key,))
        .to_arrow()
        .column(key)
    )
    # A row without a key (the reader quarantines messages without an id) is kept, not lost.
    fresh = data.filter(pc.invert(pc.is_in(data.column(key), value_set=known)).fill_null(True))
    if fresh.num_rows:
        table.append(fresh)
    return fresh.num_rows


def install() -> None:
    """Make dlt's Iceberg merges of insert-only tables this module's (idempotent)."""
    from dlt.common.libs import pyiceberg as dlt_iceberg

    dlts_merge = dlt_iceberg.merge_iceberg_table
    if getattr(dlts_merge, "is_ours", False):
        return

    def merge_iceberg_table(table, data: pa.Table, schema, load_table_name: str) -> None:
        if schema.get("x-merge-strategy") != "insert-only" or "parent" in schema:
            return dlts_merge(table, data, schema, load_table_name)
        from dlt.common.schema.utils import get_columns_names_with_prop

        # As dlt does: the table's schema takes the job's new columns first.
        with table.update_schema() as update:
            update.union_by_name(dlt_iceberg.ensure_iceberg_compatible_arrow_schema(data.schema))
        data = dlt_iceberg.ensure_iceberg_compatible_arrow_data(data)
        insert_new_rows(table, data, get_columns_names_with_prop(schema, "primary_key"))
        return None

    merge_iceberg_table.is_ours = True  # type: ignore[attr-defined]
    dlt_iceberg.merge_iceberg_table = merge_iceberg_table
