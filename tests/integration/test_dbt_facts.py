"""What the loader reads of the dbt project (``pipelines.transform.project``) agrees with the
models: each fact has its home in dbt, and a test fails when Python and dbt disagree."""

from __future__ import annotations

import re

from pipelines.transform.project import manifest, model_tables, publish_partitions

SQL_WORDS = {"coalesce", "cast", "as", "date", "timestamp", "timestamptz"}


def contract_columns(schema: str, name: str) -> set[str]:
    for node in manifest()["nodes"].values():
        if node["resource_type"] == "model" and (node["schema"], node["name"]) == (schema, name):
            return set(node["columns"])
    raise AssertionError(f"no model {schema}.{name} in the manifest")


def test_every_publish_partition_reads_columns_of_its_mart():
    partitions = publish_partitions()
    assert ("analytics", "fct_calls") in partitions  # the sample's busiest mart is cut by day
    for (schema, name), expression in partitions.items():
        words = set(re.findall(r"[a-z_][a-z0-9_]*", expression.lower())) - SQL_WORDS
        missing = words - contract_columns(schema, name)
        assert not missing, f"{schema}.{name}: publish_partition names {missing}"


def test_the_columns_a_forget_recomputes_exist():
    recomputed = [table for table in model_tables() if "forget_recomputes" in table.meta]
    assert [table.name for table in recomputed] == ["fct_experiment_assignments"]
    for table in recomputed:
        assert table.meta["forget_recomputes"] in contract_columns(table.schema, table.name)


def test_only_tables_that_hold_rows_are_visited():
    layers = {table.layer for table in model_tables()}
    assert layers == {"intermediate", "marts"}  # staging models are views


def test_the_manifest_is_parsed_whatever_warehouse_the_environment_names(tmp_path, monkeypatch):
    """make exports WAREHOUSE empty when it is not given; a server's URL or a lake's would pick
    another dbt target: parsing the project for its facts must not care."""
    for warehouse in ("", "postgresql://nobody@127.0.0.1:9/none"):
        monkeypatch.setenv("WAREHOUSE", warehouse)
        monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / f"target-{len(warehouse)}"))
        assert ("analytics", "fct_calls") in publish_partitions()
