# The user interface of the project: every target a user or cron needs.
# Variables (all optional): REGAL_VOICE_URL, SOURCES, SEGMENT_URL, WAREHOUSE (a DuckDB file or a
# postgresql:// URL), STATE_DIR, REGAL_VOICE_SCHEMA, BRAND_SCHEMAS (`make transform` on a warehouse
# Segment loads), LOCK_WAIT, BUSY_WAIT, FULL, PUBLISH_KEEP_HOURS, DOCS_PORT, SQL, SPARK_MASTER
# (WAREHOUSE=iceberg:<folder or s3://bucket/prefix>: the Spark master, local[2] by default).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data/sample
STAMP := $(VENV)/.installed
# The development tools (pytest, hypothesis, moto, ruff, sqlfluff, bench's plotting), on top:
# a user who only loads never installs them.
DEV_STAMP := $(VENV)/.installed-dev

export REGAL_VOICE_URL SOURCES SEGMENT_URL WAREHOUSE SPARK_MASTER STATE_DIR REGAL_VOICE_SCHEMA BRAND_SCHEMAS LOCK_WAIT BUSY_WAIT FULL PUBLISH_KEEP_HOURS SQL SUPPRESSION_LIST PURGE_ARCHIVE DRY_RUN

.PHONY: load ingest transform forget shell report docs docs-static sample test test-spark test-unit test-quick lint bench bench-spark clean

DOCS_PORT ?= 8080
# dbt resolves a relative DuckDB path against its working directory: hand it an absolute one
# (a PostgreSQL URL goes through as it is).
DBT_WAREHOUSE := $(if $(filter postgres%,$(WAREHOUSE)),$(WAREHOUSE),$(abspath $(or $(WAREHOUSE),data/warehouse.duckdb)))
# Colours only on a terminal: in cron mail and CI logs they are escape codes.
DBT_COLORS := $(shell test -t 1 && echo true || echo false)
# The warehouse reaches dbt through the environment, never on a recipe line: make echoes
# those into cron mail and CI logs, and a PostgreSQL URL may hold a password.
docs docs-static lint: override export WAREHOUSE := $(DBT_WAREHOUSE)
DBT = DBT_USE_COLORS=$(DBT_COLORS) $(BIN)/dbt
# dbt's target folder (DBT_TARGET_PATH, which dbt reads too, moves it; the tests give each worker
# its own).
DBT_TARGET = $(or $(DBT_TARGET_PATH),dbt_project/target)
DBT_DIRS = --project-dir dbt_project --profiles-dir dbt_project

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	$(BIN)/python -m pipelines.engines.spark.jars
	@touch $(DEV_STAMP)

# What a command needs installed for the warehouse it works on.
ENGINE_STAMP = $(STAMP) $(if $(filter iceberg:%,$(WAREHOUSE)),$(SPARK_STAMP))

# Spark, dbt-spark and Iceberg's runtime jar, only for WAREHOUSE=iceberg:<lake> (Java 17 runs them),
# and the two jars of Spark's S3 file system (from a PyPI archive: Maven cannot be reached).
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[spark]'
	$(BIN)/python -m pipelines.engines.spark.jars
	@touch $(SPARK_STAMP)

# Written again, whole, when the generator changed (a new release's sample has other sources).
$(SAMPLE)/manifest.json: pipelines/sample/archive.py pipelines/sample/lifecycle.py pipelines/settings.py | $(STAMP)
	rm -rf $(SAMPLE)
	$(BIN)/python -m pipelines sample --output $(SAMPLE)

sample: $(STAMP)
	rm -rf $(SAMPLE)
	$(BIN)/python -m pipelines sample --output $(SAMPLE)

# Loads the archives (the bundled sample by default), then builds the dbt models.
load: $(ENGINE_STAMP) $(SAMPLE)/manifest.json
	$(BIN)/python -m pipelines load

# Loads the archives only.
ingest: $(ENGINE_STAMP) $(SAMPLE)/manifest.json
	$(BIN)/python -m pipelines ingest

# Builds and tests the dbt models on the loaded warehouse.
transform: $(ENGINE_STAMP)
	$(BIN)/python -m pipelines transform

# Forgets a person on request (PHONE=…, EMAIL=…, USER_ID=…, any combination): removes them
# from every table and the analysts' copy, and suppresses them in every later load.
# PURGE_ARCHIVE=1 takes their lines out of the archive files too; DRY_RUN=1 changes nothing
# and lists what it would do.
forget: $(ENGINE_STAMP)
	$(BIN)/python -m pipelines forget

# Opens what analysts read, read-only: the published copy in DuckDB's SQL shell, or psql on a
# PostgreSQL warehouse.
# SQL="select …" runs one query and prints its result instead.
shell: $(ENGINE_STAMP)
	@$(BIN)/python -m pipelines shell

# Writes the daily KPIs as one HTML page that opens offline: data/warehouse.report.html.
report: $(ENGINE_STAMP)
	@$(BIN)/python -m pipelines report

# The docs site never opens the warehouse (column types come from the models' contracts,
# written into dbt's catalog by pipelines/docs.py), so it builds while a load runs or an
# analyst holds the file.
# `dbt parse` writes the manifest the site shows (`docs generate --no-compile` writes none).
DOCS_GENERATE = $(DBT) parse $(DBT_DIRS) --quiet && $(DBT) docs generate $(DBT_DIRS) --empty-catalog --no-compile

# Generates the dbt docs site and serves it on http://127.0.0.1:$(DOCS_PORT) (local only).
docs: $(ENGINE_STAMP)
	$(DOCS_GENERATE)
	$(BIN)/python -m pipelines.docs $(DBT_TARGET)
	$(DBT) docs serve $(DBT_DIRS) --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

# Writes the docs site as one self-contained file: dbt_project/target/static_index.html.
docs-static: $(ENGINE_STAMP)
	$(DOCS_GENERATE)
	$(BIN)/python -m pipelines.docs $(DBT_TARGET) --static

# Every test: unit, integration (real DuckDB, dbt, moto S3, PostgreSQL) and end to end (make,
# the command line, a browser, a Spark cluster), in three processes (pytest-xdist; each test
# file in one, so its fixtures are built once): see the README for the time it takes. Its
# Spark tier is one load on a standalone cluster (every model, data test and unit test); the
# rest of the Spark story is test-spark's.
test: $(DEV_STAMP) $(SAMPLE)/manifest.json
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder -m "not spark_full" --durations=30

# The whole Spark story (marker spark_full): new files built incrementally on a standalone
# cluster, a forget erased from every file of the lake, a lake on S3 continued by a second
# machine. CI runs it after `make test`.
test-spark: $(DEV_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder -m spark_full --durations=5

# The unit tests alone: pure functions, in seconds.
test-unit: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/unit -q

# Unit and integration tests without the slow ones (no make, no server start-up): minutes.
test-quick: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/unit tests/integration -m "not slow" -q

# Times the load and dbt build beside DuckDB's floor and plain dlt (README "Performance").
# Writes data/bench/results.json, data/bench/scaling.png and the README's table.
EVENTS ?= 5000000
SCALES ?= 500000,1000000
REPEATS ?= 3
bench: $(DEV_STAMP)
	$(BIN)/python -m tests.bench --events $(EVENTS) --scales $(SCALES) --repeats $(REPEATS)

# The Spark steps alone (local[2] and a two-worker cluster) on SPARK_EVENTS messages: writes
# data/bench/results-spark.json; the README's figures of the lake come from it.
SPARK_EVENTS ?= 500000
bench-spark: $(DEV_STAMP)
	$(BIN)/python -m tests.bench --only-spark --events $(SPARK_EVENTS) --scales $(SPARK_EVENTS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check pipelines tests
	$(BIN)/ruff format --check pipelines tests
	cd dbt_project && ../$(BIN)/sqlfluff lint models

clean:
	rm -rf $(SAMPLE) data/warehouse.duckdb data/warehouse.duckdb.wal data/warehouse.duckdb.dlt \
		data/warehouse.analytics.duckdb data/warehouse.analytics data/warehouse.duckdb.lock \
		data/warehouse.report.html \
		data/warehouse.older-sample-* \
		data/bench/work
