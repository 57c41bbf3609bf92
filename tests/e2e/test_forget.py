"""`make forget` (issue 17): a person removed everywhere and never loaded again.

The oracle is independent of the product's SQL: the person's lines are taken out of the
archive files in Python (by their user id, phone, email and their Regal tasks), and a
warehouse loaded from that filtered archive is what forgetting must give, model for model.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.errors import EXIT_CONFIG
from pipelines.privacy.identifiers import phone_e164
from pipelines.sample.archive import generate_archive
from tests.conftest import PROJECT, load_arguments, make, run_pipelines
from tests.support.mart_rows import duckdb_marts, marts

TASK_KEYS = ("task_id", "call_id", "sms_conversation_id")
PHONE_KEYS = ("contact_phone", "phone", "to_number", "from_number")


def lines_of(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode().splitlines()


def belongs(message: dict, user_id: str, phone: str, email: str, tasks: set[str]) -> bool:
    payload = {**(message.get("traits") or {}), **(message.get("properties") or {})}
    if message.get("userId") == user_id:
        return True
    if any(phone_e164(str(payload.get(key) or "")) == phone for key in PHONE_KEYS):
        return True
    if str(payload.get("email") or "").lower() == email:
        return True
    return any(str(payload.get(key)) in tasks for key in TASK_KEYS if payload.get(key))


def without_person(archive: Path, target: Path, user_id: str, phone: str, email: str) -> int:
    """Copy the archive leaving out every line of the person; how many lines were left out."""
    files = sorted(archive.rglob("*.gz"))
    tasks: set[str] = set()
    parsed = {}
    for path in files:
        parsed[path] = []
        for line in lines_of(path):
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            parsed[path].append((line, message if isinstance(message, dict) else None))
            if isinstance(message, dict) and belongs(message, user_id, phone, email, set()):
                props = message.get("properties") or {}
                tasks.update(str(props[key]) for key in TASK_KEYS if props.get(key))
    left_out = 0
    digits = phone[2:]
    for path in files:
        kept = []
        for line, message in parsed[path]:
            if message is not None:
                mine = belongs(message, user_id, phone, email, tasks)
            else:  # a bad line: theirs when it names them
                mine = user_id in line or digits in re.sub(r"[^0-9]", "", line)
            if mine:
                left_out += 1
            else:
                kept.append(line)
        copy = target / path.relative_to(archive)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(gzip.compress(("\n".join(kept) + "\n").encode(), mtime=0))
    for other in archive.rglob("*"):
        if other.is_file() and other.suffix != ".gz":
            copy = target / other.relative_to(archive)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(other, copy)
    return left_out


def text_hits(warehouse: Path, needles: list[str]) -> list[tuple]:
    """Every text column of every table in every schema holding one of ``needles`` (phone
    digits also with their separators taken out)."""
    hits = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'JSON') AND table_catalog = current_database()"
        ).fetchall()
        for schema, table, column in columns:
            text = f'CAST("{column}" AS VARCHAR)'
            for needle in needles:
                found = con.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE lower({text}) LIKE ? '
                    f"OR regexp_replace({text}, '[^0-9]', '', 'g') LIKE ?",
                    [f"%{needle.lower()}%", f"%{needle}%"],
                ).fetchall()[0][0]
                if found:
                    hits.append((schema, table, column, needle, found))
    return hits


def files_naming(folder: Path, needles: list[str]) -> list[Path]:
    """The analysts' copy's Parquet files, superseded ones included, that hold a needle."""
    found = []
    with duckdb.connect() as con:
        for path in sorted(folder.rglob("*.parquet")):
            text = "CAST(t AS VARCHAR)"
            for needle in needles:
                hits = con.execute(
                    f"SELECT count(*) FROM read_parquet(?) AS t WHERE lower({text}) LIKE ?",
                    [str(path), f"%{needle.lower()}%"],
                ).fetchall()[0][0]
                if hits:
                    found.append(path)
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An archive of several brand sources, a warehouse loaded from it, and a contact who has
    calls, SMS, consent from identifies and from Regal, a callback, an experiment and a
    conversion."""
    base = tmp_path_factory.mktemp("forget")
    archive = base / "archive"
    generate_archive(archive, days=2, tasks_per_day=60, contacts=20, messages_per_file=300)
    warehouse = base / "before" / "warehouse.duckdb"
    run_pipelines(*load_arguments(archive, warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        phone = con.sql(
            """
            SELECT contact_phone FROM analytics.fct_calls
            INTERSECT SELECT contact_phone FROM analytics.fct_sms_conversations
            INTERSECT SELECT phone FROM analytics.fct_consent_events WHERE changed_by = 'identify'
            INTERSECT SELECT phone FROM analytics.fct_consent_events
                WHERE changed_by = 'regal_voice'
            INTERSECT SELECT contact_phone FROM analytics.fct_scheduled_callbacks
            INTERSECT SELECT contact_phone FROM analytics.fct_experiment_assignments
            INTERSECT SELECT contact_phone FROM analytics.fct_conversions
            ORDER BY 1 LIMIT 1
            """
        ).fetchall()[0][0]
    digits = phone[2:]
    return {
        "base": base,
        "archive": archive,
        "warehouse": warehouse,
        "phone": phone,
        "user_id": f"user_{digits}",
        "email": f"user_{digits}@mail.example",
        "before": marts(duckdb_marts(warehouse)),
    }


@pytest.mark.slow
def test_forget_removes_a_person_everywhere_and_for_good(world, tmp_path):
    phone, user_id, email = world["phone"], world["user_id"], world["email"]
    digits = phone[2:]
    warehouse = world["warehouse"]
    needles = [digits, user_id, email]
    assert text_hits(warehouse, needles), "the person is not in the warehouse to begin with"
    assert files_naming(warehouse.with_name("warehouse.analytics"), [user_id])
    assert user_id.encode() in warehouse.read_bytes()

    # Any format of the phone is accepted.
    national = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    forgot = make("forget", PHONE=national, WAREHOUSE=warehouse)  # as the README says
    assert forgot.returncode == 0, forgot.stderr[-3000:]
    assert "forget: the request names" in forgot.stderr
    assert "models: incremental build" in forgot.stderr  # only what they touched
    for identifier in needles:  # logs carry counts only
        assert identifier not in forgot.stderr and identifier not in forgot.stdout

    assert text_hits(warehouse, needles) == []
    assert text_hits(warehouse.with_name("warehouse.analytics.duckdb"), needles) == []
    assert files_naming(warehouse.with_name("warehouse.analytics"), needles) == []
    # Nor do the files' bytes: deleted rows do not linger in the warehouse's blocks.
    for path in (warehouse, warehouse.with_name("warehouse.analytics.duckdb")):
        assert user_id.encode() not in path.read_bytes(), path
    suppression = warehouse.with_name("warehouse.duckdb.suppression.json").read_text()
    assert digits not in suppression and user_id not in suppression and email not in suppression
    with duckdb.connect(str(warehouse), read_only=True) as con:
        request = con.sql(
            "SELECT requested_by, identifiers, rows_removed FROM ops.forget_requests"
        ).fetchall()
    assert len(request) == 1 and request[0][0]
    assert digits not in request[0][1] and sum(json.loads(request[0][2]).values()) > 0

    # Forgetting equals never having loaded them: a warehouse from the archive without the
    # person's lines, model for model (the daily KPIs included), raw table for raw table.
    filtered = tmp_path / "filtered"
    assert without_person(world["archive"], filtered, user_id, phone, email) > 0
    never = tmp_path / "never" / "warehouse.duckdb"
    run_pipelines(*load_arguments(filtered, never))
    after = marts(duckdb_marts(warehouse))
    assert after == marts(duckdb_marts(never))
    changed = [table for table in after if after[table] != world["before"][table]]
    assert "agg_agent_daily" in changed and "fct_calls" in changed
    # Every other contact's rows are as they were.
    columns = {table: names for table, (names, _) in duckdb_marts(warehouse).items()}
    for table, names in columns.items():
        contact = next((n for n in ("contact_phone", "phone") if n in names), None)
        if contact is None:
            continue
        kept = [n for n in names if n != "refreshed_at"]
        position = kept.index(contact)
        others_before = {row for row in world["before"][table] if row[position] != phone}
        others_after = {row for row in after[table] if row[position] != phone}
        assert others_after == others_before, f"{table}: another contact's rows changed"

    # A file delivered again (under a new name) brings nothing back; the run counts it.
    person_file = next(
        path
        for path in sorted(world["archive"].rglob("*.gz"))
        if "RgLvC3xAmP" in str(path) and user_id in "\n".join(lines_of(path))
    )
    redelivered = person_file.with_name("9" + person_file.name)
    live = tmp_path / "live"
    shutil.copytree(world["archive"], live)
    shutil.copy2(person_file, live / redelivered.relative_to(world["archive"]))
    again = run_pipelines(*load_arguments(live, warehouse))
    assert "suppressed (forgotten on request)" in again.stdout
    assert text_hits(warehouse, needles) == []
    assert marts(duckdb_marts(warehouse)) == after
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = json.loads(
            con.sql("SELECT suppressed_in_runs FROM ops.forget_requests").fetchall()[0][0]
        )
        suppressed = con.sql(
            "SELECT messages_suppressed FROM ops.load_runs ORDER BY started_at DESC LIMIT 1"
        ).fetchall()[0][0]
    assert list(runs.values()) == [suppressed] and suppressed > 0

    # A rebuild of the whole archive into an empty warehouse, given the list.
    rebuilt = tmp_path / "rebuilt" / "warehouse.duckdb"
    listed = warehouse.with_name("warehouse.duckdb.suppression.json")
    run_pipelines(*load_arguments(world["archive"], rebuilt, "--suppression-list", str(listed)))
    assert text_hits(rebuilt, needles) == []
    assert marts(duckdb_marts(rebuilt)) == after
    assert rebuilt.with_name("warehouse.duckdb.suppression.json").exists()

    # `make clean` leaves the list: a load into a new warehouse at the same place applies it.
    for path in warehouse.parent.glob("warehouse.*"):
        if not path.name.endswith(".suppression.json"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    run_pipelines(*load_arguments(world["archive"], warehouse))
    assert text_hits(warehouse, needles) == []


def test_a_request_that_names_no_one_is_refused_before_anything_is_touched(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    for arguments, says in [
        ([], "name the person to forget"),
        (["--phone", "555-44"], "is not a phone number"),
        (["--email", "not-an-address"], "is not an email address"),
    ]:
        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines",
                "forget",
                *arguments,
                "--warehouse",
                str(warehouse),
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PHONE": "", "EMAIL": "", "USER_ID": ""},
        )
        assert refused.returncode == EXIT_CONFIG, refused.stderr
        assert says in refused.stderr
    assert list(tmp_path.iterdir()) == []
