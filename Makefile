# Quick start: `make run` (starts the bot) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest migrate check-config bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP)

run: $(STAMP)
	@$(BIN)/salesbot run

migrate: $(STAMP)
	$(BIN)/salesbot migrate

check-config: $(STAMP)
	$(BIN)/salesbot check-config

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers storage tests bench
	$(BIN)/pytest

bench: $(DEV_STAMP)
	$(BIN)/python bench/lead_form.py
	$(BIN)/python bench/deals.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/documents.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
