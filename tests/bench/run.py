"""``make bench``: every timed step, on the same generated files, in one run.

Archives hold one file per source and received hour, as Segment writes them. At each scale:
DuckDB's floor and the product's load. At the largest: plain dlt on a slice, the models built
in full (with the first publish), a scheduled run with nothing new, and a scheduled run of one
new hour. The same hour is run again on the smallest history, to show what history costs.
Then the same messages in many small files and in a few large ones.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.settings import PROJECT_ROOT
from tests.bench import steps
from tests.bench.archive import (
    HOUR_MS,
    HOURLY,
    BenchArchive,
    cached_bench_archive,
    days_for,
)
from tests.bench.measure import Measurement, measure
from tests.bench.report import report_again, write_report

BENCH_DIR = PROJECT_ROOT / "data" / "bench"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def lines_in(path: Path) -> int:
    with gzip.open(path, "rb") as lines:
        return sum(1 for _ in lines)


def slice_of(archive: BenchArchive, events: int) -> tuple[list[Path], int]:
    """The first files of ``archive`` holding at least ``events`` messages (in whole files)."""
    chosen, count = [], 0
    for path in archive.files:
        if count >= events:
            break
        count += lines_in(path)
        chosen.append(path)
    return chosen, count


def busiest_hour(archive: BenchArchive) -> tuple[list[Path], int]:
    """The files of the received hour holding the most messages, over both sources."""
    hours: dict[int, list[Path]] = defaultdict(list)
    for path in archive.files:
        hours[int(path.name.split(".")[0]) // HOUR_MS].append(path)
    counted = {hour: sum(lines_in(path) for path in files) for hour, files in hours.items()}
    hour = max(counted, key=counted.get)
    return hours[hour], counted[hour]


class Bench:
    """Runs the steps in a scratch folder and collects their measurements."""

    def __init__(self, work: Path, repeats: int) -> None:
        self.work = work
        self.repeats = repeats
        self.results: list[Measurement] = []
        work.mkdir(parents=True, exist_ok=True)

    def warehouse(self, name: str) -> Path:
        return self.work / f"{name}.duckdb"

    def timed(
        self, step, events, command, before_each=None, repeats=None, phases_of=None, alongside=()
    ):
        say(f"{step} ({events:,} events)")
        result = measure(
            step, events, command, repeats or self.repeats, before_each, phases_of, alongside
        )
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
            phases_of=product,
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

    def scheduled_runs(self, history: BenchArchive, loaded: Path, hour: list[Path], label: str):
        """On a loaded history: the models in full (and the first publish), a run with nothing
        new, and a run of one new hour, each from the same starting warehouse."""
        ingested = self.warehouse(f"ingested-{label}")
        steps.snapshot(loaded, ingested)
        self.timed(
            f"models in full + first publish, {label} history",
            history.messages,
            steps.load_command(history, loaded, "--full-refresh"),
            lambda: steps.restore(ingested, loaded),
            phases_of=loaded,
        )
        built = self.warehouse(f"built-{label}")
        steps.snapshot(loaded, built)
        self.timed(
            f"scheduled run, nothing new, {label} history",
            history.messages,
            steps.load_command(history, loaded),
            phases_of=loaded,
        )
        live = steps.link_archive([history], self.work / f"live-{label}", extra_files=hour)
        self.timed(
            f"scheduled run, one new hour, {label} history",
            sum(lines_in(path) for path in hour),
            steps.load_command(live, loaded),
            lambda: steps.restore(built, loaded),
            phases_of=loaded,
        )
        # A privacy request: the busiest contact forgotten, from the same built warehouse.
        phone = steps.busiest_contact(built)
        self.timed(
            f"forget one contact, {label} history",
            history.messages,
            steps.forget_command(loaded, phone),
            lambda: steps.restore(built, loaded),
            phases_of=loaded,
        )
        for copy in (ingested, built, loaded):
            steps.remove_warehouse(copy)

    def load_then_hour(
        self,
        engine: str,
        history: BenchArchive,
        hour: list[Path],
        warehouse: str,
        empty,
        *options: str,
        load_repeats: int | None = None,
        alongside: tuple[int, ...] = (),
    ) -> None:
        """On another engine: a load with the models in full into an empty warehouse (``empty``
        before each), then a scheduled run of one new hour, once. ``alongside``: processes
        whose memory counts too (a cluster's)."""
        label = f"{history.messages:,} history"
        self.timed(
            f"{engine}: load + models in full, {label}",
            history.messages,
            steps.load_command(history, warehouse, *options),
            empty,
            repeats=load_repeats,
            phases_of=warehouse,
            alongside=alongside,
        )
        live_name = "live-" + "".join(c if c.isalnum() else "-" for c in engine)
        live = steps.link_archive([history], self.work / live_name, extra_files=hour)
        self.timed(
            f"{engine}: scheduled run, one new hour, {label}",
            sum(lines_in(path) for path in hour),
            steps.load_command(live, warehouse, *options),
            repeats=1,
            phases_of=warehouse,
            alongside=alongside,
        )

    def postgres(self, history: BenchArchive, hour: list[Path], url: str) -> None:
        """The product on a PostgreSQL server, beside DuckDB's figures on the same history (no
        target): a load with the models in full into an empty database, then one new hour."""
        state = self.work / "postgres-state"

        def empty() -> None:
            steps.empty_database(url)
            shutil.rmtree(state, ignore_errors=True)

        self.load_then_hour("postgres", history, hour, url, empty, "--state-dir", str(state))
        empty()

    def spark(
        self, history: BenchArchive, hour: list[Path], master: str | None, cluster=()
    ) -> None:
        """The product on an Iceberg lake run by Spark (``local[2]``, or a standalone cluster's
        ``master``, whose processes ``cluster`` count in the peak memory): a load with the
        models in full into a new lake, then one new hour."""
        where = "two workers" if master else "local[2]"
        lake = self.work / f"lake-{where.replace(' ', '-').replace('[', '').replace(']', '')}"
        os.environ["SPARK_MASTER"] = master or "local[2]"
        try:
            self.load_then_hour(
                f"spark, {where}",
                history,
                hour,
                f"iceberg:{lake}",
                lambda: shutil.rmtree(lake, ignore_errors=True),
                load_repeats=1,  # minutes a run: once
                alongside=tuple(cluster),
            )
        finally:
            os.environ.pop("SPARK_MASTER", None)
            shutil.rmtree(lake, ignore_errors=True)

    def many_files(self, small: BenchArchive, large: BenchArchive) -> None:
        """The same messages in many small files and in a few large ones."""
        for archive, kind in ((small, "small"), (large, "large")):
            warehouse = self.warehouse(f"files-{kind}")
            self.timed(
                f"product, {len(archive.files):,} {kind} files",
                archive.messages,
                steps.ingest_command(archive, warehouse),
                self.fresh(warehouse),
                repeats=1 if kind == "small" else None,
            )
            if kind == "small":
                self.timed(
                    f"no-op re-run, {len(archive.files):,} files",
                    archive.messages,
                    steps.ingest_command(archive, warehouse),
                )
            steps.remove_warehouse(warehouse)


@contextmanager
def postgres_for_bench(url: str | None) -> Iterator[str | None]:
    """The server the PostgreSQL steps run on: the one given, else a throwaway durable one;
    None (the steps are left out, and the bench says why) when there is none to start."""
    if url is not None:
        yield url
        return
    from tests.support.postgres_cluster import NoPostgres, postgres_server

    try:
        with postgres_server(durable=True) as server:
            # Trust authentication takes any password; dlt insists on one.
            yield server.replace("@", ":trust@", 1).rsplit("/", 1)[0] + "/regal_voice_bench"
    except NoPostgres as missing:
        say(f"PostgreSQL steps left out: {missing}")
        yield None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--events", type=int, default=5_000_000, help="largest scale")
    parser.add_argument(
        "--scales",
        default="500000,1000000",
        help="smaller scales (comma-separated); the smallest is also the short history",
    )
    parser.add_argument(
        "--days", type=int, default=None, help="days the archive spans (default: 143,000 a day)"
    )
    parser.add_argument(
        "--per-file",
        type=int,
        default=HOURLY,
        help="messages per file (default 0: one file per source and received hour)",
    )
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
        help="events of the small-files archive (50 messages a file) and of its large twin",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES") or None,
        help="a PostgreSQL URL (with its password) whose database the bench may drop and "
        "create again (default $BENCH_POSTGRES; else a throwaway server of its own, when "
        "PostgreSQL's binaries are installed)",
    )
    parser.add_argument(
        "--no-spark",
        action="store_true",
        help="leave out the Iceberg lake on Spark (local[2] and a two-worker cluster)",
    )
    parser.add_argument(
        "--only-spark",
        action="store_true",
        help="only the Spark steps, on the smallest scale: data/bench/results-spark.json",
    )
    parser.add_argument(
        "--spark-on",
        choices=("both", "local", "cluster"),
        default="both",
        help="where the Spark steps run: local[2], a two-worker cluster, or both (default)",
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
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: work out the targets, the plot and the README's table again "
        "from the output folder's results.json",
    )
    return parser.parse_args(argv)


def spark_steps(bench: Bench, history: BenchArchive, hour: list[Path], on: str = "both") -> None:
    """The lake on ``local[2]``, then on a master and two workers (their memory counted);
    ``on``: ``local`` or ``cluster`` for one of them."""
    from tests.support.spark_cluster import spark_cluster

    if on in ("both", "local"):
        bench.spark(history, hour, None)
    if on in ("both", "cluster"):
        cluster: list[int] = []
        with spark_cluster(pids=cluster) as master:
            bench.spark(history, hour, master, cluster)


def bench_archive(args: argparse.Namespace, events: int, extra_days: int, suffix: str = ""):
    """The bench's archive of ``events`` (with ``extra_days`` of new files), cached in its work
    folder under a name of its settings."""
    return cached_bench_archive(
        args.work / f"archive-{events}{suffix}",
        events,
        args.days or days_for(events),
        args.per_file,
        extra_days=extra_days,
    )


def only_spark(bench: Bench, args: argparse.Namespace, events: int) -> int:
    """``--only-spark``: the Spark steps alone on ``events`` (an archive with one more day, for
    the new hour), into ``results-spark.json``; the README is left alone."""
    import json

    from tests.bench.report import engines, engines_table

    say(f"archive of {events:,} events (and one more day)")
    history, extra = bench_archive(args, events, extra_days=1, suffix="-spark")
    hour, messages = busiest_hour(extra)
    say(f"the new hour: {messages:,} messages in {len(hour)} files")
    spark_steps(bench, history, hour, args.spark_on)
    rows = engines(bench.results)
    args.output.mkdir(parents=True, exist_ok=True)
    report = {"steps": [r.as_dict() for r in bench.results], "engines": rows}
    (args.output / "results-spark.json").write_text(json.dumps(report, indent=2) + "\n")
    print(engines_table(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        report_again(args)
        return 0
    # The bench forgets a contact of its own archives: in its own list, never the installation's.
    os.environ["SUPPRESSION_LIST"] = str(args.work / "suppression.json")
    bench = Bench(args.work, args.repeats)
    scales = sorted({int(s) for s in args.scales.split(",") if s} | {args.events})
    if args.only_spark:
        return only_spark(bench, args, scales[0])
    archives: dict[int, tuple[BenchArchive, BenchArchive | None, Path]] = {}
    for events in scales:
        say(f"archive of {events:,} events")
        main_archive, extra = bench_archive(args, events, 1 if events == args.events else 0)
        product = bench.floor_and_product(main_archive, f"{main_archive.messages:,}")
        if events in (scales[0], scales[-1]):
            archives[events] = (main_archive, extra, product)
        else:
            steps.remove_warehouse(product)
    largest, extra, largest_product = archives[scales[-1]]
    bench.peer(largest, args.peer_events)
    hour, _ = busiest_hour(extra)
    bench.scheduled_runs(largest, largest_product, hour, f"{largest.messages:,}")
    if len(scales) > 1:
        smallest, _, smallest_product = archives[scales[0]]
        bench.scheduled_runs(smallest, smallest_product, hour, f"{smallest.messages:,}")
    smallest, _, _ = archives[scales[0]]
    with postgres_for_bench(args.postgres) as url:
        if url is not None:
            bench.postgres(smallest, hour, url)
    if not args.no_spark:
        spark_steps(bench, smallest, hour, args.spark_on)
    days = args.days or days_for(args.many_files_events)
    small, _ = cached_bench_archive(
        args.work / "archive-small-files", args.many_files_events, days, 50
    )
    large, _ = cached_bench_archive(
        args.work / "archive-large-files", args.many_files_events, days, 50_000
    )
    bench.many_files(small, large)
    command = f"make bench EVENTS={args.events} SCALES={args.scales} REPEATS={args.repeats}"
    write_report(bench.results, args, command, largest, args.days or days_for(args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
