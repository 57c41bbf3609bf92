"""Shared fixtures: generated archives, and a loader that runs the real pipelines."""

from __future__ import annotations

import atexit
import contextlib
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

from pipelines.engines.duckdb import DuckDBFile
from pipelines.ingest.load import load_source
from pipelines.sample.archive import generate_archive
from pipelines.settings import SAMPLE_BRAND_SOURCES, sample_source_url

PROJECT = Path(__file__).resolve().parent.parent

# The installation's suppression list (data/suppression.json by default) holds whom a forget
# forgot for every warehouse built here: the tests keep theirs out of the project, one per
# test (``own_suppression_list``), so that no test forgets a person for another.
_SUPPRESSION_FOLDER = Path(tempfile.mkdtemp(prefix="suppression-"))
os.environ["SUPPRESSION_LIST"] = str(_SUPPRESSION_FOLDER / "suppression.json")


# dbt's target and log folders, one per test process (make test runs two): two dbt runs at
# once must not write one manifest or one partial-parse file. dbt, the Makefile and
# ``pipelines.transform.project`` all read DBT_TARGET_PATH.
_DBT_FOLDER = Path(tempfile.mkdtemp(prefix="dbt-"))
os.environ["DBT_TARGET_PATH"] = str(_DBT_FOLDER / "target")
os.environ["DBT_LOG_PATH"] = str(_DBT_FOLDER / "logs")
# Nothing of a test run stays on the machine.
for _folder in (_SUPPRESSION_FOLDER, _DBT_FOLDER):
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def own_suppression_list(tmp_path_factory, monkeypatch) -> Path:
    path = tmp_path_factory.mktemp("suppression") / "suppression.json"
    monkeypatch.setenv("SUPPRESSION_LIST", str(path))
    return path


# `make test` hands whole files to its three processes (xdist's `loadfile`), two each to begin
# with, in the order they were collected (`--no-loadscope-reorder`: by default xdist starts with
# the files of most tests): the longest go first, so that none of them starts when the others
# are done and runs alone at the end. Seconds of each file's slowest tests in a fresh clone's
# run of 2026-12-08 (59 min, a benchmark sharing the 2 cores for its first 20).
LONGEST_FIRST = (
    "tests/e2e/test_crash_recovery.py",  # ~1,500: its history, then nine killed loads
    "tests/e2e/test_cli_postgres.py",  # ~1,050
    "tests/integration/test_sources.py",  # ~870
    "tests/e2e/test_upgrade.py",  # ~780: earlier releases checked out and installed
    "tests/e2e/test_forget_everywhere.py",  # ~650
    "tests/integration/test_marts.py",  # ~550
    "tests/e2e/test_bench.py",  # ~530
    "tests/e2e/test_forget.py",  # ~430
    "tests/e2e/test_marts_on_spark.py",  # ~405
)


def pytest_collection_modifyitems(config, items) -> None:
    """The files of ``LONGEST_FIRST``, then those with a slow test, then the rest; each
    file's tests keep their order."""
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}

    def rank(item) -> tuple[int, int]:
        path = item.nodeid.split("::")[0]
        if path in LONGEST_FIRST:
            return 0, LONGEST_FIRST.index(path)
        return (1 if path in slow_files else 2), 0

    items.sort(key=rank)


# Property tests check behaviour, not speed: a first call that warms up pyarrow on a busy CI
# machine took 305 ms and failed hypothesis's 200 ms deadline. Timing lives in `make bench`.
settings.register_profile("behaviour", deadline=None)
settings.load_profile("behaviour")


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory) -> tuple[Path, dict]:
    """A small generated archive of both sources and the manifest of what it holds."""
    root = tmp_path_factory.mktemp("archive")
    manifest = generate_archive(root, days=2, tasks_per_day=60, messages_per_file=400)
    return root, manifest


def source_url(root: Path, dataset: str) -> str:
    """The folder of one source (``regal_voice``, ``web``, ``ios``, ``server``) of a generated
    archive."""
    return sample_source_url(dataset, root)


def brand_sources(root: Path) -> str:
    """The sample brand's sources of a generated archive, as ``SOURCES`` takes them."""
    return " ".join(f"{name}={source_url(root, name)}" for name in SAMPLE_BRAND_SOURCES)


def message(message_id: str, event: str = "call.completed", **properties) -> dict:
    return {
        "messageId": message_id,
        "type": "track",
        "event": event,
        "userId": "user_1",
        "timestamp": "2026-10-05T10:00:00.000Z",
        "receivedAt": "2026-10-05T10:00:01.000Z",
        "context": {"library": {"name": "regal-voice"}},
        "properties": properties,
    }


def write_archive_file(source: Path, relative: str, lines: list, raw: bool = False) -> Path:
    """Write ``lines`` (dicts as JSON, strings as they are) as one gzipped archive file."""
    path = source / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    path.write_bytes(text.encode() if raw else gzip.compress(text.encode()))
    return path


class Warehouse:
    """Runs the loader for one source into a temp warehouse and queries it read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, url: Path | str, dataset: str = "regal_voice"):
        return load_source(dataset, str(url), DuckDBFile(self.path))

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.sql(sql).fetchall()

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "wh" / "warehouse.duckdb")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server(**env: str) -> Iterator[str]:
    """A real S3 endpoint on 127.0.0.1 (moto's server, ``env`` added to its environment)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def use_s3(monkeypatch, endpoint: str, key: str = "testing", secret: str = "testing") -> None:
    """Point boto3 and the archive source at ``endpoint`` with these credentials."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_ACCESS_KEY_ID": key,
        "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__AWS_SECRET_ACCESS_KEY": secret,
        "SOURCES__SEGMENT_ARCHIVE__CREDENTIALS__ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)


def upload(endpoint: str, bucket: str, root: Path) -> int:
    """Copy the archive under ``root`` into ``bucket`` as Segment stores it; the calls made."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    calls = 1
    for path in root.rglob("*"):
        if path.is_file() and path.name != "manifest.json":
            extra = {"ContentEncoding": "gzip"} if path.suffix == ".gz" else {}
            s3.upload_file(str(path), bucket, str(path.relative_to(root)), ExtraArgs=extra)
            calls += 1
    return calls


def load_arguments(archive: Path, warehouse: Path, *options: str) -> list[str]:
    """``python -m pipelines`` arguments that load a generated archive (every sample source)."""
    return [
        "load",
        "--regal-voice-url",
        source_url(archive, "regal_voice"),
        *(f"--source={name}={source_url(archive, name)}" for name in SAMPLE_BRAND_SOURCES),
        "--warehouse",
        str(warehouse),
        *options,
    ]


def ingest_command(warehouse: Path, source: Path, *options: str) -> list[str]:
    """``python -m pipelines ingest`` for one small source, loaded as Regal Voice's."""
    return [
        sys.executable,
        "-m",
        "pipelines",
        "ingest",
        "--regal-voice-url",
        str(source),
        "--warehouse",
        str(warehouse),
        *options,
    ]


def ingest(warehouse: Path, source: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ingest_command(warehouse, source, *options),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DEBUG": ""},
    )


def cli(*arguments: str, cwd: Path = PROJECT, **env: str) -> subprocess.CompletedProcess:
    """``python -m pipelines`` as cron runs it, without asserting its outcome."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **env},
    )


def make(target: str, **variables) -> subprocess.CompletedProcess:
    arguments = [f"{name}={value}" for name, value in variables.items()]
    return subprocess.run(
        ["make", "--no-print-directory", target, *arguments],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DEBUG": ""},
    )


def checksums(
    path: Path,
    kind: str = "BASE TABLE",
    schemas: tuple[str, ...] | None = None,
    ignore_columns: frozenset[str] = frozenset(),
) -> dict[str, tuple[int, int]]:
    """Row count and an order-free checksum of every table (or, with ``kind="VIEW"``, every view,
    as in the analysts' catalog) of ``schemas``: by default every schema but the run logs
    (``ops``) and dlt's staging. dlt's own tables are left out, and so is what says what a run
    did rather than what the data is: ``published_files``, and ``int_changed_*``, the keys the
    last build recomputed (a build after a crash does other work for the same result)."""
    if schemas is None:
        where = "table_schema <> 'ops' AND table_schema NOT LIKE '%\\_staging' ESCAPE '\\'"
    else:
        where = "table_schema IN (" + ", ".join(f"'{schema}'" for schema in schemas) + ")"
    result = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            f"WHERE table_type = ? AND {where} "
            "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' "
            "AND table_name NOT LIKE 'int\\_changed\\_%' ESCAPE '\\' "
            "AND table_name <> 'published_files'",
            [kind],
        ).fetchall()
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            columns = ", ".join(
                f'"{name}"'
                for name in con.sql(f"SELECT * FROM {relation} LIMIT 0").columns
                if name not in ignore_columns
            )
            count, checksum = con.sql(
                f"SELECT count(*), coalesce(sum(hash({columns}))::HUGEINT, 0) FROM {relation}"
            ).fetchall()[0]
            result[f"{schema}.{table}"] = (count, int(checksum))
    return result


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed when missing (no browser is downloaded at run time)."""
    found = shutil.which("chromium")
    if found is None:
        installed = subprocess.run(
            ["apt-get", "install", "-y", "chromium"], capture_output=True, text=True, timeout=900
        )
        found = shutil.which("chromium")
        if found is None:
            pytest.fail(
                "the browser tests need Debian's chromium, and `apt-get install -y chromium` "
                f"failed: {installed.stderr.strip()[-500:]}"
            )
    return found


def render(chromium: str, url: str, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran (less the scripts), and every message it wrote to
    the console."""
    options = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=15000",
        "--window-size=1400,1000",
    ]
    if screenshot is not None:
        options.append(f"--screenshot={screenshot}")
    else:
        options.append("--dump-dom")
    page = subprocess.run([chromium, *options, url], capture_output=True, text=True, timeout=120)
    console = [line for line in page.stderr.splitlines() if ":CONSOLE" in line]
    # The static site carries the whole manifest in a script: only what is shown counts.
    return re.sub(r"<script\b.*?</script>", "", page.stdout, flags=re.DOTALL), console


@pytest.fixture(scope="session")
def built_warehouse(sample_archive, tmp_path_factory) -> Path:
    """The sample loaded, its models built and the analysts' copy published, as ``make load``
    leaves a fresh warehouse (shared: the tests using it only read it)."""
    root, _ = sample_archive
    warehouse = tmp_path_factory.mktemp("built") / "warehouse.duckdb"
    run_pipelines(*load_arguments(root, warehouse))
    return warehouse


def run_pipelines(
    *arguments: str,
    code: Path = PROJECT,
    cwd: Path | None = None,
    timeout: float = 900,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """``python -m pipelines ARGUMENTS`` with the code checked out at ``code`` (this working
    tree by default), as cron runs it, from ``cwd`` (``code`` by default: where .dlt/ is
    read), with ``env`` added to the environment; asserts it succeeded."""
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(code)}
    if Path(code).resolve() != PROJECT:
        # Another checkout keeps dbt's files in its own project: its manifest and parse state
        # must not become this working tree's.
        environment.pop("DBT_TARGET_PATH", None)
        environment.pop("DBT_LOG_PATH", None)
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", *arguments],
        cwd=cwd or code,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    return result
