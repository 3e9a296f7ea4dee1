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
from fupsim.events import END_REASONS, VISIT_CODES
from fupsim.health.lifetable import Mortality, discounted_years
from fupsim.metrics import HEALTH_OUTCOME_COLUMNS
from fupsim.natural_history import History
from fupsim.scenario import DAYS_PER_MONTH, Scenario
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

    For each person who would be alive and undiagnosed at the follow-up horizon, what the rest
    of their life is worth does not depend on the protocol, so it is computed once per
    replicate: ``after_*`` hold that value (discounted to the index scan), and each arm adds it
    for the people it leaves undiagnosed.
    """

    scenario: Scenario
    cohort: Cohort
    latent: History
    death_month: np.ndarray
    mortality: Mortality
    after_life_years: np.ndarray
    after_qalys: np.ndarray
    after_deaths: np.ndarray
    after_cost: np.ndarray
    after_presentations: np.ndarray  # probability of presenting after the horizon
    after_begun: np.ndarray  # bool: the change began by the horizon
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
    acc = _Acc(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n))
    surv_all = np.zeros(n)
    a = np.flatnonzero((death_month / 12.0 > follow) & (pres > follow))
    if horizon > follow and a.size:
        upto = np.minimum(pres[a], horizon)
        w_h = math.exp(-rho * follow)
        years = mortality.expected_years(sex[a], age0[a] + follow, upto - follow, rho=rho)
        acc.life_years[a] = w_h * years
        acc.qalys[a] = w_h * utility * years
        idx = a[pres[a] < horizon]
        if idx.size:
            when = pres[idx]
            surv = mortality.survival(sex[idx], age0[idx] + follow, age0[idx] + when)
            surv_all[idx] = surv
            acc.cost[idx] = costs.late_treatment * surv * costs.discount(when * DAYS_PER_YEAR)
            for conseq, codes in _groups(cohort.causes, health.causes, "late").items():
                sel = np.isin(cohort.cause[idx], codes)
                if sel.any():
                    i = idx[sel]
                    _consequence(
                        acc, i, surv[sel], pres[i], age0[i] + pres[i], sex[i], conseq,
                        mortality, horizon, rho, utility,
                    )  # fmt: skip
    return HealthContext(
        scenario=scenario,
        cohort=cohort,
        latent=latent,
        death_month=death_month,
        mortality=mortality,
        after_life_years=acc.life_years,
        after_qalys=acc.qalys,
        after_deaths=acc.deaths,
        after_cost=acc.cost,
        after_presentations=surv_all,
        after_begun=latent.onset_month <= scenario.simulation.horizon_months,
        cancers_per_ct=scenario.harms.ct_dose_msv
        / 1000.0
        * scenario.harms.cancer_risk_per_sv
        * scenario.harms.age_factor(age0),
    )


def arm_health(ctx: HealthContext, arm: ArmResult) -> dict[str, np.ndarray]:
    """Per-person lifetime outcomes of one protocol arm (:data:`HEALTH_OUTCOME_COLUMNS`).

    Returns one array per column, plus ``extra_cost``: discounted costs beyond the follow-up
    table's (late treatment after follow-up, false-diagnosis treatment).
    """
    scenario, cohort, latent, mortality = ctx.scenario, ctx.cohort, ctx.latent, ctx.mortality
    death_month = ctx.death_month
    health, harms, costs = scenario.health, scenario.harms, scenario.costs
    n = cohort.size
    rho = math.log1p(health.discount_rate)
    utility = health.baseline_utility
    follow = scenario.simulation.horizon_months / 12.0
    horizon = outcome_horizon_years(scenario)
    age0, sex = cohort.age_years, cohort.female.astype(np.intp)
    death = death_month / 12.0
    pres = latent.presentation_month / 12.0
    delay_days = scenario.ct.delay_days

    sd = arm.screen_detected
    t_sd = np.where(sd, (arm.detection_scan_day + delay_days) / DAYS_PER_YEAR, np.inf)
    late_in = ~sd & (pres <= follow) & (pres < death)
    dead_in = ~sd & ~late_in & (death <= follow)
    alive = ~sd & ~late_in & ~dead_in
    switch = np.where(sd, t_sd, np.where(late_in, pres, np.minimum(death, follow)))
    realised = discounted_years(np.minimum(switch, horizon), rho)
    acc = _Acc(
        realised + np.where(alive, ctx.after_life_years, 0.0),
        utility * realised + np.where(alive, ctx.after_qalys, 0.0),
        np.where(alive, ctx.after_deaths, 0.0),
        np.where(alive, ctx.after_cost, 0.0),
    )
    late_any = np.where(alive, ctx.after_presentations, late_in.astype(float))
    after_fu = np.where(alive & ctx.after_begun, ctx.after_presentations, 0.0)

    # diagnosed in the window: early (screen-detected) or late (presented)
    for route, mask, when_all in (("early", sd, t_sd), ("late", late_in, pres)):
        idx_all = np.flatnonzero(mask)
        for conseq, codes in _groups(cohort.causes, health.causes, route).items():
            i = idx_all[np.isin(cohort.cause[idx_all], codes)]
            if i.size == 0:
                continue
            when = np.minimum(when_all[i], horizon)
            _consequence(
                acc, i, np.ones(i.size), when, age0[i] + when, sex[i], conseq,
                mortality, horizon, rho, utility,
            )  # fmt: skip

    # harms of follow-up itself, at the time each happens
    harm = np.zeros(n)
    had_ct = np.flatnonzero(arm.n_ct)
    vis, col = np.nonzero(arm.visit_code[:, had_ct] >= VISIT_CODES["ct_negative"])
    pid = had_ct[col]
    ct_day = arm.visit_day[vis, pid] + delay_days
    ct_w = np.exp(-rho * ct_day / DAYS_PER_YEAR)
    false_pos = latent.onset_month[pid] * DAYS_PER_MONTH > arm.visit_day[vis, pid]
    harm += harms.false_positive_qaly_loss * np.bincount(
        pid[false_pos], weights=ct_w[false_pos], minlength=n
    )
    cancers_per_ct = ctx.cancers_per_ct
    radiation = arm.n_ct * cancers_per_ct
    harm += (
        harms.qaly_loss_per_radiation_cancer
        * cancers_per_ct
        * np.bincount(pid, weights=ct_w, minlength=n)
    )
    fd = np.flatnonzero(arm.false_diagnosis)
    if fd.size:
        fd_day = arm.end_day[fd] + delay_days
        harm[fd] += harms.false_diagnosis_qaly_loss * np.exp(-rho * fd_day / DAYS_PER_YEAR)
        acc.cost[fd] += harms.false_diagnosis_cost * costs.discount(fd_day)
    if harms.scan_qaly_loss > 0:
        vis_s, pid_s = np.nonzero(arm.visit_code >= VISIT_CODES["negative"])
        scan_w = np.exp(-rho * arm.visit_day[vis_s, pid_s] / DAYS_PER_YEAR)
        harm += harms.scan_qaly_loss * np.bincount(pid_s, weights=scan_w, minlength=n)
    acc.qalys -= harm

    in_fu = late_in & (
        (pres * DAYS_PER_YEAR <= arm.end_day + 1e-9) | (arm.end_reason == _PRESENTED)
    )
    after_fu += late_in & ~in_fu
    return {
        "life_years": acc.life_years,
        "qalys": acc.qalys,
        "death_month": np.where(dead_in, death_month, np.nan),
        "presented_in_follow_up": in_fu,
        "presented_after_follow_up": after_fu,
        "late_presentations": late_any,
        "change_deaths": acc.deaths,
        "harm_qalys": harm,
        "ct_dose_msv": arm.n_ct * harms.ct_dose_msv,
        "radiation_cancers": radiation,
        "extra_cost": acc.cost,
    }
