"""A forget holds for every copy (issue 26): another warehouse built here from the same
archive, and work an interrupted load left unfinished."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from tests.conftest import PROJECT, load_arguments, run_pipelines
from tests.test_forget import text_hits


def day_folders(archive) -> list:
    return sorted({path.parent.name for path in archive.rglob("*.gz")})


def copy_days(archive, target, days) -> None:
    for path in archive.rglob("*"):
        if path.is_file() and (path.suffix != ".gz" or path.parent.name in days):
            copy = target / path.relative_to(archive)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)


def contact_in(warehouse, archive, day: str) -> str:
    """A contact with calls in the warehouse whose phone the archive's ``day`` names too."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        phones = [
            row[0]
            for row in con.sql(
                "SELECT DISTINCT contact_phone FROM analytics.fct_calls ORDER BY 1"
            ).fetchall()
        ]
    texts = b"".join(
        gzip.decompress(path.read_bytes())
        for path in archive.rglob("*.gz")
        if path.parent.name == day
    )
    return next(phone for phone in phones if phone[2:].encode() in texts)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("forget-everywhere") / "archive"
    generate_archive(root, days=2, tasks_per_day=30, contacts=12, messages_per_file=200)
    return root


@pytest.mark.slow
def test_a_forget_holds_for_a_new_warehouse_built_from_the_same_archive(archive, tmp_path):
    first = tmp_path / "first" / "warehouse.duckdb"
    run_pipelines(*load_arguments(archive, first))
    phone = contact_in(first, archive, day_folders(archive)[0])
    needles = [phone[2:], f"user_{phone[2:]}"]
    run_pipelines("forget", "--phone", phone, "--warehouse", str(first))
    assert text_hits(first, needles) == []
    # No list given, another folder, another name: the installation's list applies.
    other = tmp_path / "elsewhere" / "other.duckdb"
    loaded = run_pipelines(*load_arguments(archive, other))
    assert "suppressing the" in loaded.stderr
    assert "suppressed (forgotten on request)" in loaded.stdout
    assert text_hits(other, needles) == []
    assert text_hits(other.with_name("other.analytics.duckdb"), needles) == []


@pytest.mark.slow
def test_work_an_interrupted_load_left_does_not_bring_a_forgotten_person_back(archive, tmp_path):
    first_day, second_day = day_folders(archive)
    live = tmp_path / "live"
    copy_days(archive, live, {first_day})
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    run_pipelines(*load_arguments(live, warehouse))
    phone = contact_in(warehouse, archive, second_day)
    needles = [phone[2:], f"user_{phone[2:]}"]
    # The next load dies once it has read the new day: its package is left pending.
    copy_days(archive, live, {second_day})
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.kill_at",
            "normalized, not loaded",
            *load_arguments(live, warehouse),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
    )
    assert killed.returncode < 0, killed.stderr[-2000:]
    pending = list(
        warehouse.with_name("warehouse.duckdb.dlt").rglob("normalize/extracted/*")
    ) + list(warehouse.with_name("warehouse.duckdb.dlt").rglob("load/normalized/*"))
    assert pending, "the killed load left no package"
    forgot = run_pipelines("forget", "--phone", phone, "--warehouse", str(warehouse))
    assert "was discarded" in forgot.stderr
    assert text_hits(warehouse, needles) == []
    again = run_pipelines(*load_arguments(live, warehouse))
    assert "suppressed (forgotten on request)" in again.stdout
    assert text_hits(warehouse, needles) == []
    assert text_hits(warehouse.with_name("warehouse.analytics.duckdb"), needles) == []
    # The new day did load, without them.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        files = con.sql(
            f"SELECT count(*) FROM regal_voice._archive_files WHERE file_name LIKE '{second_day}/%'"
        ).fetchall()[0][0]
    assert files > 0
