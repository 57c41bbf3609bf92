"""Drop the messages of forgotten people before anything is written.

A message belongs to a forgotten person when any identifier it carries hashes (with the
suppression list's salt) to a hash on the list: its ``userId`` or ``anonymousId``, a phone in
its properties, traits or context traits (``contact_phone``, ``phone``, ``to_number``,
``from_number``), an email there, or the Regal task it is about (``task_id``, ``call_id``,
``sms_conversation_id``: a recording or transcript event names no one else). Phones and
emails are normalised as the models normalise them (``pipelines.privacy.identifiers``).

The hashing runs in the worker's DuckDB over the parsed messages: no per-row Python. Only
when the list is empty is nothing hashed. Quarantined lines are raw text: their identifiers
are found by pattern, and a line naming a forgotten person is dropped too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import duckdb
import pyarrow as pa

from pipelines.archive.messages import Messages
from pipelines.archive.sql import quote_identifier, scalar_text
from pipelines.privacy.identifiers import (
    ANONYMOUS_ID,
    EMAIL,
    PHONE,
    TASK,
    USER_ID,
    Identifier,
    normal_email,
    phone_e164,
    sql_hashed,
    sql_normal_email,
    sql_phone_e164,
)
from pipelines.privacy.suppression import SuppressionList

HASHES_VIEW = "suppressed_hashes"
# Where each kind of identifier sits in a message: (top-level field, JSON path) pairs.
PAYLOAD_PATHS = {
    PHONE: [
        ("properties", "$.contact_phone"),
        ("properties", "$.phone"),
        ("properties", "$.to_number"),
        ("properties", "$.from_number"),
        ("traits", "$.phone"),
        ("context", "$.traits.phone"),
    ],
    EMAIL: [("traits", "$.email"), ("properties", "$.email"), ("context", "$.traits.email")],
    TASK: [
        ("properties", "$.task_id"),
        ("properties", "$.call_id"),
        ("properties", "$.sms_conversation_id"),
    ],
}
TOP_LEVEL = {USER_ID: "userId", ANONYMOUS_ID: "anonymousId"}


def install(con: duckdb.DuckDBPyConnection, suppression: SuppressionList) -> None:
    """Make the list's hashes visible to a worker's connection."""
    con.register(HASHES_VIEW, pa.table({"hash": list(suppression.hashes())}))


def hashed_identifiers(messages: Messages, salt: str, country_code: str) -> list[str]:
    """SQL for the hash of every identifier a message may carry (null where it has none)."""
    types = messages.column_types()
    expressions = []
    for kind, field_name in TOP_LEVEL.items():
        if field_name in types:
            text = scalar_text(quote_identifier(field_name), types[field_name])
            expressions.append(sql_hashed(kind, text, salt))
    normalise = {
        PHONE: lambda text: sql_phone_e164(text, country_code),
        EMAIL: sql_normal_email,
        TASK: lambda text: text,
    }
    for kind, paths in PAYLOAD_PATHS.items():
        for field_name, path in paths:
            if field_name not in types:
                continue
            text = f"json_extract_string(to_json({quote_identifier(field_name)}), '{path}')"
            expressions.append(sql_hashed(kind, normalise[kind](text), salt))
    return expressions


def drop_suppressed(
    messages: Messages, suppression: SuppressionList, country_code: str
) -> dict[int, Counter]:
    """Delete the messages of forgotten people; for each file (by number), how many went per
    request that suppressed them."""
    if not suppression:
        return {}
    expressions = hashed_identifiers(messages, suppression.salt, country_code)
    if not expressions:
        return {}
    con = messages.con
    matched = con.sql(
        f"SELECT DISTINCT row_number, file, hash FROM ("
        f"SELECT rowid AS row_number, {messages.file_number} AS file, "
        f"unnest([{', '.join(expressions)}]) AS hash FROM {messages.name}) AS hashes "
        f"WHERE hash IN (SELECT hash FROM {HASHES_VIEW})"
    ).fetchall()
    if not matched:
        return {}
    requests_of = suppression.hashes()
    requests_by_row: dict[tuple[int, int], set[str]] = {}
    for row_number, file, hash_ in matched:
        requests_by_row.setdefault((file, row_number), set()).update(requests_of[hash_])
    rows = ", ".join(str(row_number) for _, row_number in requests_by_row)
    con.execute(f"DELETE FROM {messages.name} WHERE rowid IN ({rows})")
    dropped: dict[int, Counter] = {}
    for (file, _), requests in requests_by_row.items():
        dropped.setdefault(file, Counter()).update(requests)
    return dropped


# Identifiers in raw text: JSON string fields by name, then any email or phone-like run.
QUOTED_FIELD = re.compile(
    r'"(userId|anonymousId|task_id|call_id|sms_conversation_id)"\s*:\s*"((?:[^"\\]|\\.)*)"'
)
EMAIL_LIKE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
PHONE_LIKE = re.compile(r"\+?[0-9][0-9 ().\-]{6,20}[0-9]")
KIND_OF_FIELD = {
    "userId": USER_ID,
    "anonymousId": ANONYMOUS_ID,
    "task_id": TASK,
    "call_id": TASK,
    "sms_conversation_id": TASK,
}


def identifiers_in_text(text: str, country_code: str) -> Iterator[Identifier]:
    """Every identifier a raw line may name, found by pattern."""
    for name, quoted in QUOTED_FIELD.findall(text):
        try:
            value = json.loads(f'"{quoted}"')
        except ValueError:
            value = quoted
        yield Identifier(KIND_OF_FIELD[name], value)
    for email in EMAIL_LIKE.findall(text):
        normal = normal_email(email)
        if normal:
            yield Identifier(EMAIL, normal)
    for candidate in PHONE_LIKE.findall(text):
        phone = phone_e164(candidate, country_code)
        if phone:
            yield Identifier(PHONE, phone)


def suppressed_lines(
    rejected: list[dict], suppression: SuppressionList, country_code: str
) -> dict[int, set[str]]:
    """Quarantined lines (by position) that name a forgotten person, with the requests."""
    if not suppression:
        return {}
    requests_of = suppression.hashes()
    found: dict[int, set[str]] = {}
    for position, line in enumerate(rejected):
        for identifier in identifiers_in_text(line.get("raw_line") or "", country_code):
            requests = requests_of.get(identifier.hashed(suppression.salt))
            if requests:
                found.setdefault(position, set()).update(requests)
    return found
