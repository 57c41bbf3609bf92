"""Settings that cannot work are refused before anything is written, with exit 78 and a line
that says what to do: a warehouse path DuckDB or dlt cannot take, sources that overlap or are
not one source's folder, a typo in a new warehouse's source folder."""

from __future__ import annotations

import pytest

from pipelines.cli import main
from pipelines.errors import EXIT_CONFIG
from tests.conftest import message, write_archive_file

DAY = "1759622400000"


@pytest.fixture
def archive(tmp_path):
    """segment-logs with a Regal Voice source and a web source, a file each."""
    logs = tmp_path / "archive" / "segment-logs"
    write_archive_file(logs / "rv", f"{DAY}/a.gz", [message("m1")])
    write_archive_file(logs / "web", f"{DAY}/a.gz", [message("w1", "Page Viewed")])
    return logs


def refused(capsys, *arguments: str) -> str:
    assert main(["ingest", *arguments]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert error.count("error:") == 1
    return error


def nothing_beside(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "name", ["analytics.duckdb", "regal_voice.duckdb", "web.duckdb", "main.duckdb"]
)
def test_a_warehouse_named_after_one_of_its_schemas(tmp_path, archive, capsys, name):
    target = tmp_path / "out" / name
    error = refused(
        capsys,
        "--regal-voice-url",
        str(archive / "rv"),
        "--source",
        f"web={archive / 'web'}",
        "--warehouse",
        str(target),
    )
    assert "clashes with the warehouse's schema" in error
    assert nothing_beside(tmp_path / "out") == []


def test_a_folder_or_a_path_with_an_apostrophe_as_warehouse(tmp_path, archive, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    error = refused(capsys, "--regal-voice-url", str(archive / "rv"), "--warehouse", str(folder))
    assert "is a folder" in error and "warehouse.duckdb" in error
    assert nothing_beside(folder) == []
    quoted = tmp_path / "it's here" / "warehouse.duckdb"
    error = refused(capsys, "--regal-voice-url", str(archive / "rv"), "--warehouse", str(quoted))
    assert "apostrophe" in error
    assert nothing_beside(quoted.parent) == []


def test_a_source_inside_another_ones_folder(tmp_path, archive, capsys):
    error = refused(
        capsys,
        "--regal-voice-url",
        str(archive / "rv"),
        "--source",
        f"web={archive}",
        "--warehouse",
        str(tmp_path / "warehouse.duckdb"),
    )
    assert "lies inside source 'web'" in error
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_folder_that_is_not_one_sources(tmp_path, archive, capsys):
    """segment-logs itself (every source's folders), or one day's folder."""
    warehouse = tmp_path / "warehouse.duckdb"
    error = refused(capsys, "--regal-voice-url", str(archive), "--warehouse", str(warehouse))
    assert "rv/1759622400000/a.gz is not in a <received-day-ms>/ folder" in error
    day = archive / "rv" / DAY
    error = refused(capsys, "--regal-voice-url", str(day), "--warehouse", str(warehouse))
    assert "a.gz is not in a <received-day-ms>/ folder" in error
    # The right folder loads into the same warehouse afterwards.
    assert (
        main(["ingest", "--regal-voice-url", str(archive / "rv"), "--warehouse", str(warehouse)])
        == 0
    )


def test_a_typo_in_a_new_warehouses_source_leaves_nothing_behind(tmp_path, archive, capsys):
    out = tmp_path / "out"
    error = refused(
        capsys,
        "--regal-voice-url",
        str(archive / "rv"),
        "--source",
        f"web={archive / 'wbe'}",
        "--warehouse",
        str(out / "warehouse.duckdb"),
    )
    assert "source 'web': no folder at" in error and "typo" in error
    assert nothing_beside(out) == []


def test_sources_separated_by_a_comma(tmp_path, archive, capsys, monkeypatch):
    monkeypatch.setenv("SOURCES", f"web={archive / 'web'},ios={archive / 'rv'}")
    error = refused(capsys, "--warehouse", str(tmp_path / "warehouse.duckdb"))
    assert "separate sources with spaces" in error
