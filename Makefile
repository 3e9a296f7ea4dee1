# fupsim: every target sets itself up on a fresh clone (virtual environment in .venv/).
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
# a failing pip must fail the target even though its output is filtered
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: install install-dev test test-fast lint report bench golden clean

RUNTIME := $(VENV)/.runtime-stamp
DEV     := $(VENV)/.dev-stamp
PIP     := $(PY) -m pip install --quiet --disable-pip-version-check

$(RUNTIME): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PIP) -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PY) -c "import fupsim, simpy, statsmodels, threadpoolctl, distributed, SALib"
	@touch $(RUNTIME)

$(DEV): $(RUNTIME)
	$(PIP) -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PY) -c "import pytest, pytest_cov, hypothesis, lifelines"
	@touch $(DEV)

install: $(RUNTIME)  ## create or update .venv with fupsim and what its commands need

install-dev: $(DEV)  ## ... plus the test and lint tools

test: install-dev  ## the whole test suite, slow tests included, with line coverage
	$(PY) -m pytest --cov=fupsim --cov-report=term:skip-covered

test-fast: install-dev  ## the suite without tests marked slow
	$(PY) -m pytest -m "not slow"

lint: install-dev  ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

report: install  ## the main job: simulate the baseline scenario and build its report
	$(VENV)/bin/fupsim report scenarios/baseline.toml --out reports/baseline

bench: install-dev  ## benchmarks; writes reports/bench/bench.json
	$(PY) benchmarks/bench.py

golden: install-dev  ## regenerate the golden files on purpose (records the versions used)
	$(PY) tests/golden/regenerate.py

clean:
	rm -rf reports/ .pytest_cache .mypy_cache .ruff_cache
