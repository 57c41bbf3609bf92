"""Segment's warehouse naming rules, so tables and columns match a Segment-managed warehouse."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from pipelines.segment_archive.settings import DLT_TABLE_PREFIX, MAX_TABLE_NAME, RESERVED_TABLES


def _is_lower_or_digit(char: str) -> bool:
    return "a" <= char <= "z" or "0" <= char <= "9"


def _is_upper_or_digit(char: str) -> bool:
    return "A" <= char <= "Z" or "0" <= char <= "9"


def _is_ascii_alnum(char: str) -> bool:
    return _is_lower_or_digit(char) or "A" <= char <= "Z"


def snake_case_like_segment(name: str) -> str:
    """Snake-case ``name`` exactly as Segment's go-snakecase does.

    Camel humps split (``optIn`` → ``opt_in``), every run of characters outside
    ``[A-Za-z0-9]`` becomes one ``_`` and is dropped at the ends; a name that is already
    lower snake case is returned unchanged, which keeps a leading ``_`` (``_timestamp``).
    """
    idx = 0
    length = len(name)
    while idx < length and (
        _is_lower_or_digit(name[idx])
        or (name[idx] == "_" and idx < length - 1 and _is_lower_or_digit(name[idx + 1]))
    ):
        idx += 1
    if idx == length:
        return name
    if idx > 0 and name[idx - 1].isascii() and name[idx - 1].isdigit():
        idx -= 1  # a digit followed by an upper-case letter starts the next word
    out = [name[:idx]]
    has_output = idx > 0
    while idx < length:
        if not _is_ascii_alnum(name[idx]):
            idx += 1
            continue
        if has_output:
            out.append("_")
        while idx < length and _is_upper_or_digit(name[idx]):
            out.append(name[idx].lower())
            idx += 1
        while idx < length and _is_lower_or_digit(name[idx]):
            out.append(name[idx])
            idx += 1
        has_output = True
    return "".join(out)


EMPTY_NAME = "_empty"


@lru_cache(maxsize=65_536)  # every file names the same few hundred keys again
def warehouse_identifier(name: str) -> str:
    """A table or column name: Segment's snake case, ``_``-prefixed if it starts with a digit.

    A name with no ASCII letter or digit at all (``"$$$"``, ``"日本"``) becomes ``_empty``
    rather than vanishing, so its value is still kept.
    """
    snake = snake_case_like_segment(name)
    if not snake:
        return EMPTY_NAME
    if snake[0].isdigit():
        return f"_{snake}"
    return snake


def shortened(name: str, limit: int = MAX_TABLE_NAME) -> str:
    """``name`` when it fits ``limit``; else its head and a hash of the whole name, so two long
    names sharing a head still get tables of their own."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name[: limit - len(digest) - 1]}_{digest}"


@lru_cache(maxsize=65_536)
def event_table_name(event: str) -> str:
    """The table a track event lands in: ``call.completed`` → ``call_completed``.

    An event named after a table of the schema (``tracks``, ``identifies``, ``users``, the
    quarantine, dlt's ``_dlt_*``) lands in that name ``_``-prefixed (``_tracks``), as a
    property colliding with a built-in column does; a name longer than the engines take is
    shortened with a hash (``shortened``). ``event_text`` keeps the name as sent.
    """
    name = warehouse_identifier(event)
    while name in RESERVED_TABLES or name.startswith(DLT_TABLE_PREFIX):
        name = f"_{name}"
    return shortened(name)
