"""``make bench`` runs end to end at a toy scale and reports every step and target.

Figures are not checked here (performance is measured by the benchmark, never in tests);
this guards the benchmark itself against rot.
"""

import json

import pytest

from tests.bench.run import main


@pytest.mark.slow
def test_bench_runs_every_step_and_reports(tmp_path):
    output = tmp_path / "out"
    main(
        [
            "--events", "4000", "--scales", "2000", "--repeats", "1",
            "--peer-events", "500", "--many-files-events", "400",
            "--work", str(tmp_path / "work"), "--output", str(output), "--no-readme",
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
    ]
    assert all(row["duckdb_s"] > 0 and row["postgres_s"] > 0 for row in report["engines"])
    assert any(s.endswith("small files") for s in steps)
    assert any(s.endswith("large files") for s in steps)
    assert all(step["seconds"] > 0 and step["peak_rss_mb"] > 0 for step in report["steps"])
    names = [target["target"] for target in report["targets"]]
    assert any(name.startswith("one new hour") for name in names)
    assert any(name.startswith("same messages") for name in names)
    assert (output / "scaling.png").stat().st_size > 0
