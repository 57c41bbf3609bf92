"""Reading one archive file: bad lines quarantined with reason and line number, nothing lost."""

import gzip
import json
from datetime import UTC, datetime

import duckdb
import pytest

from pipelines.segment_archive.reader import read_archive_file
from pipelines.segment_archive.shaping import FileShaper
from tests.conftest import message, write_archive_file

BAD = {
    "not json at all": "invalid_json",
    '{"messageId": "cut", "type": "tr': "invalid_json",
    "[1, 2]": "not_an_object",
    '"just a string"': "not_an_object",
    json.dumps({"type": "track", "event": "x"}): "missing_message_id",
    json.dumps({"messageId": "", "type": "track", "event": "x"}): "missing_message_id",
    json.dumps({"messageId": {"a": 1}, "type": "track", "event": "x"}): "missing_message_id",
    json.dumps({"messageId": "m-no-type", "event": "x"}): "missing_type",
    json.dumps({"messageId": "m-odd-type", "type": "shout"}): "unknown_type",
    json.dumps({"messageId": "m-no-event", "type": "track"}): "missing_event",
    json.dumps({"messageId": "m-bad-ts", "type": "track", "event": "x", "timestamp": "noonish"}): (
        "invalid_timestamp"
    ),
    json.dumps({"messageId": "m-obj-ts", "type": "track", "event": "x", "sentAt": {"a": 1}}): (
        "invalid_timestamp"
    ),
}


def shaped_ids(read) -> list[str]:
    """The ``id`` column of ``tracks`` as the shaping step builds it from the file read."""
    tables = dict(FileShaper(read.valid, datetime.now(UTC)).tables()[0])
    return sorted(tables["tracks"].column("id").to_pylist())


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize(("line", "reason"), list(BAD.items()))
def test_each_bad_line_is_quarantined_with_its_reason_and_number(tmp_path, con, line, reason):
    lines = [message("m1"), message("m2"), line, message("m3")]
    path = write_archive_file(tmp_path, "day/f.gz", lines)
    read = read_archive_file(con, path, "day/f.gz", tmp_path)
    assert read.lines == 4
    assert read.messages == 3
    assert [(r["line_number"], r["reason"], r["raw_line"]) for r in read.rejected] == [
        (3, reason, line)
    ]
    assert shaped_ids(read) == ["m1", "m2", "m3"]


def test_valid_plus_quarantined_equals_lines_read(tmp_path, con):
    lines = [message(f"m{n}") for n in range(50)]
    for position, bad in enumerate(BAD, 1):
        lines.insert(position * 3, bad)
    path = write_archive_file(tmp_path, "day/f.gz", lines)
    read = read_archive_file(con, path, "day/f.gz", tmp_path)
    assert read.messages == 50
    assert len(read.rejected) == len(BAD)
    assert read.messages + len(read.rejected) == read.lines == len(lines)
    for rejected in read.rejected:
        assert lines[rejected["line_number"] - 1] == rejected["raw_line"]


def test_truncated_gzip_is_recorded_and_complete_lines_salvaged(tmp_path, con):
    body = ("\n".join(json.dumps(message(f"m{n}")) for n in range(300)) + "\n").encode()
    packed = gzip.compress(body)
    path = tmp_path / "day" / "cut.gz"
    path.parent.mkdir()
    path.write_bytes(packed[: len(packed) * 2 // 3])
    read = read_archive_file(con, path, "day/cut.gz", tmp_path)
    reasons = [r["reason"] for r in read.rejected]
    assert reasons[0] == "corrupt_gzip"
    assert reasons[-1] == "truncated_line"
    assert read.truncated
    assert read.messages > 0
    # every decompressed line is either a message or kept in quarantine
    assert read.messages + len(read.rejected) - 1 == read.lines


def test_garbage_file_with_gzip_extension_is_quarantined_not_fatal(tmp_path, con):
    path = tmp_path / "day" / "junk.gz"
    path.parent.mkdir()
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    read = read_archive_file(con, path, "day/junk.gz", tmp_path)
    assert read.messages == 0 and read.valid is None
    assert read.rejected[0]["reason"] == "corrupt_gzip"


def test_already_decompressed_object_is_read_as_plain_json_lines(tmp_path, con):
    path = write_archive_file(tmp_path, "day/f.gz", [message("m1"), message("m2")], raw=True)
    read = read_archive_file(con, path, "day/f.gz", tmp_path)
    assert (read.messages, read.rejected) == (2, [])


def test_ids_keep_their_exact_text(tmp_path, con):
    upper = "C0957202-C4BD-4D9A-80AB-09A5C1D46EB7"
    lower = "c0957202-c4bd-4d9a-80ab-09a5c1d46eb8"
    path = write_archive_file(tmp_path, "day/f.gz", [message(upper), message(lower)])
    read = read_archive_file(con, path, "day/f.gz", tmp_path)
    assert shaped_ids(read) == sorted([upper, lower])
