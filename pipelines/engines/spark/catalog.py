"""Spark's catalog over what dlt wrote: each raw table registered at its newest metadata.

dlt commits a table by writing a new ``metadata/NNNNN-<uuid>.metadata.json``; Spark's Hive
catalog keeps a pointer to one metadata file per table, so after each load every table whose
newest file moved is registered again (the table's files stay where they are). dlt's own
``_dlt_loads`` is a folder of JSON lines: Spark reads it as a JSON table (the raw watermark).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

DLT_LOADS_COLUMNS = (
    "load_id STRING, schema_name STRING, status BIGINT, inserted_at TIMESTAMP, "
    "schema_version_hash STRING"
)


def newest_metadata(table_folder: Path) -> Path | None:
    files = sorted((table_folder / "metadata").glob("*.metadata.json"))
    return files[-1] if files else None


def registry_path(lake: Path) -> Path:
    """Which metadata file each raw table was registered at, beside the metastore."""
    return lake / "_spark" / "registered.json"


def register_dataset(connection, lake: Path, dataset: str) -> int:
    """Register (again) every Iceberg table of ``<lake>/<dataset>/`` whose newest metadata
    moved; how many were."""
    session = connection.session
    folder = lake / dataset
    if not folder.is_dir():
        return 0
    session.sql(f"CREATE DATABASE IF NOT EXISTS `{dataset}` LOCATION '{folder}'")
    record = registry_path(lake)
    known = json.loads(record.read_text()) if record.exists() else {}
    registered = 0
    for table_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
        table = table_folder.name
        if table == "_dlt_loads":
            session.sql(
                f"CREATE TABLE IF NOT EXISTS `{dataset}`.`_dlt_loads` ({DLT_LOADS_COLUMNS}) "
                f"USING json LOCATION '{table_folder}'"
            )
            session.sql(f"REFRESH TABLE `{dataset}`.`_dlt_loads`")
            continue
        metadata = newest_metadata(table_folder)
        if metadata is None:
            continue  # dlt's own state and version files: not tables
        key = f"{dataset}.{table}"
        exists = session.catalog.tableExists(key)
        if exists and known.get(key) == str(metadata):
            continue
        if exists:
            session.sql(f"DROP TABLE `{dataset}`.`{table}`")  # the pointer only, not the files
        session.sql(
            "CALL spark_catalog.system.register_table("
            f"table => '{dataset}.{table}', metadata_file => '{metadata}')"
        )
        known[key] = str(metadata)
        registered += 1
    record.write_text(json.dumps(known, indent=1, sort_keys=True))
    log.info("%s: %d raw tables registered in Spark's catalog", dataset, registered)
    return registered
