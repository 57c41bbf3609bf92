"""The commands ``make bench`` times, and the warehouse snapshots between them."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from pipelines.bench.archive import BenchArchive
from pipelines.load import state_dir

PYTHON = sys.executable


def warehouse_files(warehouse: Path) -> list[Path]:
    """The DuckDB file, its WAL and dlt's state folder: everything a load leaves behind."""
    return [warehouse, warehouse.with_name(warehouse.name + ".wal"), state_dir(warehouse)]


def remove_warehouse(warehouse: Path) -> None:
    for path in warehouse_files(warehouse):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def snapshot(warehouse: Path, copy: Path) -> None:
    """Copy a warehouse and its dlt state, so a timed step can start from it again."""
    remove_warehouse(copy)
    for source, target in zip(warehouse_files(warehouse), warehouse_files(copy), strict=True):
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy2(source, target)


def restore(copy: Path, warehouse: Path) -> None:
    snapshot(copy, warehouse)


def link_archive(sources: list[BenchArchive], target: Path) -> BenchArchive:
    """One archive made of hard links to several (history plus a new day), files unchanged."""
    if target.exists():
        shutil.rmtree(target)
    combined = BenchArchive(target)
    for archive in sources:
        for path in archive.files:
            link = target / path.relative_to(archive.root)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
            combined.files.append(link)
        combined.messages += archive.messages
    return combined


def ingest_command(archive: BenchArchive, warehouse: Path) -> list[str]:
    return [
        PYTHON,
        "-m",
        "pipelines",
        "ingest",
        "--regal-voice-url",
        archive.regal_voice_url,
        "--segment-url",
        archive.segment_url,
        "--warehouse",
        str(warehouse),
    ]


def transform_command(warehouse: Path) -> list[str]:
    return [PYTHON, "-m", "pipelines", "transform", "--warehouse", str(warehouse)]


def floor_command(archive: BenchArchive, warehouse: Path) -> list[str]:
    return [PYTHON, "-m", "pipelines.bench.floor", str(archive.root), str(warehouse)]


def peer_command(files: list[Path], warehouse: Path) -> list[str]:
    return [PYTHON, "-m", "pipelines.bench.peer", str(warehouse), *map(str, files)]
