"""Which warehouses count as built from an older bundled sample
(``pipelines.engines.duckdb.older_sample``)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.engines.duckdb.older_sample import built_from_an_older_sample, set_aside


def warehouse_that_read(path: Path, urls_by_schema: dict[str, list[str]]) -> Path:
    with duckdb.connect(str(path)) as con:
        for schema, urls in urls_by_schema.items():
            con.execute(f"CREATE SCHEMA {schema}")
            con.execute(f"CREATE TABLE {schema}._archive_files (file_url VARCHAR)")
            for url in urls:
                con.execute(f"INSERT INTO {schema}._archive_files VALUES (?)", [url])
    return path


def test_only_a_warehouse_of_sample_files_some_gone_counts(tmp_path):
    sample = tmp_path / "data" / "sample"
    (sample / "day").mkdir(parents=True)
    kept, gone = sample / "day" / "a.gz", sample / "day" / "b.gz"
    kept.write_bytes(b"")
    elsewhere = tmp_path / "archive" / "c.gz"

    every_file_there = warehouse_that_read(tmp_path / "1.duckdb", {"web": [kept.as_uri()]})
    assert not built_from_an_older_sample(every_file_there, sample)

    older = warehouse_that_read(
        tmp_path / "2.duckdb", {"web": [kept.as_uri()], "regal_voice": [gone.as_uri()]}
    )
    assert built_from_an_older_sample(older, sample)

    also_real_data = warehouse_that_read(
        tmp_path / "3.duckdb", {"web": [gone.as_uri()], "ios": [elsewhere.as_uri()]}
    )
    assert not built_from_an_older_sample(also_real_data, sample)

    from_a_bucket = warehouse_that_read(
        tmp_path / "4.duckdb", {"web": [gone.as_uri()], "ios": ["s3://bucket/segment-logs/x.gz"]}
    )
    assert not built_from_an_older_sample(from_a_bucket, sample)

    sibling = tmp_path / "data" / "sample-2" / "b.gz"  # a name that starts like the sample's
    outside = warehouse_that_read(tmp_path / "5.duckdb", {"web": [sibling.as_uri()]})
    assert not built_from_an_older_sample(outside, sample)

    nothing_read = warehouse_that_read(tmp_path / "6.duckdb", {})
    assert not built_from_an_older_sample(nothing_read, sample)
    assert not built_from_an_older_sample(tmp_path / "absent.duckdb", sample)


def test_set_aside_moves_the_warehouse_and_what_belongs_to_it(tmp_path):
    warehouse = warehouse_that_read(tmp_path / "warehouse.duckdb", {})
    folders = ["warehouse.duckdb.dlt", "warehouse.analytics"]
    files = ["warehouse.analytics.duckdb", "warehouse.report.html"]
    for name in folders:
        (tmp_path / name).mkdir()
    for name in [*files, "warehouse.duckdb.lock", "notes.txt"]:
        (tmp_path / name).write_bytes(b"")

    aside = set_aside(warehouse)

    moved = sorted(path.name for path in aside.iterdir())
    assert moved == sorted(["warehouse.duckdb", *folders, *files])
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted([aside.name, "warehouse.duckdb.lock", "notes.txt"])
