"""A throwaway Spark standalone cluster for the tests and ``make bench``: a master and two
small workers on 127.0.0.1, started from the pyspark package's ``spark-class`` (the wheel has
no start scripts), stopped and their folders removed afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

WORKER_MEMORY = "1536m"
WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spark_class() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent / "bin" / "spark-class")


def wait_for_port(port: int, seconds: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"spark exited ({process.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"spark did not listen on {port} within {seconds}s: {log.read_text()[-2000:]}"
    )


def wait_for_workers(web_port: int, workers: int, seconds: float) -> None:
    """Until the master's status page counts ``workers`` alive."""
    import json
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            url = f"http://127.0.0.1:{web_port}/json/"
            with urllib.request.urlopen(url, timeout=2) as answer:
                state = json.loads(answer.read())
            if sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE") >= workers:
                return
        time.sleep(0.3)
    raise RuntimeError(f"fewer than {workers} Spark workers registered within {seconds}s")


@contextlib.contextmanager
def spark_cluster(
    workers: int = WORKERS, memory: str = WORKER_MEMORY, pids: list[int] | None = None
) -> Iterator[str]:
    """Yields the master's URL, ``spark://127.0.0.1:<port>``; ``pids`` (a list) receives the
    master's and the workers' process ids (``make bench`` counts their memory)."""
    folder = Path(tempfile.mkdtemp(prefix="spark-cluster-"))
    environment = {
        **os.environ,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_LOG_DIR": str(folder / "logs"),
        "SPARK_WORKER_DIR": str(folder / "work"),
    }
    port, web = free_port(), free_port()
    processes: list[subprocess.Popen] = []
    try:
        log = folder / "master.log"
        command = [spark_class(), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--webui-port", str(web)]
        master = subprocess.Popen(
            command, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        processes.append(master)
        wait_for_port(port, 60, master, log)
        url = f"spark://127.0.0.1:{port}"
        for number in range(workers):
            log = folder / f"worker-{number}.log"
            command = [spark_class(), "org.apache.spark.deploy.worker.Worker", url]
            command += ["--host", "127.0.0.1", "--cores", "1", "--memory", memory]
            command += ["--webui-port", str(free_port()), "--work-dir", str(folder / f"w{number}")]
            processes.append(
                subprocess.Popen(
                    command, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT
                )
            )
        wait_for_workers(web, workers, 60)
        if pids is not None:
            pids.extend(process.pid for process in processes)
        yield url
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run(["rm", "-rf", str(folder)], check=False)
