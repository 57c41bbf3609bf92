"""``make docs`` / ``make docs-static``: the column types on the docs site, from the contracts.

dbt's docs site takes column types from ``catalog.json``, which ``dbt docs generate`` fills by
querying the warehouse. The site is generated with ``--empty-catalog`` instead, so that it
builds while a load holds the warehouse (and without a warehouse at all); this fills that
catalog from what dbt already knows, the ``data_type`` of every contracted column in the
manifest, and writes the self-contained page as dbt's ``--static`` does.

``python -m pipelines.docs TARGET_DIR [--static]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# dbt's docs page carries these two strings where ``--static`` puts the artifacts inline.
MANIFEST_PLACEHOLDER = '"MANIFEST.JSON INLINE DATA"'
CATALOG_PLACEHOLDER = '"CATALOG.JSON INLINE DATA"'
NO_STATS = {
    "has_stats": {
        "id": "has_stats",
        "label": "Has Stats?",
        "value": False,
        "include": False,
        "description": "Indicates whether there are statistics for this table",
    }
}


def table_entry(node: dict) -> dict | None:
    """A catalog entry for a model or source with typed columns; None without any."""
    typed = [
        (name, column["data_type"])
        for name, column in node.get("columns", {}).items()
        if column.get("data_type")
    ]
    if not typed:
        return None
    materialized = node.get("config", {}).get("materialized")
    return {
        "metadata": {
            "type": "VIEW" if materialized == "view" else "BASE TABLE",
            "schema": node.get("schema"),
            "name": node.get("alias") or node.get("identifier") or node.get("name"),
            "database": node.get("database"),
            "comment": None,
            "owner": None,
        },
        "columns": {
            name: {"type": str(data_type).upper(), "index": index, "name": name, "comment": None}
            for index, (name, data_type) in enumerate(typed, 1)
        },
        "stats": NO_STATS,
        "unique_id": node["unique_id"],
    }


def fill_catalog(target: Path) -> dict[str, int]:
    """Write the contracts' column types into ``target/catalog.json``; entries per kind."""
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    written = {}
    for kind, nodes in (("nodes", manifest["nodes"]), ("sources", manifest["sources"])):
        entries = {}
        for unique_id, node in nodes.items():
            if node.get("resource_type") not in ("model", "source", "seed", "snapshot"):
                continue
            entry = table_entry(node)
            if entry is not None:
                entries[unique_id] = entry
        catalog[kind] = entries
        written[kind] = len(entries)
    (target / "catalog.json").write_text(json.dumps(catalog))
    return written


def write_static_page(target: Path) -> Path:
    """dbt's docs page with the manifest and catalog inside, as ``--static`` writes it."""
    page = (target / "index.html").read_text(encoding="utf-8")
    page = page.replace(MANIFEST_PLACEHOLDER, (target / "manifest.json").read_text())
    page = page.replace(CATALOG_PLACEHOLDER, (target / "catalog.json").read_text())
    static = target / "static_index.html"
    static.write_text(page, encoding="utf-8")
    return static


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.docs", description=__doc__)
    parser.add_argument("target", type=Path, help="dbt's target folder")
    parser.add_argument("--static", action="store_true", help="also write static_index.html")
    args = parser.parse_args(argv)
    written = fill_catalog(args.target)
    print(f"docs: column types of {written['nodes']} models and {written['sources']} sources")
    if args.static:
        print(f"docs: {write_static_page(args.target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
