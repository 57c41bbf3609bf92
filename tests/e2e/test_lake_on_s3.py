"""An Iceberg lake on S3 (a moto server): `make load` writes every raw table and mart under
``s3://bucket/prefix/``, equal to DuckDB's; a second machine (its own, empty state folder)
continues the same lake with new files, incrementally; `make report` reads it; the lake's
credentials appear in no output, no local file and no object of the bucket. Issue 28.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.sample.archive import generate_archive
from tests.conftest import PROJECT, load_arguments, moto_server, run_pipelines, source_url
from tests.e2e.test_marts_on_spark import lake_checksums, raw_checksums
from tests.support.mart_rows import differences, duckdb_marts, lake_marts, marts

# `make test-spark`: the S3 lake's story takes ~13 minutes of both cores.
pytestmark = [pytest.mark.slow, pytest.mark.spark_full]

KEY, SECRET = "AKIAPLANTEDLAKE4Q8Z", "planted/lake+secret-6Vw2"


def lake_credentials(endpoint: str) -> dict[str, str]:
    """dlt's configuration of its filesystem destination: the lake's credentials."""
    prefix = "DESTINATION__FILESYSTEM__CREDENTIALS__"
    return {
        f"{prefix}AWS_ACCESS_KEY_ID": KEY,
        f"{prefix}AWS_SECRET_ACCESS_KEY": SECRET,
        f"{prefix}ENDPOINT_URL": endpoint,
        f"{prefix}REGION_NAME": "us-east-1",
    }


def run_watched(arguments: list[str], env: dict[str, str], needles: list[str]):
    """``python -m pipelines ARGUMENTS``, reading every process's command line while it runs
    (as any user of the machine can): the output, and the command lines holding a needle."""
    import os
    import subprocess
    import sys
    import time

    seen = set()
    with subprocess.Popen(
        [sys.executable, "-m", "pipelines", *arguments],
        cwd=PROJECT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        reader = ThreadPoolExecutor(1).submit(process.stdout.read)
        while process.poll() is None:
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    text = cmdline.read_bytes().decode(errors="replace")
                except OSError:
                    continue
                if any(needle in text for needle in needles):
                    seen.add(text.replace("\0", " ")[:200])
            time.sleep(0.2)
        output = reader.result()
    assert process.returncode == 0, output[-4000:]
    return output, seen


def holding(root: Path, needles: list[str]) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and any(n.encode() in path.read_bytes() for n in needles)
    ]


def test_a_lake_on_s3_loads_like_duckdb_and_a_second_machine_continues_it(tmp_path):
    import boto3

    generated = tmp_path / "generated"
    generate_archive(generated, days=2, tasks_per_day=20, messages_per_file=150)
    files = sorted(generated.rglob("*.gz"))
    last_day = max(path.parent.name for path in files)
    archive = tmp_path / "archive"
    on_duckdb = tmp_path / "duckdb" / "warehouse.duckdb"
    machines = [tmp_path / "machine-1", tmp_path / "machine-2"]
    lake = "s3://lake/warehouse"
    outputs = []
    # Objects other runs' settings (boto's default chain) must not supply.
    with moto_server(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET) as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
        )
        s3.create_bucket(Bucket="lake")
        pyiceberg = {
            "s3.access-key-id": KEY,
            "s3.secret-access-key": SECRET,
            "s3.endpoint": endpoint,
            "s3.region": "us-east-1",
        }
        for step, machine in enumerate(machines):
            for path in files:
                if (path.parent.name == last_day) == (step == 1):
                    target = archive / path.relative_to(generated)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
            env = {**lake_credentials(endpoint), "STATE_DIR": str(machine)}
            output, on_command_lines = run_watched(
                load_arguments(archive, f"iceberg:{lake}"), env, [KEY, SECRET]
            )
            assert on_command_lines == set(), "a credential on a process's command line"
            outputs.append(output)
            assert f"models: {'full' if step == 0 else 'incremental'} build" in output
            run_pipelines(*load_arguments(archive, on_duckdb))
            on_lake = lake_checksums(lake, tmp_path / "copy.duckdb", pyiceberg)
            assert on_lake == raw_checksums(on_duckdb), f"raw, after load {step + 1}"
            found = differences(marts(duckdb_marts(on_duckdb)), marts(lake_marts(lake, pyiceberg)))
            assert found == [], f"marts, after load {step + 1}: {found}"
        # The second machine read only the new day's files: dlt's state came from the lake.
        regal = Path(source_url(generated, "regal_voice"))
        new = len([p for p in regal.rglob("*.gz") if p.parent.name == last_day])
        listed = len(list(regal.rglob("*.gz")))
        assert f"regal_voice: {new} new files read ({listed} listed" in outputs[1]
        reported = run_pipelines(
            "report", "--warehouse", f"iceberg:{lake}", env={**env, "STATE_DIR": str(machines[1])}
        )
        outputs.append(reported.stdout + reported.stderr)
        report = machines[1] / "spark-s3-lake-warehouse" / "report.html"
        assert "tasks created" in report.read_text()
        keys = [
            obj["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lake")
            for obj in page.get("Contents", [])
        ]
        for table in ("regal_voice/call_completed", "web/identifies", "analytics/fct_calls"):
            assert any(k.startswith(f"warehouse/{table}/metadata/") for k in keys), table
            assert any(k.startswith(f"warehouse/{table}/data/") for k in keys), table
        in_bucket = [
            k
            for k in keys
            if any(
                n.encode() in s3.get_object(Bucket="lake", Key=k)["Body"].read()
                for n in (KEY, SECRET)
            )
        ]
    assert in_bucket == []
    assert [o for o in outputs if KEY in o or SECRET in o] == []
    assert holding(tmp_path / "machine-1", [KEY, SECRET]) == []
    assert holding(tmp_path / "machine-2", [KEY, SECRET]) == []
