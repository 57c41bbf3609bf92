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


def refresh_users(
    pipeline: dlt.Pipeline, schema: dlt.Schema | None, newest: Callable[[str, str], str]
) -> int:
    """Bring ``users`` up to date with ``identifies``; the number of users refreshed.
    ``newest(column, order)``: the engine's SQL for a column's newest non-null value.

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
    order = "coalesce(timestamp, received_at)"
    traits = ", ".join(
        f"{newest(quote_identifier(c), order)} AS {quote_identifier(c)}" for c in columns
    )
    select = (
        f"SELECT user_id AS id, max(received_at) AS received_at, {traits}, "
        f"max({LOAD_TIME_COLUMN}) AS {LOAD_TIME_COLUMN} FROM identifies "
    )
    stale = (
        "SELECT i.user_id FROM identifies AS i LEFT JOIN users AS u ON u.id = i.user_id "
        f"WHERE i.user_id IS NOT NULL AND (u.id IS NULL OR i.{LOAD_TIME_COLUMN} > "
        f"u.{LOAD_TIME_COLUMN})"
    )
    all_columns = ["id", "received_at", *columns, LOAD_TIME_COLUMN]
    listed = ", ".join(quote_identifier(c) for c in all_columns)
    with pipeline.sql_client() as client:
        existing = client.execute_sql(
            "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position"
        )
        if [row[0] for row in existing] != all_columns:
            client.execute_sql("DROP TABLE IF EXISTS users")
            client.execute_sql(
                f"CREATE TABLE users AS {select} WHERE user_id IS NOT NULL GROUP BY user_id"
            )
            return client.execute_sql("SELECT count(*) FROM users")[0][0]
        client.execute_sql("DROP TABLE IF EXISTS users_refreshed")
        client.execute_sql(
            f"CREATE TEMP TABLE users_refreshed AS {select} "
            f"WHERE user_id IN ({stale}) GROUP BY user_id"
        )
        refreshed = client.execute_sql("SELECT count(*) FROM users_refreshed")[0][0]
        if refreshed:
            client.execute_sql("DELETE FROM users WHERE id IN (SELECT id FROM users_refreshed)")
            client.execute_sql(f"INSERT INTO users ({listed}) SELECT {listed} FROM users_refreshed")
        client.execute_sql("DROP TABLE users_refreshed")
    return refreshed
