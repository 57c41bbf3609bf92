"""Which Segment sources a run loads, and into which schemas: read from the options, the
environment or dlt config, checked before anything is written.

A workspace has one Regal Voice source (schema ``regal_voice``) and any number of the
brand's own sources (website, apps, backend), each loaded into a schema named as the user
names it, the way a Segment-managed warehouse gives every source its own schema. The
bundled sample stands in only when no source at all is given.

Over 300 lines because every check of a source's settings (names, URLs, credentials in URLs,
overlaps, layers of settings) is here, before anything is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from pipelines import redact
from pipelines.errors import SourceConfigError, one_line
from pipelines.redact import without_user_part
from pipelines.segment_archive.settings import DLT_STAGING_SUFFIX
from pipelines.settings import (
    BRAND,
    REGAL_VOICE,
    REGAL_VOICE_DATASET,
    RESERVED_SCHEMAS,
    SAMPLE_BRAND_SOURCES,
    SAMPLE_ROOT,
    SEGMENT_DATASET,
    sample_source_url,
)

if TYPE_CHECKING:
    from pipelines.ops.catalog import Sql

log = logging.getLogger(__name__)

# A schema name every engine takes unquoted: lower-case letters, digits and `_`, starting
# with a letter, at most 63 characters (PostgreSQL's limit).
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

SOURCES_HELP = (
    'give each brand source as NAME=URL: SOURCES="web=s3://… ios=s3://…" (make), '
    '--source web=s3://… (repeatable), or [sources.brands] web = "s3://…" in .dlt/config.toml'
)


@dataclass(frozen=True)
class Source:
    """One Segment source: the schema it loads into, where its archive is, and its kind.

    A key and secret written into the URL (``s3://KEY:SECRET@bucket/…``) are taken out of it:
    ``url`` names the archive without them (it is logged and stored), and ``credentials``
    holds them, never shown.
    """

    name: str
    url: str
    kind: str  # REGAL_VOICE or BRAND
    credentials: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, name: str, url: str, kind: str) -> Source:
        clean, key, secret = without_user_part(url)
        if key is None:
            return cls(name, url, kind)
        redact.remember(key)
        redact.remember(secret)
        if not clean.startswith("s3://"):
            raise SourceConfigError(
                f"source {name!r}: a key and secret can be written into an s3:// URL only; "
                f"give the credentials of {clean} in the environment or .dlt/secrets.toml"
            )
        return cls(name, clean, kind, (unquote(key), unquote(secret or "")))

    @property
    def is_sample(self) -> bool:
        """Whether it reads the bundled sample (which never shares a warehouse with real data)."""
        return _inside(self.url, SAMPLE_ROOT)


def _local_path(url: str) -> Path | None:
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" in url:
        return None
    return Path(url)


def _inside(url: str, folder: Path) -> bool:
    return _local_path(url) is not None and Path(location_key(url)).is_relative_to(folder.resolve())


def location_key(url: str) -> str:
    """One spelling per location: local paths resolved, no trailing slash."""
    path = _local_path(url)
    if path is not None:
        return str(path.expanduser().resolve())
    return url.rstrip("/")


def same_location(first: str, second: str) -> bool:
    return location_key(first) == location_key(second)


def parse_assignments(items: Iterable[str], where: str) -> list[tuple[str, str]]:
    """``NAME=URL`` items as (name, url) pairs; anything else is refused, saying where it was."""
    pairs = []
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise SourceConfigError(f"{where}: {item!r} is not NAME=URL; {SOURCES_HELP}")
        if re.search(r",\s*[a-z][a-z0-9_]*=", url):
            raise SourceConfigError(
                f"{where}: {item!r} holds two sources separated by a comma: separate sources "
                f"with spaces; {SOURCES_HELP}"
            )
        pairs.append((name.strip(), url.strip()))
    return pairs


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise SourceConfigError(
            f"source name {name!r} is not a plain schema name: use lower-case letters, digits "
            "and _, starting with a letter (e.g. web, ios, server)"
        )
    if name in RESERVED_SCHEMAS or name.startswith(("pg_", "_dlt")):
        raise SourceConfigError(
            f"source name {name!r} is reserved (the warehouse uses that schema for something "
            f"else: {', '.join(sorted(RESERVED_SCHEMAS))}); pick another name"
        )
    if name.endswith(DLT_STAGING_SUFFIX):
        raise SourceConfigError(
            f"source name {name!r} ends in {DLT_STAGING_SUFFIX}, which the loader uses for "
            "each source's merge tables; pick another name"
        )


def check_sources(sources: list[Source]) -> None:
    """Refuse, before anything is written, what would load two sources into one schema or
    one archive twice."""
    for source in sources:
        if source.kind == BRAND:
            check_name(source.name)
    seen_names: dict[str, Source] = {}
    seen_urls: dict[str, Source] = {}
    for source in sources:
        if source.name in seen_names:
            raise SourceConfigError(
                f"two sources are named {source.name!r} ({seen_names[source.name].url} and "
                f"{source.url}): give each source its own name"
            )
        key = location_key(source.url)
        if key in seen_urls:
            raise SourceConfigError(
                f"sources {seen_urls[key].name!r} and {source.name!r} both read {source.url}: "
                "one archive is one source"
            )
        seen_names[source.name] = source
        seen_urls[key] = source
    for source in sources:
        for other in sources:
            if other is not source and _contains(other.url, source.url):
                raise SourceConfigError(
                    f"source {source.name!r} ({source.url}) lies inside source "
                    f"{other.name!r}'s folder ({other.url}): {other.name} would load "
                    f"{source.name}'s files too. Point each source at its own "
                    "segment-logs/<source-id> folder"
                )


def check_folders_exist(sources: list[Source]) -> None:
    """Refuse sources whose local folder does not exist (a typo, most likely), before a new
    warehouse is created for them. An existing warehouse's run goes on with the other
    sources instead and fails with that source's ``SourceEmpty``: a mount that is missing
    for an hour should not stop them."""
    for source in sources:
        path = _local_path(source.url)
        if path is not None and not path.expanduser().is_dir():
            raise SourceConfigError(
                f"source {source.name!r}: no folder at {source.url} (check the path for a "
                "typo): point it at the archive's segment-logs/<source-id> folder; nothing "
                "was written"
            )


def _contains(outer: str, inner: str) -> bool:
    """Whether the location ``inner`` lies inside the location ``outer`` (not equal)."""
    outer_key, inner_key = location_key(outer), location_key(inner)
    return inner_key != outer_key and inner_key.startswith(outer_key.rstrip("/") + "/")


def sample_sources() -> list[Source]:
    """The bundled sample: Regal Voice and the sample brand's web, iOS and backend sources."""
    return [
        Source(REGAL_VOICE_DATASET, sample_source_url(REGAL_VOICE_DATASET), REGAL_VOICE),
        *(Source(name, sample_source_url(name), BRAND) for name in SAMPLE_BRAND_SOURCES),
    ]


@dataclass(frozen=True)
class SourceSettings:
    """What one layer of settings (options, environment, dlt config) says about sources."""

    regal_voice_url: str | None
    segment_url: str | None
    brands: list[tuple[str, str]]

    def brand_pairs(self) -> list[tuple[str, str]]:
        pairs = list(self.brands)
        if self.segment_url:
            pairs.insert(0, (SEGMENT_DATASET, self.segment_url))
        return pairs


def resolve_sources(layers: Iterable[SourceSettings]) -> tuple[list[Source], bool]:
    """The sources of this run, and whether they are the bundled sample.

    The Regal Voice URL and the set of brand sources each come from the first layer that
    names any (options before the environment before dlt config); a later layer is read only
    when needed. With none named anywhere, the bundled sample; with any named, never the
    sample in its place.
    """
    regal_url, brands = None, []
    for layer in layers:
        regal_url = regal_url or layer.regal_voice_url
        brands = brands or layer.brand_pairs()
        if regal_url and brands:
            break
    if regal_url is None and not brands:
        return sample_sources(), True
    sources = []
    if regal_url is not None:
        sources.append(Source.of(REGAL_VOICE_DATASET, regal_url, REGAL_VOICE))
    sources.extend(Source.of(name, url, BRAND) for name, url in brands)
    check_sources(sources)
    return sources, False


def settings_from_config(get: Callable[[str, type], object]) -> SourceSettings:
    """dlt config: ``sources.regal_voice.bucket_url``, ``sources.segment.bucket_url`` and a
    ``[sources.brands]`` table of NAME = URL.

    A setting dlt cannot read is an error, not an absence: read as absent, it would load the
    bundled sample in place of the sources the user configured.
    """

    def read(key: str, kind: type) -> object:
        try:
            return get(key, kind)
        except Exception as exc:
            raise SourceConfigError(
                f"dlt config {key} could not be read ({one_line(exc)}); {SOURCES_HELP}"
            ) from exc

    return SourceSettings(
        regal_voice_url=read("sources.regal_voice.bucket_url", str) or None,
        segment_url=read("sources.segment.bucket_url", str) or None,
        brands=[
            (str(name), str(url)) for name, url in (read("sources.brands", dict) or {}).items()
        ],
    )


def check_sources_fit(con: Sql, sources: list[Source], is_sample: bool) -> None:
    """Refuse a run that would put the sample beside real data, or real data in a schema
    that holds the sample; say so when a source now reads from another place."""
    from pipelines.ops.registry import registered_sources

    known = {source.name: source for source in registered_sources(con)}
    if is_sample:
        real = [s for s in known.values() if s.url is not None and not s.is_sample]
        if real:
            named = ", ".join(f"{s.name} ({s.url})" for s in real)
            raise SourceConfigError(
                f"no source was given, and this warehouse loads real sources: {named}. Name "
                'them (REGAL_VOICE_URL=… SOURCES="web=…", or .dlt/config.toml); the bundled '
                "sample loads only into a warehouse of its own"
            )
        return
    for source in sources:
        before = known.get(source.name)
        if before is None:
            continue
        if before.kind != source.kind:
            raise SourceConfigError(
                f"schema {source.name!r} holds a {before.kind} source; a {source.kind} source "
                "cannot load into it: pick another name"
            )
        if before.is_sample and not source.is_sample:
            raise SourceConfigError(
                f"schema {source.name!r} of this warehouse holds the bundled sample: load "
                f"{source.url} into a warehouse of its own (WAREHOUSE=…), or delete this one "
                "first"
            )
        if before.url is not None and not same_location(before.url, source.url):
            log.warning(
                "%s: was loaded from %s, now from %s (files already read are not read again)",
                source.name,
                before.url,
                source.url,
            )
