"""Failures of a run that a scheduler can tell apart, and how they read in one line."""

from __future__ import annotations

import re

from pipelines import redact

# A value an engine quotes in its message (DuckDB: 'text' or "text"): a payload's value.
QUOTED_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"")

# Exit codes a scheduler can tell apart (sysexits.h); any other failure exits 1.
EXIT_SOURCE_EMPTY = 66  # EX_NOINPUT: the source folder lists nothing
EXIT_WAREHOUSE_UNREACHABLE = 69  # EX_UNAVAILABLE: the PostgreSQL server did not answer
EXIT_WAREHOUSE_BUSY = 73  # EX_CANTCREAT: another process holds the warehouse file
EXIT_SOURCE_UNREADABLE = 74  # EX_IOERR: the archive could not be listed or read
EXIT_ANOTHER_LOAD = 75  # EX_TEMPFAIL: another load is running; try again later
EXIT_CONFIG = 78  # EX_CONFIG: sources misconfigured, cloud credentials missing or refused


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


class CloudCredentials(RuntimeError):
    """No cloud credentials were found for a source, or the cloud refused them as invalid."""

    exit_code = EXIT_CONFIG


# How to give credentials, per URL scheme: the one thing the user must do.
CREDENTIALS_HELP = {
    "s3": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
    "temporary keys), or SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_ACCESS_KEY_ID and "
    "…__AWS_SECRET_ACCESS_KEY, in the environment or .dlt/secrets.toml",
    "gs": "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or "
    "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__CLIENT_EMAIL, …__PRIVATE_KEY and …__PROJECT_ID, "
    "in the environment or .dlt/secrets.toml",
}
# What clouds answer to a key they do not know, a wrong secret or an expired token.
REFUSED_CREDENTIALS = (
    "InvalidAccessKeyId",
    "does not exist in our records",
    "SignatureDoesNotMatch",
    "signature we calculated does not match",
    "ExpiredToken",
    "security token included in the request is",
    "invalid_grant",
    "Invalid JWT",
)


def credentials_trouble(exc: BaseException) -> str | None:
    """``missing`` or ``refused`` when ``exc`` (or what caused it) is about credentials."""
    while exc is not None:
        fields = getattr(exc, "fields", None)
        if type(exc).__name__ == "ConfigFieldMissingException" and "credentials" in (fields or []):
            return "missing"
        if type(exc).__name__ == "DefaultCredentialsError":
            return "missing"
        if any(words in str(exc) for words in REFUSED_CREDENTIALS):
            return "refused"
        exc = exc.__cause__ or exc.__context__
    return None


class SourceConfigError(RuntimeError):
    """The sources given cannot be loaded as given (a bad name, two sources in one schema,
    a warehouse that holds other data): refused before anything is written."""

    exit_code = EXIT_CONFIG


class NoWarehouse(RuntimeError):
    """``transform`` on a warehouse file that does not exist (a typo, or never loaded)."""

    exit_code = EXIT_SOURCE_EMPTY


class WarehouseConfigError(RuntimeError):
    """The warehouse cannot be reached as configured (a PostgreSQL URL without a password
    anywhere, a malformed URL): nothing was written."""

    exit_code = EXIT_CONFIG


class WarehouseUnreachable(RuntimeError):
    """The PostgreSQL server did not answer or refused the connection: nothing was written,
    and the next run tries again."""

    exit_code = EXIT_WAREHOUSE_UNREACHABLE


class NoAnalystsCopy(RuntimeError):
    """Nothing was published for analysts yet: the warehouse was never loaded."""

    exit_code = EXIT_SOURCE_EMPTY


class SuppressionListError(RuntimeError):
    """The suppression list cannot be read or merged: nothing loads without it, since loading
    without it would bring forgotten people back."""

    exit_code = EXIT_CONFIG


class ForgetRequestError(RuntimeError):
    """A forget request names no identifier, or one that is not one (a phone of too few
    digits): nothing was removed."""

    exit_code = EXIT_CONFIG


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
    and logs never carry payloads. A file-system error quotes the path the user gave, which
    is kept. Secrets are masked in every case (``pipelines.redact``).
    """
    if hasattr(exc, "exit_code"):
        return safe(one_line(exc))
    cause = root_cause(exc)
    if isinstance(cause, OSError):
        return safe(one_line(cause))
    return safe(QUOTED_VALUE.sub("'…'", one_line(cause)))


def safe(line: str) -> str:
    """A line as it may be shown and stored: secrets masked, control characters escaped."""
    return redact.one_line(redact.redact(line))
