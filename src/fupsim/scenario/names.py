"""Names a scenario accepts that the command line needs before any model is loaded.

Kept free of imports so that ``fupsim --help`` can list the choices without loading pydantic.
"""

from __future__ import annotations

__all__ = ["SWEEP_OUTCOMES"]

SWEEP_OUTCOMES = (
    "cost_per_patient",
    "screen_detected_per_1000",
    "incremental_cost_per_detection",
    "net_monetary_benefit",
    "incremental_net_benefit",
)
"""Outcomes a one-way (tornado) or Sobol analysis can rank parameters by."""
