"""The identifiers that name a person, normalised the way the models normalise them, and their
salted hashes: what a suppression list holds instead of the identifiers themselves.

Why normalise here as well as in dbt: the loader compares incoming messages with the list
before anything is written, long before any model runs. ``phone_e164`` is the Python twin of
the ``phone_e164`` macro (``dbt_project/macros/conversions.sql``); a property-based test
checks that the two agree on any text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PHONE = "phone"
EMAIL = "email"
USER_ID = "user_id"
ANONYMOUS_ID = "anonymous_id"
TASK = "task"  # a Regal task (call or SMS conversation) of the person: its events name no one
KINDS = (PHONE, EMAIL, USER_ID, ANONYMOUS_ID, TASK)

NOT_A_DIGIT = re.compile(r"[^0-9]")
NOT_A_DIGIT_OR_PLUS = re.compile(r"[^0-9+]")


def phone_e164(text: str | None, country_code: str = "1") -> str | None:
    """``+1 (917) 555-4444`` → ``+19175554444``; None when it cannot be a phone number."""
    if text is None:
        return None
    digits = NOT_A_DIGIT.sub("", text)
    if len(digits) == 10 and not NOT_A_DIGIT_OR_PLUS.sub("", text).startswith("+"):
        return f"+{country_code}{digits}"
    if 8 <= len(digits) <= 15:
        return f"+{digits}"
    return None


def normal_email(text: str | None) -> str | None:
    """An email as the models compare them: trimmed, lower-cased; None when it is none."""
    if text is None:
        return None
    email = text.strip(" ").lower()
    return email if "@" in email else None


@dataclass(frozen=True, order=True)
class Identifier:
    """One identifier of a person: its kind (``KINDS``) and its normalised value."""

    kind: str
    value: str

    def hashed(self, salt: str) -> str:
        return hashed(self.kind, self.value, salt)


def hashed(kind: str, value: str, salt: str) -> str:
    """SHA-256 of salt, kind and value: equal to ``sql_hashed`` in DuckDB."""
    return hashlib.sha256(f"{salt}|{kind}|{value}".encode()).hexdigest()


def sql_hashed(kind: str, expression: str, salt: str) -> str:
    """DuckDB SQL for ``hashed`` of the text ``expression`` (null stays null)."""
    return sql_hashed_text(f"'{kind}|' || {expression}", salt)


def sql_hashed_text(kind_and_value: str, salt: str) -> str:
    """DuckDB SQL for ``hashed`` of an expression that already reads ``kind|value``."""
    return f"sha256('{salt}|' || {kind_and_value})"


def sql_phone_e164(expression: str, country_code: str = "1") -> str:
    """SQL (DuckDB and PostgreSQL) for ``phone_e164``: the macro of the same name, for the
    loader and the forget operation, which run outside dbt."""
    digits = f"regexp_replace({expression}, '[^0-9]', '', 'g')"
    signed = f"regexp_replace({expression}, '[^0-9+]', '', 'g')"
    return (
        f"CASE WHEN length({digits}) = 10 AND NOT {signed} LIKE '+%' "
        f"THEN '+{country_code}' || {digits} "
        f"WHEN length({digits}) BETWEEN 8 AND 15 THEN '+' || {digits} END"
    )


def sql_normal_email(expression: str) -> str:
    """SQL for ``normal_email``."""
    return f"CASE WHEN lower(trim({expression})) LIKE '%@%' THEN lower(trim({expression})) END"
