"""Small files read together load exactly what the same files load one by one.

Reading several files in one query is only a speed-up: every raw table, column (names, types,
order), value, quarantined line and file record must be what reading each file alone gives.
"""

import json

import pytest

import pipelines.segment_archive.preparation as preparation
from pipelines.sample.archive import generate_archive
from tests.conftest import Warehouse, checksums, message, source_url, write_archive_file

# What says when a run happened rather than what it loaded.
RUN_COLUMNS = frozenset({"uuid_ts", "_dlt_load_id", "_dlt_id", "read_at", "seconds"})


def load_both_ways(tmp_path, monkeypatch, sources: dict[str, str]) -> tuple[dict, dict, Warehouse]:
    """Load ``sources`` (dataset → URL) reading small files together, then into a second
    warehouse reading every file alone; both warehouses' table checksums."""
    together = Warehouse(tmp_path / "together" / "warehouse.duckdb")
    alone = Warehouse(tmp_path / "alone" / "warehouse.duckdb")
    grouped = []
    read_group = preparation.read_group

    def counting(con, paths, group, work_dir):
        grouped.append(len(group.files))
        return read_group(con, paths, group, work_dir)

    with monkeypatch.context() as patch:
        patch.setattr(preparation, "read_group", counting)
        for dataset, url in sources.items():
            together.load(url, dataset)
    assert sum(grouped) >= 2, "no files were read together: the test would prove nothing"
    with monkeypatch.context() as patch:
        patch.setattr(preparation, "SMALL_FILE_BYTES", -1)  # no file is small: each alone
        for dataset, url in sources.items():
            alone.load(url, dataset)
    return (
        checksums(together.path, ignore_columns=RUN_COLUMNS),
        checksums(alone.path, ignore_columns=RUN_COLUMNS),
        together,
    )


def columns_in_order(warehouse: Warehouse) -> list[tuple]:
    return warehouse.rows(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_name NOT LIKE '\\_dlt%' ESCAPE '\\' "
        "ORDER BY table_schema, table_name, ordinal_position"
    )


def test_generated_small_files_with_quirks_load_the_same_together(tmp_path, monkeypatch):
    # Five messages a file, with the generator's quirks: bad lines, repeats within and across
    # files, ids and durations that drift between number and text.
    archive = tmp_path / "archive"
    manifest = generate_archive(archive, days=2, tasks_per_day=40, messages_per_file=5)
    assert manifest["sources"]["regal_voice"]["files"] > 100
    sources = {name: source_url(archive, name) for name in manifest["sources"]}
    together, alone, _ = load_both_ways(tmp_path, monkeypatch, sources)
    assert together == alone
    assert len(together) > 20


def test_files_that_type_keys_differently_load_the_same_together(tmp_path, monkeypatch):
    source = tmp_path / "segment-logs" / "src"
    day = "1791158400000"
    files = [
        [message("a1", talk_time=30, queue={"name": "sales", "size": 3})],
        [message("b1", talk_time="31", queue={"size": "4", "name": "support"})],  # text, reordered
        [message("c1", talk_time=32.5, extra={"deep": {"er": True}})],
        [message("d1", talk_time=None), message("a1", talk_time=30)],  # a1 again: another file
        [message("e1", queue="flat")],  # an object elsewhere, text here
        ['{"messageId": "f1", "type": "track", "event": "x", "properties": {"k": 1, "k": 2}}'],
        [message("g1", talk_time=33), "not json at all"],  # a bad line: quarantined
        [{**message("h1"), "properties": "not an object"}],
        [{**message("i1"), "context": {"ip": "10.0.0.1", "library": {"version": 2}}}],
        [message("j1", event="contact.subscribed", phone="+19175550000")],
        [message("k1", experiment_id=7), message("k2", experiment_id="7b")],  # mixed in a file
    ]
    for number, lines in enumerate(files):
        write_archive_file(source, f"{day}/{number:03d}.gz", lines)
    together, alone, warehouse = load_both_ways(tmp_path, monkeypatch, {"regal_voice": source})
    assert together == alone
    assert columns_in_order(warehouse) == columns_in_order(
        Warehouse(tmp_path / "alone" / "warehouse.duckdb")
    )
    records = warehouse.rows(
        "SELECT file_name, lines_read, messages FROM regal_voice._archive_files ORDER BY 1"
    )
    assert [name for name, *_ in records] == [f"{day}/{n:03d}.gz" for n in range(len(files))]
    assert warehouse.scalar("SELECT count(*) FROM regal_voice._rejected_lines") == 2
    ids = warehouse.rows("SELECT id FROM regal_voice.tracks ORDER BY id")
    assert [i for (i,) in ids] == ["a1", "b1", "c1", "d1", "e1", "g1", "h1", "i1", "j1", "k1", "k2"]


@pytest.mark.parametrize("unit_files", [2, 3])
def test_a_run_split_differently_loads_the_same(tmp_path, monkeypatch, unit_files):
    # How many files share a query (set by the page and the workers) changes nothing.
    source = tmp_path / "segment-logs" / "src"
    for number in range(9):
        value = number if number % 3 else f"text-{number}"
        lines = [message(f"m{number}-{k}", amount=value, note=json.dumps([k])) for k in range(3)]
        write_archive_file(source, f"1791158400000/{number:03d}.gz", lines)
    reference = Warehouse(tmp_path / "reference" / "warehouse.duckdb")
    reference.load(source)
    with monkeypatch.context() as patch:
        patch.setattr(preparation, "BATCH_FILES", unit_files)
        split = Warehouse(tmp_path / "split" / "warehouse.duckdb")
        split.load(source)
    assert checksums(split.path, ignore_columns=RUN_COLUMNS) == checksums(
        reference.path, ignore_columns=RUN_COLUMNS
    )
