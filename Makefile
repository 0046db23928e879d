# frontdesk: `make run` sets everything up and serves the demo; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Workers for `make test` (pytest-xdist; 0 = one test at a time, in this process). Not yet shown
# to pay on a busy 2-core machine: docs/benchmarks.md "Test suite time". Try TEST_WORKERS=4.
TEST_WORKERS ?= 0
DEV_ENV := FRONTDESK_DEV=$${FRONTDESK_DEV:-1} FRONTDESK_LOG_JSON=$${FRONTDESK_LOG_JSON:-0}

.PHONY: install run test bench lint typecheck clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(DEV_ENV) $(BIN)/frontdesk migrate
	$(DEV_ENV) $(BIN)/frontdesk demo
	$(DEV_ENV) $(BIN)/frontdesk serve

test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .mypy_cache
