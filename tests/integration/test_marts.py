"""From generated archive files through ``make load`` to the marts the analysts query."""

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.transform.project import manifest_path
from tests.conftest import PROJECT, brand_sources, message, source_url, write_archive_file

MART_SCHEMA = "analytics"


def make_load(warehouse: Path, regal_url: str, sources: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "load",
            f"REGAL_VOICE_URL={regal_url}",
            f"SOURCES={sources}",
            f"WAREHOUSE={warehouse}",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DEBUG": ""},
    )


@pytest.fixture(scope="module")
def loaded(sample_archive, tmp_path_factory):
    """The sample archive loaded and transformed once by ``make load``, as cron would."""
    root, manifest = sample_archive
    warehouse = tmp_path_factory.mktemp("marts") / "warehouse.duckdb"
    result = make_load(warehouse, source_url(root, "regal_voice"), brand_sources(root))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return warehouse, manifest, result


def scalar(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).fetchall()[0][0]


def test_dbt_build_ran_its_tests(loaded):
    _, _, result = loaded
    assert "Completed successfully" in result.stdout
    summary = [line for line in result.stdout.splitlines() if "Done. PASS=" in line][-1]
    assert " ERROR=0 " in summary and " WARN=0 " in summary
    assert int(summary.split("PASS=")[1].split()[0]) > 100


def test_the_build_plans_watermark_is_the_one_dbt_recorded(loaded):
    """Python's raw watermark (the build plan's) and dbt's (``raw_watermark_sql``) are one
    definition: right after a build, with nothing loaded since, they agree."""
    from pipelines.ops.registry import raw_schemas
    from pipelines.transform.build import raw_watermark

    warehouse, _, _ = loaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        recorded = con.sql(
            "SELECT raw_watermark FROM ops.dbt_builds WHERE status = 'succeeded' "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchall()[0][0]
        assert recorded is not None
        assert raw_watermark(con, raw_schemas(con)) == recorded


def test_task_outcomes_match_what_the_generator_made(loaded):
    warehouse, manifest, _ = loaded
    truth = manifest["regal_voice_truth"]
    for status, count in truth["tasks"].items():
        sql = f"SELECT count(*) FROM {MART_SCHEMA}.fct_tasks WHERE final_status = '{status}'"
        assert scalar(warehouse, sql) == count, status
    missing_created = f"SELECT count(*) FROM {MART_SCHEMA}.fct_tasks WHERE created_at IS NULL"
    assert scalar(warehouse, missing_created) == truth["tasks_without_created_event"]


def test_calls_and_conversations_match_what_the_generator_made(loaded):
    warehouse, manifest, _ = loaded
    truth = manifest["regal_voice_truth"]
    assert (
        scalar(warehouse, f"SELECT count(*) FROM {MART_SCHEMA}.fct_calls")
        == truth["calls_completed"]
    )
    answered = f"SELECT count(*) FROM {MART_SCHEMA}.fct_calls WHERE was_answered"
    assert scalar(warehouse, answered) == truth["calls_answered"]
    completed = f"SELECT count(*) FROM {MART_SCHEMA}.fct_sms_conversations WHERE is_completed"
    assert scalar(warehouse, completed) == truth["sms_conversations_completed"]
    # Durations come from timestamps, so a payload that reported none still has them.
    no_handle = f"SELECT count(*) FROM {MART_SCHEMA}.fct_calls WHERE handle_time_s IS NULL"
    assert scalar(warehouse, no_handle) == 0


def test_callbacks_kept_match_the_generators_own_reckoning(loaded):
    """The sample keeps about half its promises near their time (some late); the generator
    works out on time / late / missed / pending from its own calls (archive.callback_truth)."""
    warehouse, manifest, _ = loaded
    truth = manifest["callback_truth"]
    assert truth.get("on_time") and truth.get("late"), truth  # the sample exercises both
    by_status = dict(
        duckdb.connect(str(warehouse), read_only=True)
        .sql(
            "SELECT callback_status, count(*) "
            f"FROM {MART_SCHEMA}.fct_scheduled_callbacks GROUP BY 1"
        )
        .fetchall()
    )
    assert by_status == truth


def test_contact_edits_and_experiments_read_every_variant_the_sample_sends(loaded):
    """Edits of nested and top-level attributes, numbers and nulls; experiments naming the
    contact by `phone` or `contact_phone`."""
    warehouse, _, _ = loaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        attributes = con.sql(
            f"SELECT attribute, count(*) FILTER (WHERE old_value IS NULL), "
            f"count(*) FILTER (WHERE new_value IS NULL) "
            f"FROM {MART_SCHEMA}.fct_contact_attribute_changes GROUP BY 1 ORDER BY 1"
        ).fetchall()
        numbers = con.sql(
            f"SELECT count(*) FROM {MART_SCHEMA}.fct_contact_attribute_changes "
            f"WHERE regexp_full_match(new_value, '[0-9]+(\\.[0-9]+)?')"
        ).fetchall()[0][0]
        unphoned = con.sql(
            f"SELECT count(*) FROM {MART_SCHEMA}.fct_experiment_assignments "
            f"WHERE contact_phone IS NULL"
        ).fetchall()[0][0]
        raw_phone = con.sql(
            "SELECT count(phone), count(contact_phone) FROM regal_voice.contact_experiment_assigned"
        ).fetchall()[0]
    names = [name for name, _, _ in attributes]
    assert names == ["custom_properties_annual_income", "first_name"]
    assert all(old_nulls > 0 for _, old_nulls, _ in attributes)  # values set for the first time
    assert all(new_nulls == 0 for _, _, new_nulls in attributes)
    assert numbers > 0
    assert unphoned == 0 and min(raw_phone) > 0  # both properties arrive, every row has a phone


def test_consent_marts_match_the_generators_own_reckoning(loaded):
    warehouse, manifest, _ = loaded
    truth = manifest["consent_truth"]
    by_changer = dict(
        duckdb.connect(str(warehouse), read_only=True)
        .sql(f"SELECT changed_by, count(*) FROM {MART_SCHEMA}.fct_consent_events GROUP BY 1")
        .fetchall()
    )
    assert by_changer == truth["events_by_changer"]
    history = f"{MART_SCHEMA}.fct_consent_history"
    assert scalar(warehouse, f"SELECT count(*) FROM {history}") == truth["periods"]
    pairs = f"SELECT count(DISTINCT (phone, channel)) FROM {history}"
    assert scalar(warehouse, pairs) == truth["phone_channels"]
    for channel, count in truth["currently_subscribed_by_channel"].items():
        sql = (
            f"SELECT count(*) FROM {history} "
            f"WHERE is_current AND is_subscribed AND channel = '{channel}'"
        )
        assert scalar(warehouse, sql) == count, channel
    sms = f"SELECT count(*) FROM {MART_SCHEMA}.dim_contacts WHERE is_sms_subscribed"
    assert scalar(warehouse, sms) == truth["currently_subscribed_by_channel"]["sms"]


def test_every_model_and_column_is_documented_and_persisted(loaded):
    warehouse, _, _ = loaded
    dbt_manifest = json.loads(manifest_path().read_text())
    models = [n for n in dbt_manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 25
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for model in models:
            assert model["description"].strip(), model["name"]
            columns = con.sql(
                "SELECT column_name, comment FROM duckdb_columns() "
                f"WHERE schema_name = '{model['schema']}' AND table_name = '{model['name']}'"
            ).fetchall()
            assert columns, model["name"]
            # Columns the data names (an attribute's pair of values) are described by the
            # model; any other column must be documented by name.
            dynamic = model["config"].get("meta", {}).get("dynamic_columns")
            for column, comment in columns:
                if dynamic and re.fullmatch(dynamic, column):
                    continue
                documented = model["columns"].get(column, {}).get("description", "")
                assert documented.strip(), f"{model['name']}.{column} has no description"
                if model["schema"] == MART_SCHEMA:
                    assert comment, f"{model['name']}.{column}: persist_docs wrote no comment"


def test_no_layer_reads_a_later_one(loaded):
    """staging → intermediate → marts: a model reads only its own layer and the ones before."""
    dbt_manifest = json.loads(manifest_path().read_text())
    order = {"staging": 0, "intermediate": 1, "marts": 2}
    nodes = dbt_manifest["nodes"]

    def layer(node: dict) -> int:
        return order[node["fqn"][1]]

    reaching_back = [
        (node["name"], nodes[parent]["name"])
        for node in nodes.values()
        if node["resource_type"] == "model"
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("model.") and layer(nodes[parent]) > layer(node)
    ]
    assert reaching_back == []


@pytest.mark.slow
def test_marts_build_on_a_sparse_archive_with_drifting_types(tmp_path):
    """A new deployment sees few event kinds: absent tables and variant columns must not fail."""
    regal = tmp_path / "regal"
    brand = tmp_path / "brand"
    common = {"channel": "voice", "queue": "Sales", "contact_phone": "917 555 0001"}
    write_archive_file(
        regal,
        "1791158400000/a.gz",
        [
            message("m1", "task.created", task_id="WT1", created_at="1791205200", **common),
            message(
                "m2",
                "call.completed",
                task_id="WT1",
                call_id="WT1",
                campaign_friendly_id=445,
                started_at=1791205260,
                ended_at=1791205560,
                completed_at=1791205620,
                talk_time="300",
                **common,
            ),
        ],
    )
    write_archive_file(
        regal,
        "1791244800000/b.gz",
        [
            message(
                "m3",
                "call.completed",
                task_id="WT2",
                call_id="WT2",
                campaign_friendly_id="cmp-446",
                started_at=1791291600,
                ended_at=1791291600,
                completed_at=1791291630,
                **common,
            )
        ],
    )
    identify = message("i1", "x")
    identify.update(type="identify", traits={"phone": "+19175550001", "optIn": []})
    del identify["event"], identify["properties"]
    write_archive_file(brand, "1791158400000/c.gz", [identify])

    warehouse = tmp_path / "warehouse.duckdb"
    result = make_load(warehouse, str(regal), f"segment={brand}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        calls = con.sql(
            f"SELECT call_id, talk_time_s, handle_time_s, reported_talk_time_s "
            f"FROM {MART_SCHEMA}.fct_calls ORDER BY 1"
        ).fetchall()
        assert calls == [("WT1", 300, 360, 300), ("WT2", 0, 30, None)]
        friendly = con.sql(
            "SELECT campaign_friendly_id FROM staging.stg_regal_voice__call_completed ORDER BY 1"
        ).fetchall()
        assert friendly == [("445",), ("cmp-446",)]
        statuses = con.sql(
            f"SELECT task_id, final_status FROM {MART_SCHEMA}.fct_tasks ORDER BY 1"
        ).fetchall()
        assert statuses == [("WT1", "completed"), ("WT2", "completed")]
        assert con.sql(f"SELECT count(*) FROM {MART_SCHEMA}.fct_agent_activity").fetchall() == [
            (0,)
        ]
