"""The product's SQL, written once in DuckDB's dialect, as Spark SQL: sqlglot transpiles it,
and a few rewrites cover what Spark's SQL has no word for (a JSON column type, constraints on
a table, a table's format)."""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp


def _spark_table(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.JSON:
        return exp.DataType.build("STRING")
    if isinstance(node, exp.PrimaryKeyColumnConstraint | exp.PrimaryKey):
        return None
    if isinstance(node, exp.ColumnConstraint) and isinstance(
        node.args.get("kind"), exp.PrimaryKeyColumnConstraint
    ):
        return None
    return node


def _all_columns(tree: exp.Insert, table_columns: Callable[[str], list[str]]) -> exp.Insert:
    """Spark takes no ``INSERT`` that leaves columns out: the rest are given as NULL."""
    target = tree.this
    if not isinstance(target, exp.Schema):
        return tree
    named = [column.name for column in target.expressions]
    table = target.this.sql(dialect="spark")
    every = table_columns(table)
    if set(every) <= set(named):
        return tree
    source = tree.expression
    if isinstance(source, exp.Values):
        rows = []
        for row in source.expressions:
            given = dict(zip(named, row.expressions, strict=True))
            rows.append(exp.Tuple(expressions=[given.get(c, exp.Null()) for c in every]))
        source = exp.Values(expressions=rows)
    else:
        if isinstance(source, exp.Select):  # its columns by the names they are inserted as
            source = source.select(
                *[e.unalias().as_(n) for e, n in zip(source.expressions, named, strict=True)],
                append=False,
            )
        source = exp.select(
            *[exp.column(c) if c in named else exp.Null().as_(c) for c in every]
        ).from_(source.subquery("given"))
    return exp.Insert(
        this=exp.Schema(this=target.this, expressions=[exp.column(c) for c in every]),
        expression=source,
    )


def to_spark(sql: str, table_columns: Callable[[str], list[str]] | None = None) -> list[str]:
    """Each statement of ``sql`` (DuckDB's dialect) as Spark SQL; a table is created as an
    Iceberg table. ``table_columns(table)``: a table's columns, to complete an ``INSERT``."""
    statements = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is None:
            continue
        tree = tree.transform(_spark_table)
        if isinstance(tree, exp.Create) and tree.kind == "TABLE":
            properties = tree.args.get("properties") or exp.Properties(expressions=[])
            if not any(isinstance(p, exp.FileFormatProperty) for p in properties.expressions):
                properties.append("expressions", exp.FileFormatProperty(this=exp.var("ICEBERG")))
            tree.set("properties", properties)
        if isinstance(tree, exp.Insert) and table_columns is not None:
            tree = _all_columns(tree, table_columns)
        statements.append(tree.sql(dialect="spark"))
    return statements
