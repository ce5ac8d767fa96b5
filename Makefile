# Everything a fresh machine needs is installed by these targets: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# checkov pins many dependencies of its own: it gets a virtualenv of its own, apart from the project's
CHECKOV_VENV := .venv-checkov
CHECKOV      := $(CHECKOV_VENV)/bin/checkov
N      ?= 2000

.PHONY: help install test test-sdk lint scan format typecheck unit demo bench browser clean

help:
	@echo "make demo    run the pipeline end to end on the embedded engine (N=$(N) reports)"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make bench   print the benchmark figures"
	@echo "make lint    checkov over template.yaml, ruff (lint + format check) and mypy"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,transformers,dashboard]'
	touch $(STAMP)

install: $(STAMP)

# The SageMaker SDK v2 (`[training]`) pins older attrs/packaging/rich than the dev venv: its tests
# (tests/sdk, JumpStartEstimator on moto) run in a virtualenv of their own.
SDK_VENV  := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed-stamp

$(SDK_STAMP): pyproject.toml
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(SDK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[training]' \
		'moto[s3,sagemaker,iam]>=5.0' 'pytest>=8' 'pyyaml>=6.0'
	touch $(SDK_STAMP)

test-sdk: $(SDK_STAMP)
	$(SDK_VENV)/bin/pytest -q tests/sdk


$(CHECKOV):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov>=3.2,<4'

# the template's security scan; accepted findings and their reasons: .checkov.yaml
scan: $(CHECKOV)
	$(CHECKOV) --config-file .checkov.yaml --skip-download  # offline: no guideline download

lint: $(STAMP) scan
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# headless Chromium for the dashboard's browser test (Debian's package); without it the test skips, saying so
browser:
	command -v chromium || (apt-get update -qq && apt-get install -y -qq chromium) || true

test: lint test-sdk browser
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
	$(BIN)/python bench/mllp_load.py

clean:
	rm -rf $(VENV) $(SDK_VENV) $(CHECKOV_VENV) .mypy_cache .pytest_cache .ruff_cache .aws-sam .coverage
