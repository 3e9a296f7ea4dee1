"""Harms that kill, and long-term excess hazards: closed forms and hand counts (issue 11).

Radiation-induced fatal cancers and biopsy deaths cost life-years (``fupsim.health.harms``);
a cause's excess death hazard after diagnosis (the cholangiocarcinoma hazard after bile-duct
stones, PARAMETERS.md S11) shortens life. Every expected value here is derived by hand from a
constant-hazard life table, with the arm built directly (no simulation).
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest

import fupsim
from fupsim.cohort import Cohort
from fupsim.engine import ArmResult
from fupsim.errors import ScenarioError
from fupsim.events import END_REASONS, VISIT_CODES
from fupsim.health import Mortality, arm_health, health_context
from fupsim.natural_history import History
from fupsim.scenario import scenario_from_dict
from fupsim.scenario.health import LifeTable
from fupsim.validation import analytic_scenario

MU, R = 0.02, 0.03
RHO = math.log1p(R)
DAYS_PER_YEAR = 365.25
AGES = np.array([40.0, 60.0])


def _scenario(overrides: dict) -> fupsim.Scenario:
    data = analytic_scenario().model_dump(by_alias=True, exclude_none=True)
    data.pop("index_workup", None)
    base = {
        "simulation.horizon_months": 36,
        "health.discount_rate": R,
        "health.baseline_utility": 0.8,
        "harms.false_positive_qaly_loss": 0.0,
        "harms.false_diagnosis_qaly_loss": 0.0,
        "ct.delay_days": 0.0,
    }
    return scenario_from_dict(data, {**base, **overrides})


def _mortality() -> Mortality:
    q = np.full(120, -math.expm1(-MU))
    return Mortality(LifeTable(source="constant", qx_male=q, qx_female=q))


def _people(pres_month: float = math.inf) -> tuple[Cohort, History]:
    n = AGES.size
    cohort = Cohort(
        causes=("test",),
        stream=np.zeros(n, dtype=np.int8),
        age_years=AGES.copy(),
        female=np.array([False, True]),
        lobe=np.zeros(n, dtype=np.int8),
        n_foci=np.ones(n, dtype=np.int16),
        cause=np.zeros(n, dtype=np.int16),
        associated_anomaly=np.zeros(n, dtype=bool),
        abnormal_karyotype=np.zeros(n, dtype=bool),
        congenital_infection=np.zeros(n, dtype=bool),
        limited_visualisation=np.zeros(n, dtype=bool),
    )
    pres = np.full(n, pres_month)
    latent = History(
        progressive=np.isfinite(pres),
        onset_month=pres.copy(),
        sojourn_months=np.zeros(n),
        presentation_month=pres,
    )
    return cohort, latent


def _arm(ct_day: float | None, last_scan_day: float = 0.0) -> ArmResult:
    """One visit per person: a CT work-up on ``ct_day`` (none when None), nothing found."""
    n = AGES.size
    code = VISIT_CODES["ct_negative"] if ct_day is not None else VISIT_CODES["negative"]
    zeros = np.zeros(n, dtype=np.int16)
    return ArmResult(
        protocol="hand",
        visit_code=np.full((1, n), code, dtype=np.int8),
        visit_day=np.full((1, n), ct_day or 0.0),
        n_scans=np.ones(n, dtype=np.int16),
        n_missed=zeros,
        n_ct=np.full(n, int(ct_day is not None), dtype=np.int16),
        n_false_positive_workups=np.full(n, int(ct_day is not None), dtype=np.int16),
        n_repeat_scans=zeros,
        end_reason=np.full(n, END_REASONS.index("horizon"), dtype=np.int8),
        end_day=np.full(n, 36 * 30.4375),
        screen_detected=np.zeros(n, dtype=bool),
        false_diagnosis=np.zeros(n, dtype=bool),
        detection_scan_day=np.full(n, np.nan),
        last_scan_day=np.full(n, last_scan_day),
        scan_cost=np.zeros(n),
    )


def _with_biopsies(arm: ArmResult, counts: np.ndarray) -> ArmResult:
    """``arm`` with ``n_biopsy``, as a field once the engine has one, as an attribute before."""
    if "n_biopsy" in {f.name for f in fields(arm)}:
        return replace(arm, n_biopsy=counts)  # type: ignore[call-arg]
    object.__setattr__(arm, "n_biopsy", counts)
    return arm


def _health(sc: fupsim.Scenario, arm: ArmResult, pres_month: float = math.inf) -> dict:
    cohort, latent = _people(pres_month)
    ctx = health_context(sc, cohort, latent, np.full(AGES.size, np.inf), _mortality())
    return arm_health(ctx, arm)


def _life(k: float, years: float) -> float:
    """∫_0^years e^{−k s} ds."""
    return -math.expm1(-k * years) / k


def _age_factor(age: float) -> float:
    return float(np.interp(age, [20, 35, 50], [1.3, 1.0, 0.8]))  # the [harms] defaults


@pytest.mark.parametrize("horizon", ["lifetime", 25, 10])
def test_fatal_radiation_cancer_loses_the_life_after_the_latency(horizon: object) -> None:
    """One CT on day 100. Per person: cancers c = 0.008 Sv × 0.055 × age factor; the fatal half
    die L = 15 years later and lose e^{−ρ(t+L)} ∫_0^{H−t−L} e^{−(μ+ρ)s} ds (to age 120 or the
    outcome horizon H; nothing when t + L > H). QALYs lose 0.5 c e^{−ρt} (morbidity) plus the
    baseline utility 0.8 × those life-years."""
    sc = _scenario({"analysis.outcome_horizon_years": horizon})
    day = 100.0
    with_ct, without = _health(sc, _arm(day)), _health(sc, _arm(None))
    t = day / DAYS_PER_YEAR
    h = math.inf if horizon == "lifetime" else float(horizon)  # type: ignore[arg-type]
    for i, age in enumerate(AGES):
        c = 0.008 * 0.055 * _age_factor(age)
        span = min(120 - (age + t + 15), h - (t + 15))
        lost = 0.5 * c * math.exp(-RHO * (t + 15)) * (_life(MU + RHO, span) if span > 0 else 0.0)
        assert with_ct["radiation_cancers"][i] == pytest.approx(c, rel=1e-12)
        ly_diff = without["life_years"][i] - with_ct["life_years"][i]
        assert ly_diff == pytest.approx(lost, rel=1e-9, abs=1e-15)
        q_lost = 0.5 * c * math.exp(-RHO * t) + 0.8 * lost
        assert without["qalys"][i] - with_ct["qalys"][i] == pytest.approx(q_lost, rel=1e-9)
        assert with_ct["harm_qalys"][i] == pytest.approx(q_lost, rel=1e-9)
    if horizon == 10:
        np.testing.assert_array_equal(with_ct["life_years"], without["life_years"])


def test_no_fatal_share_means_no_life_years_lost() -> None:
    sc = _scenario({"harms.radiation_fatal_share": 0.0})
    with_ct, without = _health(sc, _arm(50.0)), _health(sc, _arm(None))
    np.testing.assert_array_equal(with_ct["life_years"], without["life_years"])


def test_biopsies_by_hand() -> None:
    """Person 0 has 2 biopsies after their last scan on day 200 with a 30-day CT delay, person
    1 none. Survival to the biopsy is given; the chance that one of two kills is
    1 − (1 − p)², and a death loses the person's expected life after t_b. Without biopsies
    (no survivor of follow-up dies): life-years = D(3) + e^{−3ρ} ∫_0^{117−a} e^{−(μ+ρ)s} ds."""
    p, q = 0.001, 0.05
    sc = _scenario(
        {
            "harms.biopsy_complication_death": p,
            "harms.biopsy_qaly_loss": q,
            "harms.ct_dose_msv": 0.0,
            "ct.delay_days": 30.0,
        }
    )
    plain = _health(sc, _arm(None, last_scan_day=200.0))
    zeros = _health(sc, _with_biopsies(_arm(None, 200.0), np.zeros(2, dtype=np.int64)))
    got = _health(sc, _with_biopsies(_arm(None, 200.0), np.array([2, 0])))
    for name in ("life_years", "qalys", "harm_qalys"):
        np.testing.assert_array_equal(plain[name], zeros[name])  # absent = zeros

    t_b = 230.0 / DAYS_PER_YEAR
    before = _life(RHO, t_b)
    ly0 = [_life(RHO, 3) + math.exp(-3 * RHO) * _life(MU + RHO, 117 - a) for a in AGES]
    np.testing.assert_allclose(plain["life_years"], ly0, rtol=1e-12)
    die = 1 - (1 - p) ** 2
    ly_expect = ly0[0] - die * (ly0[0] - before)
    q_expect = 0.8 * ly0[0] - 2 * q * math.exp(-RHO * t_b) - die * 0.8 * (ly0[0] - before)
    assert got["life_years"][0] == pytest.approx(ly_expect, rel=1e-12)
    assert got["qalys"][0] == pytest.approx(q_expect, rel=1e-12)
    assert got["life_years"][1] == plain["life_years"][1]
    assert got["qalys"][1] == plain["qalys"][1]


@pytest.mark.parametrize("years", [120.0, 10.0])
def test_excess_hazard_after_a_diagnosis(years: float) -> None:
    """A change presenting at month 0 with excess hazard h on background μ, discount r:
    life-years = ∫_0^Y e^{−(μ+h+ρ)s} ds + e^{−(μ+h+ρ)Y} ∫_0^{120−a−Y} e^{−(μ+ρ)s} ds (for life:
    (1 − e^{−(μ+h+ρ)(120−a)}) / (μ+h+ρ) ≈ 1/(μ+h+ρ)); deaths from the change =
    h ∫_0^Y e^{−(μ+h)s} ds."""
    h = 0.0192  # the late bile-duct-stone hazard of baseline.toml (S11 × RR 2.0)
    sc = _scenario(
        {
            "harms.ct_dose_msv": 0.0,
            "health.test": {"late": {"excess_hazard_per_year": h, "excess_hazard_years": years}},
        }
    )
    got = _health(sc, _arm(None), pres_month=0.0)
    k = MU + h + RHO
    for i, age in enumerate(AGES):
        y = min(years, 120 - age)
        expect = _life(k, y) + math.exp(-k * y) * _life(MU + RHO, 120 - age - y)
        assert got["life_years"][i] == pytest.approx(expect, rel=1e-10)
        assert got["change_deaths"][i] == pytest.approx(h * _life(MU + h, y), rel=1e-10)
    if years == 120.0:
        assert got["life_years"][0] == pytest.approx(1 / k, rel=0.01)  # the tail past 120


def test_baseline_stone_hazards_are_s11_with_rr_2(baseline: fupsim.Scenario) -> None:
    """Baseline's S11 hazards: early 0.0096/y, late 0.0192/y (RR 2.0) for 10 years."""
    stone = baseline.health.causes["bile_duct_stone"]
    assert stone.late.excess_hazard_per_year == pytest.approx(
        2.0 * stone.early.excess_hazard_per_year
    )
    assert stone.early.excess_hazard_years == stone.late.excess_hazard_years == 10


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("harms.biopsy_complication_death", 1.5),
        ("harms.biopsy_qaly_loss", -0.1),
        ("harms.radiation_death_latency_years", -1.0),
    ],
)
def test_bad_harm_values_name_the_field(key: str, value: float) -> None:
    with pytest.raises(ScenarioError, match=key.split(".")[-1]):
        _scenario({key: value})
