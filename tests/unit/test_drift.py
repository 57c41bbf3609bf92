"""Type drift: a column keeps its first type; a later value that casts losslessly is cast, any
other goes to a variant column. ``reconcile`` remembers what it did to each table schema; the
result must be what working it out again for every table gives (the rule, written out below)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.segment_archive.drift import LOSSLESS_CASTS, ColumnTypes, dlt_type_of

ARROW_TYPES = {
    "bigint": (pa.int64(), st.integers(-(2**40), 2**40)),
    "double": (pa.float64(), st.floats(allow_nan=False, allow_infinity=False)),
    "text": (pa.string(), st.text(max_size=5)),
    "bool": (pa.bool_(), st.booleans()),
}


def reference(known: dict[str, dict[str, str]], table_name: str, table: pa.Table) -> pa.Table:
    """The rule, column by column, for every table anew."""
    columns = known.setdefault(table_name, {})
    names, arrays = [], []
    for name, array in zip(table.column_names, table.columns, strict=True):
        incoming, target = dlt_type_of(array.type), name
        while columns.get(target) not in (None, incoming):
            cast_to = LOSSLESS_CASTS.get((columns[target], incoming))
            if cast_to is not None:
                array, incoming = pc.cast(array, cast_to), columns[target]
                break
            target = f"{name}__v_{incoming}"
        columns[target] = incoming
        names.append(target)
        arrays.append(array)
    fields = [pa.field(n, a.type, nullable=n != "id") for n, a in zip(names, arrays, strict=True)]
    return pa.table(arrays, schema=pa.schema(fields))


@st.composite
def tables(draw):
    """A table of a few rows: ``id`` and some of a few columns, each of any type."""
    rows = draw(st.integers(1, 3))
    chosen = draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3))
    data = {"id": pa.array([f"m{n}" for n in range(rows)])}
    for name in chosen:
        arrow_type, values = ARROW_TYPES[draw(st.sampled_from(sorted(ARROW_TYPES)))]
        data[name] = pa.array(draw(st.lists(values, min_size=rows, max_size=rows)), arrow_type)
    return draw(st.sampled_from(["calls", "tasks"])), pa.table(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(tables(), min_size=1, max_size=12))
def test_reconcile_gives_what_the_rule_gives_for_every_table(sequence):
    types, known = ColumnTypes(), {}
    for table_name, table in sequence * 2:  # each schema again, once remembered
        got = types.reconcile(table_name, table)
        expected = reference(known, table_name, table)
        assert got.schema.equals(expected.schema) and got.equals(expected)
    assert types.known == known


def test_a_known_type_is_kept_across_tables():
    types = ColumnTypes({"calls": {"talk_time": "text"}})
    first = types.reconcile("calls", pa.table({"id": ["1"], "talk_time": [446]}))
    assert first.column("talk_time").to_pylist() == ["446"]
    second = types.reconcile("calls", pa.table({"id": ["2"], "talk_time": [True]}))
    assert second.column_names == ["id", "talk_time"]
    third = types.reconcile("tasks", pa.table({"id": ["3"], "n": [1.5]}))
    assert third.schema.field("id").nullable is False
