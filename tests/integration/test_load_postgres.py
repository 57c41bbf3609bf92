"""The loader into PostgreSQL (issue 15, first step): dlt's postgres destination, the same
Segment layout, dedup on `id`, quarantine, file records and `users` as on DuckDB, checked
against what the sample generator says it wrote. Not yet reachable from the command line."""

from __future__ import annotations

import subprocess

import pytest

from pipelines.ingest.load import load_source
from pipelines.sample.archive import generate_archive
from tests.conftest import message, source_url, write_archive_file
from tests.support.postgres import postgres_engine, postgres_server


def psql(url: str, sql: str) -> list[list[str]]:
    done = subprocess.run(
        ["psql", url, "-AtF", "|", "-c", sql], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [line.split("|") for line in done.stdout.splitlines()]


@pytest.mark.slow
def test_every_sample_source_lands_in_postgres_as_the_generator_says(tmp_path):
    archive = tmp_path / "archive"
    manifest = generate_archive(archive, days=2, tasks_per_day=40, messages_per_file=400)
    with postgres_server() as url:
        engine = postgres_engine(url, tmp_path / "wh")  # dlt's state there
        for dataset, expected in manifest["sources"].items():
            run = load_source(dataset, source_url(archive, dataset), engine)
            assert run.tally.files_read == expected["files"]
            for table, count in expected["rows_per_table"].items():
                rows = psql(url, f"SELECT count(*), count(DISTINCT id) FROM {dataset}.{table}")
                assert rows == [[str(count), str(count)]], f"{dataset}.{table}"
            rejected = psql(url, f"SELECT count(*) FROM {dataset}._rejected_lines")
            assert rejected == [[str(sum(expected["rejected"].values()))]]
            if expected["users"]:
                assert psql(url, f"SELECT count(*) FROM {dataset}.users") == [
                    [str(expected["users"])]
                ]

        # Nothing new: nothing read. A message delivered again with another value, and a new
        # one: the first copy stays, the new one lands.
        regal = source_url(archive, "regal_voice")
        assert load_source("regal_voice", regal, engine).tally.files_read == 0
        first = psql(url, "SELECT id FROM regal_voice.call_completed ORDER BY id LIMIT 1")[0][0]
        write_archive_file(
            tmp_path / "archive" / "segment-logs" / "RgLvC3xAmP",
            "1791158400000/late.gz",
            [message(first, disposition="Changed later"), message("late-1", disposition="New")],
        )
        again = load_source("regal_voice", regal, engine)
        assert again.tally.files_read == 1
        rows = psql(
            url,
            "SELECT id, disposition FROM regal_voice.call_completed "
            f"WHERE id IN ('{first}', 'late-1') ORDER BY id = 'late-1'",
        )
        assert rows[1] == ["late-1", "New"]
        assert rows[0][0] == first and rows[0][1] != "Changed later"
