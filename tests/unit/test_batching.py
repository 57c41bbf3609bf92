"""Batching (and compacting) small files' tables for dlt never drops, doubles or reorders a
row."""

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from pipelines.segment_archive.batching import TableBatches

additions = st.lists(
    st.tuples(st.sampled_from(["tracks", "call_completed", "_rejected_lines"]), st.integers(0, 7)),
    max_size=60,
)
# Small budgets hand tables on at once; a large one keeps enough waiting to compact them.
row_budgets = st.integers(1, 10) | st.just(1_000)


@given(additions, row_budgets, st.sampled_from([100, 2**20]), st.booleans())
def test_every_row_comes_out_once_in_order(adds, budget, max_bytes, drop_a_column):
    batches = TableBatches(rows_per_item=budget, max_waiting_bytes=max_bytes)
    handed, counter = [], 0
    for number, (name, rows) in enumerate(adds):
        columns = {"n": list(range(counter, counter + rows)), "extra": [name] * rows}
        if drop_a_column and number % 2:
            del columns["extra"]  # a file lacking a column another file has
        counter += rows
        handed += batches.add(name, pa.table(columns))
    handed += batches.flush()
    assert batches.flush() == []
    for name in {name for name, _ in adds}:
        out = [n for table_name, t in handed if table_name == name for n in t["n"].to_pylist()]
        expected = []
        start = 0
        for add_name, rows in adds:
            if add_name == name:
                expected += list(range(start, start + rows))
            start += rows
        assert out == expected
    # Memory stays bounded: a batch holds less than the budget plus one file's rows.
    assert all(table.num_rows < budget + 7 for _, table in handed)


def test_waiting_pieces_are_compacted_into_few_contiguous_chunks():
    batches = TableBatches(rows_per_item=10_000)
    for start in range(0, 200, 5):  # forty five-row files
        assert batches.add("tracks", pa.table({"n": list(range(start, start + 5))})) == []
    [(table_name, table)] = batches.flush()
    assert table_name == "tracks"
    assert table["n"].to_pylist() == list(range(200))
    # 16 + 16 pieces compacted into two chunks, and the last 8 pieces still loose.
    assert table["n"].num_chunks == 2 + 8
