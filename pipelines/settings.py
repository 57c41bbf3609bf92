"""Constants shared by the loaders, the CLI and the sample generator."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
SAMPLE_ROOT = PROJECT_ROOT / "data" / "sample"

# Segment source ids of the bundled sample archive (one folder tree per Segment source).
REGAL_VOICE_SOURCE_ID = "RgLvC3xAmP"
BRAND_SOURCE_ID = "BrNd7sQw2K"
DEFAULT_REGAL_VOICE_URL = str(SAMPLE_ROOT / "segment-logs" / REGAL_VOICE_SOURCE_ID)
DEFAULT_SEGMENT_URL = str(SAMPLE_ROOT / "segment-logs" / BRAND_SOURCE_ID)

# DuckDB schemas (dlt datasets), one per Segment source, as a Segment warehouse names them.
REGAL_VOICE_DATASET = "regal_voice"
SEGMENT_DATASET = "segment"

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

ARCHIVE_SUFFIXES = (".gz", ".json", ".jsonl", ".ndjson")

# DuckDB's memory for merging a run into the warehouse; beyond it DuckDB spills to disk. Keeps
# a load's peak memory bounded whatever the size of the run.
LOAD_MEMORY_LIMIT = "256MB"
