"""Names dbt turns into relations fit every engine: PostgreSQL cuts identifiers at 63 bytes
and dbt then refuses the relation (a unit test's fixture table is named after the test)."""

from __future__ import annotations

import yaml

from pipelines.settings import DBT_PROJECT

POSTGRES_IDENTIFIER_BYTES = 63


def test_every_model_seed_and_unit_test_name_fits_postgres():
    too_long = []
    for path in sorted(DBT_PROJECT.glob("*/**/*.yml")):
        if "target" in path.parts or "logs" in path.parts:
            continue
        properties = yaml.safe_load(path.read_text()) or {}
        for kind in ("models", "seeds", "unit_tests"):
            for entry in properties.get(kind) or []:
                if len(entry["name"].encode()) > POSTGRES_IDENTIFIER_BYTES:
                    too_long.append(f"{path.relative_to(DBT_PROJECT)}: {entry['name']}")
    assert too_long == []
