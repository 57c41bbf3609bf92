"""DuckDB column types as the archive code meets them, named in one place.

DuckDB's JSON reader types a key by the values it saw: integers of any width, floats,
decimals, booleans, text, structs for objects, lists for arrays, JSON where values of one key
disagree, and its NULL type where a key never held a value.
"""

from __future__ import annotations

INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})


def type_name(column_type: object) -> str:
    """The upper-case SQL name of a DuckDB type (``BIGINT``, ``JSON``, ``STRUCT(…)``…)."""
    name = str(column_type).upper()
    return "NULL" if name == '"NULL"' else name  # DuckDB quotes its NULL type's name


def is_null(column_type: object) -> bool:
    """A key that never held a value in the file."""
    return type_name(column_type) == "NULL"


def is_text(column_type: object) -> bool:
    return type_name(column_type) == "VARCHAR"


def is_json(column_type: object) -> bool:
    """Values of one key that disagree in type, kept by the reader as JSON text."""
    return type_name(column_type) == "JSON"


def holds_json(column_type: object) -> bool:
    """A JSON value somewhere inside (a list or map of JSON)."""
    return "JSON" in type_name(column_type)


def is_integer(column_type: object) -> bool:
    return type_name(column_type) in INTEGER_TYPES


def is_number(column_type: object) -> bool:
    """Floats and decimals (integers are ``is_integer``)."""
    name = type_name(column_type)
    return name in FLOAT_TYPES or name.startswith("DECIMAL")


def is_boolean(column_type: object) -> bool:
    return type_name(column_type) == "BOOLEAN"


def is_nested(column_type: object) -> bool:
    """Structs, maps and lists: values kept as JSON text when they are not flattened."""
    name = type_name(column_type)
    return name.startswith(("STRUCT", "MAP")) or name.endswith("]")
