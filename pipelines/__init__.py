"""Loaders that turn Segment S3 archives into a Segment-compatible DuckDB warehouse."""

import os

# No usage data leaves a user's machine unless they turn it on.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
