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

from pipelines.privacy.identifiers import (
    ANONYMOUS_ID,
    EMAIL,
    PHONE,
    TASK,
    USER_ID,
    Identifier,
    normal_email,
    phone_e164,
    sql_hashed_text,
    sql_normal_email,
    sql_phone_e164,
)
from pipelines.privacy.suppression import SuppressionList
from pipelines.segment_archive.messages import Messages
from pipelines.segment_archive.sql import quote_identifier, quote_literal, scalar_text
from pipelines.segment_archive.types import is_json

HASHES_VIEW = "suppressed_hashes"
# Where each kind of identifier sits in a message: a top-level field and the keys below it.
PAYLOAD_PATHS = {
    PHONE: [
        ("properties", ("contact_phone",)),
        ("properties", ("phone",)),
        ("properties", ("to_number",)),
        ("properties", ("from_number",)),
        ("traits", ("phone",)),
        ("context", ("traits", "phone")),
    ],
    EMAIL: [
        ("traits", ("email",)),
        ("properties", ("email",)),
        ("context", ("traits", "email")),
    ],
    TASK: [
        ("properties", ("task_id",)),
        ("properties", ("call_id",)),
        ("properties", ("sms_conversation_id",)),
    ],
}
TOP_LEVEL = {USER_ID: "userId", ANONYMOUS_ID: "anonymousId"}


def install(con: duckdb.DuckDBPyConnection, suppression: SuppressionList) -> None:
    """Make the list's hashes visible to a worker's connection."""
    con.register(HASHES_VIEW, pa.table({"hash": list(suppression.hashes())}))


def field_text(types: dict[str, duckdb.DuckDBPyType], top: str, keys: tuple[str, ...]):
    """SQL for the text at ``top``.``keys`` of the file's messages, or None when no message
    of the file has it: only the fields a file holds are hashed, read straight from the
    parsed structs (serialising a payload to JSON per row cost most of a file's time)."""
    if top not in types:
        return None
    expression, column_type = quote_identifier(top), types[top]
    for depth, key in enumerate(keys):
        if is_json(column_type):
            path = ".".join(quote_identifier(part) for part in keys[depth:])
            return f"json_extract_string({expression}, '$.{path}')"
        if column_type.id != "struct":
            return None
        children = dict(column_type.children)
        if key not in children:
            return None
        expression = f"struct_extract({expression}, {quote_literal(key)})"
        column_type = children[key]
    return scalar_text(expression, column_type)


def identifier_texts(messages: Messages) -> list[str]:
    """SQL for every identifier the file's messages carry, as sent and tagged with its kind
    (``phone|917-555-4444``; null where a message has none)."""
    types = messages.column_types()
    places = [(kind, (field_name, ())) for kind, field_name in TOP_LEVEL.items()]
    places += [(kind, path) for kind, paths in PAYLOAD_PATHS.items() for path in paths]
    expressions = []
    for kind, (top, keys) in places:
        text = field_text(types, top, keys)
        if text is not None:
            expressions.append(f"'{kind}|' || {text}")
    return expressions


def normalised_identifier(tagged: str, country_code: str) -> str:
    """SQL for a tagged identifier (``identifier_texts``) as ``kind|normalised value``: what
    ``hashed`` hashes after the salt."""
    kind = f"split_part({tagged}, '|', 1)"
    value = f"substr({tagged}, strpos({tagged}, '|') + 1)"
    return (
        f"{kind} || '|' || CASE {kind} "
        f"WHEN '{PHONE}' THEN {sql_phone_e164(value, country_code)} "
        f"WHEN '{EMAIL}' THEN {sql_normal_email(value)} ELSE {value} END"
    )


def drop_suppressed(
    messages: Messages, suppression: SuppressionList, country_code: str
) -> dict[int, Counter]:
    """Delete the messages of forgotten people; for each file (by number), how many went per
    request that suppressed them."""
    if not suppression:
        return {}
    expressions = identifier_texts(messages)
    if not expressions:
        return {}
    con = messages.con
    # Each distinct identifier as sent is normalised and hashed once: a file names far fewer
    # people than it holds messages, and that work was most of the cost.
    normalised = normalised_identifier("tagged", country_code)
    hashed = ", ".join(sql_hashed_text(normalised, salt) for salt in suppression.salts)
    matched = con.sql(
        f"WITH identifiers AS (SELECT rowid AS row_number, {messages.file_number} AS file, "
        f"unnest([{', '.join(expressions)}]) AS tagged FROM {messages.name}), "
        f"suppressed AS (SELECT tagged, hash FROM (SELECT tagged, unnest([{hashed}]) AS hash FROM "
        "(SELECT DISTINCT tagged FROM identifiers WHERE tagged IS NOT NULL) AS named) AS h "
        f"WHERE hash IN (SELECT hash FROM {HASHES_VIEW})) "
        "SELECT DISTINCT identifiers.row_number, identifiers.file, suppressed.hash "
        "FROM identifiers JOIN suppressed USING (tagged)"
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
            for salt in suppression.salts:
                requests = requests_of.get(identifier.hashed(salt))
                if requests:
                    found.setdefault(position, set()).update(requests)
    return found
