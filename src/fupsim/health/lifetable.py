"""Background mortality from a life table: death times, survival and expected life-years.

The hazard is constant within each whole year of age, μ_x = −ln(1 − q_x), so survival is
exact between ages and a person's death time is drawn by inverting the cumulative hazard.
Everyone still alive at age 120 (the table's end) dies then. Expected (discounted) remaining
life-years come from per-year closed forms summed backwards from age 120, so they are exact
for this hazard and cost a few array operations per person.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fupsim.scenario.health import MAX_AGE_YEARS, LifeTable

__all__ = ["Mortality", "discounted_years"]


def discounted_years(t_years: np.ndarray | float, rho: float) -> np.ndarray:
    """∫_0^t e^{−ρs} ds: discounted length of ``t_years`` years at continuous rate ``rho``."""
    t = np.asarray(t_years, dtype=float)
    if rho == 0.0:
        return t
    return -np.expm1(-rho * t) / rho


def _integral(k: np.ndarray, f: np.ndarray) -> np.ndarray:
    """∫_0^f e^{−k s} ds, element-wise (k ≥ 0)."""
    if k.size and k.min() > 0:
        return -np.expm1(-k * f) / k
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(k > 0, -np.expm1(-k * f) / np.where(k > 0, k, 1.0), f)


class Mortality:
    """Background mortality of one life table, by sex (0 = male, 1 = female) and age in years.

    Parameters
    ----------
    table : LifeTable
        q(x) for ages 0–119.
    enabled : bool
        ``False`` gives a hazard of zero (nobody dies of background causes before 120).
    """

    def __init__(self, table: LifeTable, *, enabled: bool = True) -> None:
        q = np.stack([table.qx_male, table.qx_female]).astype(float)
        mu = -np.log1p(-np.minimum(q, 1.0 - 1e-15))
        self.mu = mu if enabled else np.zeros_like(mu)  # (2, 120) hazard per year
        self.cum = np.concatenate([np.zeros((2, 1)), np.cumsum(self.mu, axis=1)], axis=1)
        self._tables: dict[tuple[float, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    # --- background survival -------------------------------------------------------------
    def cumulative_hazard(self, sex: np.ndarray, age_years: np.ndarray) -> np.ndarray:
        """Λ(age) = ∫_0^age μ: background cumulative hazard from birth (``inf`` from 120)."""
        return self._piecewise(self.cum, self.mu, sex, age_years)

    def survival(self, sex: np.ndarray, from_age: np.ndarray, to_age: np.ndarray) -> np.ndarray:
        """Probability of surviving background causes from ``from_age`` to ``to_age``."""
        gap = self.cumulative_hazard(sex, to_age) - self.cumulative_hazard(sex, from_age)
        return np.exp(-np.nan_to_num(gap, nan=np.inf))

    def death_age(self, sex: np.ndarray, age_years: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Background death age of people alive at ``age_years``, from uniforms ``u`` in (0, 1]."""
        target = self.cumulative_hazard(sex, age_years) - np.log(u)
        out = np.full(target.shape, float(MAX_AGE_YEARS))
        for s in (0, 1):
            sel = np.flatnonzero(sex == s)
            if sel.size == 0:
                continue
            t = target[sel]
            x = np.clip(np.searchsorted(self.cum[s], t, side="right") - 1, 0, MAX_AGE_YEARS - 1)
            mu = self.mu[s, x]
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.where(mu > 0, (t - self.cum[s, x]) / np.where(mu > 0, mu, 1.0), 1.0)
            out[sel] = np.minimum(x + frac, MAX_AGE_YEARS)
        return out

    # --- expected (discounted) life-years -----------------------------------------------
    def expected_years(
        self,
        sex: np.ndarray,
        age_years: np.ndarray,
        span_years: np.ndarray,
        *,
        excess_hazard: float = 0.0,
        rho: float = 0.0,
    ) -> np.ndarray:
        """Expected life-years lived from ``age_years`` over the next ``span_years``.

        Survival is background mortality plus a constant ``excess_hazard`` per year, and each
        year s after ``age_years`` is weighted by e^{−ρs} (``rho`` = ln(1 + discount rate)):
        ∫_0^span e^{−ρs} exp(−∫_0^s (μ(age + v) + h) dv) ds, for people alive at ``age_years``.
        """
        force, cum, rest = self._table(excess_hazard, rho)
        age = np.minimum(np.asarray(age_years, dtype=float), MAX_AGE_YEARS)
        end = np.minimum(age + np.asarray(span_years, dtype=float), MAX_AGE_YEARS)
        out = self._rest(force, rest, sex, age)
        cut = np.flatnonzero(end < MAX_AGE_YEARS)  # spans that stop before the table's end
        if cut.size:
            s, a, e = sex[cut], age[cut], end[cut]
            gap = self._piecewise(cum, force, s, e) - self._piecewise(cum, force, s, a)
            out[cut] -= np.exp(-gap) * self._rest(force, rest, s, e)
        return out

    def carried(
        self,
        sex: np.ndarray,
        age_years: np.ndarray,
        span_years: np.ndarray,
        *,
        excess_hazard: float = 0.0,
        rho: float = 0.0,
    ) -> np.ndarray:
        """exp(−∫_0^span (μ(age + v) + h + ρ) dv): survival to ``span`` years later, discounted."""
        force, cum, _ = self._table(excess_hazard, rho)
        age = np.minimum(np.asarray(age_years, dtype=float), MAX_AGE_YEARS)
        end = np.minimum(age + np.asarray(span_years, dtype=float), MAX_AGE_YEARS)
        gap = self._piecewise(cum, force, sex, end) - self._piecewise(cum, force, sex, age)
        return np.where(end >= MAX_AGE_YEARS, 0.0, np.exp(-gap))

    def _table(self, h: float, rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (float(h), float(rho))
        if key not in self._tables:
            force = self.mu + h + rho  # (2, 120): discounting acts like a hazard
            cum = np.concatenate([np.zeros((2, 1)), np.cumsum(force, axis=1)], axis=1)
            one_year = _integral(force, np.ones_like(force))
            rest = np.zeros((2, MAX_AGE_YEARS + 1))  # rest[x]: from exact age x to 120
            for x in range(MAX_AGE_YEARS - 1, -1, -1):
                rest[:, x] = one_year[:, x] + np.exp(-force[:, x]) * rest[:, x + 1]
            self._tables[key] = (force, cum, rest)
        return self._tables[key]

    @staticmethod
    def _rest(force: np.ndarray, rest: np.ndarray, sex: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Remaining (weighted) years from a fractional age to 120."""
        x = np.minimum(age.astype(np.int64), MAX_AGE_YEARS - 1)  # ages are never negative
        f = np.maximum(x + 1 - age, 0.0)
        k = force.ravel()[sex * MAX_AGE_YEARS + x]
        out = _integral(k, f) + np.exp(-k * f) * rest.ravel()[sex * (MAX_AGE_YEARS + 1) + x + 1]
        if age.size and age.max() >= MAX_AGE_YEARS:
            out[age >= MAX_AGE_YEARS] = 0.0
        return out

    @staticmethod
    def _piecewise(cum: np.ndarray, rate: np.ndarray, sex: np.ndarray, age: Any) -> np.ndarray:
        a = np.asarray(age, dtype=float)
        over = a > MAX_AGE_YEARS
        x = np.minimum(np.where(over, MAX_AGE_YEARS, a).astype(np.int64), MAX_AGE_YEARS - 1)
        value = cum.ravel()[sex * (MAX_AGE_YEARS + 1) + x] + rate.ravel()[
            sex * MAX_AGE_YEARS + x
        ] * (np.minimum(a, MAX_AGE_YEARS) - x)
        if over.any():
            value[over] = np.inf
        return value
