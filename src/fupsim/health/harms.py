"""Harms of follow-up itself: false positives, false diagnoses, CT radiation, biopsies, scans.

Each harm is valued at the time it happens, discounted to the index scan (PARAMETERS.md §7.1,
§7.4; ``[harms]``). Two harms can kill, and their life-years lost are computed in closed form:

- **Radiation.** Each CT gives ``ct_dose_msv``; induced cancers = dose (Sv) × risk per Sv ×
  age factor (R6, R7). A share ``radiation_fatal_share`` is fatal (R8), killing
  ``radiation_death_latency_years`` after the exposure (ASSUMPTION anchored on R8's "latency
  of about 10+ years"). The person then loses the discounted life expectancy of the life table
  from that age to the outcome horizon. The lifetime attributable risk already counts only
  people who live to the cancer, so that life expectancy is not weighted again by survival to
  it. ``qaly_loss_per_radiation_cancer`` is the *morbidity* part only: illness and treatment of
  every induced cancer, fatal or not, discounted to the exposure. The mortality part is the
  life-years lost × baseline utility, so the two add without double counting.
- **Biopsies** (``n_biopsy`` of the arm, when the recall work-up records it; zeros otherwise).
  Each biopsy costs ``biopsy_qaly_loss`` and kills with probability
  ``biopsy_complication_death`` (S16, U4). The arm records counts, not dates, so a biopsy is
  placed at the work-up after the person's last attended scan (scan day + CT delay). A death
  then loses whatever of the person's own expected life-years and QALYs lay after that day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fupsim.engine import ArmResult
from fupsim.events import VISIT_CODES
from fupsim.health.lifetable import Mortality, discounted_years
from fupsim.scenario import DAYS_PER_MONTH

if TYPE_CHECKING:
    from fupsim.health.outcomes import HealthContext

__all__ = ["Harm", "follow_up_harms", "radiation_years_lost", "recall_counts"]

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Harm:
    """Per-person harms of one arm, all discounted to the index scan.

    Attributes
    ----------
    qalys : ndarray
        QALYs lost: the one-off losses plus utility × life-years lost.
    life_years : ndarray
        Life-years lost to fatal radiation-induced cancers and biopsy deaths.
    deaths : ndarray
        Expected deaths caused by follow-up (fatal induced cancers and biopsy deaths).
    cost : ndarray
        Treatment cost of false diagnoses (``harms.false_diagnosis_cost``).
    radiation_cancers : ndarray
        Expected radiation-induced cancers.
    """

    qalys: np.ndarray
    life_years: np.ndarray
    deaths: np.ndarray
    cost: np.ndarray
    radiation_cancers: np.ndarray


def radiation_years_lost(
    mortality: Mortality,
    sex: np.ndarray,
    age_at_ct: np.ndarray,
    ct_years: np.ndarray,
    latency_years: float,
    horizon_years: float,
    rho: float,
) -> np.ndarray:
    """Discounted life-years lost per fatal radiation-induced cancer of a CT at ``ct_years``.

    Death comes ``latency_years`` after the CT; the loss is the life table's expected
    remaining life from that age to the outcome horizon, discounted to the index scan:
    e^{−ρ(t+L)} ∫_0^{H−t−L} e^{−ρs} S(s) ds (zero when t + L is past the horizon ``H``).
    """
    death = np.asarray(ct_years, dtype=float) + latency_years
    span = np.maximum(horizon_years - death, 0.0)
    years = mortality.expected_years(sex, np.asarray(age_at_ct) + latency_years, span, rho=rho)
    return np.exp(-rho * death) * np.where(span > 0, years, 0.0)


def recall_counts(arm: ArmResult, name: str) -> np.ndarray:
    """Per person, the arm's count ``name`` (``n_mri``, ``n_biopsy``) when it records one, else
    zeros."""
    n = getattr(arm, name, None)
    if n is None:
        return np.zeros(arm.n_ct.shape[0], dtype=np.int64)
    return np.asarray(n, dtype=np.int64)


def follow_up_harms(
    ctx: HealthContext,
    arm: ArmResult,
    life_years: np.ndarray,
    qalys: np.ndarray,
    horizon: float,
) -> Harm:
    """The harms of ``arm`` per person (:class:`Harm`).

    ``life_years`` and ``qalys`` are each person's expected values before harms; a biopsy
    death removes their part after the biopsy. ``horizon`` is the outcome horizon, years.
    """
    scenario, cohort, latent = ctx.scenario, ctx.cohort, ctx.latent
    harms, costs, health = scenario.harms, scenario.costs, scenario.health
    n = cohort.size
    rho = math.log1p(health.discount_rate)
    utility = health.baseline_utility
    delay_days = scenario.ct.delay_days
    sex = cohort.female.astype(np.intp)
    q_lost, ly_lost, deaths, cost = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)

    # every confirmatory test of the recall work-up (CT, MRI or biopsy: ct.workup), on its day
    tested = arm.n_ct + recall_counts(arm, "n_mri") + recall_counts(arm, "n_biopsy")
    had_test = np.flatnonzero(tested)
    vis, col = np.nonzero(arm.visit_code[:, had_test] >= VISIT_CODES["ct_negative"])
    pid = had_test[col]
    ct_day = arm.visit_day[vis, pid] + delay_days
    ct_w = np.exp(-rho * ct_day / DAYS_PER_YEAR)
    false_pos = latent.onset_month[pid] * DAYS_PER_MONTH > arm.visit_day[vis, pid]
    q_lost += harms.false_positive_qaly_loss * np.bincount(
        pid[false_pos], weights=ct_w[false_pos], minlength=n
    )
    if scenario.ct.confirm_test != "ct":  # MRI and biopsy carry no radiation dose
        pid, ct_day, ct_w = pid[:0], ct_day[:0], ct_w[:0]
    # radiation: morbidity of every induced cancer, and the life-years of the fatal ones
    per_ct = ctx.cancers_per_ct
    q_lost += (
        harms.qaly_loss_per_radiation_cancer * per_ct * np.bincount(pid, weights=ct_w, minlength=n)
    )
    fatal = harms.radiation_fatal_share * per_ct
    if pid.size and harms.radiation_fatal_share > 0 and per_ct.any():
        t = np.maximum(ct_day, 0.0) / DAYS_PER_YEAR
        lost = radiation_years_lost(
            ctx.mortality,
            sex[pid],
            cohort.age_years[pid] + t,
            t,
            harms.radiation_death_latency_years,
            horizon,
            rho,
        )
        ly_lost += fatal * np.bincount(pid, weights=lost, minlength=n)
    q_lost += utility * ly_lost  # the fatal share's mortality part
    deaths += fatal * arm.n_ct

    fd = np.flatnonzero(arm.false_diagnosis)
    if fd.size:
        fd_day = arm.end_day[fd] + delay_days
        q_lost[fd] += harms.false_diagnosis_qaly_loss * np.exp(-rho * fd_day / DAYS_PER_YEAR)
        cost[fd] += harms.false_diagnosis_cost * costs.discount(fd_day)
    if harms.scan_qaly_loss > 0:
        vis_s, pid_s = np.nonzero(arm.visit_code >= VISIT_CODES["negative"])
        scan_w = np.exp(-rho * arm.visit_day[vis_s, pid_s] / DAYS_PER_YEAR)
        q_lost += harms.scan_qaly_loss * np.bincount(pid_s, weights=scan_w, minlength=n)

    n_biopsy = recall_counts(arm, "n_biopsy")
    b = np.flatnonzero(n_biopsy)
    if b.size:
        k = n_biopsy[b].astype(float)
        t_b = np.minimum((arm.last_scan_day[b] + delay_days) / DAYS_PER_YEAR, horizon)
        w = np.exp(-rho * t_b)
        q_lost[b] += harms.biopsy_qaly_loss * k * w
        p = harms.biopsy_complication_death
        die = 1.0 - (1.0 - p) ** k  # at least one of k biopsies kills
        before = discounted_years(t_b, rho)  # lived up to the biopsy in any case
        ly_b = die * np.maximum(life_years[b] - before, 0.0)
        q_b = die * np.maximum(qalys[b] - utility * before, 0.0)
        ly_lost[b] += ly_b
        q_lost[b] += q_b
        deaths[b] += die
    return Harm(q_lost, ly_lost, deaths, cost, arm.n_ct * per_ct)
