# Two commands: `make run` starts everything, `make test` passes the tests. Both install first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run lint format test test-postgresql test-fast bench faults bench-catalog bench-import chromium nginx clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/order2cash dev

# Browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not installed: browser tests will be skipped"; fi; }

# The compose deployment's proxy configuration is tested in a real nginx (tests/test_docker_compose.py).
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	  else echo "nginx not installed: the proxy tests will be skipped"; fi; }

# ruff (lint and format), mypy (types) and import-linter (the layering, pyproject.toml); the
# import-cycle check is tests/test_architecture.py
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# every test on SQLite (the tests of the database layer on PostgreSQL too), then the running
# system's tests (API, pages, workflows) once more with the app database on PostgreSQL
# (the OpenAPI fuzzing, two minutes, runs once: in the PostgreSQL stage, where it found the most)
test: lint chromium nginx
	$(PY) -m pytest --deselect tests/api/test_openapi_fuzz.py
	$(MAKE) --no-print-directory test-postgresql

test-postgresql: install
	TEST_DATABASE=postgresql $(PY) -m pytest tests/api tests/pages tests/workflows tests/test_worker.py

test-fast: install
	$(PY) -m pytest -m "not browser"

bench: install
	$(PY) bench/orders_e2e.py

# the fault drill (not part of `make test`): 200 orders while the worker and Temporal are killed
faults: install
	$(PY) bench/faults.py

bench-catalog: install
	$(PY) bench/catalog_query.py

bench-import: install
	$(PY) bench/bmecat_import.py

clean:
	rm -rf $(VENV) .pytest_cache
