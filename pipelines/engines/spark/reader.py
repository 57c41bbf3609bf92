"""The lake as analysts' tools read it without Spark: a DuckDB session whose views are the lake's
tables, each at its newest snapshot (``make report`` reads it).

An Iceberg table's newest metadata file names the Parquet files of its current snapshot; pyiceberg
lists them, and DuckDB reads them where they are (nothing is copied). A table whose snapshot
has delete files (a merge-on-read write) is read through pyiceberg instead, which applies them.
No JVM starts, and a load running meanwhile never changes what the session sees: Iceberg
commits a table by writing a new metadata file, and the session holds the older one.
"""

from __future__ import annotations

import posixpath

import duckdb

from pipelines.engines.spark.catalog import newest_metadata
from pipelines.engines.spark.store import LakeStore


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_reader(store: LakeStore, schemas: tuple[str, ...] = ("analytics", "ops")):
    """An in-memory DuckDB connection with one view per Iceberg table of ``schemas``."""
    from pyiceberg.table import StaticTable

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for schema in schemas:
        folder = store.join(schema)
        if not store.is_dir(folder):
            continue
        con.execute(f'CREATE SCHEMA "{schema}"')
        for table_folder in store.folders(folder):
            metadata = newest_metadata(store, table_folder)
            table_name = posixpath.basename(table_folder)
            if metadata is None or "__dbt" in table_name:
                continue
            table = StaticTable.from_metadata(metadata, properties=store.pyiceberg_properties())
            name = f'"{schema}"."{table_name}"'
            tasks = list(table.scan().plan_files())
            # DuckDB reads local Parquet in place; an S3 lake's through pyiceberg (DuckDB's
            # httpfs extension cannot be downloaded on every machine).
            if tasks and not store.is_remote and not any(task.delete_files for task in tasks):
                files = ", ".join(_quoted(t.file.file_path.removeprefix("file:")) for t in tasks)
                # By name: files written before a column was added lack it (null there).
                con.execute(
                    f"CREATE VIEW {name} AS "
                    f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
                )
            else:  # remote, delete files to apply, or no rows yet (the columns, empty)
                con.register("snapshot_rows", table.scan().to_arrow())
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM snapshot_rows")
                con.unregister("snapshot_rows")
    return con
