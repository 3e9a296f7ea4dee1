"""Tests of fupsim.economics against hand computations (ICER dominance cases, NMB), and of the
PSA decision measures (fupsim.voi: CEAC, EVPI) on a hand-sized PSA table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupsim.economics import (
    discount_factor_months,
    icer_table,
    net_monetary_benefit,
    nmb_column,
)
from fupsim.voi import acceptability, evpi, net_benefit, psa_arrays


def frame(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """Strategies as (name, cost per patient, screen-detected per patient)."""
    return pd.DataFrame(
        rows, columns=["protocol", "cost_per_patient", "screen_detected_per_patient"]
    )


def by_name(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("protocol")


def test_net_monetary_benefit_is_wtp_times_effect_minus_cost() -> None:
    got = net_monetary_benefit([100.0, 250.0], [0.01, 0.03], 10_000)
    np.testing.assert_allclose(got, [10_000 * 0.01 - 100, 10_000 * 0.03 - 250])


def test_discount_factor_matches_annual_compounding() -> None:
    # 3% a year: one year later is 1/1.03, two and a half years later 1.03 ** -2.5
    got = discount_factor_months([0.0, 12.0, 30.0], 0.03)
    np.testing.assert_allclose(got, [1.0, 1 / 1.03, 1.03**-2.5], rtol=1e-12)
    with pytest.raises(ValueError, match="rate_per_year"):
        discount_factor_months([1.0], -1.5)


def test_single_protocol_is_the_frontier_with_nothing_to_compare() -> None:
    t = icer_table(frame([("us-3m", 500.0, 0.05)]), wtp=[1000])
    assert len(t) == 1
    row = t.iloc[0]
    assert row["status"] == "frontier"
    assert row["compared_with"] is None
    assert math.isnan(row["icer"]) and math.isnan(row["incremental_cost"])
    assert row["nmb_1000"] == pytest.approx(1000 * 0.05 - 500)


def test_tie_in_cost_the_less_effective_is_dominated() -> None:
    t = by_name(icer_table(frame([("a", 100.0, 0.01), ("b", 100.0, 0.02), ("none", 0.0, 0.0)])))
    assert list(t.index) == ["none", "b", "a"]  # by cost, ties by effect (higher first)
    assert t.loc["a", "status"] == "dominated"
    assert t.loc["b", "status"] == "frontier"
    assert t.loc["b", "icer"] == pytest.approx(100 / 0.02)  # 5,000 per screen-detected change
    assert t.loc["a", "compared_with"] == "b"
    assert math.isnan(t.loc["a", "icer"])


def test_equal_effect_the_costlier_is_dominated() -> None:
    t = by_name(icer_table(frame([("a", 100.0, 0.01), ("b", 200.0, 0.01)])))
    assert t.loc["a", "status"] == "frontier"
    assert t.loc["b", "status"] == "dominated"
    assert t.loc["b", "incremental_cost"] == pytest.approx(100.0)
    assert t.loc["b", "incremental_effect"] == pytest.approx(0.0)


def test_cheaper_and_better_dominates_everything_else() -> None:
    t = by_name(
        icer_table(frame([("old", 300.0, 0.02), ("new", 200.0, 0.04), ("mid", 250.0, 0.03)]))
    )
    assert t.loc["new", "status"] == "frontier"
    assert t.loc["old", "status"] == "dominated"
    assert t.loc["mid", "status"] == "dominated"
    assert t.loc["old", "incremental_cost"] == pytest.approx(100.0)
    assert t.loc["old", "incremental_effect"] == pytest.approx(-0.02)


def test_identical_strategies_the_later_one_is_dominated() -> None:
    t = by_name(icer_table(frame([("x", 100.0, 0.02), ("y", 100.0, 0.02), ("none", 0.0, 0.0)])))
    assert t.loc["x", "status"] == "frontier"
    assert t.loc["y", "status"] == "dominated"
    assert t.loc["x", "icer"] == pytest.approx(5_000.0)


def test_extended_dominance_by_hand() -> None:
    # A (0, 0); B (100, .010): ICER 10,000; C (300, .012): ICER vs B 200/.002 = 100,000;
    # D (400, .030): ICER vs C 100/.018 = 5,556 < 100,000, so C is extendedly dominated;
    # then D vs B: 300/.020 = 15,000 > 10,000, so B stays.
    t = by_name(
        icer_table(frame([("A", 0, 0), ("B", 100, 0.010), ("C", 300, 0.012), ("D", 400, 0.030)]))
    )
    assert t["status"].to_dict() == {
        "A": "frontier",
        "B": "frontier",
        "C": "extendedly dominated",
        "D": "frontier",
    }
    assert t.loc["B", "icer"] == pytest.approx(10_000)
    assert t.loc["D", "icer"] == pytest.approx(15_000)
    assert t.loc["D", "compared_with"] == "B"
    assert t.loc["C", "compared_with"] == "B"
    assert math.isnan(t.loc["C", "icer"])


def test_extended_dominance_needs_repeated_passes() -> None:
    # A (0,0); B (50,1): 50; C (60,2): 10 < 50 so B goes; C vs A: 30; D (100,4) vs C: 20 < 30
    # so C goes too; D vs A: 25.
    t = by_name(icer_table(frame([("A", 0, 0), ("B", 50, 1), ("C", 60, 2), ("D", 100, 4)])))
    assert t.loc["B", "status"] == "extendedly dominated"
    assert t.loc["C", "status"] == "extendedly dominated"
    assert t.loc["D", "icer"] == pytest.approx(25.0)
    assert t.loc["D", "compared_with"] == "A"


def test_equal_icers_are_not_extendedly_dominated() -> None:
    t = by_name(icer_table(frame([("A", 0, 0), ("B", 10, 1), ("C", 20, 2)])))
    assert (t["status"] == "frontier").all()
    assert t.loc["C", "icer"] == pytest.approx(10.0)


def test_effect_per_patient_derived_from_per_1000_and_nmb_columns() -> None:
    f = pd.DataFrame(
        {
            "protocol": ["a", "b"],
            "cost_per_patient": [0.0, 50.0],
            "screen_detected_per_1000": [0.0, 10.0],
        }
    )
    t = by_name(icer_table(f, wtp=[0, 2500.5, 10_000]))
    assert t.loc["b", "screen_detected_per_patient"] == pytest.approx(0.01)
    assert t.loc["b", "icer"] == pytest.approx(5_000)
    assert t.loc["b", nmb_column(10_000)] == pytest.approx(10_000 * 0.01 - 50)
    assert nmb_column(10_000) == "nmb_10000" and nmb_column(2500.5) == "nmb_2500.5"
    assert t.loc["b", "nmb_2500.5"] == pytest.approx(2500.5 * 0.01 - 50)


def test_bad_tables_raise_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="not finite"):
        icer_table(frame([("a", float("nan"), 0.1)]))
    with pytest.raises(ValueError, match="repeated names"):
        icer_table(frame([("a", 1, 0.1), ("a", 2, 0.2)]))
    with pytest.raises(ValueError, match="effect column"):
        icer_table(pd.DataFrame({"protocol": ["a"], "cost_per_patient": [1.0]}))
    with pytest.raises(ValueError, match="no strategies"):
        icer_table(frame([]))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=7, unique=False
    )
)
def test_frontier_properties(points: list[tuple[int, int]]) -> None:
    rows = [(f"s{i}", float(c), float(e)) for i, (c, e) in enumerate(points)]
    t = icer_table(frame(rows))
    front = t[t["status"] == "frontier"]
    # frontier: cost and effect strictly rise, ICERs never fall
    assert (np.diff(front["cost_per_patient"]) > 0).all()
    assert (np.diff(front["screen_detected_per_patient"]) > 0).all()
    assert (np.diff(front["icer"].to_numpy()[1:]) >= -1e-9).all()
    c, e = t["cost_per_patient"].to_numpy(), t["screen_detected_per_patient"].to_numpy()
    for i, status in enumerate(t["status"]):
        others = np.arange(len(t)) != i
        weakly_better = others & (c <= c[i]) & (e >= e[i])
        if status == "dominated":
            assert weakly_better.any()
        else:
            # nothing strictly dominates a frontier or extendedly dominated strategy
            assert not (weakly_better & ((c < c[i]) | (e > e[i]))).any()


def draws_frame() -> pd.DataFrame:
    # two draws, strategies A (cost 0, effect 0) and B; B's effect is 0.002 then 0.0005
    return pd.DataFrame(
        {
            "draw": [0, 0, 1, 1],
            "protocol": ["A", "B", "A", "B"],
            "cost_per_patient": [0.0, 10.0, 0.0, 10.0],
            "screen_detected_per_patient": [0.0, 0.002, 0.0, 0.0005],
        }
    )


def _cube(draws: pd.DataFrame, wtp: list[float]) -> np.ndarray:
    arrays = psa_arrays(draws, effect="screen_detected_per_patient")
    assert arrays.options == ["A", "B"]
    return net_benefit(arrays.costs, arrays.effects, wtp)


def test_ceac_by_hand() -> None:
    # NMB of B at wtp 10,000: draw 0: 20 - 10 = 10 > 0; draw 1: 5 - 10 = -5 < 0  -> 1/2 each.
    # At wtp 0 A wins both draws; at 20,000 (NMB of B 30 and 0 = tie with A) B gets 1.5/2.
    got = acceptability(_cube(draws_frame(), [0, 10_000, 20_000]))  # (option, wtp)
    np.testing.assert_allclose(got[0], [1.0, 0.5, 0.25])
    np.testing.assert_allclose(got[1], [0.0, 0.5, 0.75])


def test_evpi_by_hand() -> None:
    # wtp 10,000: mean of per-draw max NMB = (10 + 0)/2 = 5; max of mean NMB = max(0, 2.5)
    # = 2.5; EVPI = 2.5. At wtp 0 A is always best: EVPI 0.
    np.testing.assert_allclose(evpi(_cube(draws_frame(), [0, 10_000])), [0.0, 2.5])


def test_psa_inputs_need_every_strategy_in_every_draw() -> None:
    with pytest.raises(ValueError, match="every draw"):
        psa_arrays(draws_frame().iloc[:3], effect="screen_detected_per_patient")
    with pytest.raises(ValueError, match="wtp"):
        _cube(draws_frame(), [])
    with pytest.raises(ValueError, match="'draw'"):
        psa_arrays(draws_frame().drop(columns="draw"), effect="screen_detected_per_patient")
