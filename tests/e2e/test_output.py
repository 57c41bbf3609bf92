"""What a person at a terminal sees: a live progress line, redrawn in place, with no colour
codes; cron's output is covered in test_end_to_end."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, message, write_archive_file


def clean_files(tmp_path, count: int = 400):
    source = tmp_path / "segment-logs" / "src"
    for number in range(count):  # enough files for the line to be redrawn a few times
        lines = [message(f"m{number}-{k}", amount=k) for k in range(5)]
        write_archive_file(source, f"1759622400000/{number:04d}.gz", lines)
    return source


@pytest.mark.slow
def test_a_log_gets_no_line_per_clean_file(tmp_path):
    source = clean_files(tmp_path)
    command = [sys.executable, "-m", "pipelines", "ingest", "--regal-voice-url", str(source)]
    command += ["--warehouse", str(tmp_path / "warehouse.duckdb")]
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    assert " file 1: " not in output and "\r" not in output and "\x1b[" not in output
    assert "regal_voice: 400 new files read, 2000 messages, 0 lines quarantined" in output


@pytest.mark.slow
def test_a_terminal_sees_a_live_progress_line(tmp_path):
    source = clean_files(tmp_path)
    brand = tmp_path / "brand"
    shutil.copytree(source, brand)  # a second source: a line of its own
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "pipelines", "ingest", "--regal-voice-url", str(source)]
    command += [f"--source=web={brand}", "--warehouse", str(tmp_path / "warehouse.duckdb")]
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
