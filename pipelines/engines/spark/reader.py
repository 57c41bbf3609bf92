"""The lake as analysts' tools read it without Spark: a DuckDB session whose views are the lake's
tables, each at its newest snapshot (``make report`` reads it).

An Iceberg table's newest metadata file names the Parquet files of its current snapshot; pyiceberg
lists them, and DuckDB reads them where they are (nothing is copied). A table whose snapshot
has delete files (a merge-on-read write) is read through pyiceberg instead, which applies them.
No JVM starts, and a load running meanwhile never changes what the session sees: Iceberg
commits a table by writing a new metadata file, and the session holds the older one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.engines.spark.catalog import newest_metadata


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_reader(lake: Path, schemas: tuple[str, ...] = ("analytics", "ops")):
    """An in-memory DuckDB connection with one view per Iceberg table of ``schemas``."""
    from pyiceberg.table import StaticTable

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for schema in schemas:
        folder = lake / schema
        if not folder.is_dir():
            continue
        con.execute(f'CREATE SCHEMA "{schema}"')
        for table_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
            metadata = newest_metadata(table_folder)
            if metadata is None or "__dbt" in table_folder.name:
                continue
            table = StaticTable.from_metadata(str(metadata))
            name = f'"{schema}"."{table_folder.name}"'
            tasks = list(table.scan().plan_files())
            if tasks and not any(task.delete_files for task in tasks):
                files = ", ".join(_quoted(t.file.file_path.removeprefix("file:")) for t in tasks)
                # By name: files written before a column was added lack it (null there).
                con.execute(
                    f"CREATE VIEW {name} AS "
                    f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
                )
            else:  # delete files to apply, or no rows yet (the columns, empty): pyiceberg
                con.register("snapshot_rows", table.scan().to_arrow())
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM snapshot_rows")
                con.unregister("snapshot_rows")
    return con
