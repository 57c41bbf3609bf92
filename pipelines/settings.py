"""Constants shared by the loaders, the CLI and the sample generator."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
SAMPLE_ROOT = PROJECT_ROOT / "data" / "sample"

# DuckDB schemas (dlt datasets), one per Segment source, as a Segment warehouse names them:
# Regal Voice's, and the brand source that SEGMENT_URL names (other brand sources are named
# by the user).
REGAL_VOICE_DATASET = "regal_voice"
SEGMENT_DATASET = "segment"

# Segment source ids of the bundled sample archive (one folder tree per Segment source): Regal
# Voice, and the sample brand's website, iOS app and backend.
REGAL_VOICE_SOURCE_ID = "RgLvC3xAmP"
BRAND_SOURCE_ID = "BrNd7sQw2K"
SAMPLE_BRAND_SOURCES = {"web": BRAND_SOURCE_ID, "ios": "i0S4pPq9Zx", "server": "SrVr8kLm3T"}
SAMPLE_SOURCE_IDS = {REGAL_VOICE_DATASET: REGAL_VOICE_SOURCE_ID, **SAMPLE_BRAND_SOURCES}


def sample_source_url(name: str, root: Path = SAMPLE_ROOT) -> str:
    """The folder of one source of a sample archive written under ``root``."""
    return str(root / "segment-logs" / SAMPLE_SOURCE_IDS[name])


# Message types Segment archives, and the table each non-track type lands in.
TABLE_OF_TYPE = {
    "identify": "identifies",
    "page": "pages",
    "screen": "screens",
    "group": "groups",
    "alias": "aliases",
}
MESSAGE_TYPES = ("track", *TABLE_OF_TYPE)

# Top-level fields that become Segment's common columns (source field → column).
TIMESTAMP_FIELDS = {
    "receivedAt": "received_at",
    "sentAt": "sent_at",
    "timestamp": "timestamp",
    "originalTimestamp": "original_timestamp",
}
ID_FIELDS = {"messageId": "id", "anonymousId": "anonymous_id", "userId": "user_id"}

# The payload object flattened into one column per key, per message type.
PAYLOAD_OF_TYPE = {
    "track": "properties",
    "page": "properties",
    "screen": "properties",
    "identify": "traits",
    "group": "traits",
}
# Extra top-level scalar fields kept per type (source field → column).
EXTRA_FIELDS_OF_TYPE = {
    "page": {"name": "name"},
    "screen": {"name": "name"},
    "group": {"groupId": "group_id"},
    "alias": {"previousId": "previous_id"},
}

# Where quarantined lines and the record of read files live, in each source's schema.
REJECTED_TABLE = "_rejected_lines"
FILES_TABLE = "_archive_files"
LOAD_TIME_COLUMN = "uuid_ts"
# The merged latest identify per user id (``pipelines.users``).
USERS_TABLE = "users"
# Tables of each source's schema that no track event may land in: Segment's own, the loader's,
# and (by prefix) dlt's. An event named after one gets a ``_``-prefixed table, as a property
# named after a built-in column gets a ``_``-prefixed column.
RESERVED_TABLES = frozenset(
    {"tracks", USERS_TABLE, REJECTED_TABLE, FILES_TABLE, *TABLE_OF_TYPE.values()}
)
DLT_TABLE_PREFIX = "_dlt"
# The longest table name every engine and file system takes: PostgreSQL's identifiers stop at
# 63 bytes, and dlt names a package's files after their table (255 bytes at most).
MAX_TABLE_NAME = 63

ARCHIVE_SUFFIXES = (".gz", ".json", ".jsonl", ".ndjson")

# DuckDB's memory for merging a run into the warehouse; beyond it DuckDB spills to disk. Keeps
# a load's peak memory bounded whatever the size of the run.
LOAD_MEMORY_LIMIT = "256MB"
