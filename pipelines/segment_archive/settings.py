"""What Segment's archive and warehouse define: message types, the columns every message
becomes, the tables of a source's schema, and the loader's own tables beside them."""

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
# The merged latest identify per user id (``pipelines.segment_archive.users``).
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

# dlt's name for a source's scratch copy of its schema (``<schema>_staging``): never a source.
DLT_STAGING_SUFFIX = "_staging"
