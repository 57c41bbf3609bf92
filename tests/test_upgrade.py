"""Upgrades in place: a warehouse built by the previous release keeps loading with this code.

Release 0.1.0 is checked out of the repository's history with ``git worktree``, builds a
warehouse from part of an archive, and this working tree's code then loads the rest into the
same warehouse with no manual step. The result must equal a warehouse this code builds from
scratch, and the upgrade must read only the files 0.1.0 had not read.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from tests.conftest import PROJECT, load_arguments, run_pipelines
from tests.test_incremental_models import mart_rows

# Every release this code must upgrade from in place (CHANGELOG.md).
RELEASES = {"0.1.0": "b289dfaf3e1d815c8965d2d6920107b2ae618e9b"}


def git(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *arguments], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def release_0_1(tmp_path_factory) -> Path:
    commit = RELEASES["0.1.0"]
    if git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        pytest.fail(
            f"release 0.1.0 ({commit}) is not in this clone's history: the upgrade test needs "
            "it (clone without --depth)"
        )
    worktree = tmp_path_factory.mktemp("releases") / "0.1.0"
    added = git("worktree", "add", "--detach", str(worktree), commit)
    assert added.returncode == 0, added.stderr
    try:
        yield worktree
    finally:
        git("worktree", "remove", "--force", str(worktree))
        git("worktree", "prune")


def run_load(code: Path, archive: Path, warehouse: Path) -> subprocess.CompletedProcess:
    """``python -m pipelines load`` of the code checked out at ``code``."""
    return run_pipelines(*load_arguments(archive, warehouse), code=code, timeout=600)


def copy_files(source: Path, target: Path, names: list[Path]) -> None:
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)


def raw_ids(warehouse: Path) -> Counter:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.sql(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('regal_voice', 'segment') "
            "AND table_name NOT LIKE '\\_%' ESCAPE '\\'"
        ).fetchall()
        counts = Counter()
        for schema, table in tables:
            if table == "users":
                continue
            counts[f"{schema}.{table}"] = con.sql(
                f"SELECT count(DISTINCT id) FROM {schema}.{table}"
            ).fetchall()[0][0]
        return counts


@pytest.mark.slow
def test_release_0_1_warehouse_upgrades_in_place(release_0_1, tmp_path):
    original = tmp_path / "original"
    generate_archive(original, days=3, tasks_per_day=50, messages_per_file=300)
    files = sorted(path.relative_to(original) for path in original.rglob("*.gz"))
    days = sorted({path.parent.name for path in files})
    first = [path for path in files if path.parent.name != days[-1]][:-2]
    # The rest: the last day, plus two files of older days that arrived late.
    rest = [path for path in files if path not in first]

    live = tmp_path / "live"
    copy_files(original, live, first)
    warehouse = tmp_path / "upgraded" / "warehouse.duckdb"
    run_load(release_0_1, live, warehouse)

    copy_files(original, live, rest)
    upgrade = run_load(PROJECT, live, warehouse)
    read = sum(
        int(line.split(": ")[1].split()[0])
        for line in upgrade.stdout.splitlines()
        if " new files read " in line
    )
    assert read == len(rest), upgrade.stdout[-3000:]
    assert "models: full build" in upgrade.stderr

    again = run_load(PROJECT, live, warehouse)
    assert "models: skip build" in again.stderr

    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    run_load(PROJECT, live, scratch)
    assert raw_ids(warehouse) == raw_ids(scratch)
    expected, actual = mart_rows(scratch), mart_rows(warehouse)
    assert set(actual) == set(expected)
    for table, rows in expected.items():
        assert rows, f"{table} is empty: the archive tested nothing"
        assert actual[table] == rows, f"{table} differs after the upgrade"
