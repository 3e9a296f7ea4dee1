"""The shipped life table against PARAMETERS.md §7.3 and §7.10, and the life-table arithmetic."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from fupsim.health import Mortality, discounted_years
from fupsim.scenario.health import read_life_table

# PARAMETERS.md §7.10 excerpt: (age, qx male, qx female)
EXCERPT = [
    (0, 0.006304, 0.005229),
    (1, 0.000426, 0.000342),
    (20, 0.001146, 0.000425),
    (30, 0.001865, 0.000833),
    (40, 0.002482, 0.001429),
    (50, 0.004997, 0.003118),
    (61, 0.012419, 0.007391),
    (80, 0.058206, 0.042771),
    (90, 0.165452, 0.131392),
]
# B2 and §7.10: e(x) at 0, 20, 30, 40, 50, 60
E_MALE = {0: 75.97, 20: 56.85, 30: 47.65, 40: 38.56, 50: 29.67, 60: 21.58}
E_FEMALE = {0: 80.96, 20: 61.63, 30: 51.97, 40: 42.47, 50: 33.23, 60: 24.56}
# B3: discounted remaining life expectancy at 3.5% and 3%, mid-year deaths
B3_MALE = {20: (24.17, 26.69), 30: (22.59, 24.69), 40: (20.47, 22.12), 50: (17.68, 18.86)}
B3_FEMALE = {20: (25.05, 27.77), 30: (23.57, 25.88), 40: (21.60, 23.45), 50: (19.01, 20.38)}


def test_shipped_table_matches_the_parameters_excerpt() -> None:
    t = read_life_table("ssa2017")
    assert t.qx_male.shape == t.qx_female.shape == (120,)
    for age, qm, qf in EXCERPT:
        assert t.qx_male[age] == qm
        assert t.qx_female[age] == qf


@pytest.mark.parametrize(("column", "expected"), [("qx_male", E_MALE), ("qx_female", E_FEMALE)])
def test_life_expectancy_from_qx_with_mid_year_deaths(column: str, expected: dict) -> None:
    """Convention: l(x+1) = l(x)(1 − q(x)), L(x) = (l(x) + l(x+1)) / 2, e(x) = Σ L / l(x).

    SSA gives e(x) to two decimals; its e(0) uses an infant separation factor, which the
    mid-year rule approximates to 0.01 years for 2017.
    """
    q = getattr(read_life_table("ssa2017"), column)
    life = np.concatenate([[1.0], np.cumprod(1 - q)])
    person_years = (life[:-1] + life[1:]) / 2
    for age, e in expected.items():
        assert person_years[age:].sum() / life[age] == pytest.approx(e, abs=0.01)


@pytest.mark.parametrize(
    ("sex", "expected", "b3"), [(0, E_MALE, B3_MALE), (1, E_FEMALE, B3_FEMALE)]
)
def test_mortality_expected_years_reproduce_b2_and_b3(sex: int, expected: dict, b3: dict) -> None:
    """Constant hazard within each year of age: decedents live a little under half their last
    year, so e(x) sits up to 0.02 years below the mid-year figure."""
    m = Mortality(read_life_table("ssa2017"))
    ages = np.array(list(expected), dtype=float)
    s = np.full(ages.size, sex)
    got = m.expected_years(s, ages, np.full(ages.size, np.inf))
    np.testing.assert_allclose(got, list(expected.values()), atol=0.02)
    ages = np.array(list(b3), dtype=float)
    s = np.full(ages.size, sex)
    for k, rate in enumerate((0.035, 0.03)):
        got = m.expected_years(s, ages, np.full(ages.size, np.inf), rho=math.log1p(rate))
        np.testing.assert_allclose(got, [v[k] for v in b3.values()], atol=0.015)


def _constant_table(tmp_path: Path, hazard: float) -> str:
    q = 1 - math.exp(-hazard)
    path = tmp_path / f"constant_{hazard}.csv"
    rows = "\n".join(f"{a},{q},{q}" for a in range(120))
    path.write_text(f"# constant hazard {hazard}/year\nage,qx_male,qx_female\n{rows}\n")
    return str(path)


def test_constant_hazard_closed_forms(tmp_path: Path) -> None:
    """μ constant, discount r: ∫_0^τ e^{−(μ+ρ)s} ds = (1 − e^{−(μ+ρ)τ}) / (μ+ρ), ρ = ln(1 + r)."""
    mu, r = 0.05, 0.035
    rho = math.log1p(r)
    m = Mortality(read_life_table(_constant_table(tmp_path, mu)))
    ages = np.array([0.0, 30.0, 30.4, 77.7])
    sex = np.array([0, 1, 0, 1])
    lifetime = m.expected_years(sex, ages, np.full(4, np.inf), rho=rho)
    expect = (1 - np.exp(-(mu + rho) * (120 - ages))) / (mu + rho)  # the table ends at 120
    np.testing.assert_allclose(lifetime, expect, rtol=1e-12)
    ten = m.expected_years(sex, ages, np.full(4, 10.0), rho=rho, excess_hazard=0.1)
    np.testing.assert_allclose(ten, (1 - math.exp(-(mu + 0.1 + rho) * 10)) / (mu + 0.1 + rho))
    np.testing.assert_allclose(m.survival(sex, ages, ages + 2.5), math.exp(-mu * 2.5), rtol=1e-12)
    assert discounted_years(10.0, rho) == pytest.approx((1 - math.exp(-rho * 10)) / rho)


def test_death_ages_follow_the_hazard(tmp_path: Path) -> None:
    """Inverting the cumulative hazard: with constant μ, the time to death is Exp(μ)."""
    m = Mortality(read_life_table(_constant_table(tmp_path, 0.05)))
    u = np.random.default_rng(1).random(200_000)
    age = np.full(u.size, 30.0)
    dead = m.death_age(np.zeros(u.size, np.intp), age, 1 - u) - age
    capped = np.minimum(-np.log(1 - u) / 0.05, 90.0)  # everyone dies by 120
    np.testing.assert_allclose(dead, capped, rtol=1e-9, atol=1e-9)


def test_a_table_with_a_missing_age_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("age,qx_male,qx_female\n" + "\n".join(f"{a},0.01,0.01" for a in range(100)))
    with pytest.raises(ValueError, match="no row for age 100"):
        read_life_table(str(path))


def test_excess_hazard_for_a_limited_time(tmp_path: Path) -> None:
    """Hazard μ + h for y years, then μ: ∫_0^y e^{−(μ+h+ρ)s} ds + e^{−(μ+h+ρ)y} ∫_0^{τ−y} e^{−(μ+ρ)s} ds."""
    mu, h, y, rho = 0.02, 0.3, 5.0, math.log1p(0.03)
    m = Mortality(read_life_table(_constant_table(tmp_path, mu)))
    sex, age = np.array([0]), np.array([40.0])
    carried = m.carried(sex, age, np.array([y]), excess_hazard=h, rho=rho)
    np.testing.assert_allclose(carried, math.exp(-(mu + h + rho) * y))
    first = m.expected_years(sex, age, np.array([y]), excess_hazard=h, rho=rho)
    then = m.expected_years(sex, age + y, np.array([np.inf]), rho=rho)
    k1, k2 = mu + h + rho, mu + rho
    hand = (1 - math.exp(-k1 * y)) / k1 + math.exp(-k1 * y) * (1 - math.exp(-k2 * (75.0))) / k2
    np.testing.assert_allclose(first + carried * then, hand, rtol=1e-12)
