"""Clean benchmark archives of any size, written one day at a time so memory stays flat."""

from __future__ import annotations

import gzip
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.sample.archive import by_received_day, simulate_day
from pipelines.sample.lifecycle import Simulator
from pipelines.settings import BRAND_SOURCE_ID, REGAL_VOICE_SOURCE_ID

AGENTS = 200  # a mid-size contact center: 200 agents, ~100 calls a day each
# Measured on the generator: a task's events, plus contact and brand events, per task.
MESSAGES_PER_TASK = 8.9
AGENT_EVENTS_PER_DAY = 4
# About a day of that contact center (200 x 100 calls x ~7 events): archives grow by days, so
# every scale has files of the same size and memory can be compared across scales.
EVENTS_PER_DAY = 143_000


def days_for(events: int) -> int:
    return max(1, round(events / EVENTS_PER_DAY))


@dataclass
class BenchArchive:
    """Where a benchmark archive lives and what it holds."""

    root: Path
    files: list[Path] = field(default_factory=list)
    messages: int = 0

    @property
    def regal_voice_url(self) -> str:
        return str(self.root / "segment-logs" / REGAL_VOICE_SOURCE_ID)

    @property
    def segment_url(self) -> str:
        return str(self.root / "segment-logs" / BRAND_SOURCE_ID)


def tasks_per_day(events: int, days: int, agents: int = AGENTS) -> int:
    per_day = events / days - agents * AGENT_EVENTS_PER_DAY
    return max(1, round(per_day / MESSAGES_PER_TASK))


HOURLY = 0  # messages_per_file meaning "one file per source and received hour", as Segment
HOUR_MS = 3_600_000


def _chunks(day: str, messages: list[dict], per_file: int) -> list[tuple[int, list[dict]]]:
    """(file time in ms, messages) of one received day: per hour, or ``per_file`` at a time."""
    if per_file != HOURLY:
        return [
            (int(day), messages[start : start + per_file])
            for start in range(0, len(messages), per_file)
        ]
    hours: dict[int, list[dict]] = {}
    for message in messages:
        received = message["receivedAt"]
        hour = int(received[11:13])
        hours.setdefault(int(day) + hour * HOUR_MS, []).append(message)
    return sorted(hours.items())


def _write_day(
    archive: BenchArchive, source_id: str, messages: list[dict], per_file: int, stamp: int
) -> int:
    """Write one source's messages grouped by received day, one file per received hour (or
    ``per_file`` lines per file)."""
    for day, day_messages in by_received_day(messages):
        folder = archive.root / "segment-logs" / source_id / day
        folder.mkdir(parents=True, exist_ok=True)
        for written_at, chunk in _chunks(day, day_messages, per_file):
            lines = (json.dumps(m, separators=(",", ":")) for m in chunk)
            path = folder / f"{written_at + stamp % 60_000}.bench{stamp:05d}.gz"
            path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), 6, mtime=0))
            archive.files.append(path)
            archive.messages += len(chunk)
            stamp += 1
    return stamp


def write_bench_archive(
    root: Path,
    events: int,
    days: int,
    messages_per_file: int = HOURLY,
    extra_days: int = 0,
    extra_root: Path | None = None,
    seed: int = 11,
) -> tuple[BenchArchive, BenchArchive | None]:
    """About ``events`` messages over ``days`` days under ``root``; ``extra_days`` more days,
    continuing the same contact center, under ``extra_root`` (the incremental runs' files).
    Files hold one received hour of one source each, as Segment writes them, unless
    ``messages_per_file`` is given.

    Each day is simulated and written before the next, so a 10M-event archive needs no more
    memory than one day. Without quirks: duplicates and bad lines belong to the tests.
    """
    rng = random.Random(seed)
    regal = Simulator(random.Random(rng.getrandbits(64)), AGENTS, contacts=max(120, events // 50))
    brand = Simulator(random.Random(rng.getrandbits(64)), AGENTS, contacts=max(120, events // 50))
    per_day = tasks_per_day(events, days)
    main = BenchArchive(root)
    extra = BenchArchive(extra_root) if extra_root is not None and extra_days else None
    stamp = 0
    for day_number in range(days + (extra_days if extra else 0)):
        target = main if day_number < days else extra
        regal_day, brand_day = simulate_day(regal, brand, day_number, per_day)
        stamp = _write_day(target, REGAL_VOICE_SOURCE_ID, regal_day, messages_per_file, stamp)
        stamp = _write_day(target, BRAND_SOURCE_ID, brand_day, messages_per_file, stamp)
        # Consent records are only needed by the sample's manifest; keep memory per day.
        regal.consent_records.clear()
        brand.consent_records.clear()
    return main, extra


def _manifest_path(root: Path) -> Path:
    return root.with_name(root.name + ".manifest.json")


def _from_manifest(root: Path, saved: dict) -> BenchArchive:
    files = [root / name for name in saved["files"]]
    return BenchArchive(root, files, saved["messages"])


def cached_bench_archive(
    root: Path, events: int, days: int, messages_per_file: int, extra_days: int = 0
) -> tuple[BenchArchive, BenchArchive | None]:
    """``write_bench_archive``, reusing the files of an earlier run with the same settings."""
    settings = {"events": events, "days": days, "per_file": messages_per_file, "extra": extra_days}
    extra_root = root.with_name(root.name + "-extra")
    manifest = _manifest_path(root)
    if manifest.exists():
        saved = json.loads(manifest.read_text())
        main = _from_manifest(root, saved["main"])
        extra = _from_manifest(extra_root, saved["extra"]) if saved["extra"] else None
        every_file = main.files + (extra.files if extra else [])
        if saved["settings"] == settings and all(path.exists() for path in every_file):
            return main, extra
    for folder in (root, extra_root):
        if folder.exists():
            shutil.rmtree(folder)
    main, extra = write_bench_archive(
        root, events, days, messages_per_file, extra_days, extra_root if extra_days else None
    )

    def described(archive: BenchArchive | None) -> dict | None:
        if archive is None:
            return None
        names = [str(path.relative_to(archive.root)) for path in archive.files]
        return {"files": names, "messages": archive.messages}

    manifest.write_text(
        json.dumps({"settings": settings, "main": described(main), "extra": described(extra)})
    )
    return main, extra
