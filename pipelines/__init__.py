"""The Regal Voice warehouse: Segment's S3 archive of Regal Voice and the brand's own sources,
loaded by dlt into a warehouse (DuckDB, PostgreSQL) and modelled with dbt. See ARCHITECTURE.md
for where each job lives."""
