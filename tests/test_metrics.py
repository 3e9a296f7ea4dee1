"""Summary metrics against a plain pandas computation on the same outcomes (another route)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.metrics import label_codes, sorted_codes, summarise


@pytest.fixture(scope="module")
def outcomes(baseline: fupsim.Scenario) -> pd.DataFrame:
    return fupsim.run(baseline, replications=4, patients=1500, workers=1, events=False).outcomes


def test_rates_and_their_standard_errors_by_hand(outcomes: pd.DataFrame) -> None:
    got = summarise(outcomes).set_index("protocol")
    for protocol, rows in outcomes.groupby("protocol"):
        s = got.loc[protocol]
        assert s["screen_detected_per_1000"] == pytest.approx(1000 * rows["screen_detected"].mean())
        assert s["scans_per_patient"] == pytest.approx(rows["n_scans"].mean())
        assert s["cost_per_patient"] == pytest.approx(rows["cost"].mean())
        assert s["mean_delay_months"] == pytest.approx(rows["delay_months"].mean(), nan_ok=True)
        cases = rows["screen_detected"].sum() + rows["interval_case"].sum()
        assert s["program_sensitivity"] == pytest.approx(
            rows["screen_detected"].sum() / cases if cases else np.nan, nan_ok=True
        )
        per_rep = rows.groupby("replicate")["cost"].mean()
        assert s["cost_per_patient_se"] == pytest.approx(per_rep.std(ddof=1) / np.sqrt(4))
        per_rep_sd = 1000 * rows.groupby("replicate")["screen_detected"].mean()
        assert s["screen_detected_per_1000_se"] == pytest.approx(per_rep_sd.std(ddof=1) / 2)


def test_single_replicate_uses_ten_patient_batches(outcomes: pd.DataFrame) -> None:
    one = outcomes[outcomes["replicate"] == 0]
    got = summarise(one).set_index("protocol")
    rows = one[one["protocol"] == "us-3m"]
    batch = rows.groupby(rows["patient_id"] % 10)["n_scans"].mean()
    assert got.loc["us-3m", "scans_per_patient_se"] == pytest.approx(
        batch.std(ddof=1) / np.sqrt(10)
    )


def test_row_order_follows_the_scenario(outcomes: pd.DataFrame) -> None:
    order = ["no-follow-up", "us-6m", "us-4.5m", "us-3m"]
    assert list(summarise(outcomes, order)["protocol"]) == order


@pytest.mark.parametrize(
    "values",
    [
        ["b"] * 5 + ["a"] * 3 + ["b"] * 2 + ["c"],  # runs, one label coming back
        list(np.random.default_rng(3).choice(["x", "y", "z"], 3000)),  # many runs: fallback
        ["a", None, "a"],  # a missing value: pandas' -1
        [],
    ],
)
def test_label_codes_match_pandas_factorize(values: list[object]) -> None:
    column = pd.Series(values, dtype=object)
    codes, names = label_codes(column)
    want_codes, want_names = pd.factorize(column, sort=False)
    assert codes.tolist() == want_codes.tolist()
    assert names == list(want_names)


@pytest.mark.parametrize(
    "values",
    [
        np.array([3, 1, 3, 7, 1], dtype=np.int32),  # gaps: ranks, not the values
        np.random.default_rng(4).integers(0, 10, 500),
        np.array([0.5, 0.1, 0.5]),  # not integers: pandas
    ],
)
def test_sorted_codes_match_pandas_factorize(values: np.ndarray) -> None:
    codes, names = sorted_codes(values)
    want_codes, want_names = pd.factorize(values, sort=True)
    assert codes.tolist() == want_codes.tolist()
    assert names.tolist() == list(want_names)
