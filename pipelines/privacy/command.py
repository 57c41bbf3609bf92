"""``python -m pipelines forget`` (``make forget``): one request, from the identifiers asked for
to the suppression list, the removal and its audit record.

The order keeps a failure safe. The suppression list is written first: a run that dies after
it leaves the person's rows in place but never loads them again, and running the request
again removes them. The rows are then removed in one transaction with the audit record.
Logs carry counts only.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from pipelines.catalog import Sql
from pipelines.privacy.forget import MODEL_SCHEMAS, Person, Touched, remove, resolve, touched
from pipelines.privacy.requests import record_request
from pipelines.privacy.suppression import Lists

log = logging.getLogger("pipelines.forget")


@dataclass(frozen=True)
class Forgotten:
    request_id: str
    person: Person  # every identifier found
    identifiers: dict[str, int]  # how many of each kind
    rows_removed: dict[str, int]  # per table, raw and models
    touched: Touched  # the aggregates' days and experiments to build again


def forget_person(
    con: Sql,
    state_anchor: Path,
    schemas: list[str],
    requested: Person,
    country_code: str,
    timezone: str,
) -> Forgotten:
    """Forget the person ``requested`` names (``requested_person``): their rows go from the
    raw ``schemas`` and from the models' tables; the aggregates they counted toward
    (``Forgotten.touched``) are the caller's to build again."""
    person = resolve(con, schemas, requested, country_code)
    counts = person.counts()
    log.info(
        "forget: the request names %s",
        ", ".join(f"{count} {kind.replace('_', ' ')}(s)" for kind, count in counts.items()),
    )
    request_id = str(uuid.uuid4())
    lists = Lists.of(state_anchor)
    entries = lists.add(person.all(), request_id)
    log.info(
        "forget: %d identifier hashes added to %s (every warehouse built here checks it) and %s",
        len(entries),
        lists.installation_path,
        lists.own_path,
    )
    con.execute("BEGIN")
    try:
        counted = touched(con, MODEL_SCHEMAS, person, country_code, timezone)
        removed = remove(con, [*schemas, *MODEL_SCHEMAS], person, country_code)
        record_request(con, request_id, entries, removed)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if not removed:
        log.warning(
            "forget: nothing of this person is in the warehouse (check the identifiers); they "
            "are on the suppression list all the same, and no load will bring them in"
        )
    log.info(
        "forget: %d rows removed from %d tables (request %s in ops.forget_requests)",
        sum(removed.values()),
        len(removed),
        request_id,
    )
    log.info(
        "forget: the aggregates of %d reporting days and %d experiments are built again",
        len(counted.days),
        len(counted.experiments),
    )
    return Forgotten(request_id, person, counts, removed, counted)
