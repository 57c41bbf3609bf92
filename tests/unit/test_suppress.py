"""A load drops a forgotten person's messages wherever their identifiers sit in a message, and
their quarantined lines, and nothing else (``pipelines.segment_archive.suppress``)."""

from __future__ import annotations

import duckdb

from pipelines.privacy.identifiers import Identifier
from pipelines.privacy.suppression import SuppressionList
from pipelines.segment_archive.reader import read_archive_file
from pipelines.segment_archive.suppress import drop_suppressed, install, suppressed_lines
from tests.conftest import message, write_archive_file

FORGOTTEN = [
    Identifier("phone", "+19175554444"),
    Identifier("email", "anne@example.com"),
    Identifier("user_id", "u_anne"),
    Identifier("anonymous_id", "anon-anne"),
    Identifier("task", "WTanne"),
]


def kept_ids(tmp_path, lines: list) -> tuple[list[str], dict]:
    suppression = SuppressionList()
    suppression.add(FORGOTTEN, "request-1")
    path = write_archive_file(tmp_path, "1791158400000/a.gz", lines)
    with duckdb.connect() as con:
        install(con, suppression)
        read = read_archive_file(con, path, "a.gz", tmp_path)
        dropped = drop_suppressed(read.valid, suppression, "1")
        ids = [row[0] for row in con.sql(f'SELECT "messageId" FROM {read.valid.name}').fetchall()]
        lines_dropped = suppressed_lines(read.rejected, suppression, "1")
    return sorted(ids), {"messages": dropped, "lines": lines_dropped}


def test_every_place_an_identifier_sits_is_found(tmp_path):
    identify = {**message("i1", userId=None), "type": "identify", "userId": None}
    identify.update(anonymousId="x", traits={"email": " Anne@Example.com "})
    del identify["event"], identify["properties"]
    context_traits = message("c1")
    context_traits["context"] = {"traits": {"phone": "+1 917 555 4444"}}
    lines = [
        message("p1", contact_phone="(917) 555-4444"),  # any format
        message("p2", to_number="917.555.4444"),
        message("t1", "call.recording.available", call_id="WTanne"),
        {**message("u1"), "userId": "u_anne"},
        {**message("a1"), "userId": None, "anonymousId": "anon-anne"},
        identify,
        context_traits,
        message("k1", contact_phone="+19175550000"),  # someone else
        {**message("k2"), "userId": "u_ann"},  # a prefix of a forgotten id is not it
        "{not json 9175554444",  # a quarantined line naming them
        '{"messageId": "bad", "userId": "u_other"',  # one that does not
    ]
    ids, dropped = kept_ids(tmp_path, lines)
    assert ids == ["k1", "k2"]
    assert sum(dropped["messages"][0].values()) == 7
    assert dropped["messages"][0] == {"request-1": 7}
    assert list(dropped["lines"].values()) == [{"request-1"}]


def test_a_payload_of_mixed_types_is_read_as_json(tmp_path):
    """`context.traits` typed JSON (text in one message, an object in another) still gives
    up its phone."""
    mixed, named = message("j1"), message("j2")
    mixed["context"] = {"traits": "unknown"}
    named["context"] = {"traits": {"phone": "917-555-4444"}}
    path = write_archive_file(tmp_path / "typed", "1791158400000/a.gz", [mixed, named])
    with duckdb.connect() as con:
        read = read_archive_file(con, path, "a.gz", tmp_path)
        context = dict(read.valid.column_types()["context"].children)
    assert str(context["traits"]) == "JSON"  # the branch this test is about
    ids, _ = kept_ids(tmp_path, [mixed, named])
    assert ids == ["j1"]


def test_nothing_is_hashed_without_a_list(tmp_path):
    path = write_archive_file(tmp_path, "1791158400000/a.gz", [message("m1")])
    with duckdb.connect() as con:
        read = read_archive_file(con, path, "a.gz", tmp_path)
        assert drop_suppressed(read.valid, SuppressionList(), "1") == {}
