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
    # MB each kind of process held at the peak of the run that peaked highest.
    at_peak_mb: dict[str, float] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "events_per_second": round(self.events_per_second)}


def label(process: psutil.Process) -> str:
    """A process as a reader of the bench knows it: ``pipelines load``, ``dbt``, ``java``."""
    arguments = process.cmdline()
    if "-m" in arguments[:-1]:
        module, *rest = arguments[arguments.index("-m") + 1 :]
        return " ".join([module, *(word for word in rest[:1] if not word.startswith("-"))])
    names = [Path(argument).name for argument in arguments[:2]]
    return next((name for name in names if "dbt" in name), names[0] if names else "?")


def tree_rss(process: psutil.Process, by_label: dict[str, int] | None = None) -> int:
    """Resident bytes of a process and all its descendants (dlt and dbt start workers);
    ``by_label``, if given, gets each process's bytes added under its ``label``."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            rss = member.memory_info().rss
            if by_label is not None:
                name = label(member)
                by_label[name] = by_label.get(name, 0) + rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += rss
    return total


@dataclass
class Run:
    """One run of a step: its wall seconds, the peak RSS of its tree and, at that peak, the
    bytes each kind of process held (what stands in the way of a memory target)."""

    seconds: float
    peak: int
    at_peak: dict[str, int]


def run_once(command: Sequence[str], alongside: Sequence[int] = ()) -> Run:
    """``command``'s run, with the trees of the processes ``alongside`` (a Spark cluster's
    master and workers, whose executors do the work) counted in; its output goes to stderr,
    unread."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=sys.stderr, stderr=sys.stderr)
    process = psutil.Process(child.pid)
    others = [psutil.Process(pid) for pid in alongside]
    peak, at_peak = 0, {}
    while child.poll() is None:
        by_label: dict[str, int] = {}
        total = tree_rss(process, by_label) + sum(tree_rss(o, by_label) for o in others)
        if total > peak:
            peak, at_peak = total, by_label
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {child.returncode}")
    return Run(seconds, peak, at_peak)


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

    runs: list[Run] = []
    phases: dict[str, list[float]] = {}
    for attempt in range(repeats):
        if before_each is not None:
            before_each()
        run = run_once(command, alongside)
        runs.append(run)
        if phases_of is not None:
            for name, value in run_phases(phases_of).items():
                phases.setdefault(name, []).append(value)
        print(f"  {step}: run {attempt + 1}/{repeats} {run.seconds:.2f}s", file=sys.stderr)
    highest = max(runs, key=lambda run: run.peak)
    return Measurement(
        step=step,
        events=events,
        seconds=statistics.median(run.seconds for run in runs),
        peak_rss_mb=highest.peak / 2**20,
        repeats=[round(run.seconds, 3) for run in runs],
        phases={name: round(statistics.median(values), 2) for name, values in phases.items()},
        at_peak_mb={name: round(rss / 2**20) for name, rss in highest.at_peak.items()},
    )
