"""Validation: the model against closed-form results from screening theory.

Each check builds a scenario in which a closed form holds exactly (PARAMETERS.md §4),
simulates it, and reports the expected value, the simulated estimate, its Monte Carlo
standard error and the distance in standard errors. The test suite and the report both use
these checks, so the numbers a reader sees are the ones the tests assert.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from fupsim.experiment import map_tasks, run_replicate
from fupsim.scenario import DAYS_PER_MONTH, Scenario, scenario_from_dict

__all__ = [
    "analytic_checks",
    "analytic_scenario",
    "expected_attended_scans",
    "expected_discounted_scan_cost",
    "screen_detected_fraction",
    "screen_detected_fraction_with_delay",
]

TOLERANCE_SE = 4.0
"""A check passes when the simulation lies within this many standard errors of the formula."""


def screen_detected_fraction(
    interval_months: float, mean_sojourn_months: float, sensitivity: float
) -> float:
    """Steady-state share of changes found by screening, π(Δ, λ, S) (PARAMETERS.md §4.3).

    π = S (1 − e^{−λΔ}) / [λΔ (1 − (1 − S) e^{−λΔ})], with λ = 1 / mean sojourn, for
    screens every Δ months, exponential sojourn and independent per-screen sensitivity S.
    """
    lam_delta = interval_months / mean_sojourn_months
    decay = math.exp(-lam_delta)
    return sensitivity * (1 - decay) / (lam_delta * (1 - (1 - sensitivity) * decay))


def expected_attended_scans(visits: int, attendance: float, loss_per_visit: float) -> float:
    """Expected attended scans when each of ``visits`` is attended with probability ``attendance``
    and, after each scheduled visit, the person is lost with probability ``loss_per_visit``.

    Visit k (1-based) is reached with probability (1 − ℓ)^{k−1}, so the mean is
    a · Σ_{k=1..K} (1 − ℓ)^{k−1} = a (1 − (1 − ℓ)^K) / ℓ (and a·K when ℓ = 0).
    """
    if loss_per_visit == 0:
        return attendance * visits
    return attendance * (1 - (1 - loss_per_visit) ** visits) / loss_per_visit


def screen_detected_fraction_with_delay(
    interval_months: float, mean_sojourn_months: float, sensitivity: float, delay_days: float
) -> float:
    """Share of changes screen-detected when the confirming CT comes ``delay_days`` after the
    positive scan: π_d = e^{−λd} π(Δ, λ, S).

    The first positive scan X is a stopping time and the sojourn T is memoryless, so
    P(T > X + d) = e^{−λd} P(T > X).
    """
    lam_d = delay_days / DAYS_PER_MONTH / mean_sojourn_months
    return math.exp(-lam_d) * screen_detected_fraction(
        interval_months, mean_sojourn_months, sensitivity
    )


def expected_discounted_scan_cost(
    visit_days: list[int], attendance: float, loss_per_visit: float, rate_per_year: float
) -> float:
    """Expected discounted cost of scans costing 1 each, due on ``visit_days``.

    Visit k is reached with probability (1 − ℓ)^{k−1} and attended with probability a, and a
    cost on day t is worth (1 + r)^{−t/365.25}: Σ_k a (1 − ℓ)^{k−1} (1 + r)^{−t_k/365.25}.
    """
    return sum(
        attendance * (1 - loss_per_visit) ** k * (1 + rate_per_year) ** (-day / 365.25)
        for k, day in enumerate(visit_days)
    )


def analytic_scenario(
    *,
    interval_months: float = 3.0,
    mean_sojourn_months: float = 12.0,
    sensitivity: float = 0.75,
    attendance: float = 1.0,
    loss_per_visit: float = 0.0,
    progressive_share: float = 1.0,
    onset_window_months: float = 240.0,
    limited_share: float = 0.0,
    sensitivity_if_limited: float = 0.0,
    horizon_months: float | None = None,
    patients: int = 20_000,
    ct_delay_days: float = 0.0,
    discount_rate: float = 0.0,
) -> Scenario:
    """A scenario in which the closed forms hold: stationary onset, perfect CT, no jitter.

    Onset is uniform over ``onset_window_months`` (a whole number of intervals), so a
    change's phase within the screening interval is uniform, as the steady-state formula
    assumes; the horizon leaves room for every change to resolve.
    """
    horizon = horizon_months or onset_window_months + 20 * mean_sojourn_months
    nh = {
        "progressive_share": progressive_share,
        "onset": {"dist": "uniform", "low": 0.0, "high": onset_window_months},
        "sojourn": {"dist": "exponential", "mean": mean_sojourn_months},
    }
    data: dict[str, Any] = {
        "meta": {"name": "analytic", "description": "closed-form validation"},
        "simulation": {
            "patients": patients,
            "replications": 1,
            "seed": 1,
            "horizon_months": horizon,
        },
        "cohort": {
            "age": {"dist": "fixed", "value": 40},
            "lobe": {"right": 1.0, "left": 0.0, "both": 0.0},
            "causes": {"test": 1.0},
        },
        "natural_history": {"test": nh},
        "ultrasound": {
            "sensitivity": sensitivity,
            "specificity": 1.0,
            "limited_visualisation_share": limited_share,
            "sensitivity_if_limited": sensitivity_if_limited,
        },
        "ct": {
            "sensitivity": 1.0,
            "specificity": 1.0,
            "completion": 1.0,
            "delay_days": ct_delay_days,
        },
        "health": {"background_mortality": False},  # the closed forms have no competing death
        "attendance": {
            "per_visit": attendance,
            "loss_per_visit": loss_per_visit,
            "jitter_sd_days": 0.0,
        },
        "costs": {
            "ultrasound": 1.0,
            "ct": 0.0,
            "visit": 0.0,
            "early_treatment": 0.0,
            "late_treatment": 0.0,
            "discount_rate": discount_rate,
        },
        "protocol": [{"name": "screen", "interval_months": interval_months}],
    }
    return scenario_from_dict(data)


def _simulate(seed: int, **scenario: Any) -> pd.DataFrame:
    """One replicate of :func:`analytic_scenario` (``scenario``: its keywords) → outcomes."""
    out, _ = run_replicate(analytic_scenario(**scenario), 0, seed=seed, events=False)
    return out


def _changes(out: pd.DataFrame) -> pd.DataFrame:
    """People whose change came to light, by a scan or by presenting."""
    return out[out["screen_detected"] | out["interval_case"]]


def _share_row(check: str, formula: str, expected: float, cases: pd.DataFrame) -> dict[str, Any]:
    """A check of the screen-detected share among ``cases``, with its binomial SE."""
    p = float(cases["screen_detected"].mean())
    return {
        "check": check,
        "formula": formula,
        "expected": expected,
        "simulated": p,
        "se": math.sqrt(p * (1 - p) / len(cases)),
    }


def _mean_row(check: str, formula: str, expected: float, values: np.ndarray) -> dict[str, Any]:
    """A check of a mean over people, with its standard error."""
    return {
        "check": check,
        "formula": formula,
        "expected": expected,
        "simulated": float(values.mean()),
        "se": float(values.std(ddof=1) / math.sqrt(values.size)),
    }


def _pi_check(
    interval: float, sojourn: float, sens: float, seed: int, patients: int
) -> list[dict[str, Any]]:
    window = interval * math.floor(240.0 / interval)
    out = _simulate(
        seed,
        interval_months=interval,
        mean_sojourn_months=sojourn,
        sensitivity=sens,
        onset_window_months=window,
        patients=patients,
    )
    return [
        _share_row(
            f"screen-detected fraction, every {interval:g} mo, sojourn {sojourn:g} mo, S={sens:g}",
            "π(Δ,λ,S), PARAMETERS.md §4.3",
            screen_detected_fraction(interval, sojourn, sens),
            _changes(out),
        )
    ]


def _limited_check(seed: int, patients: int) -> list[dict[str, Any]]:
    """Repeated misses: a share v of people is seen with S_lim at every scan, the rest with S."""
    interval, sojourn, sens, v, s_lim = 3.0, 12.0, 0.9, 0.4, 0.2
    out = _simulate(
        seed,
        interval_months=interval,
        mean_sojourn_months=sojourn,
        sensitivity=sens,
        limited_share=v,
        sensitivity_if_limited=s_lim,
        patients=patients,
    )
    expected = (1 - v) * screen_detected_fraction(interval, sojourn, sens) + (
        v * screen_detected_fraction(interval, sojourn, s_lim)
    )
    return [
        _share_row(
            f"screen-detected fraction with repeated misses: {v:g} of people at S={s_lim:g}, "
            f"the rest at S={sens:g}, every {interval:g} mo, sojourn {sojourn:g} mo",
            "(1−v)·π(Δ,λ,S) + v·π(Δ,λ,S_lim)",
            expected,
            _changes(out),
        )
    ]


def _scans_check(
    interval: float, attendance: float, loss: float, seed: int, patients: int
) -> list[dict[str, Any]]:
    horizon = 36.0
    out = _simulate(
        seed,
        interval_months=interval,
        attendance=attendance,
        loss_per_visit=loss,
        progressive_share=0.0,
        horizon_months=horizon,
        patients=patients,
    )
    visits = math.floor(horizon / interval + 1e-9)
    return [
        _mean_row(
            f"attended scans, every {interval:g} mo over {horizon:g} mo, a={attendance:g}, "
            f"ℓ={loss:g}",
            "a(1−(1−ℓ)^K)/ℓ",
            expected_attended_scans(visits, attendance, loss),
            out["n_scans"].to_numpy(dtype=float),
        )
    ]


def _delay_checks(seed: int, patients: int) -> list[dict[str, Any]]:
    """A CT delay d: screen fraction e^{−λd}π, mean delay (1 − π_d)/λ, mean lead time 1/λ."""
    interval, sojourn, sens, delay = 3.0, 12.0, 0.75, 30.0
    out = _simulate(
        seed,
        interval_months=interval,
        mean_sojourn_months=sojourn,
        sensitivity=sens,
        ct_delay_days=delay,
        patients=patients,
    )
    cases = _changes(out)
    pi_d = screen_detected_fraction_with_delay(interval, sojourn, sens, delay)
    where = f"every {interval:g} mo, sojourn {sojourn:g} mo, S={sens:g}, CT after {delay:g} days"
    return [
        _share_row(f"screen-detected fraction, {where}", "e^{−λd}·π(Δ,λ,S)", pi_d, cases),
        _mean_row(
            f"mean onset-to-diagnosis delay, months, {where}",
            "(1 − π_d)/λ",
            (1 - pi_d) * sojourn,
            cases["delay_months"].to_numpy(dtype=float),
        ),
        _mean_row(
            f"mean lead time of screen-detected changes, months, {where}",
            "1/λ (exponential sojourn, memoryless)",
            sojourn,
            out.loc[out["screen_detected"], "lead_time_months"].to_numpy(dtype=float),
        ),
    ]


def _scan_cost_check(seed: int, patients: int) -> list[dict[str, Any]]:
    interval, attendance, loss, rate, horizon = 3.0, 0.85, 0.03, 0.035, 36.0
    out = _simulate(
        seed,
        interval_months=interval,
        attendance=attendance,
        loss_per_visit=loss,
        progressive_share=0.0,
        horizon_months=horizon,
        patients=patients,
        discount_rate=rate,
    )
    days = [round(k * interval * DAYS_PER_MONTH) for k in range(1, int(horizon / interval) + 1)]
    return [
        _mean_row(
            f"discounted scan cost per person, every {interval:g} mo over {horizon:g} mo, "
            f"a={attendance:g}, ℓ={loss:g}, r={rate:g}",
            "Σ_k a(1−ℓ)^{k−1}(1+r)^{−t_k}",
            expected_discounted_scan_cost(days, attendance, loss, rate),
            out["cost"].to_numpy(dtype=float),
        )
    ]


def _run_check(task: tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]) -> Any:
    """Run one check ``(function, arguments)``: a top-level function, so it can go to a worker."""
    fn, args = task
    return fn(*args)


def analytic_checks(
    seed: int = 7, patients: int = 20_000, *, workers: int | None = None
) -> pd.DataFrame:
    """Run every closed-form check; one row per check.

    Parameters
    ----------
    seed : int
        Seed of the first check; the others use fixed offsets from it.
    patients : int
        People simulated per check.
    workers : int, optional
        Worker processes for the nine independent simulations (default: all cores; 1 runs
        them here). Each check has its own seed, so the table does not depend on it.

    Returns
    -------
    DataFrame
        ``check, formula, expected, simulated, se, z, tolerance_se, passed``; ``z`` is
        (simulated − expected) / se.
    """
    tasks: list[tuple[Callable[..., list[dict[str, Any]]], tuple[Any, ...]]] = [
        (_pi_check, (3.0, 12.0, 0.75, seed, patients)),
        (_pi_check, (6.0, 12.0, 0.75, seed + 1, patients)),
        (_pi_check, (4.5, 6.0, 0.5, seed + 2, patients)),
        (_pi_check, (3.0, 24.0, 1.0, seed + 3, patients)),
        (_limited_check, (seed + 6, patients)),
        (_scans_check, (3.0, 0.85, 0.03, seed + 4, patients)),
        (_scans_check, (6.0, 0.6, 0.10, seed + 5, patients)),
        (_delay_checks, (seed + 8, patients)),
        (_scan_cost_check, (seed + 9, patients)),
    ]
    done = map_tasks(_run_check, tasks, workers=workers, progress=False, desc="validation")
    table = pd.DataFrame([row for rows in done for row in rows])
    table["z"] = (table["simulated"] - table["expected"]) / table["se"]
    table["tolerance_se"] = TOLERANCE_SE
    table["passed"] = table["z"].abs() <= TOLERANCE_SE
    return table
