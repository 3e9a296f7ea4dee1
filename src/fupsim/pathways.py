"""Where the index work-up sends people: the followed group, and the outcomes of the other pathways.

Only the ``follow_up`` pathway is played against the protocols. People the index work-up
(:mod:`fupsim.workup`) sends to the ``biliary``, ``oncology`` or ``treatment`` pathway are
counted, costed and valued here, by the same health-outcome machinery as the followed group
(:func:`fupsim.health.arm_health`), and identically under every protocol:

- they are diagnosed at month 0, *early* for their cause (ASSUMPTION): the cause's
  ``[health.<cause>] early`` consequence applies from the index scan, and a cause without one
  (an inactive scar sent to the biliary pathway by a false feature) keeps background life;
- each costs ``costs.early_treatment`` at month 0 (ASSUMPTION: the pathway's work-up and
  treatment), plus ``costs.ct`` when the index CT was done, whose dose and radiation risk
  count as harms.

Children of the prenatal stream have their own pathway (:mod:`fupsim.infants`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from fupsim.cohort import Cohort
from fupsim.engine import ArmResult
from fupsim.events import END_REASONS, VISIT_CODES
from fupsim.health import arm_health, context_for
from fupsim.natural_history import History
from fupsim.scenario import Scenario
from fupsim.workup import FOLLOW_UP, INFANT, PATHWAYS, Workup

__all__ = ["PATHWAY_COLUMNS", "pathway_sums", "pathway_table"]

PATHWAY_COLUMNS: dict[str, str] = {
    "pathway": "where the index work-up sent the person (follow_up, biliary, oncology, treatment, infant)",
    "cause": "latent cause of the calcification",
    "people": "people per replicate (mean over replicates)",
    "share_of_adults": "people / adults with an index finding (infant rows: / infants)",
    "index_ct": "index CTs for a suspected mass per replicate",
    "cost": "discounted cost per replicate (other pathways only: treatment at month 0, index CT)",
    "qalys": "discounted QALYs per replicate (other pathways only)",
    "life_years": "discounted life-years per replicate (other pathways only)",
    "deaths": "expected deaths from the cause per replicate (other pathways only)",
    "radiation_cancers": "expected radiation-induced cancers from the index CT per replicate",
    "cost_per_person": "cost / people",
    "qalys_per_person": "qalys / people",
}
"""Columns of ``pathways.csv``: one row per (pathway, cause) that holds anyone. The
``follow_up`` and ``infant`` rows carry counts only: their outcomes depend on the protocol
(``summary.csv``, ``by_cause.csv``) or on the infants' own schedule (``infants.csv``)."""

_VALUES = ("index_ct", "cost", "qalys", "life_years", "deaths", "radiation_cancers")


def _index_arm(scenario: Scenario, ct_done: np.ndarray) -> ArmResult:
    """A one-visit 'arm' in which everyone is diagnosed at month 0 (index CT where done)."""
    m = ct_done.size
    delay = scenario.ct.delay_days
    code = np.where(ct_done, VISIT_CODES["ct_negative"], 0).astype(np.int8)[None, :]
    zeros = np.zeros(m, dtype=np.int16)
    return ArmResult(
        protocol="index",
        visit_code=code,
        visit_day=np.full((1, m), -delay),  # the index CT falls on day 0
        n_scans=zeros,
        n_missed=zeros,
        n_ct=ct_done.astype(np.int16),
        n_false_positive_workups=zeros,
        n_repeat_scans=zeros,
        end_reason=np.full(m, END_REASONS.index("screen_detected"), dtype=np.int8),
        end_day=np.zeros(m),
        screen_detected=np.ones(m, dtype=bool),
        false_diagnosis=np.zeros(m, dtype=bool),
        detection_scan_day=np.full(m, -delay),  # diagnosis (scan day + CT delay) at day 0
        last_scan_day=np.zeros(m),
        scan_cost=np.zeros(m),
    )


def pathway_sums(
    scenario: Scenario,
    cohort: Cohort,
    latent: History,
    death_month: np.ndarray,
    workup: Workup,
    replicate: int,
) -> pd.DataFrame:
    """One replicate's people and outcomes per (pathway, cause), as sums.

    Parameters
    ----------
    scenario : Scenario
        Costs, ``[health]`` and ``[harms]``.
    cohort, latent, death_month
        The whole replicate (adults and infants) before any selection; ``latent`` before
        background death cuts it.
    workup : Workup
        The index work-up of these people.
    replicate : int
        Written in the ``replicate`` column.
    """
    other = np.flatnonzero((workup.pathway != FOLLOW_UP) & (workup.pathway != INFANT))
    # the values are known for the other pathways' people only (NaN for everyone else)
    values = {name: np.full(other.size, np.nan) for name in _VALUES}
    if other.size:
        ct_done = workup.ct_done[other]
        sub = cohort.take(other)
        # diagnosed at month 0: the index CT is never a false positive
        lat = replace(latent.take(other), onset_month=np.full(other.size, -np.inf))
        cols = arm_health(context_for(scenario, sub, lat, death_month[other]), _index_arm(
            scenario, ct_done))  # fmt: skip
        costs = scenario.costs
        values["index_ct"][:] = ct_done
        values["cost"][:] = costs.early_treatment + costs.ct * ct_done + cols["extra_cost"]
        values["qalys"][:] = cols["qalys"]
        values["life_years"][:] = cols["life_years"]
        values["deaths"][:] = cols["change_deaths"]
        values["radiation_cancers"][:] = cols["radiation_cancers"]
    # sums per (pathway, cause) with bincount: fast on a whole cohort; the other pathways'
    # values are summed over their people in the same (ascending) order as over everyone
    n_causes = len(cohort.causes)
    key = workup.pathway.astype(np.int64) * n_causes + cohort.cause
    size = len(PATHWAYS) * n_causes
    people = np.bincount(key, minlength=size)
    held = np.flatnonzero(people)
    sums = {"people": people[held].astype(float)}
    key_other = key[other]
    for name, v in values.items():
        known = ~np.isnan(v)
        total = np.bincount(key_other[known], weights=v[known], minlength=size)[held]
        any_known = np.bincount(key_other[known], minlength=size)[held] > 0
        sums[name] = np.where(any_known, total, np.nan)
    return pd.DataFrame(
        {
            "replicate": replicate,
            "pathway": np.array(PATHWAYS, dtype=object)[held // n_causes],
            "cause": np.array(cohort.causes, dtype=object)[held % n_causes],
            **sums,
        }
    )


def pathway_table(sums: pd.DataFrame, replications: int) -> pd.DataFrame:
    """``pathways.csv`` (:data:`PATHWAY_COLUMNS`) from every replicate's :func:`pathway_sums`.

    Counts and sums are per replicate, averaged over ``replications`` (a replicate without
    anyone in a row counts as zero), so rows add up to the replicate's totals.
    """
    cols = ["people", *_VALUES]
    order = {name: i for i, name in enumerate(PATHWAYS)}
    table = sums.groupby(["pathway", "cause"], sort=False)[cols].sum(min_count=1)
    table = (table / max(replications, 1)).reset_index()
    table = table.sort_values(
        ["pathway", "cause"], key=lambda s: s.map(order) if s.name == "pathway" else s
    ).reset_index(drop=True)
    infant = table["pathway"].astype(str) == "infant"
    adults = table.loc[~infant, "people"].sum()
    infants = table.loc[infant, "people"].sum()
    denom = np.where(infant, infants, adults)
    table.insert(3, "share_of_adults", table["people"] / np.where(denom > 0, denom, np.nan))
    table["cost_per_person"] = table["cost"] / table["people"]
    table["qalys_per_person"] = table["qalys"] / table["people"]
    return table[list(PATHWAY_COLUMNS)]
