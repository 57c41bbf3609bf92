"""Where the project keeps its files, and the sources of the bundled sample. What Segment's
archive and warehouse define lives in ``pipelines.segment_archive.settings``."""

from __future__ import annotations

from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
SAMPLE_ROOT = PROJECT_ROOT / "data" / "sample"
DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def dbt_vars(project: Path = DBT_PROJECT) -> dict:
    """The vars of ``dbt_project.yml``: the settings the models and the loader share, written
    there once (``pipelines.transform.project`` reads the rest of what dbt knows)."""
    return yaml.safe_load((project / "dbt_project.yml").read_text()).get("vars", {})


# The raw schemas (dlt datasets) of the two sources a Segment warehouse names: Regal Voice's,
# and the brand source SEGMENT_URL names (other brand sources are named by the user). The
# models read them by the same vars.
_VARS = dbt_vars()
REGAL_VOICE_DATASET = str(_VARS["regal_voice_schema"])
SEGMENT_DATASET = str(_VARS["segment_schema"])
# The two kinds of source (``ops.sources.kind``): Regal Voice's, and the brand's own.
REGAL_VOICE = "regal_voice"
BRAND = "brand"

# Schemas the project or the engines own: the models' layers, the run logs, the analysts'
# catalog, and the system schemas of DuckDB and PostgreSQL.
RESERVED_SCHEMAS = frozenset(
    {
        REGAL_VOICE_DATASET,
        "analytics",
        "staging",
        "intermediate",
        "ops",
        "main",
        "public",
        "information_schema",
        "pg_catalog",
        "pg_toast",
        "temp",
        "system",
        "memory",
        "analysts_catalog",
    }
)

# Segment source ids of the bundled sample archive (one folder tree per Segment source): Regal
# Voice, and the sample brand's website, iOS app and backend.
REGAL_VOICE_SOURCE_ID = "RgLvC3xAmP"
BRAND_SOURCE_ID = "BrNd7sQw2K"
SAMPLE_BRAND_SOURCES = {"web": BRAND_SOURCE_ID, "ios": "i0S4pPq9Zx", "server": "SrVr8kLm3T"}
SAMPLE_SOURCE_IDS = {REGAL_VOICE_DATASET: REGAL_VOICE_SOURCE_ID, **SAMPLE_BRAND_SOURCES}


def state_dir(anchor: Path) -> Path:
    """dlt's pipeline state lives beside the warehouse (``<name>.dlt``), so both move
    together; a server's anchor is a path named after it (``pipelines.engines``)."""
    return anchor.parent / f"{anchor.name}.dlt"


def sample_source_url(name: str, root: Path = SAMPLE_ROOT) -> str:
    """The folder of one source of a sample archive written under ``root``."""
    return str(root / "segment-logs" / SAMPLE_SOURCE_IDS[name])


# DuckDB's memory for merging a run into the warehouse; beyond it DuckDB spills to disk. Keeps
# a load's peak memory bounded whatever the size of the run.
LOAD_MEMORY_LIMIT = "256MB"

# Hours the analysts' copy keeps files a newer publish replaced, for connections opened before.
DEFAULT_KEEP_HOURS = 24.0
