# The two commands: `make run` and `make test`. Everything else is set-up they share.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS := ltci/core/static/vendor/.built-stamp
# Demo population per region loaded by `make run`.
DEMO_INSURED ?= 300
DEMO_SEED ?= 2026
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-postgresql bench clean

install: $(STAMP) $(ASSETS) var/.static-stamp

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml scripts/ensure-system-packages.sh
	bash scripts/ensure-system-packages.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(ASSETS): package.json package-lock.json scripts/build-assets.sh
	bash scripts/build-assets.sh
	@touch $@

var/.static-stamp: $(STAMP) $(ASSETS) $(shell find ltci -path '*/static/*' -type f -not -path 'ltci/core/static/vendor/*' 2>/dev/null)
	@mkdir -p var
	$(BIN)/ltci collectstatic --noinput --verbosity 0
	@touch $@

# Demo mode: demo users with the printed password; LTCI_DEMO=0 serves without them.
run: install
	$(BIN)/ltci migrate --noinput --verbosity 0
	LTCI_DEMO=$${LTCI_DEMO:-1} $(BIN)/ltci demo --all-regions --insured $(DEMO_INSURED) --seed $(DEMO_SEED) --if-empty
	LTCI_DEMO=$${LTCI_DEMO:-1} bash scripts/run-server-and-worker.sh $(BIN)/ltci --host $(HOST) --port $(PORT)

test: install
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite against a throw-away PostgreSQL cluster (what .ci/run does after `make test`).
test-postgresql: install
	bash scripts/with-postgresql.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

# Speed of the big batches at the sizes the issues name (rows/s, peak memory), against DuckDB SQL.
bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) node_modules ltci/core/static/vendor var
