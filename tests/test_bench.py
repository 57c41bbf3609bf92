"""``make bench`` runs end to end at a toy scale and reports every step and target.

Figures are not checked here (performance is measured by the benchmark, never in tests);
this guards the benchmark itself against rot.
"""

import json

import pytest

from pipelines.bench.run import main


@pytest.mark.slow
def test_bench_runs_every_step_and_reports(tmp_path):
    output = tmp_path / "out"
    main(
        [
            "--events", "3000", "--scales", "", "--repeats", "1", "--per-file", "1000",
            "--peer-events", "500", "--many-files-events", "400",
            "--work", str(tmp_path / "work"), "--output", str(output), "--no-readme",
        ]
    )  # fmt: skip
    report = json.loads((output / "results.json").read_text())
    steps = [step["step"] for step in report["steps"]]
    assert [s.split()[0] for s in steps[:2]] == ["floor", "product"]
    for expected in ("dbt build (full)", "incremental day", "dbt build (after day)"):
        assert expected in steps
    assert any(s.startswith("peer") for s in steps)
    assert sum(s.startswith("no-op") for s in steps) == 2
    assert all(step["seconds"] > 0 and step["peak_rss_mb"] > 0 for step in report["steps"])
    assert len(report["targets"]) == 7
    assert (output / "scaling.png").stat().st_size > 0
