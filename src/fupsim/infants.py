"""The infants' own pathway: children of the prenatal stream, followed on a paediatric schedule.

A fetal hepatic calcification found on a pregnancy scan is a different population from the
adults' incidental finding (PARAMETERS.md §1.8): the child is never played against an adult
protocol. They get a postnatal ultrasound (``prenatal.follow_up.postnatal_scan``) and then
the visits of ``prenatal.follow_up.visits_months`` (months of age), each attended with
``attendance.per_visit`` (one uniform per child per visit from the ``infant`` stream; no loss
to follow-up, ASSUMPTION for a short paediatric schedule). Scans cost ``costs.ultrasound +
costs.visit``, discounted to the visit.

Their outcome follows from their flags, not from the scans (F2-F5; the follow-up of an
isolated fetal calcification finds nothing to treat, F5): the probability of a poor outcome
is ``1 - prod(1 - p_flag)`` over the flags present (associated anomaly, abnormal karyotype,
congenital infection), or ``prenatal.outcomes.isolated`` with none. It is an expectation, so
it carries no Monte Carlo noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fupsim.cohort import STREAM_NAMES, Cohort
from fupsim.rng import ReplicateStreams
from fupsim.scenario import DAYS_PER_MONTH, Scenario

__all__ = ["INFANT_COLUMNS", "infant_months", "infant_sums", "infant_table", "poor_outcome"]

_PRENATAL = STREAM_NAMES.index("prenatal")
GROUPS = ("all", "isolated", "associated_anomaly", "abnormal_karyotype", "congenital_infection")

INFANT_COLUMNS: dict[str, str] = {
    "group": (
        "all; isolated (no flag); or children with the flag (associated_anomaly, "
        "abnormal_karyotype, congenital_infection: these overlap)"
    ),
    "infants": "children per replicate (mean over replicates)",
    "scheduled_scans_per_infant": "postnatal scan plus the visits of prenatal.follow_up",
    "scans_per_infant": "attended scans per child",
    "missed_scans_per_infant": "scheduled scans not attended per child",
    "cost_per_infant": "discounted cost of the infants' scans and visits per child",
    "poor_outcomes_per_1000": "expected poor outcomes (death or severe impairment) per 1,000 children",
    "poor_outcomes": "expected poor outcomes per replicate",
}
"""Columns of ``infants.csv``. Infants never enter ``summary.csv`` or the adults' tables."""


def infant_months(scenario: Scenario) -> list[float]:
    """The infants' nominal visit months: 0 for the postnatal scan, then the follow-up visits."""
    fu = scenario.prenatal.follow_up
    return [0.0] * fu.postnatal_scan + list(fu.visits_months)


def poor_outcome(scenario: Scenario, cohort: Cohort) -> np.ndarray:
    """Probability of a poor outcome for each person from their prenatal flags (0 for adults)."""
    o = scenario.prenatal.outcomes
    good = (
        (1.0 - o.associated_anomaly * cohort.associated_anomaly)
        * (1.0 - o.abnormal_karyotype * cohort.abnormal_karyotype)
        * (1.0 - o.congenital_infection * cohort.congenital_infection)
    )
    isolated = ~(
        cohort.associated_anomaly | cohort.abnormal_karyotype | cohort.congenital_infection
    )
    p = np.where(isolated, o.isolated, 1.0 - good)
    return np.where(cohort.stream == _PRENATAL, p, 0.0)


def infant_sums(
    scenario: Scenario, cohort: Cohort, streams: ReplicateStreams, replicate: int
) -> pd.DataFrame:
    """One replicate's infants: sums per group of :data:`INFANT_COLUMNS` (``infant`` stream)."""
    kids = np.flatnonzero(cohort.stream == _PRENATAL)
    months = np.asarray(infant_months(scenario))
    u = streams["infant"].random((months.size, kids.size))
    attend = u < scenario.attendance.per_visit
    unit = scenario.costs.ultrasound + scenario.costs.visit
    factor = scenario.costs.discount(months * DAYS_PER_MONTH)
    scans = attend.sum(axis=0)
    cost = unit * (np.asarray(factor)[:, None] * attend).sum(axis=0)
    poor = poor_outcome(scenario, cohort)[kids]
    anomaly = cohort.associated_anomaly[kids]
    karyotype = cohort.abnormal_karyotype[kids]
    infection = cohort.congenital_infection[kids]
    masks = {
        "all": np.ones(kids.size, dtype=bool),
        "isolated": ~(anomaly | karyotype | infection),
        "associated_anomaly": anomaly,
        "abnormal_karyotype": karyotype,
        "congenital_infection": infection,
    }
    rows = [
        {
            "replicate": replicate,
            "group": name,
            "infants": float(m.sum()),
            "scheduled": float(m.sum() * months.size),
            "scans": float(scans[m].sum()),
            "cost": float(cost[m].sum()),
            "poor_outcomes": float(poor[m].sum()),
        }
        for name, m in masks.items()
    ]
    return pd.DataFrame(rows)


def infant_table(sums: pd.DataFrame, replications: int) -> pd.DataFrame:
    """``infants.csv`` (:data:`INFANT_COLUMNS`) from every replicate's :func:`infant_sums`."""
    s = sums.groupby("group", sort=False)[
        ["infants", "scheduled", "scans", "cost", "poor_outcomes"]
    ].sum()
    s = s.reindex(list(GROUPS), fill_value=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = s["infants"].where(s["infants"] > 0)
        out = pd.DataFrame(
            {
                "group": list(GROUPS),
                "infants": (s["infants"] / max(replications, 1)).to_numpy(),
                "scheduled_scans_per_infant": (s["scheduled"] / n).to_numpy(),
                "scans_per_infant": (s["scans"] / n).to_numpy(),
                "missed_scans_per_infant": ((s["scheduled"] - s["scans"]) / n).to_numpy(),
                "cost_per_infant": (s["cost"] / n).to_numpy(),
                "poor_outcomes_per_1000": (1000 * s["poor_outcomes"] / n).to_numpy(),
                "poor_outcomes": (s["poor_outcomes"] / max(replications, 1)).to_numpy(),
            }
        )
    return out
