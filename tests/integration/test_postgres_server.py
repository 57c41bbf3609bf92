"""The throwaway PostgreSQL server the engine tests run against (issue 15): it starts, answers
over loopback, and leaves nothing behind; without the binaries the suite fails, saying what to
install, rather than skip."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

import tests.support.postgres_cluster as cluster
from tests.support.postgres import postgres_server


def setting(url: str, name: str) -> str:
    done = subprocess.run(
        ["psql", url, "-Atc", f"SELECT current_setting('{name}')"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_server_starts_answers_and_is_gone_afterwards():
    with postgres_server() as url:
        assert setting(url, "server_version_num").startswith("15")
        data = Path(setting(url, "data_directory"))
        assert data.is_dir()
        port = urlparse(url).port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
    assert not data.parent.exists()


def test_missing_binaries_fail_with_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(cluster, "POSTGRES_BIN", tmp_path / "no-postgres")
    with (
        pytest.raises(pytest.fail.Exception, match="apt-get install -y postgresql-15"),
        postgres_server(),
    ):
        pass
