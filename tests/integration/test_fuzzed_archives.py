"""Generated archives of good and bad lines through the real loader: never a crash, every line
either lands exactly once or is quarantined with its raw text, and no value is dropped.

Each line is generated with what must become of it: ``lands`` (a well-formed message),
``quarantined`` (not JSON, not an object, no id, no type, a bad timestamp, a duplicate key…)
or ``either`` (envelope fields of odd types, extreme nesting), where only "exactly one of the
two" is the rule. Every landed message carries witness values that must appear in its row.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.engines.duckdb import DuckDBFile
from pipelines.errors import describe
from pipelines.ingest.load import load_source

TIMESTAMP = "2026-10-05T10:00:00.000Z"
PAYLOAD = {"track": "properties", "page": "properties", "identify": "traits"}
TABLE = {"page": "pages", "identify": "identifies"}

# Names and keys as senders write them: any Unicode, control characters included.
names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
event_names = (
    names.filter(lambda name: name.strip())
    | st.sampled_from(
        ["call.completed", "sms.sent", "Order Completed", "task.reservation.accepted"]
    )
    # Names of the schema's own tables, and names longer than a file name.
    | st.sampled_from(["tracks", "identifies", "users", "_rejected_lines", "_dlt_loads"])
    | st.text(st.sampled_from("aZ. 9"), min_size=64, max_size=300).filter(str.strip)
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | names
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
ENVELOPE_FIELDS = [
    "messageId",
    "type",
    "event",
    "userId",
    "anonymousId",
    "timestamp",
    "receivedAt",
    "sentAt",
    "originalTimestamp",
    "context",
    "properties",
    "integrations",
    "channel",
]
odd_envelope_values = st.one_of(
    st.integers(1, 10**6), st.booleans(), st.lists(scalars, max_size=2), st.just({"a": 1})
)


@dataclass
class Line:
    text: str
    fate: str  # lands | quarantined | either
    message_id: str | None = None  # the id it lands under, when it can land
    kind: str = "track"
    witnesses: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # a 10 MB line would make hypothesis's report unreadable
        shown = self.text if len(self.text) < 400 else self.text[:400] + f"… ({len(self.text)})"
        return f"Line({shown!r}, {self.fate!r}, {self.message_id!r}, {self.kind!r})"


def drifting_amount(number: int, file_index: int) -> tuple[object, str]:
    """The same property as int, string, object and array in successive files."""
    token = f"amt{number}x"
    shapes = [number * 1000 + 7, token, {"value": token}, [token]]
    value = shapes[file_index % 4]
    return value, str(value) if isinstance(value, int) else token


@st.composite
def good_message(draw, number: int, file_index: int) -> Line:
    kind = draw(st.sampled_from(["track", "track", "identify", "page"]))
    message_id = f"m{number}"
    payload = draw(st.dictionaries(names, values, max_size=4))
    witness_key, witness = draw(names), f"wit{number}x"
    if draw(st.integers(0, 40)) == 0:  # now and then a 10 MB line
        witness += "y" * 10_000_000
    payload[witness_key] = witness
    witnesses = [witness]
    if witness_key != "amount":
        payload["amount"], amount_token = drifting_amount(number, file_index)
        witnesses.append(amount_token)
    if witness_key != "exact" and draw(st.integers(0, 3)) == 0:
        # A number no double holds (beyond int64, or not finite) lands as its text.
        big = draw(st.sampled_from([f"9{number:030d}", f"-9{number:020d}", "NaN", "1e400"]))
        payload["exact"] = big
        witnesses.append(big)
    message = {
        "messageId": message_id,
        "type": kind,
        "userId": f"user{number % 5}",
        "timestamp": TIMESTAMP,
        "receivedAt": TIMESTAMP,
        PAYLOAD[kind]: payload,
    }
    if kind == "track":
        message["event"] = draw(event_names)
    text = json.dumps(message)
    if "exact" in payload:  # as a bare JSON number, not a string
        text = text.replace(f'"exact": "{payload["exact"]}"', f'"exact": {payload["exact"]}')
    return Line(text, "lands", message_id, kind, witnesses)


def envelope(number: int, **fields) -> dict:
    message = {
        "messageId": f"m{number}",
        "type": "track",
        "event": "call.completed",
        "timestamp": TIMESTAMP,
    }
    message.update(fields)
    return {key: value for key, value in message.items() if value is not DROP}


DROP = object()


@st.composite
def bad_line(draw, number: int) -> Line:
    choice = draw(st.integers(0, 10))
    if choice == 0:  # cut short
        text = json.dumps(envelope(number, properties={"note": "x" * 20}))
        return Line(text[: draw(st.integers(1, len(text) - 1))], "quarantined")
    if choice == 1:  # not JSON
        junk = draw(names.filter(lambda s: "\n" not in s and "\r" not in s))
        return Line("not json " + junk, "quarantined")
    if choice == 2:  # JSON, not an object
        return Line(json.dumps(draw(st.lists(scalars, max_size=3) | scalars)), "quarantined")
    if choice == 3:
        return Line(json.dumps(envelope(number, messageId=DROP)), "quarantined")
    if choice == 4:
        blank = draw(st.sampled_from(["", "   "]))
        return Line(json.dumps(envelope(number, messageId=blank)), "quarantined")
    if choice == 5:
        kind = draw(st.sampled_from([DROP, "", "shout"]))
        return Line(json.dumps(envelope(number, type=kind)), "quarantined")
    if choice == 6:
        return Line(json.dumps(envelope(number, event=DROP)), "quarantined")
    if choice == 7:
        when = draw(
            st.sampled_from(
                [
                    *("yesterday", "2026-13-45T99:00:00Z", "noon", "infinity", "-infinity"),
                    *("epoch", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00"),
                ]
            )
        )
        return Line(json.dumps(envelope(number, timestamp=when)), "quarantined")
    if choice == 8:  # a duplicate key: quarantined, or landed with both of its values
        first, second = f"dupa{number}x", f"dupb{number}x"
        text = json.dumps(envelope(number, properties={"a": first}))
        text = text.replace(f'{{"a": "{first}"}}', f'{{"a": "{first}", "a": "{second}"}}')
        return Line(text, "either", f"m{number}", witnesses=[first, second])
    if choice == 9:  # envelope fields of unusual types
        name = draw(st.sampled_from(ENVELOPE_FIELDS))
        value = draw(odd_envelope_values)
        scalar_id = name == "messageId" and isinstance(value, int) and not isinstance(value, bool)
        message_id = str(value) if scalar_id else f"m{number}"
        text = json.dumps(envelope(number, **{name: value}))
        return Line(text, "either", message_id if name != "messageId" or scalar_id else None)
    depth = draw(st.integers(20, 200))  # deep nesting
    nested: object = "bottom"
    for _ in range(depth):
        nested = {"k": nested}
    return Line(json.dumps(envelope(number, properties={"deep": nested})), "either", f"m{number}")


@dataclass
class ArchiveFile:
    name: str
    lines: list[Line]
    packing: str  # gzip | plain | empty | corrupt

    def content(self) -> bytes:
        body = "".join(line.text + "\n" for line in self.lines).encode()
        if self.packing == "plain":
            return body
        if self.packing == "empty":
            return b""
        packed = gzip.compress(body)
        return packed[: len(packed) // 2] if self.packing == "corrupt" else packed


@st.composite
def archives(draw) -> list[ArchiveFile]:
    files, number = [], 0
    for file_index in range(draw(st.integers(1, 4))):
        lines = []
        for _ in range(draw(st.integers(0, 8))):
            number += 1
            good = draw(st.booleans())
            lines.append(draw(good_message(number, file_index) if good else bad_line(number)))
        packing = draw(st.sampled_from(["gzip", "gzip", "plain", "empty", "corrupt"]))
        files.append(ArchiveFile(f"1759622400000/file-{file_index}.gz", lines, packing))
    return files


def landed_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Message id → (table, row as JSON text) for every row of every message table."""
    rows: dict[str, list[tuple[str, str]]] = {}
    tables = con.sql(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        "WHERE table_schema = 'regal_voice' AND column_name = 'id' AND table_name <> 'users'"
    ).fetchall()
    for (table,) in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        # An alias no column can have: a key "T" becomes a column named t.
        alias = "row_of_the_table_no_key_snake_cases_to_this"
        for message_id, row in con.sql(
            f"SELECT id, to_json({alias})::VARCHAR FROM regal_voice.{quoted} AS {alias}"
        ).fetchall():
            rows.setdefault(message_id, []).append((table, row))
    return rows


def check_lands_once(line: Line, rows: list[tuple[str, str]]) -> None:
    tables = sorted(table for table, _ in rows)
    if line.kind == "track":
        assert len(tables) == 2 and "tracks" in tables, (line.text, tables)
    else:
        assert tables == [TABLE[line.kind]], (line.text, tables)
    row = next(row for table, row in rows if table != "tracks")
    for witness in line.witnesses:
        assert witness in row, (witness, line.text, row)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),  # more for a deeper search
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(archives())
def test_fuzzed_archive_every_line_lands_once_or_is_quarantined(files):
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "segment-logs" / "source"
        for archive_file in files:
            path = source / archive_file.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive_file.content())
        warehouse = Path(work) / "warehouse.duckdb"
        run = load_source("regal_voice", str(source), DuckDBFile(warehouse))
        again = load_source("regal_voice", str(source), DuckDBFile(warehouse))
        assert (again.tally.files_read, again.tally.messages) == (0, 0)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            recorded = dict(
                con.sql(
                    "SELECT file_name, lines_read - messages - rejected_lines "
                    "FROM regal_voice._archive_files"
                ).fetchall()
            )
            quarantined = {
                (file_name, number): raw
                for file_name, number, raw in con.sql(
                    "SELECT file_name, line_number, raw_line FROM regal_voice._rejected_lines "
                    "WHERE line_number > 0"
                ).fetchall()
            }
            landed = landed_rows(con)

    assert recorded == dict.fromkeys((f.name for f in files), 0)  # every file, nothing unsaid
    assert run.tally.messages + len(quarantined) == run.tally.lines
    landed_lines = 0
    for archive_file in files:
        if archive_file.packing in ("empty", "corrupt"):
            continue  # what a corrupt file still yields is checked by the count above
        for number, line in enumerate(archive_file.lines, 1):
            held = quarantined.get((archive_file.name, number))
            rows = landed.get(line.message_id, []) if line.message_id else []
            if line.fate == "lands" or (line.fate == "either" and held is None):
                assert held is None, (line.text, held)
                check_lands_once(line, rows)
                landed_lines += 1
            else:
                assert held == line.text and rows == [], (line.text, held, rows)
    if all(f.packing not in ("empty", "corrupt") for f in files):
        assert landed_lines == run.tally.messages


def archive_of_one_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "segment-logs" / "s" / "1759622400000" / "big.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    return path


def test_a_10_mb_line_lands_whole(tmp_path, warehouse):
    transcript = "word " * 2_000_000
    line = envelope(1, properties={"transcript": transcript})
    path = archive_of_one_file(tmp_path, gzip.compress((json.dumps(line) + "\n").encode()))
    warehouse.load(path.parent.parent)
    length = warehouse.scalar("SELECT length(transcript) FROM regal_voice.call_completed")
    assert length == len(transcript)


def many_10_mb_lines(bad_line: str | None) -> tuple[bytes, list[str]]:
    """Eight 10 MB messages of every kind whose payloads stay JSON text (an empty key), one
    repeating a key inside such a value, and optionally a bad line: the case hypothesis found
    running DuckDB's JSON functions out of the reader's memory."""
    lines, witnesses = [], []
    for number in range(8):
        kind = ["track", "page", "identify"][number % 3]
        witness = f"wit{number}x" + "y" * 10_000_000
        payload = {"": witness} if number % 2 else {"nested": {"": witness}}
        lines.append(json.dumps(envelope(number, type=kind, **{PAYLOAD[kind]: payload})))
        witnesses.append(witness)
    repeated = json.dumps(envelope(8, properties={"x": {"a": "first"}}))
    lines.append(repeated.replace('{"a": "first"}', '{"a": "first", "a": "second"}'))
    if bad_line is not None:
        lines.append(bad_line)
    return gzip.compress(("\n".join(lines) + "\n").encode()), witnesses


@pytest.mark.parametrize("bad", [None, "not json"], ids=["all-json", "with-a-bad-line"])
def test_a_file_of_many_10_mb_lines_lands_whole(tmp_path, warehouse, bad):
    content, witnesses = many_10_mb_lines(bad)
    path = archive_of_one_file(tmp_path, content)
    run = warehouse.load(path.parent.parent)
    assert (run.tally.messages, run.tally.lines) == (8, 10 if bad else 9)
    reasons = warehouse.rows("SELECT line_number, reason FROM regal_voice._rejected_lines")
    assert sorted(reasons) == [(9, "duplicate_key")] + ([(10, "invalid_json")] if bad else [])
    landed = warehouse.rows(
        "SELECT id, length(properties) FROM regal_voice.call_completed "
        "UNION ALL SELECT id, length(properties) FROM regal_voice.pages "
        "UNION ALL SELECT id, length(traits) FROM regal_voice.identifies"
    )
    assert sorted(message_id for message_id, _ in landed) == [f"m{n}" for n in range(8)]
    for message_id, length in landed:
        assert length > len(witnesses[int(message_id[1:])]), message_id


def test_a_file_too_big_for_the_retry_limit_stops_the_run_naming_it(
    tmp_path, warehouse, monkeypatch, caplog
):
    content, _ = many_10_mb_lines(None)
    path = archive_of_one_file(tmp_path, content)
    monkeypatch.setenv("SOURCES__SEGMENT_ARCHIVE__DUCKDB_MEMORY_LIMIT", "60MB")
    monkeypatch.setenv("SOURCES__SEGMENT_ARCHIVE__DUCKDB_RETRY_MEMORY_LIMIT", "80MB")
    with pytest.raises(Exception) as failure:
        warehouse.load(path.parent.parent)
    assert describe(failure.value) == (
        "FileNeedsMoreMemory: 1759622400000/big.gz: reading it needs more than 80MB of memory "
        "(raise SOURCES__SEGMENT_ARCHIVE__DUCKDB_RETRY_MEMORY_LIMIT)"
    )
    assert "1759622400000/big.gz: needs more than 60MB of memory; retrying with 80MB" in (
        caplog.text
    )
    # Nothing of the file is recorded: the next run reads it again.
    monkeypatch.delenv("SOURCES__SEGMENT_ARCHIVE__DUCKDB_MEMORY_LIMIT")
    monkeypatch.delenv("SOURCES__SEGMENT_ARCHIVE__DUCKDB_RETRY_MEMORY_LIMIT")
    assert warehouse.load(path.parent.parent).tally.messages == 8
