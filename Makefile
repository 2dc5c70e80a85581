# Relance: two commands on a fresh Debian machine with Python 3.11.
#   make run   installs everything, migrates, seeds the demo, runs web + worker + cron + mail sink
#   make test  installs what the tests need, starts Redis and PostgreSQL, runs the whole suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi.py
PG_PORT ?= 5433
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:$(PG_PORT)/relance_test

.PHONY: run test test-sqlite test-postgres install translations lint clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations 2>/dev/null

run: install
	@bash scripts/ensure-system.sh
	@bash scripts/ensure-redis.sh
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@echo ""
	@echo "Relance is starting on http://127.0.0.1:$${WEB_PORT:-8000}"
	@echo "Logins (password relance-demo): owner@demo.relance.test (en), amelie@demo.relance.test (fr),"
	@echo "  joao@demo.relance.test (pt_PT), daan@demo.relance.test (nl); client: claire.martin.0@client.relance.test"
	@echo "Emails are caught by the development SMTP sink: Caught emails in the sidebar."
	@echo ""
	$(BIN)/honcho start

test: install
	@bash scripts/ensure-system.sh test
	@bash scripts/ensure-redis.sh
	@bash scripts/ensure-postgres.sh
	$(MAKE) --no-print-directory lint
	@# The two databases' runs at once (two cores; each prints when it ends): they share
	@# nothing but Redis, where each has its own database number.
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check .

test-sqlite:
	$(BIN)/pytest -q

test-postgres:
	DATABASE_URL=$(TEST_PG_URL) REDIS_URL=$${TEST_PG_REDIS_URL:-redis://127.0.0.1:6379/1} \
		$(BIN)/pytest -q -m "not browser"

clean:
	rm -rf $(VENV) instance
