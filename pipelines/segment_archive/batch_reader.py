"""Read several small archive files in one query, each typed exactly as it would be alone.

A quiet Segment source writes a small file every few minutes, and a query of its own per file
(schema detection and a dozen statements, ~30 ms) would be most of such a file's cost. Files
are read together only where DuckDB types every key of each of them alike: their types then
unite without a conflict, the union is each file's own typing, and the tables shaped from the
group equal those shaped file by file. A key that is a number in one file and text in another
would otherwise become JSON for both, and where a value lands (its column or a ``__v_text``
variant) would depend on which files happened to share a run.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.segment_archive.messages import FILE_COLUMN, Messages
from pipelines.segment_archive.reader import (
    GZIP_MAGIC,
    JSON_READER_OPTIONS,
    exact_type,
    inexact_leaves,
    inexact_numbers,
    invalid_message_reason,
    is_gzip,
    leaf_expr,
    rows_with_duplicate_keys,
)
from pipelines.segment_archive.settings import PAYLOAD_OF_TYPE
from pipelines.segment_archive.sql import quote_identifier, quote_literal
from pipelines.segment_archive.types import is_null

# A key's type: an SQL type name, or an object's keys and their types.
TypeTree = str | dict[str, "TypeTree"]
NULL_TYPE = "NULL"


class Conflict(Exception):
    """Two files type one key differently."""


def type_tree(column_type: duckdb.DuckDBPyType) -> TypeTree:
    if column_type.id == "struct":
        return {name: type_tree(child) for name, child in column_type.children}
    return NULL_TYPE if is_null(column_type) else exact_type(column_type)


def united(first: TypeTree, second: TypeTree) -> TypeTree:
    """One type for both, where they agree (a key absent or never set agrees with any)."""
    if first == NULL_TYPE:
        return second
    if second == NULL_TYPE or first == second:
        return first
    if isinstance(first, dict) and isinstance(second, dict):
        keys = {**first, **second}
        return {key: united(first.get(key, NULL_TYPE), second.get(key, NULL_TYPE)) for key in keys}
    raise Conflict


def sql_type(tree: TypeTree) -> str:
    if isinstance(tree, str):
        return '"NULL"' if tree == NULL_TYPE else tree
    fields = ", ".join(f"{quote_identifier(key)} {sql_type(child)}" for key, child in tree.items())
    return f"STRUCT({fields})"


def detected_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, TypeTree] | None:
    """The file's fields typed as the reader would type them alone; None when the file cannot
    join others: DuckDB cannot read it whole (a bad line), it holds nothing, or a payload
    (``properties``, ``traits``) mixes objects with other values, which is typed from all of
    its rows together."""
    compression = "gzip" if is_gzip(path) else "none"
    try:
        relation = con.sql(
            f"SELECT * FROM read_json(?, {JSON_READER_OPTIONS}, compression='{compression}')",
            params=[str(path)],
        )
        types = {
            name: type_tree(kind)
            for name, kind in zip(relation.columns, relation.types, strict=True)
        }
    except duckdb.Error:
        return None
    payloads = set(PAYLOAD_OF_TYPE.values())
    if not types or any(isinstance(types.get(p), str) and types[p] != NULL_TYPE for p in payloads):
        return None
    return types


@dataclass
class FileGroup:
    """Files whose types unite (by position in the list given, with each one's own types),
    and that union."""

    files: dict[int, dict[str, TypeTree]] = field(default_factory=dict)
    types: dict[str, TypeTree] = field(default_factory=dict)

    def admit(self, number: int, types: dict[str, TypeTree]) -> bool:
        """Take the file if its types agree with the group's."""
        try:
            merged = united(self.types, types)
        except Conflict:
            return False
        assert isinstance(merged, dict)
        self.types = merged
        self.files[number] = types
        return True


def group_files(
    con: duckdb.DuckDBPyConnection, paths: list[Path]
) -> tuple[list[FileGroup], list[int]]:
    """Groups of files that can be read together, and the files to read alone."""
    groups: list[FileGroup] = []
    alone: list[int] = []
    for number, path in enumerate(paths):
        types = detected_types(con, path)
        if types is None:
            alone.append(number)
        elif not any(group.admit(number, types) for group in groups):
            groups.append(FileGroup({number: types}, types))
    for group in [g for g in groups if len(g.files) == 1]:
        groups.remove(group)
        alone.extend(group.files)
    return groups, sorted(alone)


@dataclass
class GroupRead:
    """A group read in one query: its valid messages (``FILE_COLUMN`` numbering each row's
    file by its position in the paths given), each file's message count and own types, and the
    files that hold a line to quarantine, left out to be read alone."""

    messages: Messages
    counts: dict[int, int]
    file_types: dict[int, dict[str, duckdb.DuckDBPyType]]
    alone: list[int]


def read_group(
    con: duckdb.DuckDBPyConnection, paths: list[Path], group: FileGroup, work_dir: Path
) -> GroupRead:
    """Read ``group``'s files in one query, typed by their united types.

    DuckDB's reader holds a 32 MB buffer for every file of a list it is given, so the files
    are decompressed into one scratch file instead, each behind a line naming it; every
    message then belongs to the file named by the nearest such line above it.
    """
    combined = work_dir / "group.ndjson"
    marker = FILE_COLUMN.encode()
    with combined.open("wb") as out:
        for number in sorted(group.files):
            data = paths[number].read_bytes()
            if data[:2] == GZIP_MAGIC:
                data = gzip.decompress(data)
            out.write(b'{"%s":%d}\n' % (marker, number))
            out.write(data if data.endswith(b"\n") else data + b"\n")
    columns = {**group.types, FILE_COLUMN: "BIGINT"}
    spec = ", ".join(
        f"{quote_literal(k)}: {quote_literal(sql_type(t))}" for k, t in columns.items()
    )
    messages = Messages(con, several_files=True)
    file = quote_identifier(FILE_COLUMN)
    messages.drop()
    try:
        con.execute(
            f"CREATE TEMP TABLE {messages.name} AS SELECT * FROM read_json(?, "
            f"{JSON_READER_OPTIONS}, compression='none', columns={{{spec}}})",
            [str(combined)],
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {messages.name} AS "
            f"SELECT * EXCLUDE (is_marker, number) REPLACE (number AS {file}) FROM ("
            f"SELECT *, {file} IS NOT NULL AS is_marker, last_value({file} IGNORE NULLS) "
            f"OVER (ORDER BY rowid ROWS UNBOUNDED PRECEDING) AS number FROM {messages.name}) "
            "WHERE NOT is_marker"
        )
    except duckdb.Error:
        messages.drop()
        raise
    finally:
        combined.unlink(missing_ok=True)
    reason = invalid_message_reason(con, messages.name)
    rows = con.sql(
        f"SELECT {file}, count(*), count(*) FILTER (WHERE ({reason}) IS NOT NULL) "
        f"FROM {messages.name} GROUP BY ALL"
    ).fetchall()
    invalid = {number for number, _, bad in rows if bad}
    invalid |= files_with_inexact_numbers(messages)
    alone = sorted(invalid | rows_with_duplicate_keys(messages, file))
    if alone:
        listed = ", ".join(map(str, alone))
        con.execute(f"DELETE FROM {messages.name} WHERE {file} IN ({listed})")
    counts = {number: count for number, count, _ in rows if number not in alone}
    return GroupRead(messages, counts, _as_duckdb_types(con, group, counts), alone)


def files_with_inexact_numbers(messages: Messages) -> set[int]:
    """Files holding a number a double cannot hold as sent: read alone, where that number's
    leaf is read as text (``pipelines.segment_archive.reader``)."""
    leaves = inexact_leaves(messages)
    if not leaves:
        return set()
    types = messages.column_types()
    checks = []
    for at in leaves:
        leaf_type = types[at[0]]
        for key in at[1:]:
            leaf_type = dict(leaf_type.children)[key]
        checks.append(inexact_numbers(leaf_expr(at), leaf_type))
    rows = messages.con.sql(
        f"SELECT DISTINCT {messages.file_number} FROM {messages.name} WHERE {' OR '.join(checks)}"
    ).fetchall()
    return {number for (number,) in rows}


def _as_duckdb_types(
    con: duckdb.DuckDBPyConnection, group: FileGroup, files: Iterable[int]
) -> dict[int, dict[str, duckdb.DuckDBPyType]]:
    """Each file's own types, as the shaper takes them (files of a source mostly share them)."""
    parsed: dict[str, duckdb.DuckDBPyType] = {}
    result = {}
    for number in files:
        types = {}
        for name, tree in group.files[number].items():
            spelled = sql_type(tree)
            if spelled not in parsed:
                parsed[spelled] = con.type(spelled)
            types[name] = parsed[spelled]
        result[number] = types
    return result
