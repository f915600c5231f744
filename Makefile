# One entry point for people and CI: make run | test | lint. Needs only python3.11, node/npm, make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.stamp-installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv assets migrate run test bench lint clean

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Re-install only when pyproject.toml changes (the stamp is newer than it otherwise).
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(INSTALLED)  ## Create .venv and install the app with its dev tools

assets:  ## Copy GOV.UK Frontend into static/govuk/ (npm ci when node_modules is stale)
	./scripts/build-assets

migrate: venv  ## Upgrade the database (instance/ SQLite unless TRACKER_DATABASE_URL is set)
	$(BIN)/tracker db upgrade

# The session cookie stays Secure here: Chromium sends Secure cookies to
# http://127.0.0.1 and localhost, checked by tests/browser. Serving on another address over plain
# HTTP needs TRACKER_SESSION_COOKIE_SECURE=false (README, First sign-in).
run: venv assets migrate  ## Serve on http://127.0.0.1:5000 (HOST, PORT), importing the examples on first run
	$(BIN)/tracker import experiments --if-empty --analyse
	$(BIN)/tracker serve --host $(HOST) --port $(PORT)

test: venv assets  ## Run the test suite (pass options with PYTEST_ARGS='...')
	$(BIN)/pytest $(PYTEST_ARGS)

BENCH_INSTALLED := $(VENV)/.stamp-bench
$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(BENCH_INSTALLED) assets  ## Benchmarks (bench/README.md): a table, and bench/results/latest.json
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: venv  ## ruff (lint and format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tracker

clean:  ## Remove the venv, node_modules, built assets and caches (never instance/, your data)
	rm -rf $(VENV) node_modules static/govuk .pytest_cache .mypy_cache .ruff_cache \
		htmlcov .coverage *.egg-info build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
