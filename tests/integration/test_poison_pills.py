"""One hostile message or file never stops a source: it is quarantined with a reason (or lands
under a name every engine takes), the rest loads, and the next run loads what is new."""

from __future__ import annotations

import gzip
import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.segment_archive.naming import event_table_name
from pipelines.segment_archive.settings import MAX_TABLE_NAME, RESERVED_TABLES
from tests.conftest import message, write_archive_file

DAY = "1759622400000"


def envelope(message_id: str, **fields) -> dict:
    """A message with envelope ``fields`` set (``message`` sets properties)."""
    return {**message(message_id), **fields}


def tables(warehouse) -> set[str]:
    return {
        name
        for (name,) in warehouse.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'regal_voice'"
        )
    }


def rejected(warehouse) -> list[tuple]:
    return sorted(
        warehouse.rows(
            "SELECT file_name, line_number, reason FROM regal_voice._rejected_lines ORDER BY ALL"
        )
    )


def test_an_event_name_longer_than_a_file_name_lands_in_a_shortened_table(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    long_a, long_b = "x" * 300, "x" * 299 + "y"  # one head, two events
    write_archive_file(
        source,
        f"{DAY}/a.gz",
        [message("m1"), message("m2", event=long_a, k=1), message("m3", event=long_b, k=2)],
    )
    run = warehouse.load(source)
    assert run.tally.messages == 3
    event_tables = {t for t in tables(warehouse) if t.startswith("xxx")}
    assert len(event_tables) == 2
    assert all(len(t) <= MAX_TABLE_NAME for t in event_tables)
    for table in event_tables:
        [(text, k)] = warehouse.rows(f"SELECT event_text, k FROM regal_voice.{table}")
        assert text == (long_a if k == 1 else long_b)
    assert warehouse.scalar("SELECT count(*) FROM regal_voice.tracks") == 3
    # A later run goes on loading into the same tables.
    write_archive_file(source, f"{DAY}/b.gz", [message("m4", event=long_a, k=3)])
    assert warehouse.load(source).tally.messages == 1
    assert warehouse.scalar(f"SELECT count(*) FROM regal_voice.{event_table_name(long_a)}") == 2


INTERNAL = [
    "_rejected_lines",
    "_archive_files",
    "_dlt_loads",
    "_dlt_version",
    "_dlt_pipeline_state",
    "tracks",
    "identifies",
    "pages",
    "screens",
    "groups",
    "aliases",
    "users",
]


def test_events_named_after_the_schemas_own_tables_get_tables_of_their_own(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    lines = [message("m0")] + [
        message(f"m{n}", event=name, marker=f"w{n}") for n, name in enumerate(INTERNAL, 1)
    ]
    identify = {
        "messageId": "i1",
        "type": "identify",
        "userId": "user_1",
        "timestamp": "2026-10-05T10:00:00.000Z",
        "traits": {"email": "a@example.com"},
    }
    write_archive_file(source, f"{DAY}/a.gz", [*lines, identify])
    run = warehouse.load(source)
    assert run.tally.messages == len(INTERNAL) + 2
    for n, name in enumerate(INTERNAL, 1):
        table = event_table_name(name)
        assert table == f"_{name}"
        assert warehouse.rows(f'SELECT id, event_text, marker FROM regal_voice."{table}"') == [
            (f"m{n}", name, f"w{n}")
        ]
    # The schema's own tables hold only what belongs there, once.
    assert warehouse.scalar("SELECT count(*) FROM regal_voice.tracks") == len(INTERNAL) + 1
    assert (
        warehouse.scalar("SELECT count(DISTINCT id) FROM regal_voice.tracks") == len(INTERNAL) + 1
    )
    assert warehouse.rows("SELECT id FROM regal_voice.identifies") == [("i1",)]
    assert warehouse.rows("SELECT id FROM regal_voice.users") == [("user_1",)]
    assert "pages" not in tables(warehouse)
    assert rejected(warehouse) == []
    # dlt's bookkeeping is intact: a second run loads what is new.
    write_archive_file(source, f"{DAY}/b.gz", [message("m99", event="_dlt_loads")])
    assert warehouse.load(source).tally.messages == 1


@given(st.text(max_size=400))
def test_every_event_gets_a_table_name_no_table_of_the_schema_has(name):
    table = event_table_name(name)
    assert table not in RESERVED_TABLES
    assert not table.startswith("_dlt")
    assert 0 < len(table) <= MAX_TABLE_NAME


@pytest.mark.parametrize(
    "when",
    ["infinity", "-infinity", "epoch", "10000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00"],
)
@pytest.mark.parametrize("field", ["receivedAt", "timestamp"])
def test_timestamps_no_client_can_read_are_quarantined(tmp_path, warehouse, field, when):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, f"{DAY}/a.gz", [message("m1"), envelope("m2", **{field: when})])
    run = warehouse.load(source)
    assert (run.tally.messages, run.tally.rejected) == (1, 1)
    assert rejected(warehouse) == [(f"{DAY}/a.gz", 2, "invalid_timestamp")]
    assert warehouse.rows("SELECT id FROM regal_voice.tracks") == [("m1",)]


def test_timestamps_at_the_edges_of_what_clients_read_load(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(
        source,
        f"{DAY}/a.gz",
        [
            envelope("m1", timestamp="0001-01-01T00:00:00Z"),
            envelope("m2", timestamp="9999-12-31T23:59:59.999Z"),
        ],
    )
    assert warehouse.load(source).tally.messages == 2
    assert rejected(warehouse) == []


@pytest.mark.parametrize(
    ("content", "detail"),
    [(b"", "zero bytes"), (gzip.compress(b""), "hold no line"), (gzip.compress(b"\n\n"), "")],
    ids=["zero-bytes", "empty-gzip", "blank-lines"],
)
def test_an_empty_file_is_quarantined_not_recorded_as_loaded(tmp_path, warehouse, content, detail):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, f"{DAY}/a.gz", [message("m1")])
    (source / DAY / "empty.gz").write_bytes(content)
    run = warehouse.load(source)
    assert run.tally.messages == 1
    [(line, reason, held)] = warehouse.rows(
        "SELECT line_number, reason, detail FROM regal_voice._rejected_lines"
    )
    assert (line, reason) == (0, "empty_file") and detail in held
    assert warehouse.rows(
        f"SELECT status FROM regal_voice._archive_files WHERE file_name = '{DAY}/empty.gz'"
    ) == [("empty_file",)]
    assert warehouse.load(source).tally.files_read == 0  # recorded: not read again


def test_a_dangling_link_is_skipped_and_the_rest_loads(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, f"{DAY}/a.gz", [message("m1")])
    os.symlink(tmp_path / "gone.gz", source / DAY / "dangling.gz")
    run = warehouse.load(source)
    assert (run.tally.files_read, run.tally.messages) == (1, 1)
    assert run.tally.links_skipped == [f"{DAY}/dangling.gz"]
    assert any("point at nothing" in warning for warning in run.tally.warnings("regal_voice"))


def test_links_that_leave_the_archive_are_never_read(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, f"{DAY}/a.gz", [message("m1")])
    outside = tmp_path / "elsewhere"
    write_archive_file(outside, "b.gz", [message("outside-gz")])
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    write_archive_file(outside / "day", "c.gz", [message("outside-day")])
    os.symlink(outside / "b.gz", source / DAY / "b.gz")
    os.symlink(outside / "passwd", source / DAY / "passwd.json")
    os.symlink(outside / "day", source / "1759708800000")
    # A link inside the archive is followed (and a folder reached twice listed once).
    os.symlink(source / DAY / "a.gz", source / DAY / "same.gz")
    os.symlink(source / DAY, source / "loop")
    run = warehouse.load(source)
    assert sorted(run.tally.links_skipped) == sorted(
        ["1759708800000", f"{DAY}/b.gz", f"{DAY}/passwd.json"]
    )
    assert warehouse.rows("SELECT id FROM regal_voice.tracks") == [("m1",)]
    assert warehouse.scalar("SELECT count(*) FROM regal_voice._rejected_lines") == 0
    files = warehouse.rows("SELECT file_name FROM regal_voice._archive_files ORDER BY 1")
    assert ("1759708800000/c.gz",) not in files


def read_back(warehouse, column: str) -> list:
    return warehouse.rows(f"SELECT id, {column} FROM regal_voice.call_completed ORDER BY id")


def test_numbers_a_double_cannot_hold_keep_their_text(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, f"{DAY}/a.gz", [message("m1", big=1.5, nested={"x": 2.5})])
    warehouse.load(source)
    head = {key: value for key, value in message("m2").items() if key != "properties"}
    lines = [
        json.dumps({**head, "messageId": f"m{n}"})[:-1] + f', "properties": {{"big": {value}, '
        f'"nested": {{"x": {value}}}, "listed": [1.5, {value}]}}}}'
        for n, value in enumerate(
            [
                "123456789012345678901234567890",
                "-9223372036854775809",
                "NaN",
                "Infinity",
                "-Infinity",
                "1e400",
            ],
            2,
        )
    ]
    write_archive_file(source, f"{DAY}/b.gz", lines)
    run = warehouse.load(source)
    assert (run.tally.messages, run.tally.rejected) == (6, 0)
    texts = {
        "m2": "123456789012345678901234567890",
        "m3": "-9223372036854775809",
        "m4": "NaN",
        "m5": "Infinity",
        "m6": "-Infinity",
        "m7": "1e400",
    }
    # The column is a number (the first file's), so the exact texts go beside it.
    assert read_back(warehouse, "big, big__v_text") == [("m1", 1.5, None)] + [
        (key, None, text) for key, text in texts.items()
    ]
    assert read_back(warehouse, "nested_x__v_text") == [("m1", None), *texts.items()]
    for key, text in texts.items():
        assert (
            warehouse.scalar(
                f"SELECT listed FROM regal_voice.call_completed WHERE id = '{key}'"
            ).replace(" ", "")
            == f"[1.5,{text}]"
        )


def test_numbers_a_double_holds_stay_numbers(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(
        source,
        f"{DAY}/a.gz",
        [message("m1", amount=0.30000000000000004), message("m2", amount=float(2**52))],
    )
    warehouse.load(source)
    assert warehouse.rows(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'regal_voice' AND table_name = 'call_completed' "
        "AND column_name LIKE 'amount%'"
    ) == [("amount", "DOUBLE")]


def test_numbers_a_double_cannot_hold_keep_their_text_in_a_payload_of_mixed_shapes(
    tmp_path, warehouse
):
    """A payload that is an object in one message and not in another is typed from its rows."""
    source = tmp_path / "segment-logs" / "src"
    head = {key: value for key, value in message("m1").items() if key != "properties"}
    lines = [
        json.dumps({**head, "properties": [1, 2]}),
        json.dumps(head)[:-1] + ', "properties": {"big": 9000000000000000000000000000004, '
        '"small": 1.5, "deep": {"x": NaN}}}',
    ]
    lines[1] = lines[1].replace('"m1"', '"m2"')
    write_archive_file(source, f"{DAY}/a.gz", lines)
    assert warehouse.load(source).tally.messages == 2
    assert warehouse.rows(
        "SELECT big, small, deep_x FROM regal_voice.call_completed WHERE id = 'm2'"
    ) == [("9000000000000000000000000000004", 1.5, "NaN")]


@pytest.mark.parametrize("shape", ["text", "list"])
def test_a_50_mb_line_is_quarantined_by_its_beginning_and_the_rest_loads(
    tmp_path, warehouse, shape
):
    source = tmp_path / "segment-logs" / "src"
    huge = {"transcript": "w" * 50_000_000} if shape == "text" else {"words": ["w"] * 10_000_000}
    write_archive_file(source, f"{DAY}/a.gz", [message("m1"), message("m2", **huge), message("m3")])
    run = warehouse.load(source)
    assert (run.tally.messages, run.tally.rejected) == (2, 1)
    [(line, reason, detail, kept)] = warehouse.rows(
        "SELECT line_number, reason, detail, length(raw_line) FROM regal_voice._rejected_lines"
    )
    assert (line, reason, kept) == (2, "line_too_long", 2**20)
    assert "the whole line is in the archive file" in detail and "sha256" in detail
    assert "worker-" not in detail  # no scratch path of the loader's
    assert warehouse.rows("SELECT id FROM regal_voice.call_completed ORDER BY 1") == [
        ("m1",),
        ("m3",),
    ]
    assert warehouse.load(source).tally.files_read == 0
