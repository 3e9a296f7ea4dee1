"""Lifetime outcomes per person: life-years, QALYs, deaths, harms and costs after follow-up.

The simulated window (index scan to the follow-up horizon) is played out with each person's
latent background death time. From the moment a person's change is diagnosed (screen-detected
or presenting in the window), or from the horizon if they are alive and undiagnosed then,
everything else is an expectation over the life table: the episode's death probability,
survival with any excess hazard, a latent change presenting later (if the person is alive
then) as a late diagnosis. Conditioning on survival to that moment and then taking the
expectation is unbiased and leaves no Monte Carlo noise from life after follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fupsim.cohort import Cohort
from fupsim.engine import ArmResult
from fupsim.events import END_REASONS
from fupsim.health.harms import follow_up_harms
from fupsim.health.lifetable import Mortality, discounted_years
from fupsim.metrics import HEALTH_OUTCOME_COLUMNS
from fupsim.natural_history import History
from fupsim.scenario import Scenario
from fupsim.scenario.health import MAX_AGE_YEARS, CauseOutcome, Consequence

__all__ = [
    "HEALTH_OUTCOME_COLUMNS",
    "HealthContext",
    "arm_health",
    "health_context",
    "outcome_horizon_years",
]

DAYS_PER_YEAR = 365.25
_PRESENTED = END_REASONS.index("clinical_presentation")
_DIED = END_REASONS.index("death")


def outcome_horizon_years(scenario: Scenario) -> float:
    """``analysis.outcome_horizon_years`` as a number (``inf`` for a lifetime)."""
    horizon = scenario.analysis.outcome_horizon_years
    return math.inf if horizon == "lifetime" else float(horizon)


@dataclass
class _Acc:
    """Per-person accumulators."""

    life_years: np.ndarray
    qalys: np.ndarray
    deaths: np.ndarray
    cost: np.ndarray


def _groups(
    causes: tuple[str, ...], outcomes: dict[str, CauseOutcome], route: str
) -> dict[Consequence, list[int]]:
    """Cause codes grouped by their consequence of ``route``, so equal ones share one pass."""
    groups: dict[Consequence, list[int]] = {}
    for code, name in enumerate(causes):
        c = outcomes.get(name)
        groups.setdefault(getattr(c, route) if c is not None else _NONE, []).append(code)
    return groups


_NONE = Consequence()


def _consequence(
    acc: _Acc,
    idx: np.ndarray,
    weight: np.ndarray,
    when: np.ndarray,
    age: np.ndarray,
    sex: np.ndarray,
    c: Consequence,
    mortality: Mortality,
    horizon: float,
    rho: float,
    utility: float,
) -> None:
    """Add the expected value of a diagnosis at ``when`` (years) with probability ``weight``."""
    span = np.maximum(horizon - when, 0.0)
    w = weight * np.exp(-rho * when)
    alive = 1.0 - c.death
    h, h_years = c.excess_hazard_per_year, c.excess_hazard_years

    def lived(length: np.ndarray, discount: float) -> np.ndarray:
        """Expected years in the first ``length`` years: hazard μ + h for ``h_years``, then μ."""
        first = np.minimum(length, h_years) if h > 0 else length
        out = mortality.expected_years(sex, age, first, excess_hazard=h, rho=discount)
        if h > 0 and h_years < MAX_AGE_YEARS:
            rest = np.maximum(length - first, 0.0)
            later = np.flatnonzero(rest > 0)
            if later.size:
                f, s_ = first[later], sex[later]
                carry = mortality.carried(s_, age[later], f, excess_hazard=h, rho=discount)
                out[later] += carry * mortality.expected_years(
                    s_, age[later] + f, rest[later], rho=discount
                )
        return out

    years = lived(span, rho)
    quality = utility * years
    if c.utility_multiplier < 1.0 and c.multiplier_years > 0:
        reduced = lived(np.minimum(span, c.multiplier_years), rho)
        quality = quality - utility * (1.0 - c.utility_multiplier) * reduced
    acc.life_years[idx] += w * alive * years
    acc.qalys[idx] += w * alive * (quality - c.qaly_loss)
    deaths = c.death * weight
    if h > 0:
        exposed = mortality.expected_years(sex, age, np.minimum(span, h_years), excess_hazard=h)
        deaths = deaths + weight * alive * h * exposed
    acc.deaths[idx] += deaths


@dataclass(frozen=True)
class HealthContext:
    """One replicate's arm-independent health values (:func:`health_context`).

    What a person's life is worth when no protocol finds their change does not depend on the
    protocol (their change presents, or they die, or they reach the horizon undiagnosed and
    the rest follows in expectation), so it is computed once per replicate in the ``unfound_*``
    arrays; each arm replaces only the values of the people it screen-detects.
    """

    scenario: Scenario
    cohort: Cohort
    latent: History
    death_month: np.ndarray
    mortality: Mortality
    unfound_life_years: np.ndarray
    unfound_qalys: np.ndarray
    unfound_deaths: np.ndarray
    unfound_cost: np.ndarray  # late treatment after follow-up (expected, discounted)
    unfound_presentations: np.ndarray  # expected presentations to the outcome horizon
    after_horizon: np.ndarray  # expected presentations after the horizon of changes begun by it
    presents_in_window: np.ndarray  # bool: presents by the follow-up horizon, before death
    cancers_per_ct: np.ndarray  # expected radiation-induced cancers per CT, by age


def health_context(
    scenario: Scenario,
    cohort: Cohort,
    latent: History,
    death_month: np.ndarray,
    mortality: Mortality,
) -> HealthContext:
    """Precompute a replicate's health values that every protocol arm shares.

    Parameters
    ----------
    scenario : Scenario
        ``[health]``, ``[harms]``, costs and the outcome horizon.
    cohort : Cohort
        Age and sex (life table) and cause (consequences).
    latent : History
        The latent timelines *before* background death cut them (a change still latent at
        the end of follow-up presents at its presentation time if the person is alive then).
    death_month : ndarray
        Each person's latent background death, months from the index scan (``inf``: none).
    mortality : Mortality
        The scenario's life table (:func:`fupsim.health.mortality_of`).
    """
    health, costs = scenario.health, scenario.costs
    n = cohort.size
    rho = math.log1p(health.discount_rate)
    utility = health.baseline_utility
    follow = scenario.simulation.horizon_months / 12.0
    horizon = outcome_horizon_years(scenario)
    age0, sex = cohort.age_years, cohort.female.astype(np.intp)
    pres = latent.presentation_month / 12.0
    death = death_month / 12.0
    in_window = (pres <= follow) & (pres < death)
    switch = np.where(in_window, pres, np.minimum(death, follow))
    realised = discounted_years(np.minimum(switch, horizon), rho)
    acc = _Acc(realised, utility * realised, np.zeros(n), np.zeros(n))
    expected = in_window.astype(float)
    after = np.zeros(n)
    # presenting during follow-up: a late diagnosis then
    _route(acc, np.flatnonzero(in_window), np.ones(n), pres, "late", cohort, health.causes,
           mortality, horizon, rho, utility)  # fmt: skip
    # alive and undiagnosed at the horizon: background life, and the change presenting later
    a = np.flatnonzero((death > follow) & (pres > follow))
    if horizon > follow and a.size:
        upto = np.minimum(pres[a], horizon)
        w_h = math.exp(-rho * follow)
        years = mortality.expected_years(sex[a], age0[a] + follow, upto - follow, rho=rho)
        acc.life_years[a] += w_h * years
        acc.qalys[a] += w_h * utility * years
        idx = a[pres[a] < horizon]
        if idx.size:
            when = pres[idx]
            surv = mortality.survival(sex[idx], age0[idx] + follow, age0[idx] + when)
            expected[idx] = surv
            after[idx] = surv * (latent.onset_month[idx] <= scenario.simulation.horizon_months)
            acc.cost[idx] = costs.late_treatment * surv * costs.discount(when * DAYS_PER_YEAR)
            weight = np.zeros(n)
            weight[idx] = surv
            _route(acc, idx, weight, pres, "late", cohort, health.causes, mortality, horizon,
                   rho, utility)  # fmt: skip
    return HealthContext(
        scenario=scenario,
        cohort=cohort,
        latent=latent,
        death_month=death_month,
        mortality=mortality,
        unfound_life_years=acc.life_years,
        unfound_qalys=acc.qalys,
        unfound_deaths=acc.deaths,
        unfound_cost=acc.cost,
        unfound_presentations=expected,
        after_horizon=after,
        presents_in_window=in_window,
        cancers_per_ct=scenario.harms.ct_dose_msv
        / 1000.0
        * scenario.harms.cancer_risk_per_sv
        * scenario.harms.age_factor(age0),
    )


def _route(
    acc: _Acc,
    idx_all: np.ndarray,
    weight: np.ndarray,
    when_all: np.ndarray,
    route: str,
    cohort: Cohort,
    causes: dict[str, CauseOutcome],
    mortality: Mortality,
    horizon: float,
    rho: float,
    utility: float,
) -> None:
    """Diagnoses by ``route`` of people ``idx_all`` at ``when_all`` (years), cause by cause."""
    if idx_all.size == 0:
        return
    age0, sex = cohort.age_years, cohort.female.astype(np.intp)
    for conseq, codes in _groups(cohort.causes, causes, route).items():
        i = idx_all[np.isin(cohort.cause[idx_all], codes)]
        if i.size == 0:
            continue
        when = np.minimum(when_all[i], horizon)
        _consequence(acc, i, weight[i], when, age0[i] + when, sex[i], conseq, mortality,
                     horizon, rho, utility)  # fmt: skip


def arm_health(ctx: HealthContext, arm: ArmResult) -> dict[str, np.ndarray]:
    """Per-person lifetime outcomes of one protocol arm (:data:`HEALTH_OUTCOME_COLUMNS`).

    Returns one array per column, plus ``extra_cost``: discounted costs beyond the follow-up
    table's (late treatment after follow-up, false-diagnosis treatment).
    """
    scenario, cohort, latent = ctx.scenario, ctx.cohort, ctx.latent
    health = scenario.health
    n = cohort.size
    rho = math.log1p(health.discount_rate)
    utility = health.baseline_utility
    horizon = outcome_horizon_years(scenario)
    delay_days = scenario.ct.delay_days
    pres = latent.presentation_month / 12.0

    sd = arm.screen_detected
    found = np.flatnonzero(sd)
    acc = _Acc(
        ctx.unfound_life_years.copy(),
        ctx.unfound_qalys.copy(),
        ctx.unfound_deaths.copy(),
        ctx.unfound_cost.copy(),
    )
    late_any = ctx.unfound_presentations.copy()
    after_fu = ctx.after_horizon.copy()
    if found.size:
        t_sd = np.full(n, np.inf)
        t_sd[found] = (arm.detection_scan_day[found] + delay_days) / DAYS_PER_YEAR
        realised = discounted_years(np.minimum(t_sd[found], horizon), rho)
        acc.life_years[found] = realised
        acc.qalys[found] = utility * realised
        acc.deaths[found] = 0.0
        acc.cost[found] = 0.0
        late_any[found] = 0.0
        after_fu[found] = 0.0
        _route(acc, found, np.ones(n), t_sd, "early", cohort, health.causes, ctx.mortality,
               horizon, rho, utility)  # fmt: skip

    # harms of follow-up itself, at the time each happens (fupsim.health.harms)
    harm = follow_up_harms(ctx, arm, acc.life_years, acc.qalys, horizon)
    acc.life_years -= harm.life_years
    acc.qalys -= harm.qalys
    acc.cost += harm.cost

    late_in = ctx.presents_in_window & ~sd
    in_fu = late_in & (
        (pres * DAYS_PER_YEAR <= arm.end_day + 1e-9) | (arm.end_reason == _PRESENTED)
    )
    after_fu += late_in & ~in_fu
    return {
        "life_years": acc.life_years,
        "qalys": acc.qalys,
        "death_month": np.where(arm.end_reason == _DIED, ctx.death_month, np.nan),
        "presented_in_follow_up": in_fu,
        "presented_after_follow_up": after_fu,
        "late_presentations": late_any,
        "change_deaths": acc.deaths,
        "harm_qalys": harm.qalys,
        "ct_dose_msv": arm.n_ct * scenario.harms.ct_dose_msv,
        "radiation_cancers": harm.radiation_cancers,
        "extra_cost": acc.cost,
    }
