"""The model against closed forms from screening theory (PARAMETERS.md §4).

Expected values come from the formulas in ``fupsim.validation`` (written from the
derivation, not from simulation output); the tolerance is 4 Monte Carlo standard errors,
stated here rather than read from the code under test.
"""

from __future__ import annotations

import math

import pytest

from fupsim.validation import (
    analytic_checks,
    expected_attended_scans,
    screen_detected_fraction,
)

TOLERANCE_SE = 4.0
"""Largest |simulated - closed form| allowed, in Monte Carlo standard errors (the README's
promise; with 7+ checks a chance exceedance has probability below 7 x 6.3e-5)."""


def test_formula_limits() -> None:
    # S = 1 gives (1 - e^{-λΔ}) / (λΔ); Δ → 0 gives 1 (PARAMETERS.md §4.3 checks)
    assert screen_detected_fraction(3, 12, 1.0) == pytest.approx((1 - math.exp(-0.25)) / 0.25)
    assert screen_detected_fraction(1e-6, 12, 0.5) == pytest.approx(1.0, abs=1e-5)
    # hand value: Δ=6, mean sojourn 12, S=0.75: λΔ = 0.5, e^-0.5 = 0.60653
    hand = 0.75 * (1 - 0.60653066) / (0.5 * (1 - 0.25 * 0.60653066))
    assert screen_detected_fraction(6, 12, 0.75) == pytest.approx(hand, rel=1e-6)


def test_attended_scans_formula_by_hand() -> None:
    # K=3, a=0.5, ℓ=0.5: visits reached 1, 0.5, 0.25 -> 0.5 * 1.75
    assert expected_attended_scans(3, 0.5, 0.5) == pytest.approx(0.875)
    assert expected_attended_scans(12, 0.85, 0.0) == pytest.approx(10.2)


@pytest.mark.slow
def test_simulation_agrees_with_closed_forms() -> None:
    table = analytic_checks(seed=7)
    assert len(table) >= 7
    z = (table["simulated"] - table["expected"]) / table["se"]
    assert z.to_numpy() == pytest.approx(table["z"].to_numpy(), abs=1e-9)  # z is what it says
    bad = table[z.abs() > TOLERANCE_SE]
    assert bad.empty, bad.to_string()


def test_checks_do_not_depend_on_the_worker_count() -> None:
    # each check has its own seed, so running them side by side changes nothing
    here = analytic_checks(seed=3, patients=200, workers=1)
    apart = analytic_checks(seed=3, patients=200, workers=2)
    assert len(here) == 11
    assert here.equals(apart)
