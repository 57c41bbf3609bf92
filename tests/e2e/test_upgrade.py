"""Upgrades in place: a warehouse built by the previous release keeps loading with this code.

Releases 0.1.0 and 0.2.0 are checked out of the repository's history with ``git worktree``;
each builds a warehouse from part of an archive, and this working tree's code then loads the
rest into the same warehouse with no manual step. The result must equal a warehouse this code
builds from scratch, and the upgrade must read only the files the release had not read.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.sample.archive import generate_archive
from pipelines.settings import REGAL_VOICE_SOURCE_ID, SAMPLE_BRAND_SOURCES
from tests.conftest import PROJECT, run_pipelines, source_url
from tests.e2e.test_incremental_models import mart_rows

# Every release this code must upgrade from in place (CHANGELOG.md).
RELEASES = {
    "0.1.0": "b289dfaf3e1d815c8965d2d6920107b2ae618e9b",
    "0.2.0": "04baae893385bc54c328c31033dd44d359299518",
}


def git(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *arguments], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def release_worktree(version: str, tmp_path_factory) -> Iterator[Path]:
    """A checkout of ``version`` (``RELEASES``) beside the repository, removed afterwards."""
    commit = RELEASES[version]
    if git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        pytest.fail(
            f"release {version} ({commit}) is not in this clone's history: the upgrade test "
            "needs it (clone without --depth)"
        )
    worktree = tmp_path_factory.mktemp("releases") / version
    added = git("worktree", "add", "--detach", str(worktree), commit)
    assert added.returncode == 0, added.stderr
    try:
        yield worktree
    finally:
        git("worktree", "remove", "--force", str(worktree))
        git("worktree", "prune")


@pytest.fixture(scope="module")
def release_0_1(tmp_path_factory) -> Iterator[Path]:
    yield from release_worktree("0.1.0", tmp_path_factory)


def release_0_1_arguments(archive: Path, warehouse: Path) -> list[str]:
    """0.1.0's interface: one Regal Voice source and one brand source (the sample's web)."""
    return [
        "load",
        "--regal-voice-url",
        source_url(archive, "regal_voice"),
        "--segment-url",
        source_url(archive, "web"),
        "--warehouse",
        str(warehouse),
    ]


# How a user of 0.1.0 may call this release: as before, or naming more brand sources (the one
# 0.1.0 loaded keeps its schema, `segment`).
INTERFACES = {
    "old": lambda archive: ["--segment-url", source_url(archive, "web")],
    "new": lambda archive: [
        f"--source=segment={source_url(archive, 'web')}",
        f"--source=ios={source_url(archive, 'ios')}",
        f"--source=server={source_url(archive, 'server')}",
    ],
}

# Marts the interface's sources cannot fill: the old one loads the website alone, and the
# sample's conversion events come from its backend (`server`).
EMPTY_BY_DESIGN = {"old": {"fct_conversions"}, "new": set()}


def run_load(archive: Path, warehouse: Path, interface: str) -> subprocess.CompletedProcess:
    """``python -m pipelines load`` of this working tree, through ``interface``."""
    return run_pipelines(
        "load",
        "--regal-voice-url",
        source_url(archive, "regal_voice"),
        *INTERFACES[interface](archive),
        "--warehouse",
        str(warehouse),
        timeout=600,
    )


def copy_files(source: Path, target: Path, names: list[Path]) -> None:
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)


def raw_ids(warehouse: Path) -> Counter:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.sql(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('regal_voice', 'segment', 'ios', 'server') "
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


@pytest.fixture(scope="module")
def built_by_0_1(release_0_1, tmp_path_factory) -> tuple[Path, list[Path], list[Path]]:
    """An archive, and a warehouse 0.1.0 loaded from part of it: the archive's files and
    which of them 0.1.0 had (the rest arrive after the upgrade)."""
    base = tmp_path_factory.mktemp("built_by_0_1")
    original = base / "original"
    generate_archive(original, days=3, tasks_per_day=50, messages_per_file=300)
    files = sorted(path.relative_to(original) for path in original.rglob("*.gz"))
    days = sorted({path.parent.name for path in files})
    first = [path for path in files if path.parent.name != days[-1]][:-2]
    live = base / "live"
    copy_files(original, live, first)
    run_pipelines(*release_0_1_arguments(live, base / "wh" / "warehouse.duckdb"), code=release_0_1)
    return base, files, first


@pytest.mark.slow
@pytest.mark.parametrize("interface", list(INTERFACES))
def test_release_0_1_warehouse_upgrades_in_place(built_by_0_1, interface, tmp_path):
    base, files, first = built_by_0_1
    shutil.copytree(base, tmp_path, dirs_exist_ok=True)
    original, live = tmp_path / "original", tmp_path / "live"
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    # The rest: the last day, plus two files of older days that arrived late.
    rest = [path for path in files if path not in first]
    copy_files(original, live, rest)
    loaded_by_0_1 = {REGAL_VOICE_SOURCE_ID, SAMPLE_BRAND_SOURCES["web"]}
    read_now = [
        path
        for path in files
        if (path.parts[1] in loaded_by_0_1 and path in rest)
        or (path.parts[1] not in loaded_by_0_1 and interface == "new")
    ]

    upgrade = run_load(live, warehouse, interface)
    read = sum(
        int(line.split(": ")[1].split()[0])
        for line in upgrade.stdout.splitlines()
        if " new files read " in line
    )
    assert read == len(read_now), upgrade.stdout[-3000:]
    assert "models: full build" in upgrade.stderr

    again = run_load(live, warehouse, interface)
    assert "models: skip build" in again.stderr

    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    run_load(live, scratch, interface)
    assert raw_ids(warehouse) == raw_ids(scratch)
    expected, actual = mart_rows(scratch), mart_rows(warehouse)
    assert set(actual) == set(expected)
    for table, rows in expected.items():
        if table in EMPTY_BY_DESIGN[interface]:
            assert not rows, f"{table} has rows the interface's sources cannot give"
        else:
            assert rows, f"{table} is empty: the archive tested nothing"
        assert actual[table] == rows, f"{table} differs after the upgrade"


def replace_code(checkout: Path) -> None:
    """What ``git pull`` does to a checkout of 0.1.0: this working tree's code in its place."""
    ignored = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__", ".user.yml")
    for name in ("pipelines", "dbt_project"):
        shutil.rmtree(checkout / name)
        shutil.copytree(PROJECT / name, checkout / name, ignore=ignored)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(PROJECT / name, checkout / name)


def write_sample(checkout: Path) -> None:
    """The Makefile's sample rule, small: the folder removed, the sample written again."""
    sample = checkout / "data" / "sample"
    shutil.rmtree(sample, ignore_errors=True)
    run_pipelines(
        "sample", "--output", str(sample), "--days", "2", "--tasks-per-day", "40", code=checkout
    )


@pytest.mark.slow
def test_a_sample_warehouse_of_0_1_keeps_loading_after_the_sample_changed(release_0_1, tmp_path):
    """`make load` on the bundled sample, upgraded from 0.1.0: the release writes the sample
    again (other messages under the same ids), so the warehouse of the older sample is set
    aside, whole, and the new sample loads into a new one with no manual step."""
    checkout = tmp_path / "checkout"
    shutil.copytree(release_0_1, checkout, ignore=shutil.ignore_patterns(".git"))
    write_sample(checkout)
    run_pipelines("load", code=checkout)  # 0.1.0's `make load`
    warehouse = checkout / "data" / "warehouse.duckdb"
    old_ids = raw_ids(warehouse)

    replace_code(checkout)
    write_sample(checkout)
    upgrade = run_pipelines("load", code=checkout)
    assert "held only the older sample" in upgrade.stderr, upgrade.stderr[-3000:]
    (aside,) = (checkout / "data").glob("warehouse.older-sample-*")
    assert raw_ids(aside / "warehouse.duckdb") == old_ids  # moved whole, not deleted
    assert (aside / "warehouse.duckdb.dlt").is_dir()

    again = run_pipelines("load", code=checkout)
    assert "older sample" not in again.stderr and "models: skip build" in again.stderr
    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    run_pipelines("load", "--warehouse", str(scratch), code=checkout)
    assert raw_ids(warehouse) == raw_ids(scratch)
    assert mart_rows(warehouse) == mart_rows(scratch)


@pytest.fixture(scope="module")
def release_0_2(tmp_path_factory) -> Iterator[Path]:
    yield from release_worktree("0.2.0", tmp_path_factory)


@pytest.mark.slow
def test_release_0_2_warehouse_with_a_forgotten_person_upgrades_in_place(release_0_2, tmp_path):
    """0.2.0 loads part of an archive and forgets a person (its list beside the warehouse);
    this code loads the rest into the same warehouse with no manual step: it reads only the
    new files, keeps the person out (0.2's list becomes the installation's), and ends equal
    to a warehouse it builds from scratch with that list."""
    original, live = tmp_path / "original", tmp_path / "live"
    generate_archive(original, days=3, tasks_per_day=40, messages_per_file=300)
    files = sorted(path.relative_to(original) for path in original.rglob("*.gz"))
    last_day = max(path.parent.name for path in files)
    first = [path for path in files if path.parent.name != last_day]
    copy_files(original, live, first)
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    arguments = ["--regal-voice-url", source_url(live, "regal_voice")]
    arguments += [f"--source={name}={source_url(live, name)}" for name in SAMPLE_BRAND_SOURCES]
    # 0.2.0 took SUPPRESSION_LIST as a list that must exist; it had no installation's list.
    as_0_2 = {"code": release_0_2, "env": {"SUPPRESSION_LIST": ""}}
    run_pipelines("load", *arguments, "--warehouse", str(warehouse), **as_0_2)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        phone = con.sql("SELECT min(contact_phone) FROM analytics.fct_calls").fetchall()[0][0]
    run_pipelines("forget", "--phone", phone, "--warehouse", str(warehouse), **as_0_2)
    own_list = warehouse.with_name("warehouse.duckdb.suppression.json")
    assert own_list.exists()

    copy_files(original, live, [path for path in files if path not in first])
    upgrade = run_pipelines("load", *arguments, "--warehouse", str(warehouse), timeout=600)
    read = sum(
        int(line.split(": ")[1].split()[0])
        for line in upgrade.stdout.splitlines()
        if " new files read " in line
    )
    assert read == len(files) - len(first), upgrade.stdout[-3000:]
    assert "models: full build" in upgrade.stderr  # the models changed

    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    run_pipelines(
        "load", *arguments, "--warehouse", str(scratch), "--suppression-list", str(own_list)
    )
    assert raw_ids(warehouse) == raw_ids(scratch)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.sql(
                f"SELECT count(*) FROM analytics.fct_calls WHERE contact_phone = '{phone}'"
            ).fetchall()[0][0]
            == 0
        )
    expected, actual = mart_rows(scratch), mart_rows(warehouse)
    for table, rows in expected.items():
        assert actual[table] == rows, f"{table} differs after the upgrade"
