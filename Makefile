# One entry point for every check. `make install` bootstraps .venv at the repo root.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser postgres demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install -y chromium' once, then 'make test'"; exit 1; \
	  fi; }

# The storage tests run a second time on PostgreSQL 15: the tests start (and stop) their own
# throwaway cluster from these binaries, or use OUTLAY_TEST_POSTGRES_URL.
PG_BIN := $(shell pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
postgres:
	@test -x "$(PG_BIN)/initdb" || test -n "$$OUTLAY_TEST_POSTGRES_URL" || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null; \
	    pg_ctlcluster 15 main stop 2>/dev/null || true; \
	  else \
	    echo "PostgreSQL 15 is missing: run 'sudo apt-get install -y postgresql-15' once, then 'make test'"; exit 1; \
	  fi; }

demo: install
	$(BIN)/outlay demo

test: install browser postgres
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q --database postgresql -m storage
	$(BIN)/python -m pytest -q -p no:cacheprovider -m storage --facts chdb

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
