# The user interface of the project: every target a user or cron needs.
# Variables (all optional): REGAL_VOICE_URL, SEGMENT_URL, WAREHOUSE.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SAMPLE := data/sample
STAMP := $(VENV)/.installed

export REGAL_VOICE_URL SEGMENT_URL WAREHOUSE

.PHONY: load ingest transform sample test lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

$(SAMPLE)/manifest.json: | $(STAMP)
	$(BIN)/python -m pipelines sample --output $(SAMPLE)

sample: $(STAMP)
	$(BIN)/python -m pipelines sample --output $(SAMPLE)

# Loads the archives (the bundled sample by default), then builds the dbt models.
load: $(STAMP) $(SAMPLE)/manifest.json
	$(BIN)/python -m pipelines load

# Loads the archives only.
ingest: $(STAMP) $(SAMPLE)/manifest.json
	$(BIN)/python -m pipelines ingest

transform: $(STAMP)
	$(BIN)/python -m pipelines transform

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check pipelines tests

clean:
	rm -rf $(SAMPLE) data/warehouse.duckdb data/warehouse.duckdb.wal data/warehouse.duckdb.dlt
