"""Health outcomes: background mortality, lifetime consequences of early and late diagnosis, harms.

The stage after :mod:`fupsim.metrics`: it adds life-years, QALYs, deaths and harms to each
person's outcome row, over the outcome horizon (``analysis.outcome_horizon_years``, a lifetime
by default), from the latent histories, the life table and what the protocol did
(PARAMETERS.md §7). :func:`by_cause` tabulates them per cause and protocol.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fupsim.cohort import Cohort
from fupsim.engine import ArmResult
from fupsim.health.lifetable import Mortality, discounted_years
from fupsim.health.mortality import draw_death_months, mortality_of, with_deaths
from fupsim.health.outcomes import (
    HEALTH_OUTCOME_COLUMNS,
    HealthContext,
    arm_health,
    health_context,
    outcome_horizon_years,
)
from fupsim.labels import EFFECTS
from fupsim.natural_history import History
from fupsim.scenario import Scenario

__all__ = [
    "BY_CAUSE_COLUMNS",
    "EFFECTS",
    "HEALTH_OUTCOME_COLUMNS",
    "HealthContext",
    "Mortality",
    "add_health",
    "arm_health",
    "by_cause",
    "context_for",
    "discounted_years",
    "draw_death_months",
    "effect_columns",
    "health_context",
    "mortality_of",
    "outcome_horizon_years",
    "with_deaths",
]


def effect_columns(scenario: Scenario) -> tuple[str, str, str]:
    """The outcome column, summary column and label of the scenario's ``analysis.effect``.

    The summary column of ``screen_detected`` is per 1,000 people; the others are per person
    (the registry :data:`fupsim.labels.EFFECTS` defines all three).
    """
    e = EFFECTS[scenario.analysis.effect]
    return e.outcome, e.summary, e.plural


def add_health(frame: pd.DataFrame, context: HealthContext, arm: ArmResult) -> pd.DataFrame:
    """``frame`` (one arm's :func:`fupsim.metrics.arm_outcomes`) with the health columns added.

    ``context`` is the replicate's :func:`health_context`.

    ``cost`` gains the costs that fall after follow-up (late treatment of changes presenting
    later, expected) and the treatment cost of false diagnoses (``harms.false_diagnosis_cost``).
    """
    cols = arm_health(context, arm)
    frame["cost"] = frame["cost"].to_numpy() + cols.pop("extra_cost")
    for name, values in cols.items():
        frame[name] = values
    return frame


def context_for(
    scenario: Scenario, cohort: Cohort, latent: History, death_month: np.ndarray
) -> HealthContext:
    """The replicate's :class:`HealthContext` with the scenario's life table."""
    return health_context(scenario, cohort, latent, death_month, mortality_of(scenario))


BY_CAUSE_COLUMNS: dict[str, str] = {
    "protocol": "protocol name",
    "cause": "latent cause of the calcification",
    "patients": "people with this cause per replicate",
    "screen_detected": "changes found by a scheduled scan, per replicate",
    "interval_cases": "changes presenting clinically during the follow-up horizon, per replicate",
    "late_presentations": "expected clinical presentations to the outcome horizon, per replicate",
    "deaths": "expected deaths from the change, per replicate",
    "false_positive_workups": "CT work-ups without a detectable change, per replicate",
    "life_years": "discounted life-years, summed per replicate",
    "qalys": "discounted QALYs, summed per replicate",
    "cost": "discounted cost, summed per replicate",
    "qalys_per_patient": "qalys / patients",
    "cost_per_patient": "cost / patients",
}
"""Columns of ``by_cause.csv``: totals per replicate (mean over replicates), so causes add up."""

_BY_CAUSE_SUMS = {
    "screen_detected": "screen_detected",
    "interval_cases": "interval_case",
    "late_presentations": "late_presentations",
    "deaths": "change_deaths",
    "false_positive_workups": "n_false_positive_workups",
    "life_years": "life_years",
    "qalys": "qalys",
    "cost": "cost",
}


def by_cause(outcomes: pd.DataFrame, protocols: list[str] | None = None) -> pd.DataFrame:
    """Yield, late presentations, deaths, QALYs and cost per cause and protocol (:data:`BY_CAUSE_COLUMNS`).

    Every count is a total per replicate, averaged over replicates, so summing a column over
    causes gives the protocol's total.
    """
    reps = outcomes["replicate"].nunique()
    cols = {out: outcomes[src].astype(float) for out, src in _BY_CAUSE_SUMS.items()}
    data = pd.DataFrame(cols)
    data["patients"] = 1.0
    keys = [outcomes["protocol"], outcomes["cause"].astype(str)]
    table = data.groupby(keys, sort=False).sum() / max(reps, 1)
    table.index.names = ["protocol", "cause"]
    table = table.reset_index()
    table["qalys_per_patient"] = table["qalys"] / table["patients"]
    table["cost_per_patient"] = table["cost"] / table["patients"]
    if protocols:
        order = {name: i for i, name in enumerate(protocols)}
        table = table.sort_values(
            ["protocol", "cause"], key=lambda s: s.map(order) if s.name == "protocol" else s
        )
    return table[list(BY_CAUSE_COLUMNS)].reset_index(drop=True)
