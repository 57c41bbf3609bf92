"""A forget holds for every copy (issue 26): another warehouse built here from the same
archive, and work an interrupted load left unfinished."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from pipelines.settings import REGAL_VOICE_SOURCE_ID
from tests.conftest import PROJECT, load_arguments, run_pipelines
from tests.e2e.test_forget import text_hits


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
    generate_archive(root, days=2, tasks_per_day=12, contacts=6, messages_per_file=200)
    return root


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
            "tests.support.kill_at",
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


def archive_bytes(archive) -> dict:
    return {path: path.read_bytes() for path in sorted(archive.rglob("*")) if path.is_file()}


@pytest.mark.slow
def test_a_forget_holds_for_every_warehouse_built_here_and_can_purge_the_archive(
    archive, tmp_path, monkeypatch
):
    """A dry run lists the archive files and changes nothing; the forget then takes the
    person's lines out of those files only. Another warehouse built here from the original
    archive leaves them out through the installation's list, with no step of the user's; one
    built from the purged archive with no list at all has nothing of them either."""
    live = tmp_path / "live"
    shutil.copytree(archive, live)
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    run_pipelines(*load_arguments(live, warehouse))
    phone = contact_in(warehouse, live, day_folders(live)[0])
    digits, user_id = phone[2:], f"user_{phone[2:]}"
    needles = [digits, user_id]
    before = archive_bytes(live)

    dry = run_pipelines(
        "forget", "--phone", phone, "--purge-archive", "--dry-run", "--warehouse", str(warehouse)
    )
    listed = re.findall(r"would remove (\d+) of (\d+) lines from (\S+)", dry.stderr)
    assert listed, dry.stderr[-2000:]
    assert archive_bytes(live) == before  # nothing touched
    assert text_hits(warehouse, needles)

    run_pipelines("forget", "--phone", phone, "--purge-archive", "--warehouse", str(warehouse))
    assert text_hits(warehouse, needles) == []
    after = archive_bytes(live)
    rewritten = {path for path in before if after.get(path) != before[path]}
    assert {path.name for path in rewritten} == {Path(name).name for _, _, name in listed}
    for path in rewritten:
        old = gzip.decompress(before[path]).splitlines()
        new = gzip.decompress(after[path]).splitlines() if path in after else []
        gone = [line for line in old if line not in new]
        # Every line that went named them (or a task of theirs); every other line is there,
        # byte for byte, in order.
        assert gone and all(
            user_id.encode() in line
            or digits.encode() in re.sub(rb"[^0-9]", b"", line)
            or b"task_id" in line
            or b"call_id" in line
            or b"sms_conversation_id" in line
            for line in gone
        )
        assert [line for line in old if line in set(new)] == new

    # Another folder, another name, the original archive, no list given: the installation's
    # list applies.
    other = tmp_path / "elsewhere" / "other.duckdb"
    loaded = run_pipelines(*load_arguments(archive, other))
    assert "suppressing the" in loaded.stderr
    assert "suppressed (forgotten on request)" in loaded.stdout
    assert text_hits(other, needles) == []
    assert text_hits(other.with_name("other.analytics.duckdb"), needles) == []
    # The purged archive, with no suppression list at all.
    monkeypatch.setenv("SUPPRESSION_LIST", str(tmp_path / "no-list" / "suppression.json"))
    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    run_pipelines(*load_arguments(live, fresh))
    assert text_hits(fresh, needles) == []


@pytest.mark.slow
def test_forget_purges_an_archive_in_a_bucket(archive, tmp_path, monkeypatch):
    """The same on S3 (a moto server): each object naming the person is put again without
    their lines, in one request; the others are left as they were."""
    import boto3

    from tests.conftest import moto_server, upload, use_s3

    with moto_server() as endpoint:
        use_s3(monkeypatch, endpoint)
        upload(endpoint, "archive", archive)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket="archive")["Contents"]]
        before = {key: s3.get_object(Bucket="archive", Key=key)["Body"].read() for key in keys}
        regal = REGAL_VOICE_SOURCE_ID
        url = f"s3://archive/segment-logs/{regal}"
        warehouse = tmp_path / "wh" / "warehouse.duckdb"
        run_pipelines("load", "--regal-voice-url", url, "--warehouse", str(warehouse))
        phone = contact_in(warehouse, archive, day_folders(archive)[0])
        digits = phone[2:].encode()
        run_pipelines("forget", "--phone", phone, "--purge-archive", "--warehouse", str(warehouse))
        after = {}
        for key in keys:
            try:
                after[key] = s3.get_object(Bucket="archive", Key=key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                after[key] = None
    changed = [key for key in keys if after[key] != before[key]]
    assert changed and all(f"segment-logs/{regal}/" in key for key in changed)
    for key in changed:
        old = gzip.decompress(before[key])
        assert digits in re.sub(rb"[^0-9]", b"", old)
        if after[key] is not None:
            assert digits not in re.sub(rb"[^0-9]", b"", gzip.decompress(after[key]))
