"""``make bench`` runs end to end at a toy scale and reports every step and target.

Figures are not checked here (performance is measured by the benchmark, never in tests);
this guards the benchmark itself against rot.
"""

import json
import time

import pytest

from tests.bench.measure import Measurement
from tests.bench.report import engines, engines_table
from tests.bench.run import main


@pytest.mark.slow
def test_bench_runs_every_step_and_reports(tmp_path):
    output = tmp_path / "out"
    main(
        [
            "--events", "4000", "--scales", "2000", "--repeats", "1",
            "--peer-events", "500", "--many-files-events", "400",
            "--work", str(tmp_path / "work"), "--output", str(output), "--no-readme",
            "--no-spark",  # the lake's steps: test_spark_steps_are_reported_beside_the_others
        ]
    )  # fmt: skip
    report = json.loads((output / "results.json").read_text())
    steps = [step["step"] for step in report["steps"]]
    assert [s.split()[0] for s in steps[:4]] == ["floor", "product", "floor", "product"]
    assert any(s.startswith("peer") for s in steps)
    for kind, first in (("models in full + first publish", "ingest"),
                        ("scheduled run, nothing new", "ingest"),
                        ("scheduled run, one new hour", "ingest"),
                        ("forget one contact", "forget")):  # fmt: skip
        runs = [step for step in report["steps"] if step["step"].startswith(kind)]
        assert len(runs) == 2, kind  # on the long and on the short history
        assert set(runs[0]["phases"]) >= {first, "models"}, runs[0]
    hourly = next(s for s in report["steps"] if s["step"].startswith("scheduled run, one new"))
    assert hourly["phases"]["publish"] > 0
    # PostgreSQL beside DuckDB, on a throwaway server of the bench's own (no target).
    on_postgres = [s for s in report["steps"] if s["step"].startswith("postgres: ")]
    assert [s["step"].split(",")[0] for s in on_postgres] == [
        "postgres: load + models in full",
        "postgres: scheduled run",
    ]
    assert set(on_postgres[0]["phases"]) == {"ingest", "models"}  # no analysts' copy
    assert [row["measure"].split(",")[0] for row in report["engines"]] == [
        "load (ingest)",
        "models in full",
        "scheduled run",
        "peak memory of the process tree",
    ]
    assert all(row["duckdb_s"] > 0 and row["postgres_s"] > 0 for row in report["engines"])
    assert any(s.endswith("small files") for s in steps)
    assert any(s.endswith("large files") for s in steps)
    assert all(step["seconds"] > 0 and step["peak_rss_mb"] > 0 for step in report["steps"])
    names = [target["target"] for target in report["targets"]]
    assert any(name.startswith("one new hour") for name in names)
    assert any(name.startswith("same messages") for name in names)
    assert (output / "scaling.png").stat().st_size > 0


def test_spark_steps_are_reported_beside_the_others():
    def step(name, seconds, **phases):
        return Measurement(name, 500_000, seconds, 900.0, [seconds], phases)

    label = "500,000 history"
    results = [
        step("product 500,000", 20, ingest=20),
        step(f"models in full + first publish, {label}", 30, ingest=1, models=25, publish=4),
        step(f"scheduled run, one new hour, {label}", 16),
        step(f"spark, local[2]: load + models in full, {label}", 300, ingest=100, models=200),
        step(f"spark, local[2]: scheduled run, one new hour, {label}", 90),
        step(f"spark, two workers: load + models in full, {label}", 400, ingest=150, models=250),
        step(f"spark, two workers: scheduled run, one new hour, {label}", 120),
    ]
    rows = engines(results)
    assert [row["spark_local_s"] for row in rows] == [100, 200, 90, 900.0]
    assert [row["spark_cluster_s"] for row in rows] == [150, 250, 120, 900.0]
    assert [row["duckdb_s"] for row in rows] == [20, 25, 16, 900.0]
    assert rows[0]["spark_local_events_per_s"] == 5_000 and rows[0]["postgres_s"] is None
    table = engines_table(rows)
    assert "Spark, 2 workers s" in table and "| 5.00 |" in table  # local / DuckDB: 100 / 20
    # `--spark-on cluster`: the cluster's steps alone still make the table.
    alone = engines([r for r in results if "local[2]" not in r.step])
    assert [row["spark_cluster_s"] for row in alone] == [150, 250, 120, 900.0]
    assert all(row["spark_local_s"] is None for row in alone)


@pytest.mark.slow
@pytest.mark.spark_full
def test_bench_spark_measures_the_lake_on_local_and_on_a_cluster(tmp_path):
    output = tmp_path / "out"
    main(
        [
            "--only-spark", "--events", "3000", "--scales", "3000", "--repeats", "1",
            "--work", str(tmp_path / "work"), "--output", str(output),
            # local[2] is the same steps with another master (the cluster's workers are the
            # part with more to go wrong: their memory counted in the peak); `make bench-spark`
            # runs both.
            "--spark-on", "cluster",
        ]
    )  # fmt: skip
    report = json.loads((output / "results-spark.json").read_text())
    assert [step["step"].split(",")[:2] for step in report["steps"]] == [
        ["spark", " two workers: load + models in full"],
        ["spark", " two workers: scheduled run"],
    ]
    for step in report["steps"]:
        assert {"ingest", "models"} <= set(step["phases"]) and step["peak_rss_mb"] > 0, step
    assert report["engines"], "no engines table from the cluster's steps alone"
    assert all(row["spark_cluster_s"] for row in report["engines"])
    assert all(row["spark_local_s"] is None for row in report["engines"])
    assert not (output / "results.json").exists()  # the whole bench's figures are left alone


def test_memory_of_processes_alongside_counts_in_the_peak():
    import subprocess
    import sys

    from tests.bench.measure import run_once

    # A process outside the step's tree (as a cluster's workers are) holding ~300 MB.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; b = bytearray(300 * 2**20); time.sleep(60)"]
    )
    try:
        time.sleep(2)
        alone = run_once([sys.executable, "-c", "import time; time.sleep(0.5)"])
        with_it = run_once([sys.executable, "-c", "import time; time.sleep(0.5)"], [holder.pid])
    finally:
        holder.kill()
        holder.wait()
    assert with_it.peak - alone.peak > 250 * 2**20
    # At the peak, the holder's ~300 MB are named as a python process of its own (`-c`).
    assert max(with_it.at_peak.values()) > 250 * 2**20
    assert sum(with_it.at_peak.values()) == with_it.peak


def test_the_memory_at_the_peak_is_named_by_process():
    import sys

    from tests.bench.measure import run_once

    hold = "import time; b = bytearray(200 * 2**20); time.sleep(1)"
    run = run_once([sys.executable, "-m", "timeit", "-n", "1", hold])
    assert list(run.at_peak) == ["timeit"] and run.at_peak["timeit"] > 200 * 2**20


def test_a_report_is_worked_out_again_from_its_results(tmp_path):
    """`--report-only`: the README's table from results.json as a run left it; a target
    missed says what stands in its way, a memory target what held the memory."""
    from tests.bench.run import main as bench_main

    def step(name, events, seconds, peak=500.0, **phases):
        held = {"pipelines load": peak * 0.4, "dbt": peak * 0.6}
        return Measurement(name, events, seconds, peak, [seconds], phases, held).as_dict()

    history = "5,000,000 history"
    steps = [
        step("floor 5,000,000", 5_000_000, 100),
        step("product 5,000,000", 5_000_000, 120, peak=1500.0),
        step(f"models in full + first publish, {history}", 5_000_000, 60, ingest=1, models=59),
        step(f"scheduled run, nothing new, {history}", 5_000_000, 1.2),
        step(f"scheduled run, one new hour, {history}", 16_000, 20, peak=700.0, models=15),
        step("scheduled run, one new hour, 500,000 history", 16_000, 10, models=9),
    ]
    results = {
        "command": "make bench EVENTS=5000000",
        "measured_at": "2026-12-07 12:00 UTC",
        "machine": {"cpus": 2, "memory_gb": 23.5, "duckdb": "x", "dlt": "y", "dbt-core": "z"},
        "archive": {"events": 5_000_000, "files": 10, "days": 30, "messages_per_file": 0},
        "steps": steps,
    }
    output = tmp_path / "out"
    output.mkdir()
    (output / "results.json").write_text(json.dumps(results))
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n")
    bench_main(["--report-only", "--output", str(output), "--readme", str(readme)])
    text = readme.read_text()
    assert "old" not in text and text.startswith("before") and text.endswith("after\n")
    assert "`make bench EVENTS=5000000` — 2026-12-07 12:00 UTC" in text  # not measured again
    rows = {line.split(" | ")[0][2:]: line for line in text.splitlines() if "| <= " in line}
    assert rows["product / floor time, 5,000,000 events"].endswith("| yes |  |")
    assert (
        "at the peak: dbt 900 MB, pipelines load 600 MB" in rows[f"product peak RSS MB, {history}"]
    )
    hour = rows[f"one new hour s, {history}"]
    assert "| NO | models 15.0 s: dbt's Python per node" in hour
    assert "at the peak: dbt 420 MB" in rows[f"one new hour peak RSS MB, {history}"]
    assert rows[f"scheduled run, nothing new, {history} s"].endswith("| yes |  |")
    # What grew with the history, from the short history's run to the long one's.
    grew = rows[f"one new hour: on {history} / on 500,000 history"]
    assert "| 2.0 | <= 1.3 | NO | models 9.0 → 15.0 s: the publish writes again" in grew
    report = json.loads((output / "results.json").read_text())
    assert [t["met"] for t in report["targets"]].count(False) == 5
