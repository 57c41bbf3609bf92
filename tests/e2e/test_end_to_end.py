"""``make ingest``/``make load`` as cron runs them: variables, summary, exit codes."""

import duckdb
import pytest

from tests.conftest import make, source_url


@pytest.mark.slow
def test_make_load_from_generated_archive(sample_archive, tmp_path):
    root, manifest = sample_archive
    warehouse = tmp_path / "cron" / "warehouse.duckdb"
    variables = {
        "REGAL_VOICE_URL": source_url(root, "regal_voice"),
        "SEGMENT_URL": "file://" + source_url(root, "web"),
        "SOURCES": f"ios={source_url(root, 'ios')} server=file://{source_url(root, 'server')}",
        "WAREHOUSE": warehouse,
    }
    first = make("load", **variables)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Load summary" in first.stdout
    regal = manifest["sources"]["regal_voice"]
    assert f"regal_voice: {regal['files']} new files read" in first.stdout
    assert "lines quarantined" in first.stdout
    # Cron mail: no colour codes (dbt's included), and no line for a file that loaded cleanly.
    output = first.stdout + first.stderr
    assert "\x1b[" not in output
    file_lines = [line for line in output.splitlines() if " file " in line and " — " in line]
    clean = [line for line in file_lines if "0 repeats skipped), 0 quarantined" in line]
    assert clean == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schemas = {"regal_voice": "regal_voice", "web": "segment", "ios": "ios", "server": "server"}
        for name, dataset in schemas.items():
            for table, count in manifest["sources"][name]["rows_per_table"].items():
                assert con.sql(f"SELECT count(*) FROM {dataset}.{table}").fetchall()[0][0] == count
    second = make("ingest", **variables)
    assert second.returncode == 0
    assert "regal_voice: 0 new files read" in second.stdout


@pytest.mark.slow
def test_failure_exits_non_zero_with_one_line_cause(tmp_path):
    result = make(
        "ingest",
        REGAL_VOICE_URL=tmp_path / "missing",
        SEGMENT_URL=tmp_path / "missing",
        WAREHOUSE=tmp_path / "w.duckdb",
    )
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr[-2000:]
