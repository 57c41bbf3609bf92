"""``make bench``: the product's load and transform speed beside DuckDB's floor and plain dlt."""
