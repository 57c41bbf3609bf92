"""Read one Segment archive file into DuckDB, separating valid messages from bad lines.

The fast path hands the file straight to DuckDB's JSON reader (gzip included). Only a file
that fails to parse or holds an invalid message takes the slow path, which splits it into
numbered lines so each bad line can be quarantined with its reason and raw text.

Over 300 lines because reading one file is one job with three paths that must agree on every
rule (the fast read, the line-by-line fallback and the bisecting quarantine); split, each rule
would live in two places.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.segment_archive.messages import Messages
from pipelines.segment_archive.settings import MESSAGE_TYPES, TIMESTAMP_FIELDS
from pipelines.segment_archive.sql import quote_identifier, quote_literal, scalar_text
from pipelines.segment_archive.types import (
    FLOAT_TYPES,
    holds_json,
    is_integer,
    is_json,
    is_text,
    type_name,
)

GZIP_MAGIC = b"\x1f\x8b"
# The reason a file that holds no line at all (zero bytes, a gzip of nothing, blank lines) is
# quarantined under: Segment never writes one, so it says something went wrong upstream.
EMPTY_FILE = "empty_file"

# read_json options that keep every key (whole-file sampling) and every string as written
# (no guessing of dates), and never turn a wide object into a MAP.
JSON_READER_OPTIONS = (
    "format='newline_delimited', records=true, sample_size=-1, maximum_depth=-1, "
    "map_inference_threshold=-1, field_appearance_threshold=0, "
    "dateformat='%d-NO-DATE-%m', timestampformat='%d-NO-TIMESTAMP-%m'"
)

REJECTED_SCHEMA = pa.schema(
    [
        pa.field("file_name", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("raw_line", pa.string()),
    ]
)


@dataclass
class FileRead:
    """What reading one archive file produced: its valid messages (``valid``, None when it
    holds none) and its bad lines (``rejected``)."""

    lines: int = 0
    messages: int = 0
    rejected: list[dict] = field(default_factory=list)
    truncated: bool = False
    valid: Messages | None = None

    def rejected_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rejected, schema=REJECTED_SCHEMA)

    @property
    def status(self) -> str:
        """How the file is recorded in ``_archive_files``."""
        if self.truncated:
            return "salvaged_corrupt_gzip"
        if any(rejected["reason"] == EMPTY_FILE for rejected in self.rejected):
            return EMPTY_FILE
        return "loaded"


def is_gzip(path: Path) -> bool:
    """Segment stores objects gzipped, but a client may already have decompressed them."""
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def decompress_salvaging(data: bytes) -> tuple[bytes, str | None]:
    """Decompress gzip ``data``; on corruption keep what decompressed and say why it stopped."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    chunks: list[bytes] = []
    error: str | None = None
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(data), step):
            chunks.append(inflater.decompress(view[start : start + step]))
            while inflater.eof and inflater.unused_data:  # concatenated gzip members
                rest = inflater.unused_data
                inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
                chunks.append(inflater.decompress(rest))
        chunks.append(inflater.flush())
        if not inflater.eof:
            error = "gzip stream ends early (truncated file)"
    except zlib.error as exc:
        error = f"corrupt gzip data: {exc}"
    return b"".join(chunks), error


def id_is_text_or_integer(column_type: str | None) -> str:
    """SQL that holds where ``messageId`` is a string or an integer: ``true`` or ``1.5`` is no
    id a sender meant, and would land under the text "true"."""
    if is_json(column_type):
        return "(json_type(\"messageId\") IN ('VARCHAR', 'BIGINT', 'UBIGINT'))"
    return "TRUE" if is_text(column_type) or is_integer(column_type) else "FALSE"


def invalid_message_reason(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """SQL for why a parsed line is not a usable Segment message (NULL when it is)."""
    described = con.sql(f"SELECT column_name, column_type FROM (DESCRIBE {relation})").fetchall()
    columns = dict(described)

    def text_of(field_name: str) -> str:
        if field_name not in columns:
            return "NULL::VARCHAR"
        return scalar_text(quote_identifier(field_name), columns[field_name])

    types = ", ".join(f"'{kind}'" for kind in MESSAGE_TYPES)
    checks = [
        f"WHEN nullif(trim({text_of('messageId')}), '') IS NULL THEN 'missing_message_id'",
        f"WHEN NOT {id_is_text_or_integer(columns.get('messageId'))} THEN 'invalid_message_id'",
        f"WHEN nullif(trim({text_of('type')}), '') IS NULL THEN 'missing_type'",
        f"WHEN {text_of('type')} NOT IN ({types}) THEN 'unknown_type'",
        f"WHEN {text_of('type')} = 'track' AND nullif(trim({text_of('event')}), '') IS NULL "
        "THEN 'missing_event'",
    ]
    for source_field in TIMESTAMP_FIELDS:
        if source_field in columns:
            value = text_of(source_field)
            checks.append(
                f"WHEN {quote_identifier(source_field)} IS NOT NULL AND "
                f"NOT coalesce({is_usable_timestamp(value)}, FALSE) THEN 'invalid_timestamp'"
            )
    return "CASE " + " ".join(checks) + " END"


# An ISO-8601 date (four-digit year) starts every timestamp Segment writes; DuckDB would also
# read "epoch", "infinity" and five-digit years, which no client reads back as sent.
ISO_DATE_START = r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}"
# The instants every engine and Python client can hold, in UTC.
EARLIEST_INSTANT = "0001-01-01 00:00:00+00"
LATEST_INSTANT = "9999-12-31 23:59:59.999999+00"


def is_usable_timestamp(text: str) -> str:
    """SQL that holds where ``text`` (SQL of a text value) is a timestamp as Segment writes
    them, within the instants every engine and client can hold."""
    instant = f"try_cast({text} AS TIMESTAMPTZ)"
    return (
        f"(regexp_matches({text}, {quote_literal(ISO_DATE_START)}) AND isfinite({instant}) "
        f"AND {instant} BETWEEN TIMESTAMPTZ {quote_literal(EARLIEST_INSTANT)} "
        f"AND TIMESTAMPTZ {quote_literal(LATEST_INSTANT)})"
    )


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict:
    if len({key for key, _ in pairs}) != len(pairs):
        raise _DuplicateKey
    return dict(pairs)


def has_duplicate_key(text: str) -> bool:
    try:
        json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey:
        return True
    return False


def json_values(expr: str, column_type: duckdb.DuckDBPyType) -> Iterator[str]:
    """Expressions for every JSON-typed value inside a column: the reader's untyped parts."""
    if is_json(column_type):
        yield expr
    elif column_type.id == "struct":
        for key, child in column_type.children:
            yield from json_values(f"struct_extract({expr}, {quote_literal(key)})", child)
    elif holds_json(column_type):  # a list or map holding JSON
        yield f"to_json({expr})"


def rows_with_duplicate_keys(messages: Messages, key: str) -> set:
    """``key`` of the messages whose JSON-typed values repeat a key in some object.

    The reader refuses duplicate keys where it types a value, but a value of mixed types
    stays JSON text, and reading a key from it would keep one value and silently drop the
    other. Only those values are parsed here, and only where they hold an object or array.
    """
    values = [
        f"{value}::VARCHAR"
        for name, column_type in messages.column_types().items()
        for value in json_values(quote_identifier(name), column_type)
    ]
    if not values:
        return set()
    # DuckDB checks an object's own keys; Python parses only values that nest more containers
    # (two openers in the text), a few of most files' rows. All values go through one small
    # query: planning one expression per value cost more than running it (16 ms a file).
    keys = "json_keys(v)"
    repeats_own = f"(json_type(v) = 'OBJECT' AND len({keys}) <> len(list_distinct({keys})))"
    nests = "regexp_matches(v, '[{\\[].*[{\\[]')"
    rows = messages.con.sql(
        f"WITH json_values AS (SELECT {key} AS k, unnest([{', '.join(values)}]) AS v "
        f"FROM {messages.name}) "
        f"SELECT k, {repeats_own}, CASE WHEN {nests} THEN v END FROM json_values "
        f"WHERE json_type(v) IN ('OBJECT', 'ARRAY') AND ({repeats_own} OR {nests})"
    ).fetchall()
    return {k for k, repeats, text in rows if repeats or (text and has_duplicate_key(text))}


# A leaf's place in a message: its keys from the top-level field down.
Path_ = tuple[str, ...]


def exact_type(
    column_type: duckdb.DuckDBPyType, as_json: frozenset[Path_] = frozenset(), at: Path_ = ()
) -> str:
    """The detected type with every UUID read as VARCHAR (DuckDB's UUID type lower-cases
    ids), and the leaves ``as_json`` names read as JSON, which keeps a number's text as sent."""
    if at in as_json:
        return "JSON"
    if column_type.id == "uuid":
        return "VARCHAR"
    if column_type.id == "struct":
        fields = ", ".join(
            f"{quote_identifier(name)} {exact_type(child, as_json, (*at, name))}"
            for name, child in column_type.children
        )
        return f"STRUCT({fields})"
    if column_type.id == "list":
        return f"{exact_type(column_type.child)}[]"
    if column_type.id == "map":
        key, value = (child for _, child in column_type.children)
        return f"MAP({exact_type(key)}, {exact_type(value)})"
    return str(column_type)


# Doubles hold integers exactly up to 2**53.
EXACT_INTEGER_LIMIT = 2**53


def inexact_numbers(expr: str, column_type: duckdb.DuckDBPyType, depth: int = 0) -> str | None:
    """SQL that holds where a float in ``expr`` may not be the number sent: not finite (NaN,
    Infinity, 1e400) or an integer beyond a double's exact range (a 30-digit id); None when
    ``expr`` holds no float."""
    if type_name(column_type) in FLOAT_TYPES:
        return (
            f"(NOT isfinite({expr}) OR (abs({expr}) >= {EXACT_INTEGER_LIMIT} "
            f"AND {expr} = trunc({expr})))"
        )
    if column_type.id == "struct":
        checks = [
            inexact_numbers(f"struct_extract({expr}, {quote_literal(key)})", child, depth)
            for key, child in column_type.children
        ]
        held = [check for check in checks if check is not None]
        return "(" + " OR ".join(held) + ")" if held else None
    if column_type.id == "list":
        item = f"item{depth}"
        inner = inexact_numbers(item, column_type.child, depth + 1)
        if inner is None:
            return None
        return f"list_bool_or(list_transform({expr}, lambda {item}: {inner}))"
    return None


def float_leaves(
    column_type: duckdb.DuckDBPyType, at: Path_
) -> Iterator[tuple[Path_, duckdb.DuckDBPyType]]:
    """The leaves (scalars and lists, below structs) of a field that hold a float."""
    if column_type.id == "struct":
        for key, child in column_type.children:
            yield from float_leaves(child, (*at, key))
    elif inexact_numbers("x", column_type) is not None:
        yield at, column_type


def leaf_expr(at: Path_, base: str | None = None) -> str:
    """SQL of the leaf at ``at``: below the top-level field ``at[0]``, or below ``base``."""
    expr = (
        quote_identifier(at[0])
        if base is None
        else f"struct_extract({base}, {quote_literal(at[0])})"
    )
    for key in at[1:]:
        expr = f"struct_extract({expr}, {quote_literal(key)})"
    return expr


def inexact_leaves_of(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    types: dict[str, duckdb.DuckDBPyType],
    base: str | None = None,
) -> frozenset[Path_]:
    """The leaves of ``types`` (fields of ``relation``, or of the struct ``base``) where some
    row holds a float that may not be the number sent."""
    leaves = [
        (at, check)
        for name, column_type in types.items()
        for at, leaf_type in float_leaves(column_type, (name,))
        if (check := inexact_numbers(leaf_expr(at, base), leaf_type)) is not None
    ]
    if not leaves:
        return frozenset()
    flags = ", ".join(f"coalesce(bool_or({check}), FALSE)" for _, check in leaves)
    held = con.sql(f"SELECT {flags} FROM {relation}").fetchall()[0]
    return frozenset(at for (at, _), inexact in zip(leaves, held, strict=True) if inexact)


def inexact_leaves(messages: Messages) -> frozenset[Path_]:
    """The leaves where some message holds a float that may not be the number sent."""
    return inexact_leaves_of(messages.con, messages.name, messages.column_types())


def _load_messages(messages: Messages, path: Path, compression: str) -> None:
    """``path``'s lines as the messages table, every key typed as the whole file has it.

    A number a double cannot hold as sent (``NaN``, ``1e400``, a 30-digit integer) keeps its
    text: its leaf is read as JSON in this file, so it lands as text, beside the column where
    the warehouse has it as a number (``…__v_text``), as any other type conflict does.
    """
    con = messages.con
    reader = f"read_json(?, {JSON_READER_OPTIONS}, compression='{compression}'"
    detected = con.sql(f"SELECT * FROM {reader})", params=[str(path)])
    as_json: frozenset[Path_] = frozenset()
    while True:
        columns = ", ".join(
            f"{quote_literal(name)}: {quote_literal(exact_type(column_type, as_json, (name,)))}"
            for name, column_type in zip(detected.columns, detected.types, strict=True)
        )
        messages.drop()
        con.execute(
            f"CREATE TEMP TABLE {messages.name} AS SELECT * FROM {reader}, columns={{{columns}}})",
            [str(path)],
        )
        if as_json:
            return
        as_json = inexact_leaves(messages)
        if not as_json:
            return


def _fast_path(messages: Messages, path: Path) -> int | None:
    """Load the file whole; the message count, or None if any line needs the slow path."""
    try:
        _load_messages(messages, path, "gzip" if is_gzip(path) else "none")
    except duckdb.Error:
        return None
    reason = invalid_message_reason(messages.con, messages.name)
    count, invalid = messages.con.sql(
        f"SELECT count(*), count(*) FILTER (WHERE ({reason}) IS NOT NULL) FROM {messages.name}"
    ).fetchall()[0]
    if invalid or rows_with_duplicate_keys(messages, "rowid"):
        return None
    return count


def _json_level_rejects(con: duckdb.DuckDBPyConnection, lines: list[bytes]) -> dict[int, str]:
    """Line number → reason for every non-blank line that is not a UTF-8 JSON object."""
    numbered = [(number, line) for number, line in enumerate(lines, 1) if line.strip()]
    table = pa.table(
        {
            "line_number": pa.array([number for number, _ in numbered], pa.int64()),
            "line": pa.array([line for _, line in numbered], pa.binary()),
        }
    )
    con.register("raw_lines", table)
    try:
        rows = con.sql(
            "WITH decoded AS (SELECT line_number, try(decode(line)) AS text FROM raw_lines), "
            "classified AS (SELECT line_number, CASE WHEN text IS NULL THEN 'invalid_utf8' "
            "WHEN NOT json_valid(text) THEN 'invalid_json' "
            "WHEN json_type(text::JSON) <> 'OBJECT' THEN 'not_an_object' END AS reason "
            "FROM decoded) SELECT * FROM classified WHERE reason IS NOT NULL"
        ).fetchall()
    finally:
        con.unregister("raw_lines")
    return dict(rows)


def _split_lines(path: Path, read: FileRead) -> list[bytes]:
    """The file's lines, decompressed as far as the data allows; records a corrupt gzip."""
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        data, error = decompress_salvaging(data)
        if error:
            read.truncated = True
            read.rejected.append(
                {"line_number": 0, "reason": "corrupt_gzip", "detail": error, "raw_line": None}
            )
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


# The reader's words for lines it refuses, and the reason each is quarantined under.
REFUSALS = {
    "duplicate key": "duplicate_key",
    "maximum recursion depth": "nested_too_deep",
    "maximum_object_size": "line_too_long",
}
WHERE_IN_SCRATCH_FILE = re.compile(r' (?:in|while reading) file "[^"]*"(?:, in line \d+)?:?')
# A quarantined line is kept whole up to this size; beyond it, its beginning, with its length
# and hash. A line of tens of megabytes is no Segment message (Segment takes 32 KB), and
# loading it whole would need more memory than a load is given.
QUARANTINE_LINE_BYTES = 2**20


def quarantined_text(line: bytes) -> tuple[str, str | None]:
    """The raw line as the quarantine keeps it, and a note when it keeps only its beginning."""
    if len(line) <= QUARANTINE_LINE_BYTES:
        return line.decode("utf-8", errors="backslashreplace"), None
    digest = hashlib.sha256(line).hexdigest()
    note = (
        f"a line of {len(line):,} bytes (sha256 {digest}): its first "
        f"{QUARANTINE_LINE_BYTES:,} bytes are kept here, the whole line is in the archive file"
    )
    kept = line[:QUARANTINE_LINE_BYTES].decode("utf-8", errors="backslashreplace")
    return kept, note


def refusal_reason(detail: str) -> str:
    matches = (reason for words, reason in REFUSALS.items() if words in detail)
    return next(matches, "unreadable_json")


def _try_loading(
    messages: Messages, lines: list[bytes], numbers: list[int], work_dir: Path
) -> str | None:
    """Load lines ``numbers`` as the messages table; the reader's error, or None."""
    cleaned = work_dir / "valid-lines.ndjson"
    cleaned.write_bytes(b"\n".join(lines[n - 1] for n in numbers) + b"\n")
    try:
        _load_messages(messages, cleaned, "none")
    except duckdb.Error as exc:
        messages.drop()
        # The scratch file's name and line number would only mislead: the line is known.
        return WHERE_IN_SCRATCH_FILE.sub(":", str(exc).splitlines()[0])[:500]
    finally:
        cleaned.unlink(missing_ok=True)
    return None


def _refused_lines(
    messages: Messages, lines: list[bytes], numbers: list[int], work_dir: Path
) -> dict[int, str]:
    """Valid JSON lines the reader still refuses (nesting beyond its depth limit…), line →
    error, leaving the others loaded as the messages table.

    Halving isolates the refused lines, so one of them costs about two reads of the file
    instead of quarantining all its neighbours.
    """
    if not numbers or (error := _try_loading(messages, lines, numbers, work_dir)) is None:
        return {}
    if len(numbers) == 1:
        return {numbers[0]: error}
    middle = len(numbers) // 2
    refused = _refused_lines(messages, lines, numbers[:middle], work_dir)
    refused |= _refused_lines(messages, lines, numbers[middle:], work_dir)
    accepted = [n for n in numbers if n not in refused]
    if accepted and (error := _try_loading(messages, lines, accepted, work_dir)) is not None:
        # The halves load apart but not together: keep every line, with the reader's reason.
        return {n: error for n in numbers}
    return refused


def _slow_path(messages: Messages, path: Path, work_dir: Path, read: FileRead):
    con, table = messages.con, messages.name
    lines = _split_lines(path, read)
    bad = {number: (reason, None) for number, reason in _json_level_rejects(con, lines).items()}
    if read.truncated and lines:
        # The last line of a truncated file is cut, even where the cut happens to parse.
        bad[len(lines)] = ("truncated_line", "the file ends inside or right after this line")
    good = [n for n, line in enumerate(lines, 1) if n not in bad and line.strip()]
    refused = _refused_lines(messages, lines, good, work_dir)
    bad.update({n: (refusal_reason(detail), detail) for n, detail in refused.items()})
    good = [n for n in good if n not in refused]
    if good:
        numbers = pa.table({"_line_number": pa.array(good, pa.int64())})
        con.register("line_numbers", numbers)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT * FROM {table} POSITIONAL JOIN line_numbers"
        )
        con.unregister("line_numbers")
        reason = invalid_message_reason(con, table)
        invalid = con.sql(
            f"SELECT _line_number, {reason} AS reason FROM {table} WHERE reason IS NOT NULL"
        ).fetchall()
        bad.update({number: (why, None) for number, why in invalid})
        con.execute(f"DELETE FROM {table} WHERE ({reason}) IS NOT NULL")
        repeated = rows_with_duplicate_keys(messages, "_line_number")
        bad.update({number: ("duplicate_key", None) for number in repeated})
        if repeated:
            listed = ", ".join(str(number) for number in sorted(repeated))
            con.execute(f"DELETE FROM {table} WHERE _line_number IN ({listed})")
        con.execute(f"ALTER TABLE {table} DROP COLUMN _line_number")
        read.messages = len(good) - len(invalid) - len(repeated)
    else:
        messages.drop()
    read.lines = sum(1 for line in lines if line.strip())
    for number, (reason, detail) in sorted(bad.items()):
        raw, note = quarantined_text(lines[number - 1])
        read.rejected.append(
            {
                "line_number": number,
                "reason": reason,
                "detail": "; ".join(filter(None, [detail, note])) or None,
                "raw_line": raw,
            }
        )


# Line reasons that say a line is no JSON object at all.
NOT_AN_OBJECT_LINE = frozenset({"invalid_utf8", "invalid_json", "not_an_object"})


def not_an_archive_file(path: Path, file_name: str, read: FileRead) -> dict | None:
    """The one record that replaces a file's line-by-line reasons when the file is no archive
    file at all: binary, not one JSON object in it, and named ``.gz`` without being gzip
    (``not_gzip``) or otherwise (``not_json_lines``). Its bytes, split at newlines, would be
    noise, not lines; a text file keeps each line, raw, in the quarantine."""
    reasons = {rejected["reason"] for rejected in read.rejected}
    if read.messages or "invalid_utf8" not in reasons or not reasons <= NOT_AN_OBJECT_LINE:
        return None  # text lines, even none of them JSON objects, are each kept as they were
    reason = "not_gzip" if file_name.endswith(".gz") and not is_gzip(path) else "not_json_lines"
    with path.open("rb") as handle:
        start = handle.read(8)
    detail = f"neither gzip nor JSON lines: {path.stat().st_size} bytes, starting {start.hex(' ')}"
    return {"line_number": 0, "reason": reason, "detail": detail, "raw_line": None}


def read_archive_file(
    con: duckdb.DuckDBPyConnection, path: Path, file_name: str, work_dir: Path
) -> FileRead:
    """Read ``path`` into a temp table of ``con`` (``FileRead.valid``) and collect bad lines.

    Every line ends up either among the valid messages or in ``FileRead.rejected`` (blank
    lines are neither): nothing is dropped silently.
    """
    read = FileRead()
    messages = Messages(con)
    count = _fast_path(messages, path)
    if count is not None:
        read.lines = read.messages = count
    else:
        _slow_path(messages, path, work_dir, read)
        whole_file = not_an_archive_file(path, file_name, read)
        if whole_file is not None:
            read.rejected, read.lines = [whole_file], 0
    if read.messages:
        read.valid = messages
    else:
        messages.drop()
    if not read.lines and not read.rejected:
        size = path.stat().st_size
        what = "zero bytes" if not size else f"{size} bytes that hold no line"
        read.rejected.append(
            {"line_number": 0, "reason": EMPTY_FILE, "detail": what, "raw_line": None}
        )
    for rejected in read.rejected:
        rejected["file_name"] = file_name
    return read
