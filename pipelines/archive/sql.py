"""Small SQL builders for turning JSON-typed DuckDB columns into warehouse columns."""

from __future__ import annotations

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
FLOAT_TYPES = {"FLOAT", "DOUBLE"}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _type_name(column_type: object) -> str:
    return str(column_type).upper()


def scalar_text(expr: str, column_type: object) -> str:
    """``expr`` as text when it holds a string, number or boolean; NULL for objects and arrays."""
    name = _type_name(column_type)
    if name == "VARCHAR":
        return expr
    if name == "JSON":
        return (
            f"(CASE WHEN json_type({expr}) IN ('OBJECT', 'ARRAY', 'NULL') THEN NULL "
            f"ELSE {expr}->>'$' END)"
        )
    if name in INTEGER_TYPES | FLOAT_TYPES | {"BOOLEAN", "UBIGINT", "HUGEINT"}:
        return f"CAST({expr} AS VARCHAR)"
    return "NULL::VARCHAR"


def any_as_text(expr: str, column_type: object) -> str:
    """``expr`` as text whatever it holds: strings unquoted, anything else as JSON text."""
    name = _type_name(column_type)
    if name == "VARCHAR":
        return expr
    if name == "JSON":
        return f"(CASE json_type({expr}) WHEN 'VARCHAR' THEN {expr}->>'$' ELSE {expr}::VARCHAR END)"
    if name == '"NULL"' or name == "NULL":
        return "NULL::VARCHAR"
    if name.startswith(("STRUCT", "MAP")) or name.endswith("]"):
        return f"CAST(to_json({expr}) AS VARCHAR)"
    return f"CAST({expr} AS VARCHAR)"


def timestamp_of(expr: str, column_type: object) -> str:
    return f"try_cast({scalar_text(expr, column_type)} AS TIMESTAMPTZ)"
