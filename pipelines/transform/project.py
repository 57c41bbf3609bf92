"""What the loader reads of the dbt project: dbt owns these facts, Python asks dbt for them.

- ``dbt_project.yml``'s vars: the reporting time zone, the default country code, the freshness
  threshold, the tables and margin of the raw watermark.
- The manifest dbt writes (``target/manifest.json``): the models' tables and their ``meta``,
  e.g. the column a mart's analysts' copy is partitioned by (``meta.publish_partition``) and
  the keys a forget recomputes (``meta.forget_recomputes``). When the manifest is missing or
  older than the project's files, ``dbt parse`` writes it again (a few seconds, once).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.settings import DBT_PROJECT, PROJECT_ROOT, dbt_vars

log = logging.getLogger(__name__)

# What a build's result depends on; profiles.yml only tunes resources, target/ and logs/ are
# dbt's own output.
PROJECT_INPUTS = ("dbt_project.yml", "models", "macros", "seeds")


def project_files(project: Path = DBT_PROJECT) -> list[Path]:
    files = []
    for name in PROJECT_INPUTS:
        root = project / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        files += [path for path in paths if path.exists()]
    return files


def project_checksum(project: Path = DBT_PROJECT) -> str:
    """A digest of every file the models are built from."""
    digest = hashlib.sha256()
    for path in project_files(project):
        digest.update(str(path.relative_to(project)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def project_var(name: str, default, project: Path = DBT_PROJECT):
    """A var of ``dbt_project.yml``: the settings the models and the loader's own checks
    share are written there once."""
    return dbt_vars(project).get(name, default)


def default_country_code(project: Path = DBT_PROJECT) -> str:
    """The ``default_country_code`` var: national phone numbers are normalised with it by the
    models and, outside dbt, by the loader's suppression and by forget."""
    return str(project_var("default_country_code", "1", project))


def reporting_timezone(project: Path = DBT_PROJECT) -> str:
    """The ``reporting_timezone`` var: the daily marts' day boundaries (and the report's,
    and the days a forget has rebuilt)."""
    return str(project_var("reporting_timezone", "UTC", project))


def freshness_threshold_hours(project: Path = DBT_PROJECT) -> float:
    """The ``freshness_warn_after_hours`` var, the one setting dbt's source freshness uses too."""
    return float(project_var("freshness_warn_after_hours", 36, project))


def dbt_command(*arguments: str, project: Path = DBT_PROJECT) -> list[str]:
    # The dbt next to this interpreter: cron and `make` run without the virtualenv activated.
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt) if dbt.exists() else "dbt",
        *arguments,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]


def invoke_dbt(arguments: list[str], environment: dict[str, str], in_process: bool = False) -> int:
    """Run dbt with ``environment`` added to this process's; its exit code. ``in_process``: in
    this interpreter (dbt's Python API), where an engine's session started by the run is the
    one dbt's adapter finds."""
    if not in_process:
        return subprocess.run(dbt_command(*arguments), env={**os.environ, **environment}).returncode
    from dbt.cli.main import dbtRunner

    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        result = dbtRunner().invoke(dbt_command(*arguments)[1:])
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    # dbt's own exit codes: 1 for failed models or tests, 2 when dbt itself could not run.
    return 0 if result.success else 1 if result.exception is None else 2


def target_path(project: Path = DBT_PROJECT) -> Path:
    """dbt's target folder: ``DBT_TARGET_PATH`` when set (dbt reads it too), else
    ``target/`` in the project."""
    given = os.environ.get("DBT_TARGET_PATH")
    return project / given if given else project / "target"


def manifest_path(project: Path = DBT_PROJECT) -> Path:
    return target_path(project) / "manifest.json"


def manifest(project: Path = DBT_PROJECT) -> dict:
    """dbt's manifest of the project as it is on disk, parsed again when it is missing or
    older than any of the project's files."""
    path = manifest_path(project)
    newest = max(p.stat().st_mtime for p in project_files(project))
    if not path.exists() or path.stat().st_mtime < newest:
        log.info("dbt parse: the manifest is older than the models")
        completed = subprocess.run(
            dbt_command("parse", "--quiet", project=project),
            capture_output=True,
            text=True,
            env={**_environment(), "DBT_USE_COLORS": "false"},
        )
        if completed.returncode != 0:
            said = (completed.stdout + completed.stderr).strip()[-2000:]
            raise RuntimeError(f"dbt parse failed (exit {completed.returncode}): {said}")
    return _read(str(path), path.stat().st_mtime)


@cache
def _read(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text())


def _environment() -> dict[str, str]:
    # Parsing connects nowhere, but the profile must render: the DuckDB target with the
    # default file, whatever WAREHOUSE says (make exports it empty when it is not given).
    return {**os.environ, "WAREHOUSE": str(PROJECT_ROOT / "data" / "warehouse.duckdb")}


@dataclass(frozen=True)
class ModelTable:
    """A model dbt materialises as a table (a view holds no rows of its own)."""

    name: str
    schema: str
    layer: str  # the folder under models/: staging, intermediate, marts
    meta: dict


def model_tables(project: Path = DBT_PROJECT) -> list[ModelTable]:
    """Every model dbt writes as a table or incremental table, in name order."""
    parsed = manifest(project)
    own = parsed["metadata"]["project_name"]
    tables = []
    for node in parsed["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != own:
            continue
        config = node["config"]
        if config["materialized"] not in ("table", "incremental"):
            continue
        name = node.get("alias") or node["name"]
        layer = node["fqn"][1] if len(node["fqn"]) > 2 else ""
        tables.append(ModelTable(name, node["schema"], layer, config.get("meta") or {}))
    return sorted(tables, key=lambda table: (table.schema, table.name))


def model_schemas(project: Path = DBT_PROJECT) -> list[str]:
    """The schemas dbt writes tables into."""
    return sorted({table.schema for table in model_tables(project)})


def marts_schemas(project: Path = DBT_PROJECT) -> list[str]:
    """The schemas of the marts (``analytics``): what analysts query of the models."""
    return sorted({table.schema for table in model_tables(project) if table.layer == "marts"})


def publish_partitions(project: Path = DBT_PROJECT) -> dict[tuple[str, str], str]:
    """(schema, mart) → the SQL expression whose day partitions the mart's files in the
    analysts' copy (``meta.publish_partition``); a mart without one is one file."""
    return {
        (table.schema, table.name): table.meta["publish_partition"]
        for table in model_tables(project)
        if "publish_partition" in table.meta
    }
