"""Forget a person: find every identifier they appear under, remove their rows from every raw
table and from the quarantine, and suppress them for good.

Who they are (``resolve``): the phones, emails and user ids asked for; every user id seen with
one of those phones or emails (identify traits, Regal events naming the contact); every email,
phone and anonymous id seen with those user ids; and the Regal tasks (calls, SMS conversations)
of their phones and user ids, whose recording and transcript events name no one else.

What goes (``remove``): every row of every raw table that carries one of those identifiers in
an identifier column (``user_id``, ``anonymous_id``, the contact's phone and email columns,
``to_number`` / ``from_number``, the task ids; a ``users`` row by its ``id``), and every
quarantined raw line that names one of them. The models are rebuilt from what is left by the
caller. Agents' columns (``agent_email`` …) name agents, not contacts, and are not compared.

Works on DuckDB and PostgreSQL through the ``Sql`` protocol, in one transaction.

Over 300 lines because finding a person (resolve), what their rows counted toward (touched) and
removing them (remove) share the rules of which column holds which identifier.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pipelines.errors import ForgetRequestError
from pipelines.ops.catalog import Sql, base_table_columns, table_exists
from pipelines.privacy.identifiers import (
    ANONYMOUS_ID,
    EMAIL,
    PHONE,
    TASK,
    USER_ID,
    Identifier,
    normal_email,
    phone_e164,
    sql_normal_email,
    sql_phone_e164,
)
from pipelines.segment_archive.settings import REJECTED_TABLE
from pipelines.segment_archive.sql import quote_identifier
from pipelines.segment_archive.suppress import identifiers_in_text

log = logging.getLogger(__name__)

PHONE_COLUMNS = {"phone", "contact_phone", "to_number", "from_number"}
# An SMS's two numbers: one is the contact's, the other the brand's own line. A row matching the
# person by one of them is theirs, but neither number is taken as one of their phones.
COUNTERPART_COLUMNS = {"to_number", "from_number"}
TASK_COLUMNS = {"task_id", "call_id", "sms_conversation_id"}
# Raw tables that hold no personal data of contacts: the loader's and dlt's bookkeeping.
NOT_PERSONAL = {"_archive_files", REJECTED_TABLE}


def kind_of_column(name: str) -> str | None:
    """The identifier kind a raw column holds, by its name (variants ``__v_text`` folded);
    None for a column that names no contact."""
    base = name.split("__v_")[0]
    if "agent" in base or base.startswith("regal_voice_"):
        return None  # the agent's or Regal's own line, not the contact's
    if base == "user_id":
        return USER_ID
    if base == "anonymous_id":
        return ANONYMOUS_ID
    if base in PHONE_COLUMNS or base.endswith("_phone"):
        return PHONE
    if base == "email" or base.endswith("_email"):
        return EMAIL
    if base in TASK_COLUMNS:
        return TASK
    return None


@dataclass
class Person:
    """Every identifier of the person to forget, by kind, normalised."""

    identifiers: dict[str, set[str]] = field(
        default_factory=lambda: {
            kind: set() for kind in (PHONE, EMAIL, USER_ID, ANONYMOUS_ID, TASK)
        }
    )

    def add(self, kind: str, values: Iterable[str | None]) -> None:
        self.identifiers[kind].update(value for value in values if value)

    def all(self) -> list[Identifier]:
        return sorted(
            Identifier(kind, value) for kind, values in self.identifiers.items() for value in values
        )

    def counts(self) -> dict[str, int]:
        return {kind: len(values) for kind, values in self.identifiers.items() if values}


@dataclass(frozen=True)
class RawTable:
    """A table that can hold a contact's rows: a raw table, or a model's table."""

    schema: str
    name: str
    columns: dict[str, str]  # column -> identifier kind, for the identifier columns only
    times: tuple[str, ...] = ()  # its timestamp and date columns

    @property
    def qualified(self) -> str:
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.name)}"


def requested_person(
    phones: Iterable[str], emails: Iterable[str], user_ids: Iterable[str], country_code: str
) -> Person:
    """The identifiers asked for, normalised; refused when none is given or one is no phone."""
    person = Person()
    for text in phones:
        phone = phone_e164(text, country_code)
        if phone is None:
            raise ForgetRequestError(
                f"{text!r} is not a phone number (8 to 15 digits, or 10 for a national number)"
            )
        person.add(PHONE, [phone])
    for text in emails:
        email = normal_email(text)
        if email is None:
            raise ForgetRequestError(f"{text!r} is not an email address")
        person.add(EMAIL, [email])
    person.add(USER_ID, [text.strip() for text in user_ids])
    if not person.all():
        raise ForgetRequestError(
            "name the person to forget: PHONE=…, EMAIL=… and/or USER_ID=… "
            "(--phone, --email, --user-id)"
        )
    return person


def raw_tables(con: Sql, schemas: Iterable[str]) -> list[RawTable]:
    """Every base table of ``schemas`` with at least one identifier column (views hold no
    rows of their own)."""
    schemas = list(schemas)
    if not schemas:
        return []
    rows = base_table_columns(con, schemas)
    columns: dict[tuple[str, str], dict[str, str]] = {}
    times: dict[tuple[str, str], list[str]] = {}
    for schema, table, column, data_type in rows:
        if table.startswith("_dlt") or table in NOT_PERSONAL:
            continue
        kind = USER_ID if (table == "users" and column == "id") else kind_of_column(column)
        found = columns.setdefault((schema, table), {})
        if kind is not None:
            found[column] = kind
        if data_type == "date" or data_type.startswith("timestamp"):
            times.setdefault((schema, table), []).append(column)
    return [RawTable(s, t, c, tuple(times.get((s, t), []))) for (s, t), c in columns.items() if c]


def normalised(column: str, kind: str, country_code: str) -> str:
    """SQL for a column's value as the identifiers of ``kind`` are kept."""
    text = f"CAST({quote_identifier(column)} AS VARCHAR)"
    if kind == PHONE:
        return sql_phone_e164(text, country_code)
    if kind == EMAIL:
        return sql_normal_email(text)
    return text


def matching(table: RawTable, person: Person, kinds: Iterable[str], country_code: str):
    """SQL condition and parameters: a row carries one of the person's ``kinds``."""
    conditions, parameters = [], []
    for column, kind in table.columns.items():
        values = sorted(person.identifiers[kind]) if kind in kinds else []
        if values:
            marks = ", ".join("?" for _ in values)
            conditions.append(f"{normalised(column, kind, country_code)} IN ({marks})")
            parameters.extend(values)
    return (" OR ".join(conditions) or "FALSE"), parameters


def values_where(
    con: Sql,
    tables: list[RawTable],
    person: Person,
    by: Iterable[str],
    wanted: str,
    country_code: str,
) -> set[str]:
    """Values of kind ``wanted`` in rows that carry one of the person's ``by`` identifiers."""
    found: set[str] = set()
    by = list(by)
    for table in tables:
        condition, parameters = matching(table, person, by, country_code)
        if condition == "FALSE":
            continue
        for column, kind in table.columns.items():
            if kind != wanted or column.split("__v_")[0] in COUNTERPART_COLUMNS:
                continue
            value = normalised(column, kind, country_code)
            rows = con.execute(
                f"SELECT DISTINCT {value} FROM {table.qualified} WHERE {condition}", parameters
            ).fetchall()
            found.update(row[0] for row in rows if row[0])
    return found


def resolve(con: Sql, schemas: list[str], asked: Person, country_code: str) -> Person:
    """Everyone the request names, across every raw schema (see the module's docstring)."""
    tables = raw_tables(con, schemas)
    person = Person({kind: set(values) for kind, values in asked.identifiers.items()})
    person.add(USER_ID, values_where(con, tables, person, [PHONE, EMAIL], USER_ID, country_code))
    for kind in (EMAIL, PHONE, ANONYMOUS_ID):
        person.add(kind, values_where(con, tables, person, [USER_ID], kind, country_code))
    person.add(TASK, values_where(con, tables, person, [USER_ID, PHONE], TASK, country_code))
    return person


def names_person(line: str, person: Person, country_code: str) -> bool:
    """Whether a raw quarantined line names the person: an identifier found in it by pattern,
    or any of their ids or emails anywhere in its text."""
    identifiers = set(person.all())
    if any(found in identifiers for found in identifiers_in_text(line, country_code)):
        return True
    lowered = line.lower()
    return any(
        value.lower() in lowered
        for kind in (USER_ID, ANONYMOUS_ID, EMAIL, TASK)
        for value in person.identifiers[kind]
    )


EVERY_KIND = [PHONE, EMAIL, USER_ID, ANONYMOUS_ID, TASK]


@dataclass(frozen=True)
class Touched:
    """What the person's rows in the models counted toward: the reporting days and the
    experiments whose aggregates are recomputed without them."""

    days: list[str]
    experiments: list[str]


def touched(
    con: Sql,
    model_schemas: Iterable[str],
    person: Person,
    country_code: str,
    timezone: str,
    experiment_tables: dict[tuple[str, str], str] | None = None,
) -> Touched:
    """Read before the rows go: every reporting day (in ``timezone``) any time of the
    person's model rows falls on, and every experiment they were assigned to.
    ``experiment_tables``: (schema, table) → its experiment column (the dbt models'
    ``meta.forget_recomputes``)."""
    experiment_tables = experiment_tables or {}
    zone = ZoneInfo(timezone)
    days: set[str] = set()
    experiments: set[str] = set()
    for table in raw_tables(con, model_schemas):
        condition, parameters = matching(table, person, EVERY_KIND, country_code)
        if condition == "FALSE":
            continue
        for column in table.times:
            rows = con.execute(
                f"SELECT DISTINCT {quote_identifier(column)} FROM {table.qualified} "
                f"WHERE {condition}",
                parameters,
            ).fetchall()
            days.update(reporting_day(value, zone) for (value,) in rows if value is not None)
        column = experiment_tables.get((table.schema, table.name))
        if column is not None:
            rows = con.execute(
                f"SELECT DISTINCT {quote_identifier(column)} FROM {table.qualified} "
                f"WHERE {condition}",
                parameters,
            ).fetchall()
            experiments.update(str(value) for (value,) in rows if value is not None)
    return Touched(sorted(days), sorted(experiments))


def reporting_day(value: date | datetime, zone: ZoneInfo) -> str:
    """The reporting day of a model's time (as the ``reporting_date`` macro places it)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(zone).date().isoformat()
    return value.isoformat()


def remove(con: Sql, schemas: list[str], person: Person, country_code: str) -> dict[str, int]:
    """Delete the person's rows from every table of ``schemas`` (raw and models) and from the
    quarantine; rows removed per table. The caller holds the transaction."""
    removed: dict[str, int] = {}
    for table in raw_tables(con, schemas):
        condition, parameters = matching(table, person, EVERY_KIND, country_code)
        if condition == "FALSE":
            continue
        count = con.execute(
            f"SELECT count(*) FROM {table.qualified} WHERE {condition}", parameters
        ).fetchone()[0]
        if count:
            con.execute(f"DELETE FROM {table.qualified} WHERE {condition}", parameters)
            removed[f"{table.schema}.{table.name}"] = count
    for schema in schemas:
        count = remove_quarantined(con, schema, person, country_code)
        if count:
            removed[f"{schema}.{REJECTED_TABLE}"] = count
    return removed


def remove_quarantined(con: Sql, schema: str, person: Person, country_code: str) -> int:
    """Quarantined lines are raw text: each is read and checked (there are few)."""
    if not table_exists(con, schema, REJECTED_TABLE):
        return 0
    table = f"{quote_identifier(schema)}.{REJECTED_TABLE}"
    lines = con.execute(f"SELECT file_name, line_number, raw_line FROM {table}").fetchall()
    naming = [(f, n) for f, n, line in lines if line and names_person(line, person, country_code)]
    for file_name, line_number in naming:
        con.execute(
            f"DELETE FROM {table} WHERE file_name = ? AND line_number = ?", [file_name, line_number]
        )
    return len(naming)
