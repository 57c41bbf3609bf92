"""``ops.forget_requests``: the audit of every forget request, in the warehouse.

When, by whom (the OS user who ran it), the salted hashes of the identifiers it named (never
the identifiers), the rows it removed per table, and the load runs that later dropped messages
of that person (``suppressed_in_runs``: run id → messages). Its DDL: ``pipelines.ops.schema``.
"""

from __future__ import annotations

import getpass
import json
from collections import Counter

from pipelines.ops.catalog import Sql, table_exists
from pipelines.ops.schema import FORGET_REQUESTS, create
from pipelines.privacy.suppression import Entry

REQUESTS = "ops.forget_requests"


def record_request(
    con: Sql, request_id: str, entries: list[Entry], rows_removed: dict[str, int]
) -> None:
    create(con, FORGET_REQUESTS)
    con.execute(
        f"INSERT INTO {REQUESTS} VALUES (?, now(), ?, ?, ?, ?)",
        [
            request_id,
            getpass.getuser(),
            json.dumps([{"kind": entry.kind, "hash": entry.hash} for entry in entries]),
            json.dumps(rows_removed, sort_keys=True),
            json.dumps({}),
        ],
    )


def record_suppressed(con: Sql, run_id: str, suppressed: Counter) -> None:
    """Add a load run's dropped messages to each request that dropped them."""
    if not suppressed or not table_exists(con, "ops", "forget_requests"):
        return
    for request_id, messages in sorted(suppressed.items()):
        found = con.execute(
            f"SELECT suppressed_in_runs FROM {REQUESTS} WHERE request_id = ?", [request_id]
        ).fetchone()
        if found is None:
            continue  # a list given from another warehouse: its requests are audited there
        runs = found[0] if isinstance(found[0], dict) else json.loads(found[0] or "{}")
        runs[run_id] = runs.get(run_id, 0) + messages
        con.execute(
            f"UPDATE {REQUESTS} SET suppressed_in_runs = ? WHERE request_id = ?",
            [json.dumps(runs, sort_keys=True), request_id],
        )
