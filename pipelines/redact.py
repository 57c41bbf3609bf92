"""Secrets never leave the process: what the product writes (log lines, the ``error:`` line,
``ops.load_runs``) passes through ``redact``.

Two things are masked: the password (and, for a bucket, the key) written into a URL's user
part (``s3://KEY:SECRET@bucket``, ``postgresql://user:PASSWORD@host``), and every secret value
the process was given (``remember``), wherever it appears.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
# A URL's user part: scheme://user:password@ (the password may hold any character but @ and
# white space, "/" included: S3 secrets hold it, and users paste them unencoded; a user part
# without a password is left as it is).
URL_USER_PART = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*):(?P<password>[^\s@]*)@"
)
# Schemes whose user name is no secret (a database role); a bucket's "user" is its access key.
NAMED_USER_SCHEMES = ("postgresql://", "postgres://")
# Shorter values would mask ordinary words and numbers in every line.
SHORTEST_SECRET = 6
# Environment variables whose values are secrets, by the end of their names (dlt's config
# variables end the same way: DESTINATION__POSTGRES__CREDENTIALS__PASSWORD).
SECRET_VARIABLES = (
    "PASSWORD",
    "SECRET_ACCESS_KEY",
    "SESSION_TOKEN",
    "PRIVATE_KEY",
    "CLIENT_SECRET",
)

_secrets: set[str] = set()


def remember(secret: str | None) -> None:
    """Mask ``secret`` wherever it would appear in what this process writes."""
    if secret and len(secret) >= SHORTEST_SECRET:
        _secrets.add(secret)


def remember_environment(environment: dict[str, str]) -> None:
    """Remember the secrets of ``environment``: passwords and keys, and those in its URLs."""
    for name, value in environment.items():
        if name.upper().endswith(SECRET_VARIABLES):
            remember(value)
        for match in URL_USER_PART.finditer(value):
            remember(match["password"])
            if not match["scheme"].lower().startswith(NAMED_USER_SCHEMES):
                remember(match["user"])


def _mask_user_part(match: re.Match) -> str:
    scheme = match["scheme"]
    user = match["user"] if scheme.lower().startswith(NAMED_USER_SCHEMES) else MASK
    return f"{scheme}{user}:{MASK}@"


def without_user_part(url: str) -> tuple[str, str | None, str | None]:
    """``url`` without its ``user:password@`` part, and that user and password (None when it
    has none)."""
    match = URL_USER_PART.match(url)
    if match is None:
        return url, None, None
    return url[: match.start("user")] + url[match.end() :], match["user"], match["password"]


def redact(text: str) -> str:
    """``text`` with every URL's password and every remembered secret masked."""
    text = URL_USER_PART.sub(_mask_user_part, text)
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def one_line(text: str) -> str:
    """``text`` as one line of a log: control characters (a newline in a file name) escaped,
    so no value can forge a line of its own."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class RedactingFilter(logging.Filter):
    """Every record, formatted, redacted and kept on one line before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = one_line(redact(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None
        return True


def install() -> None:
    """Redact every record the root logger's handlers write (our modules' records reach them)
    and every record of dlt's logger, which writes through a handler of its own."""
    shared = RedactingFilter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(shared)
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, RedactingFilter) for f in dlt_logger.filters):
        dlt_logger.addFilter(shared)
