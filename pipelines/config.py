"""What one run is asked to do: the settings the command line hands to the runner.

The command line (``pipelines.cli``) fills it from options, the environment and dlt's config;
nothing changes it after that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.settings import DEFAULT_KEEP_HOURS, DEFAULT_WAREHOUSE

if TYPE_CHECKING:
    from pipelines.ingest.sources import SourceSettings
    from pipelines.ops.registry import NamedSchemas

# Commands that run the sequence of ``pipelines.runner``.
RUN_COMMANDS = ("load", "ingest", "transform", "forget")
LOADING = ("load", "ingest")
BUILDING = ("load", "transform", "forget")


@dataclass(frozen=True)
class ForgetRequest:
    """The identifiers a forget request names, as given (normalised by the forget)."""

    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    purge_archive: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class RunSettings:
    command: str
    warehouse: str = str(DEFAULT_WAREHOUSE)
    # dlt's state for a warehouse that is no file (a server); None: data/.
    state_dir: Path | None = None
    lock_wait: float = 0.0
    busy_wait: float = 120.0
    publish_keep_hours: float = DEFAULT_KEEP_HOURS
    full_refresh: bool = False
    # What each layer (options, environment, dlt config) says about the sources, in order.
    source_layers: tuple[SourceSettings, ...] = ()
    # The installation's suppression list, when given.
    suppression_list: Path | None = None
    # The raw schemas ``transform`` was told to read (a warehouse Segment loads).
    named_schemas: NamedSchemas | None = None
    forget: ForgetRequest = field(default_factory=ForgetRequest)

    @property
    def loads(self) -> bool:
        return self.command in LOADING

    @property
    def builds(self) -> bool:
        return self.command in BUILDING and not self.forget.dry_run
