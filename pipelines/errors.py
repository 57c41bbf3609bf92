"""Failures of a run that a scheduler can tell apart, and how they read in one line."""

from __future__ import annotations

import re

QUOTED_VALUE = re.compile(r"'[^']*'")

# Exit codes a scheduler can tell apart (sysexits.h); any other failure exits 1.
EXIT_SOURCE_EMPTY = 66  # EX_NOINPUT: the source folder lists nothing
EXIT_WAREHOUSE_BUSY = 73  # EX_CANTCREAT: another process holds the warehouse file
EXIT_SOURCE_UNREADABLE = 74  # EX_IOERR: the archive could not be listed or read
EXIT_ANOTHER_LOAD = 75  # EX_TEMPFAIL: another load is running; try again later


class AnotherLoadRunning(RuntimeError):
    exit_code = EXIT_ANOTHER_LOAD


class WarehouseBusy(RuntimeError):
    exit_code = EXIT_WAREHOUSE_BUSY


class SourceEmpty(RuntimeError):
    """The source folder lists no files: a wrong URL or credentials, never a quiet success."""

    exit_code = EXIT_SOURCE_EMPTY


class SourceUnreadable(RuntimeError):
    """Listing or reading the archive failed (unreachable, denied, a file gone): nothing of
    this source's run was loaded beyond the files already committed, and the next run
    reads whatever is still missing."""

    exit_code = EXIT_SOURCE_UNREADABLE


class FileNeedsMoreMemory(RuntimeError):
    """One archive file could not be read within the retry memory limit: the run stops
    rather than skip it, and a larger ``duckdb_retry_memory_limit`` lets it through."""

    exit_code = 1


# Where the errors of the storage clients come from: their failures are the source's trouble.
STORAGE_CLIENTS = {"botocore", "aiobotocore", "s3fs", "gcsfs", "google", "aiohttp", "fsspec"}


def is_source_trouble(exc: BaseException) -> bool:
    return isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in STORAGE_CLIENTS


def root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


def describe(exc: BaseException) -> str:
    """The one line a failure is reported by, in cron mail and the run log.

    Ours say what and where as written. Anything else speaks through its root cause, with
    quoted values masked: a DuckDB conversion error quotes the value it could not convert,
    and logs never carry payloads.
    """
    if hasattr(exc, "exit_code"):
        return one_line(exc)
    return QUOTED_VALUE.sub("'…'", one_line(root_cause(exc)))
