"""Hand dlt one Arrow table per warehouse table per batch of files, not one per file.

dlt computes and validates a table's schema for every item it is given (milliseconds each):
for an archive of many small files that, not the data, was the cost (94 ms per file for
1,416 files of 50 messages). Tables of consecutive files are concatenated up to a row budget,
so memory stays bounded while small files share one item.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

ROWS_PER_ITEM = 50_000


class TableBatches:
    """Arrow tables waiting to be handed to dlt, per warehouse table."""

    def __init__(self, rows_per_item: int = ROWS_PER_ITEM) -> None:
        self.rows_per_item = rows_per_item
        self._tables: dict[str, list[pa.Table]] = defaultdict(list)
        self._rows: dict[str, int] = defaultdict(int)

    def add(self, name: str, table: pa.Table) -> list[tuple[str, pa.Table]]:
        """Keep ``table``; return the batch of ``name`` if it reached the row budget."""
        self._tables[name].append(table)
        self._rows[name] += table.num_rows
        if self._rows[name] >= self.rows_per_item:
            return [self._take(name)]
        return []

    def flush(self) -> list[tuple[str, pa.Table]]:
        """Every batch still waiting (at the end of a page of files)."""
        return [self._take(name) for name in list(self._tables)]

    def _take(self, name: str) -> tuple[str, pa.Table]:
        tables = self._tables.pop(name)
        self._rows.pop(name)
        if len(tables) == 1:
            return name, tables[0]
        # Files of one table can lack each other's columns: absent columns become nulls.
        return name, pa.concat_tables(tables, promote_options="default")
