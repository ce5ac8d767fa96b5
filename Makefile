# Everything a fresh machine needs is installed by these targets: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
N      ?= 2000

.PHONY: help install test lint format typecheck unit demo bench clean

help:
	@echo "make demo    run the pipeline end to end on the embedded engine (N=$(N) reports)"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make bench   print the benchmark figures"
	@echo "make lint    ruff (lint + format check) and mypy only"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,transformers]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest --cov --cov-report=term:skip-covered

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

demo: $(STAMP)
	$(BIN)/python -m radimpress.local.demo --count $(N)

bench: $(STAMP)
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/rouge.py
	$(BIN)/python bench/coldstart.py
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .aws-sam .coverage
