# midway — every target creates/uses .venv and installs what it needs itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-fast check lint types contracts bench cluster-build cluster-up cluster-down browser-deps backstage-schemas clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

## run: render the embedded example config and publish it to .midway/state.git
run: $(STAMP)
	$(BIN)/midway --config . publish

## test: install everything (incl. the real test cluster binaries) and run all tests; a test
## cluster the run starts is stopped afterwards, one already up (make cluster-up) stays up
test: $(STAMP) cluster-build browser-deps backstage-schemas
	scripts/with-test-cluster.sh $(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(STAMP) backstage-schemas
	$(BIN)/pytest -n 2 -m "not slow and not cluster" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

check: lint types contracts test

cluster-build:
	scripts/test-cluster.sh build

## browser-deps: Debian's chromium for the status page's browser tests (tests/daemon/web);
## playwright drives it from the dev extra, never downloading a browser of its own
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)
browser-deps:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && $(SUDO) env \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium chromium-driver >/dev/null; }

## backstage-schemas: npm ci in tests/backstage (Backstage's entity schemas for tests/catalog)
backstage-schemas:
	scripts/backstage-schemas.sh

cluster-up: cluster-build
	scripts/test-cluster.sh up

cluster-down:
	scripts/test-cluster.sh down

bench: $(STAMP) cluster-build
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .midway build dist
