# Two commands do all the set-up on a fresh machine with Python >= 3.11 and make:
#   make run    create the environment, migrate, load reference data, serve on 127.0.0.1:8000
#   make test   ruff, mypy, the SDL and error-code catalogue checks and the whole suite on SQLite and (when reachable) PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
ECERT := $(VENV)/bin/ecert
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint typecheck schema migrations assets env clean bench bench-collection

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ecert needs Python >= 3.11")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

env: $(VENV)/.synced

assets: env
	@$(VENV)/bin/python scripts/fetch_graphiql_assets.py --dest graphql_api/static/vendor

run: env assets
	$(ECERT) migrate
	$(ECERT) serve

test: env assets
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(ECERT) export-schema --check --output schema.graphql
	$(VENV)/bin/python scripts/error_codes.py --check
	$(VENV)/bin/pytest

# Issue 10's benchmark: data set (cached in bench/.cache), ecert vs baselines under wrk, a
# markdown table in bench/results/. BENCH_QUICK=1 for a smoke run (see bench/README.md).
bench: env
	$(VENV)/bin/python bench/run_bench.py $(BENCH_ARGS)

bench-collection: env
	$(VENV)/bin/python bench/bench_collection.py

lint: env
	$(VENV)/bin/ruff check .

typecheck: env
	$(VENV)/bin/mypy

schema: env
	$(ECERT) export-schema --output schema.graphql

migrations: env
	$(VENV)/bin/tortoise makemigrations

clean:
	rm -rf $(VENV) $(TOOLS)
