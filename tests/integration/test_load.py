"""The loader end to end on generated archives: layout, dedup, incremental runs, drift."""

import json

import pipelines.segment_archive
from pipelines.sample.archive import generate_archive
from tests.conftest import message, source_url, write_archive_file


def assert_lands_as_manifest(warehouse, root, manifest) -> None:
    for dataset, expected in manifest["sources"].items():
        warehouse.load(source_url(root, dataset), dataset)
        for table, count in expected["rows_per_table"].items():
            total, distinct = warehouse.rows(
                f"SELECT count(*), count(DISTINCT id) FROM {dataset}.{table}"
            )[0]
            assert (table, total, distinct) == (table, count, count)
        rejected = dict(
            warehouse.rows(f"SELECT reason, count(*) FROM {dataset}._rejected_lines GROUP BY 1")
        )
        assert rejected == expected["rejected"]
        lines = warehouse.scalar(f"SELECT sum(lines_read) FROM {dataset}._archive_files")
        assert lines == expected["lines"]
        if expected["users"]:
            users = warehouse.scalar(f"SELECT count(*) FROM {dataset}.users")
            assert users == expected["users"]


def test_sample_archive_lands_exactly_as_the_generator_says(sample_archive, warehouse):
    root, manifest = sample_archive
    assert_lands_as_manifest(warehouse, root, manifest)


def test_many_small_files_drifting_across_pages_load_in_one_run(tmp_path, warehouse, monkeypatch):
    """Small files over several pages of dlt's file listing, where a property is a number in
    some files and text in others: one run loads them all, every value kept."""
    monkeypatch.setattr(pipelines.segment_archive, "FILES_PER_PAGE", 40)
    manifest = generate_archive(tmp_path, days=2, tasks_per_day=60, messages_per_file=5)
    assert manifest["sources"]["regal_voice"]["files"] > 150
    assert_lands_as_manifest(warehouse, tmp_path, manifest)


def test_segment_column_conventions(sample_archive, warehouse):
    root, _ = sample_archive
    warehouse.load(source_url(root, "regal_voice"))
    columns = dict(
        warehouse.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'regal_voice' AND table_name = 'contact_subscribed'"
        )
    )
    for name in (
        "id",
        "user_id",
        "anonymous_id",
        "event",
        "event_text",
        "context_library_name",
        "uuid_ts",
        "_timestamp",
        "phone",
        "channel",
    ):
        assert name in columns, name
    for name in ("received_at", "sent_at", "timestamp", "original_timestamp"):
        assert columns[name] == "TIMESTAMP WITH TIME ZONE"
    event, event_text = warehouse.rows(
        "SELECT DISTINCT event, event_text FROM regal_voice.contact_subscribed"
    )[0]
    assert (event, event_text) == ("contact_subscribed", "contact.subscribed")
    content = warehouse.scalar("SELECT content FROM regal_voice.sms_conversation_completed LIMIT 1")
    assert isinstance(json.loads(content), list)  # arrays are JSON text
    edited = {
        value
        for (value,) in warehouse.rows(
            "SELECT DISTINCT changes_custom_properties_annual_income_new_value "
            "FROM regal_voice.contact_attribute_edited"
        )
    }
    # Sent as text ("300,000") by some edits and as numbers by others: one text column.
    assert "300,000" in edited
    assert any(value and value.isdigit() for value in edited)


def test_rerun_adds_nothing_and_reads_no_file(sample_archive, warehouse):
    root, _ = sample_archive
    url = source_url(root, "regal_voice")
    warehouse.load(url)
    before = warehouse.rows("SELECT count(*) FROM regal_voice.tracks")
    again = warehouse.load(url)
    assert again.tally.files_read == 0
    assert warehouse.rows("SELECT count(*) FROM regal_voice.tracks") == before


def test_duplicates_within_across_files_and_runs_load_once(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, "1791158400000/a.gz", [message("m1"), message("m1"), message("m2")])
    write_archive_file(source, "1791158400000/b.gz", [message("m2"), message("m3")])
    warehouse.load(source)
    # Segment re-delivers a day later, in the next day's folder.
    write_archive_file(source, "1791244800000/c.gz", [message("m1"), message("m4")])
    warehouse.load(source)
    for table in ("tracks", "call_completed"):
        ids = [row[0] for row in warehouse.rows(f"SELECT id FROM regal_voice.{table} ORDER BY id")]
        assert ids == ["m1", "m2", "m3", "m4"]


def test_late_file_in_an_old_day_folder_is_picked_up(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, "1791158400000/a.gz", [message("m1")])
    write_archive_file(source, "1791244800000/b.gz", [message("m2")])
    warehouse.load(source)
    write_archive_file(source, "1791158400000/late.gz", [message("m0")])
    run = warehouse.load(source)
    assert run.tally.files_read == 1
    assert warehouse.scalar("SELECT count(*) FROM regal_voice.tracks") == 3


def test_a_folder_name_with_spaces_and_punctuation_loads(tmp_path, warehouse):
    # dlt hands local files over as percent-encoded file:// URLs.
    source = tmp_path / "Segment Archive, prod (EU)%20" / "segment-logs" / "src"
    write_archive_file(source, "1791158400000/a b,c.gz", [message("m1"), message("m2")])
    run = warehouse.load(source)
    assert (run.tally.files_read, run.tally.vanished) == (1, [])
    assert warehouse.scalar("SELECT count(*) FROM regal_voice.tracks") == 2


def test_non_archive_objects_are_skipped(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(source, "1791158400000/a.gz", [message("m1")])
    (source / "dummy-object.txt").write_text("set-up check")
    run = warehouse.load(source)
    assert run.tally.skipped == ["dummy-object.txt"]
    assert warehouse.scalar("SELECT count(*) FROM regal_voice._rejected_lines") == 0


def test_type_drift_never_fails_and_never_loses_a_value(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "src"
    write_archive_file(
        source,
        "1791158400000/a.gz",
        [
            message("m1", campaign_friendly_id="445", talk_time=30),
            message("m2", campaign_friendly_id=446, talk_time=31),  # mixed within one file
        ],
    )
    warehouse.load(source)
    write_archive_file(
        source,
        "1791244800000/b.gz",
        [
            message("m3", campaign_friendly_id=447, talk_time="32"),  # text into a number column
        ],
    )
    write_archive_file(
        source,
        "1791331200000/c.gz",
        [
            message("m4", campaign_friendly_id={"n": 448}, talk_time=[33]),
        ],
    )
    warehouse.load(source)
    columns = {
        row[0]
        for row in warehouse.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'regal_voice' AND table_name = 'call_completed'"
        )
    }
    rows = warehouse.rows(
        "SELECT id, campaign_friendly_id, talk_time, talk_time__v_text, campaign_friendly_id_n "
        "FROM regal_voice.call_completed ORDER BY id"
    )
    assert "talk_time__v_text" in columns
    assert rows == [
        ("m1", "445", 30, None, None),
        ("m2", "446", 31, None, None),
        ("m3", "447", None, "32", None),
        ("m4", None, None, "[33]", 448),  # an object is flattened, as Segment does
    ]


def test_state_lives_beside_the_warehouse(sample_archive, warehouse):
    root, _ = sample_archive
    warehouse.load(source_url(root, "web"), "segment")
    state = warehouse.path.parent / f"{warehouse.path.name}.dlt"
    assert (state / "segment_archive").is_dir()


def test_state_travels_with_the_warehouse_file(sample_archive, warehouse, tmp_path):
    root, _ = sample_archive
    url = source_url(root, "web")
    warehouse.load(url, "segment")
    moved = type(warehouse)(tmp_path / "elsewhere" / "copy.duckdb")
    moved.path.parent.mkdir()
    moved.path.write_bytes(warehouse.path.read_bytes())  # the file alone, no state folder
    run = moved.load(url, "segment")
    assert run.tally.files_read == 0


def identify(message_id: str, user_id: str, at: str, **traits) -> dict:
    return {
        "messageId": message_id,
        "type": "identify",
        "userId": user_id,
        "timestamp": at,
        "receivedAt": at,
        "traits": traits,
    }


def test_users_refresh_only_the_users_of_new_identifies(tmp_path, warehouse):
    source = tmp_path / "segment-logs" / "brand"
    write_archive_file(
        source,
        "1791158400000/a.gz",
        [
            identify("i1", "u1", "2026-10-05T10:00:00Z", email="a@x.example", plan="basic"),
            identify("i2", "u2", "2026-10-05T11:00:00Z", email="b@x.example"),
        ],
    )
    first = warehouse.load(source, "segment")
    assert first.users == 2
    # u1 upgrades and gains a trait never seen before; an older, stale identify of u2 arrives.
    write_archive_file(
        source,
        "1791244800000/b.gz",
        [
            identify("i3", "u1", "2026-10-06T10:00:00Z", plan="pro", phone="+19175550000"),
            identify("i4", "u2", "2026-10-04T09:00:00Z", email="old@x.example"),
        ],
    )
    second = warehouse.load(source, "segment")
    assert second.users == 2
    rows = warehouse.rows("SELECT id, email, plan, phone FROM segment.users ORDER BY id")
    assert rows == [
        ("u1", "a@x.example", "pro", "+19175550000"),
        ("u2", "b@x.example", None, None),
    ]
    write_archive_file(
        source, "1791331200000/c.gz", [identify("i5", "u2", "2026-10-07T09:00:00Z", plan="pro")]
    )
    third = warehouse.load(source, "segment")
    assert third.users == 1
    assert warehouse.rows("SELECT plan FROM segment.users ORDER BY id") == [("pro",), ("pro",)]
    assert warehouse.load(source, "segment").users == 0
