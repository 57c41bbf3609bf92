"""Run one step as a child process and measure its wall time and the peak RSS of its tree."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

POLL_SECONDS = 0.05


@dataclass
class Measurement:
    """One timed step: the median of its repeats, with every repeat kept."""

    step: str
    events: int
    seconds: float
    peak_rss_mb: float
    repeats: list[float]
    # Median seconds of each part of a scheduled run (ingest, models, publish), when recorded.
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "events_per_second": round(self.events_per_second)}


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (dlt and dbt start workers)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def run_once(command: Sequence[str], alongside: Sequence[int] = ()) -> tuple[float, int]:
    """Wall seconds and peak tree RSS of ``command``, with the trees of the processes
    ``alongside`` (a Spark cluster's master and workers, whose executors do the work) counted
    in; its output goes to stderr, unread."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=sys.stderr, stderr=sys.stderr)
    process = psutil.Process(child.pid)
    others = [psutil.Process(pid) for pid in alongside]
    peak = 0
    while child.poll() is None:
        peak = max(peak, tree_rss(process) + sum(tree_rss(other) for other in others))
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {child.returncode}")
    return seconds, peak


def measure(
    step: str,
    events: int,
    command: Sequence[str],
    repeats: int = 3,
    before_each: Callable[[], None] | None = None,
    phases_of: Path | None = None,
    alongside: Sequence[int] = (),
) -> Measurement:
    """Median wall time of ``repeats`` runs (each after ``before_each``), and the peak RSS
    (``alongside``: see ``run_once``); with ``phases_of``, the median of each part of the run
    that warehouse's log recorded."""
    from tests.bench.steps import run_phases

    times, peaks = [], []
    phases: dict[str, list[float]] = {}
    for attempt in range(repeats):
        if before_each is not None:
            before_each()
        seconds, peak = run_once(command, alongside)
        times.append(seconds)
        peaks.append(peak)
        if phases_of is not None:
            for name, value in run_phases(phases_of).items():
                phases.setdefault(name, []).append(value)
        print(f"  {step}: run {attempt + 1}/{repeats} {seconds:.2f}s", file=sys.stderr)
    return Measurement(
        step=step,
        events=events,
        seconds=statistics.median(times),
        peak_rss_mb=max(peaks) / 2**20,
        repeats=[round(t, 3) for t in times],
        phases={name: round(statistics.median(values), 2) for name, values in phases.items()},
    )
