# fupsim: every target sets itself up on a fresh clone (virtual environment in .venv/).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3
# a failing pip must fail the target even though its output is filtered
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: install test test-fast lint report bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PY) -c "import fupsim, simpy, statsmodels, threadpoolctl, distributed, SALib, pytest"
	@touch $(STAMP)

install: $(STAMP)  ## create or update .venv with fupsim and its test and lint tools

test: install  ## the whole test suite, slow tests included
	$(PY) -m pytest

test-fast: install  ## the suite without tests marked slow
	$(PY) -m pytest -m "not slow"

lint: install  ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

report: install  ## the main job: simulate the baseline scenario and build its report
	$(VENV)/bin/fupsim report scenarios/baseline.toml --out reports/baseline

bench: install  ## benchmarks; writes reports/bench/bench.json
	$(PY) benchmarks/bench.py

clean:
	rm -rf reports/ .pytest_cache .mypy_cache .ruff_cache
