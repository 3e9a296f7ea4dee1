"""Value of information (fupsim.voi) against hand counts, closed forms and nested Monte Carlo.

Tolerances are stated in standard errors: the EVPPI estimator's own ``se`` (regression error
and the Monte Carlo error of the outer average) and, for nested Monte Carlo, the standard
error of its outer average.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Ellipse
from scipy.stats import norm

from fupsim.plots import voi as pv
from fupsim.voi import (
    EVPPI_COLUMNS,
    acceptability,
    ceaf,
    curves_table,
    decision_table,
    evpi,
    evppi,
    evppi_table,
    expected_loss,
    net_benefit,
    noise_check,
    population_factor,
    psa_arrays,
)

EFFECT = "qaly_per_patient"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _e_max0(m: float, s: float) -> float:
    """E[max(0, Y)] for Y ~ N(m, s²): m Φ(m/s) + s φ(m/s)."""
    return m * norm.cdf(m / s) + s * norm.pdf(m / s)


def _tiny_psa() -> pd.DataFrame:
    """3 draws × 2 options, as psa.csv holds them, with one drawn parameter."""
    rows = [
        (0, "A", 10.0, 0.0, 1.0),
        (0, "B", 30.0, 0.5, 1.0),
        (1, "A", 10.0, 0.1, 2.0),
        (1, "B", 20.0, 0.1, 2.0),
        (2, "A", 0.0, 0.2, 3.0),
        (2, "B", 50.0, 0.9, 3.0),
    ]
    return pd.DataFrame(rows, columns=["draw", "protocol", "cost_per_patient", EFFECT, "p"])


# ---------------------------------------------------------------- hand counts


def test_tiny_table_evpi_ceaf_and_expected_loss_by_hand() -> None:
    arrays = psa_arrays(_tiny_psa(), effect=EFFECT, parameters=["p"])
    assert arrays.options == ["A", "B"]
    nb = net_benefit(arrays.costs, arrays.effects, [0.0, 100.0])
    # WTP 0: NB A = -10, -10, 0; B = -30, -20, -50. A is best in every draw.
    # WTP 100: NB A = -10, 0, 20; B = 20, -10, 40.
    np.testing.assert_allclose(nb[:, 1, 1], [20.0, -10.0, 40.0])
    # EVPI(100) = mean(20, 0, 40) - max(10/3, 50/3) = 20 - 50/3
    np.testing.assert_allclose(evpi(nb), [0.0, 20 - 50 / 3])
    front = ceaf(nb)
    np.testing.assert_array_equal(front.option, [0, 1])
    np.testing.assert_allclose(front.probability, [1.0, 2 / 3])
    np.testing.assert_allclose(acceptability(nb), [[1.0, 1 / 3], [0.0, 2 / 3]])
    # loss of A at 100: (30 + 0 + 20) / 3; of B: (0 + 10 + 0) / 3 (= EVPI); at 0: 0 and 80/3
    np.testing.assert_allclose(expected_loss(nb), [[0.0, 50 / 3], [80 / 3, 10 / 3]])
    np.testing.assert_array_equal(arrays.params["p"], [1.0, 2.0, 3.0])


def test_decision_table_by_hand() -> None:
    arrays = psa_arrays(_tiny_psa(), effect=EFFECT)
    nb = net_benefit(arrays.costs, arrays.effects, [0.0, 100.0])
    people = 100 + 100 / 1.05  # two years of 100 people, 5 %
    table = decision_table(nb, [0.0, 100.0], arrays.options, population=people)
    row = table.iloc[1]
    assert row["option"] == "B"
    assert row["probability_cost_effective"] == pytest.approx(2 / 3)
    assert row["expected_net_benefit"] == pytest.approx(50 / 3)
    # percentiles of (-10, 20, 40) with linear interpolation: ranks 0.05 and 1.95
    assert row["net_benefit_lower"] == pytest.approx(-10 + 0.05 * 30)
    assert row["net_benefit_upper"] == pytest.approx(20 + 0.95 * 20)
    assert row["population_evpi"] == pytest.approx((20 - 50 / 3) * people)
    assert table.iloc[0]["option"] == "A" and table.iloc[0]["evpi"] == 0.0


def test_curves_table_marks_the_frontier_and_min_loss_equals_evpi() -> None:
    rng = np.random.default_rng(11)
    nb = rng.normal([0.0, 0.2, 0.1], 1.0, size=(400, 3))[:, :, None] * np.array([1.0, 2.0])
    curves = curves_table(nb, [1.0, 2.0], ["a", "b", "c"])
    loss = curves.groupby("wtp")["expected_loss"].min().to_numpy()
    np.testing.assert_allclose(loss, evpi(nb))
    frontier = curves[curves["on_frontier"]]
    assert list(frontier["option"]) == ["b", "b"]
    np.testing.assert_allclose(curves.groupby("wtp")["probability"].sum(), 1.0)


def test_population_factor_by_hand() -> None:
    assert population_factor(1000, 3, 0.05) == pytest.approx(1000 * (1 + 1 / 1.05 + 1 / 1.05**2))
    assert population_factor(1000, 2.5, 0.0) == pytest.approx(2500)
    # half a third year, discounted two years
    assert population_factor(10, 2.5, 0.1) == pytest.approx(10 + 10 / 1.1 + 0.5 * 10 / 1.1**2)
    assert population_factor(10, 0, 0.03) == 0.0


# ---------------------------------------------------------------- EVPPI, closed form


def _linear_normal_case(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """INB = 1000 (X + Y), X ~ N(0.3, 1) of interest, Y ~ N(0, 1.5²) other parameters."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(0.3, 1.0, n), rng.normal(0.0, 1.5, n)
    nb = np.zeros((n, 2, 1))
    nb[:, 1, 0] = 1000 * (x + y)
    truth = 1000 * (_e_max0(0.3, 1.0) - 0.3)
    return nb, x, truth


@pytest.mark.parametrize("method", ["gam", "quadratic"])
def test_evppi_of_a_linear_normal_parameter_matches_the_closed_form(method: str) -> None:
    nb, x, truth = _linear_normal_case(3000, seed=1)
    res = evppi(nb, x, method=method, rng=0)
    assert abs(res.evppi[0] - truth) < 3 * res.se[0]
    assert res.se[0] < 0.15 * truth  # informative, not a wide net


def test_gp_evppi_matches_the_closed_form_with_irrelevant_inputs() -> None:
    # three inputs: X and two pure-noise parameters; the GP must ignore the latter
    nb, x, truth = _linear_normal_case(2000, seed=2)
    rng = np.random.default_rng(3)
    params = np.column_stack([x, rng.normal(size=2000), rng.uniform(size=2000)])
    res = evppi(nb, params, rng=0)
    assert res.method == "gp"
    assert abs(res.evppi[0] - truth) < 3 * res.se[0]


def test_gp_point_estimate_depends_on_the_data_alone() -> None:
    # the same draws give the same EVPPI whatever the stream (which only drives the SE's
    # posterior draws), so a named group and a parameter with the same columns agree
    nb, x, _ = _linear_normal_case(400, seed=4)
    params = np.column_stack([x, np.random.default_rng(5).normal(size=400)])
    a, b = evppi(nb, params, method="gp", rng=1), evppi(nb, params, method="gp", rng=2)
    np.testing.assert_array_equal(a.evppi, b.evppi)
    assert not np.array_equal(a.se, b.se)


def test_evppi_is_at_most_evpi_and_all_parameters_give_evpi() -> None:
    rng = np.random.default_rng(5)
    n = 1500
    t = rng.normal(size=(n, 3))
    effects = np.column_stack([np.zeros(n), 0.1 + 0.05 * t[:, 0], 0.15 + 0.1 * np.tanh(t[:, 1])])
    costs = np.column_stack([np.zeros(n), 400 + 80 * t[:, 2], 900 + 100 * t[:, 0] * t[:, 2]])
    wtp = [5000.0, 8000.0, 12000.0]
    nb = net_benefit(costs, effects, wtp)
    full = evpi(nb)
    for cols in ([0], [1, 2]):
        part = evppi(nb, t[:, cols], rng=0)
        assert np.all(part.evppi <= full + 2 * part.se)
    everything = evppi(nb, t, rng=0)
    # NB is a deterministic function of the three parameters: EVPPI(all) is EVPI
    np.testing.assert_array_less(np.abs(everything.evppi - full), 3 * everything.se + 1e-9)


def test_all_wtp_at_once_equals_one_wtp_at_a_time_and_reference_does_not_matter() -> None:
    # with a fixed linear smoother (quadratic) the SVD-component fit is exact
    rng = np.random.default_rng(9)
    t = rng.normal(size=(500, 2))
    costs = np.column_stack([np.zeros(500), 100 + 30 * t[:, 0], 180 + 20 * t[:, 1] ** 2])
    effects = np.column_stack([np.zeros(500), 0.01 + 0.004 * t[:, 1], 0.02 + 0.002 * t[:, 0]])
    wtp = [5_000.0, 10_000.0, 20_000.0]
    nb = net_benefit(costs, effects, wtp)
    together = evppi(nb, t, method="quadratic", rng=0).evppi
    alone = [evppi(nb[:, :, [k]], t, method="quadratic", rng=0).evppi[0] for k in range(3)]
    np.testing.assert_allclose(together, alone, rtol=1e-8, atol=1e-9)
    other_ref = evppi(nb, t, method="quadratic", reference=2, rng=0).evppi
    np.testing.assert_allclose(other_ref, together, rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------- EVPPI, nested Monte Carlo


def _model(t1: np.ndarray, t2: np.ndarray, t3: np.ndarray) -> np.ndarray:
    """Net benefit of three options, nonlinear in every parameter; shape (..., 3)."""
    return np.stack(
        [
            np.zeros_like(t1 * t2 * t3),
            np.exp(0.5 * t1) * t2 - 1.6 + t3,
            0.8 * t1**2 - 0.7 + 0.5 * t2 * t3,
        ],
        axis=-1,
    )


def _draw(rng: np.random.Generator, size: tuple[int, ...]):
    return rng.normal(size=size), rng.gamma(4.0, 0.25, size=size), rng.uniform(0, 1, size=size)


def _nested(interest: tuple[int, ...], rng: np.random.Generator) -> tuple[float, float]:
    """Two-level Monte Carlo EVPPI and the standard error of its outer average."""
    outer, inner = 1500, 1500
    t = list(_draw(rng, (outer, 1)))
    other = list(_draw(rng, (outer, inner)))
    for k in range(3):
        if k not in interest:
            t[k] = other[k]
    cond = _model(*np.broadcast_arrays(*t)).mean(axis=1)  # (outer, 3): E[NB | θ_interest]
    per = cond.max(axis=1)
    big = _model(*_draw(rng, (400_000,))).mean(axis=0)
    return float(per.mean() - big.max()), float(per.std(ddof=1) / np.sqrt(outer))


@pytest.mark.parametrize("interest", [(0,), (0, 1)])
def test_evppi_agrees_with_nested_monte_carlo(interest: tuple[int, ...]) -> None:
    rng = np.random.default_rng(21)
    n = 3000
    t1, t2, t3 = _draw(rng, (n,))
    nb = _model(t1, t2, t3)[:, :, None]
    params = np.column_stack([t1, t2, t3])[:, list(interest)]
    res = evppi(nb, params, rng=0)
    nested, nested_se = _nested(interest, np.random.default_rng(22))
    both = np.hypot(res.se[0], nested_se)
    assert abs(res.evppi[0] - nested) < 3 * both, (res.evppi[0], nested, both)


# ---------------------------------------------------------------- Monte Carlo noise


def test_noise_share_and_corrected_evpi_for_normal_noise() -> None:
    rng = np.random.default_rng(8)
    n, m, s, tau = 20000, 0.2, 1.0, 0.8
    nb = np.zeros((n, 2, 1))
    nb[:, 1, 0] = rng.normal(m, s, n) + rng.normal(0, tau, n)
    check = noise_check(nb, tau**2)
    assert check.share[0] == pytest.approx(tau**2 / (s**2 + tau**2), rel=0.03)
    assert bool(check.flagged[0])
    truth = _e_max0(m, s) - m
    noisy = _e_max0(m, np.hypot(s, tau)) - m
    # standard error of a mean of max(0, ·) over n draws, bounded by the sd of the draws
    se = np.hypot(s, tau) / np.sqrt(n)
    assert check.evpi[0] == pytest.approx(noisy, abs=3 * se)
    assert check.evpi_corrected[0] == pytest.approx(truth, abs=3 * se)


# ---------------------------------------------------------------- the table from psa.csv


def _synthetic_psa(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    a, b, c = rng.normal(size=n), rng.uniform(size=n), rng.gamma(2.0, 1.0, n)
    rows = []
    for name, cost, eff in (
        ("none", np.zeros(n), np.zeros(n)),
        ("us-6m", 300 + 50 * a, 0.02 + 0.01 * b),
        ("us-3m", 700 + 60 * c, 0.03 + 0.02 * b * a),
    ):
        rows.append(
            pd.DataFrame(
                {
                    "draw": np.arange(n),
                    "protocol": name,
                    "cost_per_patient": cost,
                    EFFECT: eff,
                    "a": a,
                    "b": b,
                    "c": c,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_evppi_table_columns_and_population_scaling() -> None:
    table = evppi_table(
        _synthetic_psa(),
        {"costs": ["a", "c"], "effects": ["b"]},
        [10_000.0, 30_000.0],
        effect=EFFECT,
        population_per_year=500,
        decision_horizon_years=5,
        discount_rate=0.035,
        rng=1,
    )
    assert list(table.columns) == list(EVPPI_COLUMNS)
    assert len(table) == 4
    people = sum(500 / 1.035**t for t in range(5))
    np.testing.assert_allclose(table["population_evppi"], table["evppi_per_person"] * people)
    assert (table["se"] >= 0).all() and (table["evppi_per_person"] >= 0).all()
    assert (table["se"] > 0).any()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"groups": {"g": ["a", "nope"]}}, "groups"),
        ({"population_per_year": -1}, "population_per_year"),
        ({"decision_horizon_years": -2}, "decision_horizon_years"),
        ({"wtp": [30_000.0, 10_000.0]}, "wtp"),
        ({"method": "spline"}, "method"),
    ],
)
def test_bad_input_names_the_argument(change: dict, named: str) -> None:
    args = {
        "groups": {"g": ["a"]},
        "wtp": [10_000.0, 30_000.0],
        "population_per_year": 500,
        "decision_horizon_years": 5,
        "method": "auto",
    }
    args.update(change)
    with pytest.raises(ValueError, match=named):
        evppi_table(
            _synthetic_psa(60),
            args.pop("groups"),
            args.pop("wtp"),
            effect=EFFECT,
            discount_rate=0.03,
            **args,
        )


def test_gam_refuses_more_than_two_parameters() -> None:
    nb, x, _ = _linear_normal_case(50, seed=1)
    with pytest.raises(ValueError, match="method"):
        evppi(nb, np.column_stack([x, x**2, x**3]), method="gam")


# ---------------------------------------------------------------- figures


def test_voi_figures_have_units_and_show_the_numbers() -> None:
    psa = _synthetic_psa()
    arrays = psa_arrays(psa, effect=EFFECT)
    wtp = np.linspace(0, 60_000, 51)
    nb = net_benefit(arrays.costs, arrays.effects, wtp)
    curves = curves_table(nb, wtp, arrays.options)
    ax = pv.plot_ceaf(curves, currency="EUR")
    assert "EUR per QALY" in ax.get_xlabel() and "%" in ax.get_ylabel()
    front = ceaf(nb)
    shown = np.nansum([np.nan_to_num(line.get_ydata()) for line in ax.lines[1::2]], axis=0)
    np.testing.assert_allclose(shown, 100 * front.probability)
    ax = pv.plot_expected_loss(curves, currency="EUR")
    assert "EUR" in ax.get_ylabel()
    lowest = np.min([line.get_ydata() for line in ax.lines], axis=0)
    np.testing.assert_allclose(lowest, evpi(nb))
    ax = pv.plot_ce_plane(psa, effect=EFFECT, currency="EUR", wtp=20_000)
    assert "EUR" in ax.get_ylabel() and "QALY" in ax.get_xlabel()
    assert sum(isinstance(p, Ellipse) for p in ax.patches) == 2
    table = evppi_table(
        psa,
        ["a", "b", "c"],
        [10_000.0, 30_000.0],
        effect=EFFECT,
        population_per_year=100,
        decision_horizon_years=3,
        discount_rate=0.03,
        se_samples=20,
        rng=0,
    )
    ax = pv.plot_evppi(table, wtp=30_000.0, currency="EUR")
    at = table[table["wtp"] == 30_000.0]
    assert sorted(p.get_width() for p in ax.patches) == pytest.approx(
        sorted(at["evppi_per_person"])
    )
    assert "EUR per person" in ax.get_xlabel()
    ax = pv.plot_evppi(table, population=True, currency="EUR")
    assert "population" in ax.get_ylabel() and len(ax.lines) == 3


def test_docstring_examples_run() -> None:
    import doctest

    import fupsim.voi.decision
    import fupsim.voi.tables

    for module in (fupsim.voi.decision, fupsim.voi.tables):
        result = doctest.testmod(module)
        assert result.attempted >= 1 and result.failed == 0, module.__name__
