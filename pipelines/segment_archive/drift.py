"""Keep a column's first type, and never fail or lose a value when a later one differs.

dlt's Arrow path fails a load when a text value reaches a numeric column. Values that cast
losslessly to the column's type are cast (``446`` into a text column becomes ``"446"``);
others go to a variant column named as dlt names them (``campaign_friendly_id__v_text``).
"""

from __future__ import annotations

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
        columns = self.known.setdefault(table_name, {})
        names, arrays = [], []
        for name, array in zip(table.column_names, table.columns, strict=True):
            incoming = dlt_type_of(array.type)
            target = name
            while True:
                existing = columns.get(target)
                if existing is None or existing == incoming:
                    break
                cast_to = LOSSLESS_CASTS.get((existing, incoming))
                if cast_to is not None:
                    array = pc.cast(array, cast_to)
                    incoming = existing
                    break
                target = f"{name}__v_{incoming}"
            columns[target] = incoming
            names.append(target)
            arrays.append(array)
        # The merge key is never null (the reader rejects such lines); saying so matches
        # dlt's primary-key hint instead of contradicting it on every batch.
        fields = [
            pa.field(n, a.type, nullable=n != "id") for n, a in zip(names, arrays, strict=True)
        ]
        return pa.table(arrays, schema=pa.schema(fields))
