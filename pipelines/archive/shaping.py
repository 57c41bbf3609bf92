"""Turn one file's parsed messages into Segment's warehouse tables, as Arrow tables.

Columns follow Segment's conventions: common columns, ``context_*`` flattened with single
underscores, one column per property or trait (nested objects flattened, arrays as JSON
text), and a property that collides with a built-in column kept with a ``_`` prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from pipelines.archive.messages import Messages
from pipelines.archive.sql import (
    any_as_text,
    quote_identifier,
    quote_literal,
    scalar_text,
    timestamp_of,
)
from pipelines.archive.types import is_boolean, is_integer, is_json, is_null, is_number
from pipelines.naming import event_table_name, warehouse_identifier
from pipelines.settings import (
    EXTRA_FIELDS_OF_TYPE,
    ID_FIELDS,
    LOAD_TIME_COLUMN,
    PAYLOAD_OF_TYPE,
    TABLE_OF_TYPE,
    TIMESTAMP_FIELDS,
)

# Top-level fields Segment does not keep as columns (the payload objects are flattened).
NOT_KEPT = {
    "type",
    "channel",
    "version",
    "integrations",
    "event",
    "context",
    "properties",
    "traits",
}


@dataclass(frozen=True)
class Column:
    name: str
    expr: str


@dataclass(frozen=True)
class TablePlan:
    """The rows (``where``) and columns one warehouse table takes from a file's messages."""

    table: str
    where: str
    own: list[Column]
    candidates: list[Column]
    event: str | None  # the track event's name as sent; None for identify, page…
    rows: int  # the file's messages that go to this table


def leaf_columns(expr: str, column_type: duckdb.DuckDBPyType, prefix: str) -> list[Column]:
    """Flatten a parsed JSON value: objects recurse with ``_``, arrays become JSON text."""
    if column_type.id == "struct":
        columns: list[Column] = []
        for key, child in column_type.children:
            child_expr = f"struct_extract({expr}, {quote_literal(key)})"
            child_name = (
                f"{prefix}_{warehouse_identifier(key)}" if prefix else warehouse_identifier(key)
            )
            columns.extend(leaf_columns(child_expr, child, child_name))
        return columns
    if is_null(column_type):
        return []  # never held a value in this file
    if is_integer(column_type):
        return [Column(prefix, f"CAST({expr} AS BIGINT)")]
    if is_number(column_type):
        return [Column(prefix, f"CAST({expr} AS DOUBLE)")]
    if is_boolean(column_type):
        return [Column(prefix, expr)]
    return [Column(prefix, any_as_text(expr, column_type))]


def unique_names(columns: list[Column], reserved: set[str]) -> list[Column]:
    """Prefix names that collide with built-in columns (``timestamp`` → ``_timestamp``) and
    number any that still collide, so no value overwrites another."""
    taken = set(reserved)
    result = []
    for column in columns:
        name = column.name
        while name in reserved or name.startswith("_dlt"):
            name = f"_{name}"
        candidate, suffix = name, 2
        while candidate in taken:
            candidate, suffix = f"{name}_{suffix}", suffix + 1
        taken.add(candidate)
        result.append(Column(candidate, column.expr))
    return result


class FileShaper:
    """Builds the SELECT of every warehouse table for the messages of one file."""

    def __init__(self, messages: Messages, load_time: datetime) -> None:
        self.con = messages.con
        self.source = messages.name
        self.types = messages.column_types()
        self.load_time = load_time
        self._payload_leaves: dict[str, list[Column]] = {}

    def text(self, source_field: str) -> str:
        if source_field not in self.types:
            return "NULL::VARCHAR"
        return any_as_text(quote_identifier(source_field), self.types[source_field])

    def newest_received_at(self) -> datetime | None:
        """When Segment received the file's newest message: what freshness is measured by."""
        if "receivedAt" not in self.types:
            return None
        expr = timestamp_of('"receivedAt"', self.types["receivedAt"])
        return self.con.sql(f"SELECT max({expr}) FROM {self.source}").fetchall()[0][0]

    def common_columns(self) -> list[Column]:
        columns = [Column(column, self.text(field)) for field, column in ID_FIELDS.items()]
        for field, column in TIMESTAMP_FIELDS.items():
            if field in self.types:
                expr = timestamp_of(quote_identifier(field), self.types[field])
            else:
                expr = "NULL::TIMESTAMPTZ"
            columns.append(Column(column, expr))
        if "context" in self.types:
            columns.extend(leaf_columns('"context"', self.types["context"], "context"))
        load_time = self.load_time.isoformat()
        columns.append(Column(LOAD_TIME_COLUMN, f"TIMESTAMPTZ {quote_literal(load_time)}"))
        return columns

    def extra_top_level_columns(self, kind: str) -> list[Column]:
        """Type-specific fields (``name``, ``group_id``…) and unknown extras, kept not dropped."""
        known = set(ID_FIELDS) | set(TIMESTAMP_FIELDS) | NOT_KEPT | {"messageId"}
        for fields in EXTRA_FIELDS_OF_TYPE.values():
            known |= set(fields)
        columns = [
            Column(column, self.text(field))
            for field, column in EXTRA_FIELDS_OF_TYPE.get(kind, {}).items()
            if field in self.types
        ]
        for field, column_type in self.types.items():
            if field not in known:
                columns.extend(
                    leaf_columns(quote_identifier(field), column_type, warehouse_identifier(field))
                )
        return columns

    def payload_columns(self, kind: str, where: str) -> list[Column]:
        """One column per leaf of ``properties``/``traits``, named without a prefix."""
        payload = PAYLOAD_OF_TYPE.get(kind)
        if payload is None or payload not in self.types:
            return []
        expr, payload_type = quote_identifier(payload), self.types[payload]
        if payload_type.id == "struct":
            # The same for every table of the file: flattened once.
            if payload not in self._payload_leaves:
                self._payload_leaves[payload] = leaf_columns(expr, payload_type, "")
            return self._payload_leaves[payload]
        if not is_json(payload_type):
            return [Column(payload, any_as_text(expr, payload_type))]
        # Objects mixed with other values (or only empty objects): type the objects' keys
        # from their combined structure, and keep any non-object payload whole as JSON text.
        objects = f"json_type({expr}) = 'OBJECT'"
        columns = []
        try:
            structure = self.con.sql(
                f"SELECT json_group_structure({expr}) FROM {self.source} "
                f"WHERE {where} AND {objects}"
            ).fetchall()[0][0]
            if structure and str(structure).startswith("{") and structure != "{}":
                typed = f"json_transform({expr}, {quote_literal(str(structure))})"
                typed_type = self.con.sql(f"SELECT {typed} FROM {self.source} LIMIT 0").types[0]
                columns = leaf_columns(f"(CASE WHEN {objects} THEN {typed} END)", typed_type, "")
        except duckdb.Error:
            # Keys DuckDB cannot type (an empty key, at any depth): the payload stays whole,
            # as JSON text in one column, rather than losing a value.
            return [Column(payload, any_as_text(expr, payload_type))]
        not_object = f"(CASE WHEN NOT {objects} THEN {any_as_text(expr, payload_type)} END)"
        return [*columns, Column(payload, not_object)]

    def _group_plans(self) -> list[TablePlan]:
        """One plan per (type, event) present in the file."""
        kind_text = self.text("type")  # JSON where some quarantined line sent a number
        event_text = self.text("event")
        event = scalar_text('"event"', self.types["event"]) if "event" in self.types else "NULL"
        groups = self.con.sql(
            f"SELECT {kind_text}, CASE WHEN {kind_text} = 'track' THEN {event} END, count(*) "
            f"FROM {self.source} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        plans = []
        for kind, event_name, rows in groups:
            if kind == "track":
                table = event_table_name(event_name)
                where = f"{kind_text} = 'track' AND {event_text} = {quote_literal(event_name)}"
                own = [Column("event", quote_literal(table)), Column("event_text", event_text)]
            else:
                table, own = TABLE_OF_TYPE[kind], []
                where = f"{kind_text} = {quote_literal(kind)}"
            candidates = self.extra_top_level_columns(kind) + self.payload_columns(kind, where)
            plans.append(TablePlan(table, where, own, candidates, event_name, rows))
        return plans

    def _rows_by_plan(self, plans: list[TablePlan], expressions: list[str]) -> pa.Table:
        """Every expression of ``plans`` over their rows, in one query, sorted by plan.

        One query for several tables: a small file's cost was its dozen queries, not its
        rows (50-message files: 70 of their 100 ms). The plan number comes first, so each
        plan's rows are one contiguous slice.
        """
        cases = " ".join(f"WHEN {plan.where} THEN {n}" for n, plan in enumerate(plans))
        select = ", ".join(f"{expr} AS c{n}" for n, expr in enumerate(expressions))
        return self.con.sql(
            f"SELECT CASE {cases} END AS plan, {select} FROM {self.source} "
            "WHERE plan IS NOT NULL ORDER BY plan, rowid"
        ).to_arrow_table()

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        """Every warehouse table this file contributes to, with its rows.

        An event table gets only the keys its own rows hold a value for, not every key some
        event of the file has.
        """
        common = self.common_columns()
        tracks = []
        for plans in _query_groups(self._group_plans(), len(common)):
            expressions = list(
                dict.fromkeys(
                    column.expr
                    for plan in plans
                    for column in [*common, *plan.own, *plan.candidates]
                )
            )
            rows = _Columns(self._rows_by_plan(plans, expressions), expressions)
            for plan, part in zip(plans, rows.slices([plan.rows for plan in plans]), strict=True):
                present = [column for column in plan.candidates if part.holds_value(column)]
                reserved = {column.name for column in common + plan.own}
                yield plan.table, part.table(common + plan.own + unique_names(present, reserved))
                if plan.event is not None:
                    tracks.append(part.table(common + plan.own))
        if tracks:
            yield "tracks", pa.concat_tables(tracks)


class _Columns:
    """Rows of one query, one column per expression (after the leading plan number)."""

    def __init__(self, rows: pa.Table, expressions: list[str] | dict[str, int]) -> None:
        self.rows = rows
        self.position = (
            expressions
            if isinstance(expressions, dict)
            else {expr: n + 1 for n, expr in enumerate(expressions)}
        )

    def slices(self, counts: list[int]) -> Iterator[_Columns]:
        start = 0
        for count in counts:
            yield _Columns(self.rows.slice(start, count), self.position)
            start += count

    def _column(self, column: Column) -> pa.ChunkedArray:
        return self.rows.column(self.position[column.expr])

    def holds_value(self, column: Column) -> bool:
        return self._column(column).null_count < self.rows.num_rows

    def table(self, columns: list[Column]) -> pa.Table:
        return pa.table(
            [self._column(column) for column in columns], names=[c.name for c in columns]
        )


# One query's cells (rows x columns): a query per table costs a large file nothing extra,
# while one wide query over all its tables would hold mostly nulls (16,000 rows x 400
# columns doubled the load's peak memory).
CELLS_PER_QUERY = 250_000


def _query_groups(plans: list[TablePlan], common_columns: int) -> Iterator[list[TablePlan]]:
    """Consecutive plans taken together while their rows times columns stay small."""
    group: list[TablePlan] = []
    rows = columns = 0
    for plan in plans:
        plan_columns = len(plan.own) + len(plan.candidates)
        cells = (rows + plan.rows) * (columns + plan_columns + common_columns)
        if group and cells > CELLS_PER_QUERY:
            yield group
            group, rows, columns = [], 0, 0
        group.append(plan)
        rows += plan.rows
        columns += plan_columns
    if group:
        yield group
