"""A warehouse built from an earlier release's bundled sample.

A release whose generator changed writes the sample again (the Makefile rule depends on the
generator), with other messages under the same message ids. Loading the new sample on top of
the old one would mix two samples in one warehouse: the raw merge keeps each id's first copy,
one id can name a call in the old sample and an SMS in the new, and the models' uniqueness
tests then fail on every run. Such a warehouse holds nothing but sample data, which the new
sample replaces, so ``make load`` sets it aside (moved, not deleted) and loads the new sample
into a new one: an upgrade of the demo needs no manual step either.

A warehouse counts as built from an older sample only when every file it ever read lies
under the sample's folder and some of them are no longer there (the sample's file names carry
a hash of their content). A warehouse that read anything else is never touched.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.engines.duckdb.analysts_copy import files_dir
from pipelines.engines.duckdb.lock import published_path, report_path
from pipelines.segment_archive.files import local_path
from pipelines.segment_archive.settings import FILES_TABLE
from pipelines.settings import state_dir

log = logging.getLogger(__name__)


def files_read(warehouse: Path) -> list[str]:
    """The URL of every archive file any raw schema of the warehouse recorded as read."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schemas = [
            schema
            for (schema,) in con.execute(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = ?",
                [FILES_TABLE],
            ).fetchall()
        ]
        urls = []
        for schema in schemas:
            rows = con.execute(f'SELECT file_url FROM "{schema}".{FILES_TABLE}').fetchall()
            urls.extend(url for (url,) in rows)
    return urls


def built_from_an_older_sample(warehouse: Path, sample_root: Path) -> bool:
    """Whether every file the warehouse read lies under ``sample_root`` and some are gone."""
    if not warehouse.exists():
        return False
    root = sample_root.resolve()
    paths = [local_path(url) for url in files_read(warehouse)]
    if not paths or any(path is None or not path.resolve().is_relative_to(root) for path in paths):
        return False
    return any(not path.exists() for path in paths)


def set_aside(warehouse: Path) -> Path:
    """Move the warehouse, its dlt state, its analysts' copy and its report into a folder
    beside it; return that folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = warehouse.with_name(f"{warehouse.stem}.older-sample-{stamp}")
    folder.mkdir()
    belongings = [
        warehouse,
        warehouse.with_name(f"{warehouse.name}.wal"),
        state_dir(warehouse),
        published_path(warehouse),
        files_dir(warehouse),
        report_path(warehouse),
    ]
    for path in belongings:
        if path.exists():
            shutil.move(str(path), str(folder / path.name))
    return folder


def replace_older_sample(warehouse: Path, sample_root: Path) -> None:
    """Before the bundled sample loads: set a warehouse of an older sample aside."""
    if built_from_an_older_sample(warehouse, sample_root):
        folder = set_aside(warehouse)
        log.warning(
            "the bundled sample changed with this release and %s held only the older sample: "
            "moved it to %s (delete that folder when you no longer need it) and loading the "
            "new sample into a new warehouse",
            warehouse,
            folder,
        )
