"""One-way analysis: ranges, ordering by swing, and thresholds checked by simulating at them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fupsim
from fupsim.scenario import ScenarioError, with_overrides
from fupsim.sensitivity import PointSize, PointStore, simulate_point
from fupsim.sensitivity.owsa import outcome_table, owsa, settings_for

SIZE = PointSize(seed=9, replications=1, patients=500)
ARTICLE = Path(__file__).resolve().parents[1] / "scenarios" / "article-ranking.toml"


@pytest.fixture(scope="module")
def baseline() -> fupsim.Scenario:
    """The article's cause mix without the index work-up: enough changes in 500 people for the
    preference between protocols to switch within a range (the work-up baseline has ~2)."""
    return fupsim.load_scenario(ARTICLE)


KEYS = ["costs.late_treatment", "ultrasound.sensitivity", "costs.ct"]


@pytest.fixture(scope="module")
def result(baseline: fupsim.Scenario, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # Screen-detected changes as the effect keep net benefit linear in the late-treatment cost.
    sd = with_overrides(baseline, {"analysis.effect": "screen_detected"})
    settings = settings_for(sd, outcome="net_monetary_benefit", wtp=10000)
    store = PointStore(tmp_path_factory.mktemp("owsa"))
    return owsa(sd, SIZE, store, settings=settings, parameters=KEYS, points=5, workers=2)


def test_settings_defaults_and_errors(baseline: fupsim.Scenario) -> None:
    s = settings_for(baseline)
    last = baseline.protocol_names[-1]
    assert (s.outcome, s.protocol, s.comparator) == ("incremental_net_benefit", "us-3m", last)
    assert s.effect == "qalys_per_patient"
    assert (
        s.wtp
        == sorted(baseline.analysis.willingness_to_pay)[
            len(baseline.analysis.willingness_to_pay) // 2
        ]
    )
    with pytest.raises(ScenarioError, match="^protocol = 'nope': not one of"):
        settings_for(baseline, protocol="nope")
    with pytest.raises(ScenarioError, match="must differ"):
        settings_for(baseline, outcome="incremental_cost_per_detection", comparator="us-3m")


def test_table_has_every_value_of_every_parameter(result, baseline: fupsim.Scenario) -> None:  # type: ignore[no-untyped-def]
    t = result.table
    assert set(t["parameter"]) == {"base", *KEYS}
    lo, hi = baseline.uncertainty["costs.late_treatment"].range
    values = sorted(t.loc[t["parameter"] == "costs.late_treatment", "value"].unique())
    # five even steps from low to high, plus the base value 15000 which lies inside
    assert values == pytest.approx(sorted({*np.linspace(lo, hi, 5), 15000.0}))


def test_tornado_is_ordered_by_swing(result) -> None:  # type: ignore[no-untyped-def]
    tor = result.tornado
    assert list(tor["swing"]) == sorted(tor["swing"], reverse=True)
    row = tor.set_index("parameter").loc["costs.ct"]
    block = result.table[
        (result.table["parameter"] == "costs.ct") & (result.table["protocol"] == "us-3m")
    ]
    assert row["swing"] == pytest.approx(
        block["net_monetary_benefit"].max() - block["net_monetary_benefit"].min()
    )


def test_outcomes_follow_their_definitions(baseline: fupsim.Scenario) -> None:
    settings = settings_for(baseline, wtp=5000, comparator="no-follow-up")
    summary = simulate_point(baseline, SIZE)
    t = outcome_table(summary, settings).set_index("protocol")
    s = summary.set_index("protocol")
    e = s["qalys_per_patient"]  # analysis.effect = "qaly"
    nmb = 5000 * e - s["cost_per_patient"]
    assert t["net_monetary_benefit"].to_numpy() == pytest.approx(nmb.to_numpy())
    assert t["incremental_net_benefit"].to_numpy() == pytest.approx(
        (nmb - nmb["no-follow-up"]).to_numpy()
    )
    icer = (s.loc["us-3m", "cost_per_patient"] - s.loc["no-follow-up", "cost_per_patient"]) / (
        e["us-3m"] - e["no-follow-up"]
    )
    assert t.loc["us-3m", "incremental_cost_per_detection"] == pytest.approx(icer)
    assert np.isnan(t.loc["no-follow-up", "incremental_cost_per_detection"])


def test_threshold_is_where_net_benefits_cross(result, baseline: fupsim.Scenario) -> None:  # type: ignore[no-untyped-def]
    # The late-treatment cost changes costs only (detections are the same people under common
    # random numbers), so net benefit is linear in it and the interpolated threshold is exact:
    # simulating at the threshold must give the two protocols equal net benefit.
    row = result.tornado.set_index("parameter").loc["costs.late_treatment"]
    assert row["preference_changes"] >= 1
    a, b = row["threshold_switch"].split(" -> ")
    sd = with_overrides(baseline, {"analysis.effect": "screen_detected"})
    at = with_overrides(sd, {"costs.late_treatment": float(row["threshold_value"])})
    t = outcome_table(simulate_point(at, SIZE), result.settings).set_index("protocol")
    nmb = t["net_monetary_benefit"]
    assert nmb[a] == pytest.approx(nmb[b], abs=1e-6 * abs(nmb[a]))
    lo, hi = baseline.uncertainty["costs.late_treatment"].range
    assert lo < row["threshold_value"] < hi


def test_unranged_parameter_is_rejected(baseline: fupsim.Scenario, tmp_path) -> None:
    with pytest.raises(ScenarioError, match="has no range"):
        owsa(baseline, SIZE, PointStore(tmp_path), parameters=["cohort.causes"])
    with pytest.raises(ScenarioError, match="at least 2"):
        owsa(baseline, SIZE, PointStore(tmp_path), points=1)
    assert not any(tmp_path.iterdir())
