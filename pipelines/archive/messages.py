"""One file's valid messages, as they pass from the reader to deduplication and shaping."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.archive.sql import quote_identifier


@dataclass
class Messages:
    """The valid messages of one archive file: a temp table of the DuckDB connection that read
    them, one column per top-level field.

    The reader creates the table, deduplication deletes repeated messages from it, the shaper
    selects Segment's tables from it, and whoever prepared the file drops it. Each step is
    handed this object rather than finding the table by its name.
    """

    con: duckdb.DuckDBPyConnection
    table: str = "messages"

    @property
    def name(self) -> str:
        """The table, quoted for SQL."""
        return quote_identifier(self.table)

    def column_types(self) -> dict[str, duckdb.DuckDBPyType]:
        relation = self.con.table(self.table)
        return dict(zip(relation.columns, relation.types, strict=True))

    def drop(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.name}")
