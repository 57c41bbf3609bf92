"""Hand dlt one Arrow table per warehouse table per batch of files, not one per file.

dlt computes and validates a table's schema for every item it is given (milliseconds each):
for an archive of many small files that, not the data, was the cost (94 ms per file for
1,416 files of 50 messages). Tables of consecutive files are concatenated up to a row budget,
and a byte budget for all of them, so memory stays bounded while small files share one item.

A table exported from DuckDB reserves buffers for a whole vector (2,048 rows) per column: a
five-row table of 60 columns holds ~110 KB for ~3 KB of data. Waiting tables are therefore
compacted into one contiguous table every ``COMPACT_EVERY`` pieces (1,410 files of 50 messages
peaked at 1,108 MB before, most of it such reserves).
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

ROWS_PER_ITEM = 50_000
# All tables waiting together stay under this, so batching adds little to a run's peak memory.
MAX_WAITING_BYTES = 48 * 2**20
COMPACT_EVERY = 16


class TableBatches:
    """Arrow tables waiting to be handed to dlt, per warehouse table."""

    def __init__(
        self, rows_per_item: int = ROWS_PER_ITEM, max_waiting_bytes: int = MAX_WAITING_BYTES
    ) -> None:
        self.rows_per_item = rows_per_item
        self.max_waiting_bytes = max_waiting_bytes
        self._tables: dict[str, list[pa.Table]] = defaultdict(list)
        self._rows: dict[str, int] = defaultdict(int)
        self._loose: dict[str, int] = defaultdict(int)  # pieces added since the last compaction
        self._bytes = 0

    def add(self, name: str, table: pa.Table) -> list[tuple[str, pa.Table]]:
        """Keep ``table``; return the batches that reached the row budget (or every batch,
        once all that waits outgrows the byte budget)."""
        self._tables[name].append(table)
        self._rows[name] += table.num_rows
        self._bytes += table.nbytes
        self._loose[name] += 1
        if self._loose[name] >= COMPACT_EVERY:
            self._compact(name)
        if self._bytes >= self.max_waiting_bytes:
            return self.flush()
        if self._rows[name] >= self.rows_per_item:
            return [self._take(name)]
        return []

    def flush(self) -> list[tuple[str, pa.Table]]:
        """Every batch still waiting (at the end of a page of files)."""
        return [self._take(name) for name in list(self._tables)]

    def _compact(self, name: str) -> None:
        """Copy the loose pieces into one table of right-sized buffers."""
        tables, loose = self._tables[name], self._loose.pop(name)
        pieces = tables[-loose:]
        compact = _concat(pieces).combine_chunks()
        self._bytes += compact.nbytes - sum(table.nbytes for table in pieces)
        tables[-loose:] = [compact]

    def _take(self, name: str) -> tuple[str, pa.Table]:
        tables = self._tables.pop(name)
        self._rows.pop(name)
        self._loose.pop(name, None)
        self._bytes -= sum(table.nbytes for table in tables)
        return name, _concat(tables)


def _concat(tables: list[pa.Table]) -> pa.Table:
    if len(tables) == 1:
        return tables[0]
    # Files of one table can lack each other's columns: absent columns become nulls.
    return pa.concat_tables(tables, promote_options="default")
