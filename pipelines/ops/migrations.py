"""Warehouses built by earlier releases, brought up to date in place: no manual step, no reload.

Each step is idempotent and runs where it applies:

- ``upgrade_columns``: the run log's columns later releases added (every run);
- ``adopt_earlier_raw_schemas``: raw schemas loaded before the source registry existed (0.1),
  registered as sources (the first run of a newer release);
- ``adopt_own_schema``: dlt's schema shared by both pipelines up to 0.2.0, carried over as each
  source's own (each source's first load).

Two upgrades live where their data does: the suppression list kept beside a 0.2 warehouse
becomes the installation's (``pipelines.privacy.suppression``), and a DuckDB warehouse built
from an older release's bundled sample is set aside (``pipelines.engines.duckdb.older_sample``).
"""

from __future__ import annotations

import logging

import dlt

from pipelines.ops.catalog import Sql, columns_of, schemas_with_table
from pipelines.segment_archive.settings import DLT_STAGING_SUFFIX, FILES_TABLE
from pipelines.settings import REGAL_VOICE_DATASET

log = logging.getLogger(__name__)

# (release, column, type) of every column added to ops.load_runs after 0.1.0.
RUN_LOG_COLUMNS = (
    ("0.2.0", "build_mode", "VARCHAR"),
    ("0.2.0", "ingest_seconds", "DOUBLE PRECISION"),
    ("0.2.0", "build_seconds", "DOUBLE PRECISION"),
    ("0.2.0", "publish_seconds", "DOUBLE PRECISION"),
    ("0.2.0", "warnings", "JSON"),
    ("0.2.0", "messages_suppressed", "BIGINT"),
    ("0.2.0", "forget_seconds", "DOUBLE PRECISION"),
)

# Releases up to 0.2.0 gave both pipelines one dlt schema, named after the source function.
LEGACY_SCHEMA = "segment_archive"


def upgrade_columns(con: Sql) -> None:
    present = set(columns_of(con, "ops", "load_runs"))
    for _release, column, sql_type in RUN_LOG_COLUMNS:
        if column not in present:
            con.execute(f"ALTER TABLE ops.load_runs ADD COLUMN {column} {sql_type}")


def adopt_earlier_raw_schemas(con: Sql) -> None:
    """Register the raw schemas an earlier release loaded (it kept no registry)."""
    for schema in schemas_with_table(con, FILES_TABLE):
        if schema.endswith(DLT_STAGING_SUFFIX):
            continue  # dlt's scratch copy of a source's schema, not a source
        kind = "regal_voice" if schema == REGAL_VOICE_DATASET else "brand"
        con.execute(
            "INSERT INTO ops.sources (name, kind, registered_at) VALUES (?, ?, now())",
            [schema, kind],
        )
        log.info("%s: raw schema of an earlier release registered as a %s source", schema, kind)


def adopt_own_schema(pipeline: dlt.Pipeline, name: str) -> None:
    """Make ``name`` (the dataset's) the pipeline's schema, carrying over what the schema
    shared by earlier releases knew.

    dlt's tools show each pipeline's schema by name; two pipelines sharing one name made them
    indistinguishable. The column types earlier runs learned decide where a drifting value
    goes (its column or a variant): a schema started empty would send a text value at a BIGINT
    column of the warehouse and fail the load.
    """
    if name in pipeline.schema_names or LEGACY_SCHEMA not in pipeline.schema_names:
        return
    stored = pipeline.schemas[LEGACY_SCHEMA].to_dict()
    stored["name"] = name
    pipeline.schemas.save_schema(dlt.Schema.from_dict(stored))
    log.info("%s: dlt schema %s carried over as %s", name, LEGACY_SCHEMA, name)
