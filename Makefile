# Voronka: `make run` sets up and starts everything; `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
JOBS ?= auto

.PHONY: install run test lint format messages bench clean vendor

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	PORT=$(PORT) scripts/run.sh

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(JOBS)
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
	  echo "== the same suite on PostgreSQL =="; \
	  DATABASE_URL="$$TEST_POSTGRES_URL" $(VENV)/bin/pytest -n $(JOBS); \
	else \
	  echo "TEST_POSTGRES_URL is not set: PostgreSQL run skipped (CI always sets it)."; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	$(PY) manage.py makemessages -l ru --no-obsolete --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

# Benchmarks (docs/performance.md): `make bench` (full sizes: 1M contacts, 100k deals; the data
# is built once and reused), `make bench QUICK=1` (a few minutes), one scenario with
# `make bench BENCH_ARGS="board"`. PostgreSQL too when BENCH_POSTGRES_URL names a database the
# benchmark may fill (never the one of DATABASE_URL).
QUICK ?=
BENCH_ARGS ?=
bench: install
	$(PY) -m benchmarks $(if $(QUICK),--quick) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var

HTMX_VERSION := 2.0.11
SORTABLE_VERSION := 1.15.7
vendor:
	rm -rf var/vendor && mkdir -p var/vendor
	cd var/vendor && npm pack -q htmx.org@$(HTMX_VERSION) sortablejs@$(SORTABLE_VERSION) \
	  && mkdir htmx sortable && tar xzf htmx.org-*.tgz -C htmx && tar xzf sortablejs-*.tgz -C sortable
	cp var/vendor/htmx/package/dist/htmx.min.js var/vendor/htmx/package/LICENSE voronka/static/vendor/htmx/
	cp var/vendor/sortable/package/Sortable.min.js var/vendor/sortable/package/LICENSE voronka/static/vendor/sortablejs/
