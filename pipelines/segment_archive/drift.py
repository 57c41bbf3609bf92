"""Keep a column's first type, and never fail or lose a value when a later one differs.

dlt's Arrow path fails a load when a text value reaches a numeric column. Values that cast
losslessly to the column's type are cast (``446`` into a text column becomes ``"446"``);
others go to a variant column named as dlt names them (``campaign_friendly_id__v_text``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


def dlt_type_of(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return "text"


LOSSLESS_CASTS = {
    ("text", "bigint"): pa.string(),
    ("text", "double"): pa.string(),
    ("text", "bool"): pa.string(),
    ("double", "bigint"): pa.float64(),
}


class ColumnTypes:
    """The data type of every column of every table, as loaded so far and in this run."""

    def __init__(self, known: dict[str, dict[str, str]] | None = None) -> None:
        self.known: dict[str, dict[str, str]] = {t: dict(c) for t, c in (known or {}).items()}
        # What ``reconcile`` does to a table of a given schema. A column's known type never
        # changes once set, so the answer for a schema holds for the rest of the run: a small
        # file's tables repeat a few schemas thousands of times.
        self._plans: dict[tuple[str, pa.Schema], _Plan] = {}

    @classmethod
    def from_dlt_schema(cls, schema) -> ColumnTypes:
        known = {
            name: {
                column: spec["data_type"]
                for column, spec in table.get("columns", {}).items()
                if "data_type" in spec
            }
            for name, table in schema.tables.items()
        }
        return cls(known)

    def reconcile(self, table_name: str, table: pa.Table) -> pa.Table:
        """``table`` with each column cast to, or moved beside, the column type already known."""
        key = (table_name, table.schema)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(table_name, table.schema)
        arrays = table.columns
        if plan.casts:
            arrays = [
                pc.cast(array, plan.casts[n]) if n in plan.casts else array
                for n, array in enumerate(arrays)
            ]
        return pa.table(arrays, schema=plan.schema)

    def _plan(self, table_name: str, schema: pa.Schema) -> _Plan:
        columns = self.known.setdefault(table_name, {})
        fields, casts = [], {}
        for n, field in enumerate(schema):
            incoming = dlt_type_of(field.type)
            target, arrow_type = field.name, field.type
            while True:
                existing = columns.get(target)
                if existing is None or existing == incoming:
                    break
                cast_to = LOSSLESS_CASTS.get((existing, incoming))
                if cast_to is not None:
                    casts[n], arrow_type, incoming = cast_to, cast_to, existing
                    break
                target = f"{field.name}__v_{incoming}"
            columns[target] = incoming
            # The merge key is never null (the reader rejects such lines); saying so matches
            # dlt's primary-key hint instead of contradicting it on every batch.
            fields.append(pa.field(target, arrow_type, nullable=target != "id"))
        return _Plan(pa.schema(fields), casts)


@dataclass(frozen=True)
class _Plan:
    schema: pa.Schema
    casts: dict[int, pa.DataType]  # by column position
