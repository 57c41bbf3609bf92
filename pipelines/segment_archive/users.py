"""Segment's ``users`` table: one row per user id, each trait's newest value.

Segment's warehouses keep it beside ``identifies``; the loader refreshes it after each load,
for the users whose identifies arrived since their row was written.
"""

from __future__ import annotations

from collections.abc import Callable

import dlt

from pipelines.segment_archive.settings import LOAD_TIME_COLUMN
from pipelines.segment_archive.sql import quote_identifier

# Columns of identifies that describe the call, not the user, and so are not merged into users.
NOT_USER_TRAITS = {"id", "user_id", "received_at", "sent_at", "timestamp", "original_timestamp"}


def refresh_users(raw, schema: dlt.Schema | None, newest: Callable[[str, str], str]) -> int:
    """Bring ``users`` up to date with ``identifies``; the number of users refreshed.
    ``raw``: SQL on the source's raw schema (``pipelines.engines.raw``); ``newest(column,
    order)``: the engine's SQL for a column's newest non-null value.

    One row per user id, each trait's newest non-null value. Only users with identifies
    loaded after their ``users`` row are recomputed — this run's, or those of a run killed
    before it got here — so the cost follows the new data, not the history. The table is
    rebuilt whole only when it is missing or identifies gained a trait.
    """
    if schema is None or "identifies" not in schema.tables:  # nothing extracted yet
        return 0
    columns = [
        name
        for name in schema.get_table_columns("identifies")
        if name not in NOT_USER_TRAITS and not name.startswith("_dlt") and name != LOAD_TIME_COLUMN
    ]
    identifies, users = raw.qualified("identifies"), raw.qualified("users")
    order = "coalesce(timestamp, received_at)"
    traits = ", ".join(
        f"{newest(quote_identifier(c), order)} AS {quote_identifier(c)}" for c in columns
    )
    select = (
        f"SELECT user_id AS id, max(received_at) AS received_at, {traits}, "
        f"max({LOAD_TIME_COLUMN}) AS {LOAD_TIME_COLUMN} FROM {identifies} "
    )
    stale = (
        f"SELECT i.user_id FROM {identifies} AS i LEFT JOIN {users} AS u ON u.id = i.user_id "
        f"WHERE i.user_id IS NOT NULL AND (u.id IS NULL OR i.{LOAD_TIME_COLUMN} > "
        f"u.{LOAD_TIME_COLUMN})"
    )
    all_columns = ["id", "received_at", *columns, LOAD_TIME_COLUMN]
    listed = ", ".join(quote_identifier(c) for c in all_columns)
    if raw.columns_of("users") != all_columns:
        raw.execute_sql(f"DROP TABLE IF EXISTS {users}")
        raw.execute_sql(
            f"CREATE TABLE {users} AS {select} WHERE user_id IS NOT NULL GROUP BY user_id"
        )
        return raw.execute_sql(f"SELECT count(*) FROM {users}")[0][0]
    refreshed_table = raw.scratch_table(
        "users_refreshed", f"{select} WHERE user_id IN ({stale}) GROUP BY user_id"
    )
    refreshed = raw.execute_sql(f"SELECT count(*) FROM {refreshed_table}")[0][0]
    if refreshed:
        raw.execute_sql(f"DELETE FROM {users} WHERE id IN (SELECT id FROM {refreshed_table})")
        raw.execute_sql(f"INSERT INTO {users} ({listed}) SELECT {listed} FROM {refreshed_table}")
    raw.drop_scratch_table(refreshed_table)
    return refreshed
