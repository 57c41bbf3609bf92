"""What a person at a terminal sees: a live progress line, redrawn in place, with no colour
codes; cron's output is covered in test_end_to_end."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, message, write_archive_file


@pytest.mark.slow
def test_a_terminal_sees_a_live_progress_line(tmp_path):
    source = tmp_path / "segment-logs" / "src"
    for number in range(400):  # enough files for the line to be redrawn a few times
        lines = [message(f"m{number}-{k}", amount=k) for k in range(5)]
        write_archive_file(source, f"1759622400000/{number:04d}.gz", lines)
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "pipelines", "ingest", "--regal-voice-url", str(source)]
    command += ["--segment-url", str(source), "--warehouse", str(tmp_path / "warehouse.duckdb")]
    process = subprocess.Popen(
        command, cwd=PROJECT, stdout=follower, stderr=follower, env={**os.environ, "DEBUG": ""}
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the run is over
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=300) == 0
    output = b"".join(chunks).decode()
    redrawn = [part for part in output.split("\r") if "new files" in part and "messages/s" in part]
    assert len(redrawn) >= 2, output[-2000:]
    assert any("/400 new files" in part and "left" in part for part in redrawn)
    assert "\x1b[" not in output
