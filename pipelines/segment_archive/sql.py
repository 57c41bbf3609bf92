"""Small SQL builders for turning JSON-typed DuckDB columns into warehouse columns."""

from __future__ import annotations

from pipelines.segment_archive.types import (
    is_boolean,
    is_integer,
    is_json,
    is_nested,
    is_null,
    is_number,
    is_text,
)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def scalar_text(expr: str, column_type: object) -> str:
    """``expr`` as text when it holds a string, number or boolean; NULL for objects and arrays."""
    if is_text(column_type):
        return expr
    if is_json(column_type):
        return (
            f"(CASE WHEN json_type({expr}) IN ('OBJECT', 'ARRAY', 'NULL') THEN NULL "
            f"ELSE {expr}->>'$' END)"
        )
    if is_integer(column_type) or is_number(column_type) or is_boolean(column_type):
        return f"CAST({expr} AS VARCHAR)"
    return "NULL::VARCHAR"


def any_as_text(expr: str, column_type: object) -> str:
    """``expr`` as text whatever it holds: strings unquoted, anything else as JSON text."""
    if is_text(column_type):
        return expr
    if is_json(column_type):
        return f"(CASE json_type({expr}) WHEN 'VARCHAR' THEN {expr}->>'$' ELSE {expr}::VARCHAR END)"
    if is_null(column_type):
        return "NULL::VARCHAR"
    if is_nested(column_type):
        return f"CAST(to_json({expr}) AS VARCHAR)"
    return f"CAST({expr} AS VARCHAR)"


def timestamp_of(expr: str, column_type: object) -> str:
    return f"try_cast({scalar_text(expr, column_type)} AS TIMESTAMPTZ)"
