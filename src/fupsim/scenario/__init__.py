"""Scenarios: validated, immutable model parameters loaded from TOML, with dotted overrides.

A scenario is a frozen pydantic model. It is read from a TOML file by :func:`load_scenario`
(following ``extends = "parent.toml"``: a file may state only its differences from another),
optionally changed by ``--set dotted.key=value`` overrides (validated exactly like the file),
and never mutated afterwards: variants are new objects made by :func:`with_overrides`.
:func:`diff_scenarios` lists the resolved differences between two scenarios.

Uncertainty about a parameter (its one-way range, its PSA distribution, its source and
confidence code) lives in the ``[uncertainty."dotted.key"]`` tables, so the parameters
themselves stay plain numbers that the model reads directly.

The names are loaded on first use (PEP 562): :class:`ScenarioError` and
:data:`SWEEP_OUTCOMES` come without loading pydantic, so the command line starts at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fupsim.errors import ScenarioError
from fupsim.lazy import lazy_names
from fupsim.scenario.names import SWEEP_OUTCOMES

if TYPE_CHECKING:
    from fupsim.scenario.base import (
        DAYS_PER_MONTH,
        MAX_GRID_POINTS,
        MIN_INTERVAL_MONTHS,
        SIZE_KEYS,
    )
    from fupsim.scenario.blocks import Scenario
    from fupsim.scenario.care import (
        Attendance,
        Capacity,
        CauseHistory,
        Costs,
        Protocol,
        discount_factor_days,
    )
    from fupsim.scenario.diff import diff_scenarios
    from fupsim.scenario.keys import apply_override, key_parts, lookup, parse_overrides
    from fupsim.scenario.loading import (
        get_value,
        load_scenario,
        merge_tables,
        read_scenario_data,
        scenario_from_dict,
        with_overrides,
    )
    from fupsim.scenario.population import CohortSpec
    from fupsim.scenario.study import Analysis, Sweep, Uncertainty, size_key_message
    from fupsim.scenario.workload import (
        LARGE_WORK,
        MAX_REPLICATE_CELLS,
        MAX_WORK,
        Workload,
        check_workload,
        workload,
    )

_LAZY = {
    "DAYS_PER_MONTH": "fupsim.scenario.base",
    "MAX_GRID_POINTS": "fupsim.scenario.base",
    "MIN_INTERVAL_MONTHS": "fupsim.scenario.base",
    "SIZE_KEYS": "fupsim.scenario.base",
    "Analysis": "fupsim.scenario.study",
    "Attendance": "fupsim.scenario.care",
    "Capacity": "fupsim.scenario.care",
    "CauseHistory": "fupsim.scenario.care",
    "CohortSpec": "fupsim.scenario.population",
    "Costs": "fupsim.scenario.care",
    "Protocol": "fupsim.scenario.care",
    "Scenario": "fupsim.scenario.blocks",
    "Sweep": "fupsim.scenario.study",
    "Uncertainty": "fupsim.scenario.study",
    "discount_factor_days": "fupsim.scenario.care",
    "size_key_message": "fupsim.scenario.study",
    "diff_scenarios": "fupsim.scenario.diff",
    "apply_override": "fupsim.scenario.keys",
    "key_parts": "fupsim.scenario.keys",
    "lookup": "fupsim.scenario.keys",
    "parse_overrides": "fupsim.scenario.keys",
    "get_value": "fupsim.scenario.loading",
    "load_scenario": "fupsim.scenario.loading",
    "merge_tables": "fupsim.scenario.loading",
    "read_scenario_data": "fupsim.scenario.loading",
    "scenario_from_dict": "fupsim.scenario.loading",
    "with_overrides": "fupsim.scenario.loading",
    "LARGE_WORK": "fupsim.scenario.workload",
    "MAX_REPLICATE_CELLS": "fupsim.scenario.workload",
    "MAX_WORK": "fupsim.scenario.workload",
    "Workload": "fupsim.scenario.workload",
    "check_workload": "fupsim.scenario.workload",
    "workload": "fupsim.scenario.workload",
}
"""Public name → the submodule that defines it (imported on first use)."""

__all__ = [
    "DAYS_PER_MONTH",
    "LARGE_WORK",
    "MAX_GRID_POINTS",
    "MAX_REPLICATE_CELLS",
    "MAX_WORK",
    "MIN_INTERVAL_MONTHS",
    "SIZE_KEYS",
    "SWEEP_OUTCOMES",
    "Analysis",
    "Attendance",
    "Capacity",
    "CauseHistory",
    "CohortSpec",
    "Costs",
    "Protocol",
    "Scenario",
    "ScenarioError",
    "Sweep",
    "Uncertainty",
    "Workload",
    "apply_override",
    "check_workload",
    "diff_scenarios",
    "discount_factor_days",
    "get_value",
    "key_parts",
    "load_scenario",
    "lookup",
    "merge_tables",
    "parse_overrides",
    "read_scenario_data",
    "scenario_from_dict",
    "size_key_message",
    "with_overrides",
    "workload",
]

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
