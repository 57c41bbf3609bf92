"""Valid messages of one or more files, as they pass from the reader to deduplication and
shaping."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.segment_archive.sql import quote_identifier

# The column numbering each message's file when several files are read in one query.
FILE_COLUMN = "__archive_file"


@dataclass
class Messages:
    """Valid messages in a temp table of the DuckDB connection that read them, one column per
    top-level field.

    The reader creates the table, deduplication deletes repeated messages from it, the shaper
    selects Segment's tables from it, and whoever prepared the files drops it. Each step is
    handed this object rather than finding the table by its name. When several files were read
    together, ``FILE_COLUMN`` numbers each row's file (0, 1, …, in the order read); it is no
    field of the messages.
    """

    con: duckdb.DuckDBPyConnection
    table: str = "messages"
    several_files: bool = False

    @property
    def name(self) -> str:
        """The table, quoted for SQL."""
        return quote_identifier(self.table)

    @property
    def file_number(self) -> str:
        """SQL for each row's file number: 0 when the table holds one file."""
        return quote_identifier(FILE_COLUMN) if self.several_files else "0::BIGINT"

    def column_types(self) -> dict[str, duckdb.DuckDBPyType]:
        """The messages' top-level fields and their types."""
        relation = self.con.table(self.table)
        return {
            name: kind
            for name, kind in zip(relation.columns, relation.types, strict=True)
            if name != FILE_COLUMN
        }

    def drop(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.name}")
