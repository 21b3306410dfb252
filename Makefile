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

# Three passes: the whole suite embedded, then the storage tests with metadata on PostgreSQL and
# the fact-store tests on chDB. The two backend passes run beside the embedded one (every test
# makes its own data dir, databases and ports; each pass has its own temp root), so the suite takes
# about as long as its longest pass; their output is printed when they end.
test: install browser postgres
	@tmp=$$(mktemp -d); \
	( $(BIN)/python -m pytest -q -p no:cacheprovider --basetemp="$$tmp/pg" --database postgresql -m storage \
	  && $(BIN)/python -m pytest -q -p no:cacheprovider --basetemp="$$tmp/ch" -m facts --facts chdb \
	) > "$$tmp/backends.log" 2>&1 & backends=$$!; \
	$(BIN)/python -m pytest -q --basetemp="$$tmp/embedded"; embedded=$$?; \
	wait $$backends; status=$$?; \
	echo "== storage tests on PostgreSQL, then fact-store tests on chDB =="; cat "$$tmp/backends.log"; \
	rm -rf "$$tmp"; test $$embedded = 0 && test $$status = 0

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
