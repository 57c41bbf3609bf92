"""Any number of brand sources: how they are named and given, what is refused before anything
is written, and a three-source workspace loaded over several runs as a brand would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.cli import main
from pipelines.errors import EXIT_CONFIG, SourceConfigError
from pipelines.ingest.sources import (
    BRAND,
    NAME,
    REGAL_VOICE,
    RESERVED_SCHEMAS,
    Source,
    SourceSettings,
    check_name,
    parse_assignments,
    resolve_sources,
    settings_from_config,
)
from pipelines.settings import SAMPLE_BRAND_SOURCES
from tests.conftest import message, run_pipelines, source_url, write_archive_file


def layer(regal=None, segment=None, brands=()) -> SourceSettings:
    return SourceSettings(regal, segment, list(brands))


NOTHING = layer()


# --- naming and resolving ---------------------------------------------------------------------


def test_no_source_anywhere_loads_the_bundled_sample_and_only_then():
    sources, is_sample = resolve_sources([NOTHING, NOTHING, NOTHING])
    assert is_sample
    assert [s.name for s in sources] == ["regal_voice", *SAMPLE_BRAND_SOURCES]
    assert all(s.is_sample for s in sources)

    sources, is_sample = resolve_sources([NOTHING, layer(regal="s3://b/rv"), NOTHING])
    assert not is_sample
    assert sources == [Source("regal_voice", "s3://b/rv", REGAL_VOICE)]


def test_brand_sources_are_named_as_given_and_segment_url_is_the_source_named_segment():
    sources, _ = resolve_sources(
        [layer(regal="s3://b/rv", segment="s3://b/seg", brands=[("web", "s3://b/w")])]
    )
    assert [(s.name, s.url, s.kind) for s in sources] == [
        ("regal_voice", "s3://b/rv", REGAL_VOICE),
        ("segment", "s3://b/seg", BRAND),
        ("web", "s3://b/w", BRAND),
    ]


def test_options_come_before_the_environment_and_dlt_config_is_read_only_when_needed():
    def layers(config_read: list):
        yield layer(brands=[("web", "/a/web")])
        yield layer(regal="/a/rv", brands=[("ios", "/a/ios")])
        config_read.append(True)
        yield layer(regal="/c/rv")

    read = []
    sources, _ = resolve_sources(layers(read))
    assert [(s.name, s.url) for s in sources] == [("regal_voice", "/a/rv"), ("web", "/a/web")]
    assert read == []  # the options and the environment said everything

    sources, _ = resolve_sources([layer(brands=[("web", "/a/web")]), NOTHING, layer("/c/rv")])
    assert [s.name for s in sources] == ["regal_voice", "web"]


@pytest.mark.parametrize(
    ("brands", "words"),
    [
        ([("Web", "/x")], "not a plain schema name"),
        ([("web-app", "/x")], "not a plain schema name"),
        ([("1web", "/x")], "not a plain schema name"),
        ([("analytics", "/x")], "reserved"),
        ([("ops", "/x")], "reserved"),
        ([("regal_voice", "/x")], "reserved"),
        ([("web_staging", "/x")], "_staging"),
        ([("web", "/x"), ("web", "/y")], "two sources are named 'web'"),
        ([("web", "/x"), ("ios", "/x/")], "both read"),
        ([("web", "/x"), ("ios", "file:///x")], "both read"),
        ([("web", "/rv")], "both read"),
    ],
)
def test_sources_that_cannot_be_loaded_as_given_are_refused(brands, words):
    with pytest.raises(SourceConfigError, match=words):
        resolve_sources([layer(regal="/rv", brands=brands)])


def test_segment_url_and_a_source_named_segment_are_one_name_twice():
    with pytest.raises(SourceConfigError, match="two sources are named 'segment'"):
        resolve_sources([layer(segment="/s1", brands=[("segment", "/s2")])])


@given(st.text(max_size=70))
def test_a_source_name_is_accepted_exactly_when_it_is_a_plain_unreserved_schema_name(name):
    plain = bool(NAME.match(name))
    free = name not in RESERVED_SCHEMAS and not name.startswith(("pg_", "_dlt"))
    acceptable = plain and free and not name.endswith("_staging")
    try:
        check_name(name)
    except SourceConfigError:
        assert not acceptable
    else:
        assert acceptable


@pytest.mark.parametrize("item", ["web", "=s3://b/x", "web=", "web s3://b"])
def test_an_assignment_that_is_not_name_equals_url_is_refused_naming_where(item):
    with pytest.raises(SourceConfigError, match=r"SOURCES: .* is not NAME=URL"):
        parse_assignments([item], "SOURCES")


def test_unreadable_dlt_config_is_an_error_not_a_reason_to_load_the_sample():
    def broken(key, kind):
        raise ValueError("cannot be coerced")

    with pytest.raises(SourceConfigError, match=r"sources\.regal_voice\.bucket_url"):
        settings_from_config(broken)


@pytest.mark.slow
def test_dlt_config_names_brand_sources_in_a_table(tmp_path):
    """``[sources.brands]`` in the project's .dlt/config.toml, as a user sets it once."""
    rv = one_file_source(tmp_path / "archive" / "rv", message("m1"))
    web = one_file_source(tmp_path / "archive" / "web", message("w1", "Page Viewed"))
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "config.toml").write_text(
        f'[sources.regal_voice]\nbucket_url = "{rv}"\n[sources.brands]\nweb = "file://{web}"\n'
    )
    warehouse = tmp_path / "warehouse.duckdb"
    run_pipelines("ingest", "--warehouse", str(warehouse), cwd=project)
    assert query(warehouse, "SELECT name, url FROM ops.sources ORDER BY name") == [
        ("regal_voice", str(rv)),
        ("web", f"file://{web}"),
    ]
    assert query(warehouse, "SELECT count(*) FROM web.tracks") == [(1,)]


# --- the command line -------------------------------------------------------------------------


def one_file_source(folder: Path, *messages: dict, name: str = "1759622400000/a.gz") -> Path:
    write_archive_file(folder, name, list(messages))
    return folder


def test_a_refused_source_writes_nothing_and_exits_with_the_config_code(tmp_path, capsys):
    source = one_file_source(tmp_path / "web", message("m1", "Page Viewed"))
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    code = main(["ingest", "--source", f"analytics={source}", "--warehouse", str(warehouse)])
    assert code == EXIT_CONFIG
    assert "reserved" in capsys.readouterr().err
    assert not warehouse.parent.exists()


def test_sample_and_real_sources_never_share_a_warehouse(tmp_path, monkeypatch, capsys):
    for variable in ("REGAL_VOICE_URL", "SEGMENT_URL", "SOURCES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no .dlt/config.toml naming sources
    real = one_file_source(tmp_path / "rv", message("m1"))
    warehouse = tmp_path / "real.duckdb"
    assert main(["ingest", "--regal-voice-url", str(real), "--warehouse", str(warehouse)]) == 0
    capsys.readouterr()
    # No source given: the sample would land beside real data.
    assert main(["ingest", "--warehouse", str(warehouse)]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "this warehouse loads real sources: regal_voice" in error
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM regal_voice.tracks").fetchall()[0][0] == 1
        assert (
            con.sql("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'web'").fetchall()[
                0
            ][0]
            == 0
        )


def test_a_source_that_fails_does_not_keep_the_others_from_loading(tmp_path, capsys):
    web = one_file_source(tmp_path / "web", message("w1", "Page Viewed"))
    (tmp_path / "nothing-here").mkdir()  # a folder that lists nothing (a missing one is refused)
    warehouse = tmp_path / "warehouse.duckdb"
    code = main(
        [
            "ingest",
            "--source",
            f"ios={tmp_path / 'nothing-here'}",
            "--source",
            f"web={web}",
            "--warehouse",
            str(warehouse),
        ]
    )
    assert code == 66  # the empty source's code, after the other source loaded
    assert "ios: no files found" in capsys.readouterr().err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM web.tracks").fetchall()[0][0] == 1
        rows = con.sql("SELECT source, files_read FROM ops.source_loads").fetchall()
        assert rows == [("web", 1)]
        assert con.sql("SELECT name FROM ops.sources").fetchall() == [("web",)]


# --- a three-source workspace over several runs -----------------------------------------------


def brand_option(root: Path, *names: str) -> list[str]:
    return [f"--source={name}={source_url(root, name)}" for name in names]


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()


def identify(message_id: str, user_id: str, phone: str | None, opt_in: list | None = None):
    traits = {"phone": phone} if phone else {}
    if opt_in is not None:
        traits["optIn"] = opt_in
    return {
        "messageId": message_id,
        "type": "identify",
        "userId": user_id,
        "timestamp": "2026-10-06T12:00:00Z",
        "receivedAt": "2026-10-06T12:00:01Z",
        "traits": traits,
    }


@pytest.mark.slow
def test_three_brand_sources_are_one_identity_and_one_consent_history(sample_archive, tmp_path):
    """Web and iOS first, the backend (no identifies at all) added later, iOS left out of a
    run: each source keeps its schema, files, quarantine and run rows, and the models read
    every one of them."""
    generated, manifest = sample_archive
    root = tmp_path / "archive"
    shutil.copytree(generated, root)
    warehouse = tmp_path / "warehouse.duckdb"
    regal = ["--regal-voice-url", source_url(root, "regal_voice"), "--warehouse", str(warehouse)]

    run_pipelines("load", *regal, *brand_option(root, "web", "ios"))
    assert query(warehouse, "SELECT name, kind FROM ops.sources ORDER BY name") == [
        ("ios", "brand"),
        ("regal_voice", "regal_voice"),
        ("web", "brand"),
    ]
    for name in ("web", "ios"):
        expected = manifest["sources"][name]
        assert query(warehouse, f"SELECT count(*) FROM {name}.users")[0][0] == expected["users"]
        rejected = query(warehouse, f"SELECT count(*) FROM {name}._rejected_lines")[0][0]
        assert rejected == sum(expected["rejected"].values())
    by_source = dict(
        query(warehouse, "SELECT source, count(*) FROM staging.stg_segment__identifies GROUP BY 1")
    )
    assert by_source == {
        "web": manifest["sources"]["web"]["rows_per_table"]["identifies"],
        "ios": manifest["sources"]["ios"]["rows_per_table"]["identifies"],
    }

    # The backend added later: only its files are read; it has no identifies and still builds.
    added = run_pipelines("load", *regal, *brand_option(root, "web", "ios", "server"))
    reads = dict(
        query(
            warehouse,
            "SELECT source, files_read FROM ops.source_loads WHERE run_id = "
            "(SELECT run_id FROM ops.load_runs ORDER BY started_at DESC LIMIT 1)",
        )
    )
    assert reads == {
        "regal_voice": 0,
        "web": 0,
        "ios": 0,
        "server": manifest["sources"]["server"]["files"],
    }
    assert "server" in added.stdout
    server_tables = query(
        warehouse, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'server'"
    )
    assert ("identifies",) not in server_tables and ("tracks",) in server_tables

    # The website identifies a new user with a phone; the iOS app sends that user's opt-in
    # without a phone. The opt-in belongs to the phone the website gave.
    late = "1791244800000/late.gz"  # 2026-10-06
    one_file_source(
        root / "segment-logs" / SAMPLE_BRAND_SOURCES["web"],
        identify("x-web-1", "u-cross", "+1 (646) 555-0199"),
        name=late,
    )
    opt_in = [{"channel": "sms", "subscribed": True, "timestamp": "2026-10-06T11:59:00Z"}]
    one_file_source(
        root / "segment-logs" / SAMPLE_BRAND_SOURCES["ios"],
        identify("x-ios-1", "u-cross", None, opt_in),
        name=late,
    )
    ios_files = query(warehouse, "SELECT count(*) FROM ios._archive_files")[0][0]
    ios_checksum = query(warehouse, "SELECT count(*), sum(hash(id)) FROM ios.identifies")
    # iOS left out of this run: its schema is left alone, its new file unread.
    run_pipelines("load", *regal, *brand_option(root, "web", "server"))
    assert query(warehouse, "SELECT count(*) FROM ios._archive_files")[0][0] == ios_files
    assert query(warehouse, "SELECT count(*), sum(hash(id)) FROM ios.identifies") == ios_checksum
    assert (
        query(
            warehouse, "SELECT count(*) FROM analytics.dim_contacts WHERE phone = '+16465550199'"
        )[0][0]
        == 1
    )
    assert query(
        warehouse, "SELECT count(*) FROM analytics.fct_consent_history WHERE phone = '+16465550199'"
    ) == [(0,)]

    # iOS again: its opt-in lands on the phone the website gave the same user.
    run_pipelines("load", *regal, *brand_option(root, "web", "ios", "server"))
    history = query(
        warehouse,
        "SELECT channel, is_subscribed FROM analytics.fct_consent_history "
        "WHERE phone = '+16465550199'",
    )
    assert history == [("sms", True)]
    # Every contact any identify of any source named is in dim_contacts.
    missing = query(
        warehouse,
        "SELECT count(DISTINCT phone) FROM staging.stg_segment__identifies "
        "WHERE phone IS NOT NULL AND phone NOT IN (SELECT phone FROM analytics.dim_contacts)",
    )
    assert missing == [(0,)]
    runs = query(warehouse, "SELECT rows_per_table FROM ops.source_loads WHERE source = 'ios'")
    assert any(json.loads(rows).get("identifies") for (rows,) in runs)
