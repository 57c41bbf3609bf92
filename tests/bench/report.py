"""The benchmark's outputs: a printed table, results.json, scaling.png and the README table."""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psutil

from tests.bench.measure import Measurement

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
MEMORY_TARGET_MB = 1024


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        **{
            name: version(name)
            for name in (
                "duckdb",
                "dlt",
                "dbt-core",
                "dbt-duckdb",
                "dbt-postgres",
                "psycopg2-binary",
            )
        },
    }


def table(results: list[Measurement]) -> str:
    lines = [
        "| step | events | wall s (median) | events/s | peak RSS MB | parts (s) | runs (s) |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        runs = ", ".join(f"{t:.2f}" for t in r.repeats)
        parts = ", ".join(f"{name} {seconds:.2f}" for name, seconds in r.phases.items())
        lines.append(
            f"| {r.step} | {r.events:,} | {r.seconds:.2f} | {r.events_per_second:,.0f} "
            f"| {r.peak_rss_mb:,.0f} | {parts} | {runs} |"
        )
    return "\n".join(lines)


def _scale_points(results: list[Measurement], name: str) -> list[Measurement]:
    """The floor's or the product's measurement at each scale, smallest first."""
    points = [r for r in results if r.step.startswith(f"{name} ") and "files" not in r.step]
    return sorted(points, key=lambda r: r.events)


def _step(results: list[Measurement], start: str) -> Measurement | None:
    return next((r for r in results if r.step.startswith(start)), None)


def _history(step: Measurement) -> str:
    """``"5,022,564 history"`` of a step named ``"…, 5,022,564 history"``."""
    return step.step.rsplit(", ", 1)[1]


def targets(results: list[Measurement]) -> list[dict]:
    """Each target of issues 4 and 12 with what was measured; computed, never asserted."""
    floors = {r.events: r for r in _scale_points(results, "floor")}
    products = _scale_points(results, "product")
    largest = products[-1]
    checks = [
        (f"product / floor time, {p.events:,} events", p.seconds / floors[p.events].seconds,
         "<= 1.3", 1.3, False)
        for p in products
        if p.events in floors and (p.events >= 1_000_000 or p is largest)
    ]  # fmt: skip
    checks.append(
        (f"product peak RSS MB, {largest.events:,} events", largest.peak_rss_mb,
         f"<= {MEMORY_TARGET_MB}", MEMORY_TARGET_MB, False)
    )  # fmt: skip
    builds = [r for r in results if r.step.startswith("models in full")]
    if builds:
        build = max(builds, key=lambda r: r.events)
        checks.append(
            (f"models in full peak RSS MB, {_history(build)}", build.peak_rss_mb,
             f"<= {MEMORY_TARGET_MB}", MEMORY_TARGET_MB, False)
        )  # fmt: skip
    peer = _step(results, "peer")
    if peer is not None:
        checks.append(
            ("peer time / product time (per event)",
             largest.events_per_second / peer.events_per_second, ">= 20", 20, True)
        )  # fmt: skip
    for noop in (r for r in results if r.step.startswith("scheduled run, nothing new")):
        checks.append((f"{noop.step} s", noop.seconds, "<= 3", 3.0, False))
    hourly = sorted(
        (r for r in results if r.step.startswith("scheduled run, one new hour")),
        key=lambda r: int(_history(r).split()[0].replace(",", "")),
    )
    if len(hourly) >= 2:
        short, long = hourly[0], hourly[-1]
        checks.append(
            (f"one new hour: on {_history(long)} / on {_history(short)}",
             long.seconds / short.seconds, "<= 1.3", 1.3, False)
        )  # fmt: skip
    small = next((r for r in results if r.step.endswith(" small files")), None)
    large = next((r for r in results if r.step.endswith(" large files")), None)
    if small is not None and large is not None:
        checks.append(
            ("same messages: small files time / large files time",
             small.seconds / large.seconds, "<= 1.5", 1.5, False)
        )  # fmt: skip
    return [
        {
            "target": name,
            "measured": round(value, 2),
            "goal": goal,
            "met": value >= limit if at_least else value <= limit,
        }
        for name, value, goal, limit, at_least in checks
    ]


def engines(results: list[Measurement]) -> list[dict]:
    """DuckDB beside PostgreSQL on the history both were run on (issue 15: no target)."""
    on_postgres = _step(results, "postgres: load + models in full")
    if on_postgres is None:
        return []
    label = _history(on_postgres)
    events = on_postgres.events
    duckdb_load = next((r for r in _scale_points(results, "product") if r.events == events), None)
    duckdb_build = _step(results, f"models in full + first publish, {label}")
    duckdb_hour = _step(results, f"scheduled run, one new hour, {label}")
    postgres_hour = _step(results, "postgres: scheduled run, one new hour")

    def row(what: str, duckdb: float | None, postgres: float | None, rate: bool = False):
        entry = {"measure": what, "duckdb_s": duckdb, "postgres_s": postgres}
        for engine, seconds in (("duckdb", duckdb), ("postgres", postgres)):
            if rate:
                entry[f"{engine}_events_per_s"] = round(events / seconds) if seconds else None
        return entry

    return [
        row(
            f"load (ingest), {label}",
            duckdb_load.phases.get("ingest") if duckdb_load else None,
            on_postgres.phases.get("ingest"),
            rate=True,
        ),
        row(
            f"models in full, {label}",
            duckdb_build.phases.get("models") if duckdb_build else None,
            on_postgres.phases.get("models"),
        ),
        row(
            "scheduled run, one new hour, as cron runs it (DuckDB's includes its publish)",
            duckdb_hour.seconds if duckdb_hour else None,
            postgres_hour.seconds if postgres_hour else None,
        ),
    ]


def engines_table(rows: list[dict]) -> str:
    if not rows:
        return "PostgreSQL: not measured (no server given and none could be started)."

    def seconds(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    lines = [
        "| DuckDB vs PostgreSQL (no target) | DuckDB s | PostgreSQL s | PostgreSQL / DuckDB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        ratio = (
            f"{r['postgres_s'] / r['duckdb_s']:.2f}" if r["duckdb_s"] and r["postgres_s"] else "—"
        )
        what = r["measure"]
        if r.get("postgres_events_per_s"):
            what += f" ({r['duckdb_events_per_s']:,} vs {r['postgres_events_per_s']:,} events/s)"
        lines.append(
            f"| {what} | {seconds(r['duckdb_s'])} | {seconds(r['postgres_s'])} | {ratio} |"
        )
    return "\n".join(lines)


def targets_table(checks: list[dict]) -> str:
    lines = ["| target | measured | goal | met |", "| --- | ---: | --- | --- |"]
    lines += [
        f"| {c['target']} | {c['measured']:,} | {c['goal']} | {'yes' if c['met'] else 'NO'} |"
        for c in checks
    ]
    return "\n".join(lines)


def plot(results: list[Measurement], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {
        name: sorted(
            (r for r in results if r.step.startswith(f"{name} ") and "files" not in r.step),
            key=lambda r: r.events,
        )
        for name in ("product", "floor")
    }
    figure, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, points in series.items():
        events = [r.events for r in points]
        speed.plot(events, [r.events_per_second for r in points], marker="o", label=name)
        memory.plot(events, [r.peak_rss_mb for r in points], marker="o", label=name)
    memory.axhline(MEMORY_TARGET_MB, color="grey", linestyle="--", label="1 GB target")
    for axis, title in ((speed, "events/s (median)"), (memory, "peak RSS of the process tree, MB")):
        axis.set_xscale("log")
        axis.set_xlabel("events in the archive")
        axis.set_title(title)
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def update_readme(readme: Path, block: str) -> None:
    text = readme.read_text()
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        return
    readme.write_text(pattern.sub(lambda _: f"{README_START}\n{block}\n{README_END}", text))


def write_report(results, args, command: str, archive, days: int) -> None:
    files = len(archive.files)
    args.output.mkdir(parents=True, exist_ok=True)
    checks = targets(results)
    measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    report = {
        "command": command,
        "measured_at": measured_at,
        "machine": info,
        "archive": {
            "events": archive.messages,
            "files": files,
            "days": days,
            "messages_per_file": args.per_file,
        },
        "steps": [r.as_dict() for r in results],
        "targets": checks,
        "engines": engines(results),
    }
    (args.output / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(results, args.output / "scaling.png")
    block = (
        f"`{command}` — {measured_at}, {info['cpus']} cores, {info['memory_gb']} GB, "
        f"duckdb {info['duckdb']}, dlt {info['dlt']}, dbt-core {info['dbt-core']}. "
        f"Archive: {archive.messages:,} events in {files} files over {days} days.\n\n"
        f"{table(results)}\n\n{targets_table(checks)}\n\n{engines_table(report['engines'])}\n\n"
        "![events/s and peak memory by archive size](data/bench/scaling.png)"
    )
    print("\n" + table(results) + "\n\n" + targets_table(checks))
    print("\n" + engines_table(report["engines"]))
    if not args.no_readme:
        update_readme(args.readme, block)
