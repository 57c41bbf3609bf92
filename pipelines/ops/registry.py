"""``ops.sources``: the Segment sources this warehouse loads, one row per raw schema.

The loader writes it; the dbt models read it to find every brand schema (no SQL names
them), and the run log, the freshness check and the analysts' copy read it to know the raw
schemas. It also keeps a warehouse from mixing data: the bundled sample never lands beside
a real source, nor a real source beside the sample.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.settings import BRAND, REGAL_VOICE

if TYPE_CHECKING:
    from pipelines.ingest.sources import Source
from pipelines.ops.catalog import Sql, table_exists
from pipelines.settings import REGAL_VOICE_DATASET, SEGMENT_DATASET

log = logging.getLogger(__name__)

REGISTRY = "ops.sources"


@dataclass(frozen=True)
class Registered:
    """A source as the warehouse remembers it; ``url`` is None for a schema an earlier
    release loaded (it did not record where from)."""

    name: str
    kind: str
    url: str | None
    is_sample: bool | None


def registered_sources(con: Sql) -> list[Registered]:
    """Every registered source (none before the first load of this release)."""
    if not table_exists(con, "ops", "sources"):
        return []
    rows = con.execute(
        f"SELECT name, kind, url, is_sample FROM {REGISTRY} ORDER BY kind = 'brand', name"
    ).fetchall()
    return [Registered(*row) for row in rows]


@dataclass(frozen=True)
class NamedSchemas:
    """Raw schemas named on the command line (``--regal-voice-schema``, ``--brand-schemas``):
    a warehouse Segment loads, where no loader registered any."""

    regal_voice: str | None = None
    brands: tuple[str, ...] = ()

    def variables(self) -> dict:
        """The dbt vars that name them (``dbt_project.yml``)."""
        named: dict = {}
        if self.regal_voice:
            named["regal_voice_schema"] = self.regal_voice
        if self.brands:
            named["brand_schemas"] = list(self.brands)
        return named


def raw_schemas(con: Sql, named: NamedSchemas = NamedSchemas()) -> list[str]:
    """The raw schemas the models read, Regal Voice's first: as named, else as registered,
    else the two an earlier release wrote (as ``raw_schemas()`` in dbt)."""
    registered = registered_sources(con)
    regal_voice = named.regal_voice or next(
        (s.name for s in registered if s.kind == REGAL_VOICE), REGAL_VOICE_DATASET
    )
    brands = list(named.brands) or [s.name for s in registered if s.kind == BRAND]
    return [regal_voice, *(brands or [SEGMENT_DATASET])]


def record_source(con: Sql, source: Source) -> None:
    """Register ``source`` (or update its URL) once its run has loaded. ``MERGE`` is the
    standard's upsert, which every engine takes."""
    con.execute(
        f"""
        MERGE INTO {REGISTRY} AS known
        USING (SELECT ? AS name, ? AS kind, ? AS url, ? AS is_sample) AS loaded
        ON known.name = loaded.name
        WHEN MATCHED THEN UPDATE SET
            url = loaded.url, is_sample = loaded.is_sample, last_loaded_at = now()
        WHEN NOT MATCHED THEN INSERT (name, kind, url, is_sample, registered_at, last_loaded_at)
            VALUES (loaded.name, loaded.kind, loaded.url, loaded.is_sample, now(), now())
        """,
        [source.name, source.kind, source.url, source.is_sample],
    )
