"""``make bench``: every timed step, on the same generated files, in one run.

Steps: the floor (DuckDB's read_json) and the product's load at each scale; at the largest,
plain dlt on a slice, dbt build, an incremental day with its dbt build, and no-op re-runs
with few and with 1,000+ files already loaded.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

from pipelines.bench import steps
from pipelines.bench.archive import BenchArchive, cached_bench_archive, days_for
from pipelines.bench.measure import Measurement, measure
from pipelines.bench.report import write_report
from pipelines.settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "data" / "bench"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def slice_of(archive: BenchArchive, events: int) -> tuple[list[Path], int]:
    """The first files of ``archive`` holding at least ``events`` messages (in whole files)."""
    chosen, count = [], 0
    for path in archive.files:
        if count >= events:
            break
        with gzip.open(path, "rb") as lines:
            count += sum(1 for _ in lines)
        chosen.append(path)
    return chosen, count


class Bench:
    """Runs the steps in a scratch folder and collects their measurements."""

    def __init__(self, work: Path, repeats: int) -> None:
        self.work = work
        self.repeats = repeats
        self.results: list[Measurement] = []
        work.mkdir(parents=True, exist_ok=True)

    def warehouse(self, name: str) -> Path:
        return self.work / f"{name}.duckdb"

    def timed(self, step: str, events: int, command, before_each=None, repeats=None):
        say(f"{step} ({events:,} events)")
        result = measure(step, events, command, repeats or self.repeats, before_each)
        self.results.append(result)
        return result

    def fresh(self, warehouse: Path):
        return lambda: steps.remove_warehouse(warehouse)

    def floor_and_product(self, archive: BenchArchive, label: str) -> Path:
        floor = self.warehouse(f"floor-{label}")
        self.timed(
            f"floor {label}",
            archive.messages,
            steps.floor_command(archive, floor),
            self.fresh(floor),
        )
        steps.remove_warehouse(floor)
        product = self.warehouse(f"product-{label}")
        self.timed(
            f"product {label}",
            archive.messages,
            steps.ingest_command(archive, product),
            self.fresh(product),
        )
        return product

    def peer(self, archive: BenchArchive, events: int) -> None:
        files, count = slice_of(archive, events)
        warehouse = self.warehouse("peer")
        self.timed(
            "peer (plain dlt) slice",
            count,
            steps.peer_command(files, warehouse),
            self.fresh(warehouse),
        )
        steps.remove_warehouse(warehouse)

    def transforms_and_increment(
        self, main: BenchArchive, extra: BenchArchive, loaded: Path
    ) -> None:
        """dbt build on the loaded warehouse; then one more day, loaded and built."""
        loaded_copy = self.warehouse("after-load")
        steps.snapshot(loaded, loaded_copy)
        self.timed(
            "dbt build (full)",
            main.messages,
            steps.transform_command(loaded),
            lambda: steps.restore(loaded_copy, loaded),
        )
        built = self.warehouse("after-build")
        steps.snapshot(loaded, built)

        self.timed("no-op re-run", main.messages, steps.ingest_command(main, loaded))
        live = steps.link_archive([main, extra], self.work / "archive-live")
        self.timed(
            "incremental day",
            extra.messages,
            steps.ingest_command(live, loaded),
            lambda: steps.restore(built, loaded),
        )
        incremented = self.warehouse("after-increment")
        steps.snapshot(loaded, incremented)
        self.timed(
            "dbt build (after day)",
            extra.messages,
            steps.transform_command(loaded),
            lambda: steps.restore(incremented, loaded),
        )
        for copy in (loaded_copy, built, incremented, loaded):
            steps.remove_warehouse(copy)

    def many_files(self, archive: BenchArchive) -> None:
        warehouse = self.warehouse("many-files")
        steps.remove_warehouse(warehouse)
        self.timed(
            f"product, {len(archive.files):,} small files",
            archive.messages,
            steps.ingest_command(archive, warehouse),
            self.fresh(warehouse),
            repeats=1,
        )
        self.timed(
            f"no-op re-run, {len(archive.files):,} files",
            archive.messages,
            steps.ingest_command(archive, warehouse),
        )
        steps.remove_warehouse(warehouse)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="largest scale")
    parser.add_argument(
        "--scales",
        default="100000,300000",
        help="smaller scales for the scaling plot (comma-separated)",
    )
    parser.add_argument(
        "--days", type=int, default=None, help="days the archive spans (default: 143,000 a day)"
    )
    parser.add_argument("--per-file", type=int, default=50_000, help="messages per file")
    parser.add_argument(
        "--peer-events",
        type=int,
        default=50_000,
        help="plain dlt runs on the first files holding this many events",
    )
    parser.add_argument(
        "--many-files-events",
        type=int,
        default=70_000,
        help="events of the 1,000+ small files archive for the no-op run",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "work")
    parser.add_argument("--output", type=Path, default=BENCH_DIR)
    parser.add_argument(
        "--readme",
        type=Path,
        default=PROJECT_ROOT / "README.md",
        help="README whose bench table is replaced",
    )
    parser.add_argument("--no-readme", action="store_true", help="leave the README as it is")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args.work, args.repeats)
    scales = sorted({int(s) for s in args.scales.split(",") if s} | {args.events})
    largest = None
    for events in scales:
        say(f"archive of {events:,} events")
        extra_days = 1 if events == args.events else 0
        main_archive, extra = cached_bench_archive(
            args.work / f"archive-{events}",
            events,
            args.days or days_for(events),
            args.per_file,
            extra_days,
        )
        product = bench.floor_and_product(main_archive, f"{main_archive.messages:,}")
        if events == args.events:
            largest = (main_archive, extra, product)
        else:
            steps.remove_warehouse(product)
    main_archive, extra, product = largest
    bench.peer(main_archive, args.peer_events)
    bench.transforms_and_increment(main_archive, extra, product)
    many, _ = cached_bench_archive(
        args.work / "archive-many-files",
        args.many_files_events,
        args.days or days_for(args.many_files_events),
        50,
    )
    bench.many_files(many)
    command = f"make bench EVENTS={args.events} SCALES={args.scales} REPEATS={args.repeats}"
    days = args.days or days_for(args.events)
    write_report(bench.results, args, command, main_archive, days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
