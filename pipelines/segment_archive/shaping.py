"""Turn one file's parsed messages into Segment's warehouse tables, as Arrow tables.

Columns follow Segment's conventions: common columns, ``context_*`` flattened with single
underscores, one column per property or trait (nested objects flattened, arrays as JSON
text), and a property that collides with a built-in column kept with a ``_`` prefix.

Over 300 lines because it holds Segment's whole warehouse layout: common columns, per-type
payloads, flattening, naming and the typed projection each table gets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from pipelines.segment_archive.messages import Messages
from pipelines.segment_archive.naming import event_table_name, warehouse_identifier
from pipelines.segment_archive.reader import inexact_leaves_of
from pipelines.segment_archive.settings import (
    EXTRA_FIELDS_OF_TYPE,
    ID_FIELDS,
    LOAD_TIME_COLUMN,
    PAYLOAD_OF_TYPE,
    TABLE_OF_TYPE,
    TIMESTAMP_FIELDS,
)
from pipelines.segment_archive.sql import (
    any_as_text,
    quote_identifier,
    quote_literal,
    scalar_text,
    timestamp_of,
)
from pipelines.segment_archive.types import is_boolean, is_integer, is_json, is_null, is_number

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
    kind: str  # the message type: track, identify, page…
    where: str
    own: list[Column]
    candidates: list[Column]
    event: str | None  # the track event's name as sent; None for identify, page…
    rows_by_file: dict[int, int]  # each file's messages that go to this table

    @property
    def rows(self) -> int:
        return sum(self.rows_by_file.values())


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


class FileColumns:
    """The columns one file's messages give each table, from the types of its fields alone."""

    def __init__(self, types: dict[str, duckdb.DuckDBPyType], load_time: datetime) -> None:
        self.types = types
        self.load_time = load_time
        self._common: list[Column] | None = None
        self._candidates: dict[str, list[Column] | None] = {}

    def text(self, source_field: str) -> str:
        if source_field not in self.types:
            return "NULL::VARCHAR"
        return any_as_text(quote_identifier(source_field), self.types[source_field])

    def common(self) -> list[Column]:
        """Columns of every table: ids, timestamps, ``context_*`` and the load time."""
        if self._common is None:
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
            self._common = columns
        return self._common

    def extra_top_level(self, kind: str) -> list[Column]:
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

    def candidates(self, kind: str) -> list[Column] | None:
        """Columns a table of ``kind`` may take beyond the common ones (kept where its rows
        hold a value); None where the payload mixes objects with other values, whose columns
        only its rows can tell (``FileShaper.mixed_payload_columns``)."""
        if kind not in self._candidates:
            payload = PAYLOAD_OF_TYPE.get(kind)
            payload_type = self.types.get(payload) if payload else None
            extra = self.extra_top_level(kind)
            if payload_type is None:
                self._candidates[kind] = extra
            elif payload_type.id == "struct":
                self._candidates[kind] = extra + leaf_columns(
                    quote_identifier(payload), payload_type, ""
                )
            elif not is_json(payload_type):
                column = Column(payload, any_as_text(quote_identifier(payload), payload_type))
                self._candidates[kind] = [*extra, column]
            else:
                self._candidates[kind] = None
        return self._candidates[kind]


class FileShaper:
    """Selects Segment's warehouse tables from the messages of one file, or of several files
    read together (``file_types`` then gives each file's own types), keeping each file's
    tables apart and shaped exactly as if it had been read alone."""

    def __init__(
        self,
        messages: Messages,
        load_time: datetime,
        file_types: dict[int, dict[str, duckdb.DuckDBPyType]] | None = None,
    ) -> None:
        self.con = messages.con
        self.source = messages.name
        self.file = messages.file_number
        self.columns = FileColumns(messages.column_types(), load_time)
        self.types = self.columns.types
        self._of_file = {
            number: FileColumns(types, load_time) for number, types in (file_types or {}).items()
        }

    def text(self, source_field: str) -> str:
        return self.columns.text(source_field)

    def newest_received_at(self) -> dict[int, datetime]:
        """When Segment received each file's newest message: what freshness is measured by."""
        if "receivedAt" not in self.types:
            return {}
        expr = timestamp_of('"receivedAt"', self.types["receivedAt"])
        rows = self.con.sql(f"SELECT {self.file}, max({expr}) FROM {self.source} GROUP BY ALL")
        return {file: newest for file, newest in rows.fetchall() if newest is not None}

    def mixed_payload_columns(self, kind: str, where: str) -> list[Column]:
        """A payload of objects mixed with other values (or only empty objects): the objects'
        keys typed from their combined structure, and any non-object payload kept whole as
        JSON text."""
        payload = PAYLOAD_OF_TYPE[kind]
        expr, payload_type = quote_identifier(payload), self.types[payload]
        extra = self.columns.extra_top_level(kind)
        objects = f"json_type({expr}) = 'OBJECT'"
        columns = []
        try:
            structure = self.con.sql(
                f"SELECT json_group_structure({expr}) FROM {self.source} "
                f"WHERE {where} AND {objects}"
            ).fetchall()[0][0]
            if structure and str(structure).startswith("{") and structure != "{}":
                typed, typed_type = self._typed_payload(expr, json.loads(structure), where)
                columns = leaf_columns(f"(CASE WHEN {objects} THEN {typed} END)", typed_type, "")
        except duckdb.Error:
            # Keys DuckDB cannot type (an empty key, at any depth): the payload stays whole,
            # as JSON text in one column, rather than losing a value.
            return [*extra, Column(payload, any_as_text(expr, payload_type))]
        not_object = f"(CASE WHEN NOT {objects} THEN {any_as_text(expr, payload_type)} END)"
        return [*extra, *columns, Column(payload, not_object)]

    def _typed_payload(
        self, expr: str, structure: dict, where: str
    ) -> tuple[str, duckdb.DuckDBPyType]:
        """``expr`` typed by its objects' ``structure``, with every float leaf that holds a
        number a double cannot hold as sent typed as JSON instead, which keeps its text."""

        def typed(tree: dict) -> tuple[str, duckdb.DuckDBPyType]:
            sql = f"json_transform({expr}, {quote_literal(json.dumps(tree))})"
            return sql, self.con.sql(f"SELECT {sql} FROM {self.source} LIMIT 0").types[0]

        sql, sql_type = typed(structure)
        relation = f"(SELECT {sql} AS payload FROM {self.source} WHERE {where}) AS typed"
        inexact = inexact_leaves_of(self.con, relation, {"payload": sql_type})
        if not inexact:
            return sql, sql_type
        for at in inexact:
            node = structure
            for key in at[1:-1]:
                node = node[key]
            node[at[-1]] = "JSON"
        return typed(structure)

    def _group_plans(self) -> list[TablePlan]:
        """One plan per (type, event) present in the messages."""
        kind_text = self.text("type")  # JSON where some quarantined line sent a number
        event_text = self.text("event")
        event = scalar_text('"event"', self.types["event"]) if "event" in self.types else "NULL"
        rows = self.con.sql(
            f"SELECT {kind_text}, CASE WHEN {kind_text} = 'track' THEN {event} END, "
            f"{self.file}, count(*) FROM {self.source} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        groups: dict[tuple, dict[int, int]] = {}
        for kind, event_name, file, count in rows:
            groups.setdefault((kind, event_name), {})[file] = count
        plans = []
        for (kind, event_name), rows_by_file in groups.items():
            if kind == "track":
                table = event_table_name(event_name)
                where = f"{kind_text} = 'track' AND {event_text} = {quote_literal(event_name)}"
                own = [Column("event", quote_literal(table)), Column("event_text", event_text)]
            else:
                table, own = TABLE_OF_TYPE[kind], []
                where = f"{kind_text} = {quote_literal(kind)}"
            candidates = self.columns.candidates(kind)
            if candidates is None:
                candidates = self.mixed_payload_columns(kind, where)
            plans.append(TablePlan(table, kind, where, own, candidates, event_name, rows_by_file))
        return plans

    def _file_columns(self, file: int, plan: TablePlan) -> tuple[list[Column], list[Column]]:
        """The common columns and the candidates of ``plan`` as ``file`` alone has them."""
        columns = self._of_file.get(file)
        if columns is None:
            return self.columns.common(), plan.candidates
        candidates = columns.candidates(plan.kind)
        if candidates is None:  # the reader never groups such files
            raise ValueError(f"file {file}: a payload of mixed types cannot be read with others")
        return columns.common(), candidates

    def _rows_by_plan(self, plans: list[TablePlan], expressions: list[str]) -> pa.Table:
        """Every expression of ``plans`` over their rows, in one query, sorted by file and plan.

        One query for several tables: a small file's cost was its dozen queries, not its
        rows (50-message files: 70 of their 100 ms). File and plan come first, so each file's
        rows of each plan are one contiguous slice.
        """
        cases = " ".join(f"WHEN {plan.where} THEN {n}" for n, plan in enumerate(plans))
        select = ", ".join(f"{expr} AS c{n}" for n, expr in enumerate(expressions))
        return self.con.sql(
            f"SELECT CASE {cases} END AS plan, {select} FROM {self.source} "
            f"WHERE plan IS NOT NULL ORDER BY {self.file}, plan, rowid"
        ).to_arrow_table()

    def tables(self) -> dict[int, list[tuple[str, pa.Table]]]:
        """Every warehouse table each file contributes to, with its rows.

        An event table gets only the keys its own rows of the file hold a value for, not
        every key some event of the file (or of the files read with it) has.
        """
        plans = self._group_plans()
        files = sorted({file for plan in plans for file in plan.rows_by_file})
        tables: dict[int, list[tuple[str, pa.Table]]] = {file: [] for file in files}
        tracks: dict[int, list[pa.Table]] = {file: [] for file in files}
        for group in _query_groups(plans, len(self.columns.common())):
            slices = [(file, plan) for file in files for plan in group]
            planned = [self._file_columns(file, plan) for file, plan in slices]
            expressions = list(
                dict.fromkeys(
                    column.expr
                    for (_, plan), (common, candidates) in zip(slices, planned, strict=True)
                    for column in [*common, *plan.own, *candidates]
                )
            )
            rows = _Columns.of_query(self._rows_by_plan(group, expressions), expressions)
            counts = [plan.rows_by_file.get(file, 0) for file, plan in slices]
            parts = zip(slices, planned, rows.slices(counts), strict=True)
            for (file, plan), (common, candidates), part in parts:
                if not part.rows.num_rows:
                    continue
                present = [column for column in candidates if part.holds_value(column)]
                reserved = {column.name for column in common + plan.own}
                columns = common + plan.own + unique_names(present, reserved)
                tables[file].append((plan.table, part.table(columns)))
                if plan.event is not None:
                    tracks[file].append(part.table(common + plan.own))
        for file in files:
            if tracks[file]:
                tables[file].append(("tracks", pa.concat_tables(tracks[file])))
        return tables


class _Columns:
    """Rows of one query, one column per expression (after the leading plan number)."""

    def __init__(self, rows: pa.Table, position: dict[str, int]) -> None:
        self.rows = rows
        self.position = position  # expression → column index

    @classmethod
    def of_query(cls, rows: pa.Table, expressions: list[str]) -> _Columns:
        return cls(rows, {expr: n + 1 for n, expr in enumerate(expressions)})

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
        """The rows as a table of their own: copied, so the query's wider result (every
        column of every table of the group) is freed at once rather than kept alive by the
        slices while they wait to be loaded."""
        return pa.table(
            [pa.concat_arrays(self._column(column).chunks) for column in columns],
            names=[c.name for c in columns],
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
