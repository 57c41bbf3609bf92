"""Spark's catalog over what dlt wrote: each raw table registered at its newest metadata.

dlt commits a table by writing a new ``metadata/NNNNN-<uuid>.metadata.json``; Spark's Hive
catalog keeps a pointer to one metadata file per table, so after each load every table whose
newest file moved is registered again (the table's files stay where they are). dlt's own
``_dlt_loads`` and ``_dlt_version`` are folders of JSON lines: Spark reads them as JSON tables
(the raw watermark, and whether a load changed a schema: ``transform/build.py``).
"""

from __future__ import annotations

import json
import logging
import posixpath
from pathlib import Path

from pipelines.engines.spark.store import LakeStore

log = logging.getLogger(__name__)

# dlt's tables of JSON lines, with the columns read of them.
DLT_JSON_TABLES = {
    "_dlt_loads": (
        "load_id STRING, schema_name STRING, status BIGINT, inserted_at TIMESTAMP, "
        "schema_version_hash STRING"
    ),
    "_dlt_version": (
        "version_hash STRING, schema_name STRING, version BIGINT, inserted_at TIMESTAMP"
    ),
}


def newest_metadata(store: LakeStore, table_folder: str) -> str | None:
    """The URL of the newest ``metadata/NNNNN-….metadata.json`` of a table's folder."""
    files = store.files(posixpath.join(table_folder, "metadata"), ".metadata.json")
    return files[-1] if files else None


def register_dataset(connection, store: LakeStore, home: Path, dataset: str) -> int:
    """Register (again) every Iceberg table of ``<lake>/<dataset>/`` whose newest metadata
    moved; how many were. ``home/registered.json`` records which file each one was at."""
    session = connection.session
    folder = store.join(dataset)
    if not store.is_dir(folder):
        return 0
    session.sql(f"CREATE DATABASE IF NOT EXISTS `{dataset}` LOCATION '{folder}'")
    record = home / "registered.json"
    known = json.loads(record.read_text()) if record.exists() else {}
    registered = 0
    for table_folder in store.folders(folder):
        table = posixpath.basename(table_folder)
        if table in DLT_JSON_TABLES:
            session.sql(
                f"CREATE TABLE IF NOT EXISTS `{dataset}`.`{table}` ({DLT_JSON_TABLES[table]}) "
                f"USING json LOCATION '{table_folder}'"
            )
            session.sql(f"REFRESH TABLE `{dataset}`.`{table}`")
            continue
        metadata = newest_metadata(store, table_folder)
        if metadata is None:
            continue  # dlt's own state files: not tables
        key = f"{dataset}.{table}"
        exists = session.catalog.tableExists(key)
        if exists and known.get(key) == metadata:
            continue
        if '"view-uuid"' in store.read_text(metadata):
            continue  # an Iceberg view (a staging model): dbt creates it again in its run
        if exists:
            session.sql(f"DROP TABLE `{dataset}`.`{table}`")  # the pointer only, not the files
        session.sql(
            "CALL spark_catalog.system.register_table("
            f"table => '{dataset}.{table}', metadata_file => '{metadata}')"
        )
        known[key] = metadata
        registered += 1
    record.write_text(json.dumps(known, indent=1, sort_keys=True))
    log.info("%s: %d tables registered in Spark's catalog", dataset, registered)
    return registered
