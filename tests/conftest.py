"""Shared fixtures: paths of the shipped scenarios and small, fast variants of them."""

from __future__ import annotations

from pathlib import Path

import pytest

import fupsim

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def baseline() -> fupsim.Scenario:
    return fupsim.load_scenario(BASELINE)
