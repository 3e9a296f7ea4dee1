"""Invariants of the follow-up engine, with hand counts where the answer is exact."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import fupsim
from fupsim.experiment import run_replicate
from fupsim.protocol import draw_visits, horizon_day, plan_visits
from fupsim.rng import replicate_streams
from fupsim.scenario import DAYS_PER_MONTH, with_overrides
from fupsim.validation import analytic_scenario


def _run(sc: fupsim.Scenario, n: int = 3000, seed: int = 3) -> pd.DataFrame:
    return run_replicate(sc, 0, seed=seed, patients=n, events=False)[0]


# a sensitivity by cause replaces the scalar for that cause, so zero both
ZERO = {"ultrasound.sensitivity": 0.0, "ultrasound.sensitivity_by_cause": {"bile_duct_stone": 0.0}}


def test_sensitivity_zero_finds_nothing(baseline: fupsim.Scenario) -> None:
    out = _run(with_overrides(baseline, ZERO))
    assert out["screen_detected"].sum() == 0
    assert out["progressive"].sum() > 0


def test_no_progression_means_no_detection_and_cost_is_scans_visits_workups(
    baseline: fupsim.Scenario,
) -> None:
    nh = {
        k: {**v, "progressive_share": 0.0}
        for k, v in baseline.model_dump(by_alias=True)["natural_history"].items()
    }
    sc = with_overrides(
        baseline, {"natural_history": nh, "ct.specificity": 1.0, "costs.discount_rate": 0.0}
    )
    out = _run(sc)
    assert not out["screen_detected"].any() and not out["interval_case"].any()
    c = sc.costs
    hand = out["n_scans"] * (c.ultrasound + c.visit) + out["n_false_positive_workups"] * c.ct
    np.testing.assert_allclose(out["cost"], hand, rtol=1e-12)
    assert (out["n_ct"] == out["n_false_positive_workups"]).all()
    assert out["n_false_positive_workups"].sum() > 0


def test_more_frequent_scanning_never_fewer_scans(baseline: fupsim.Scenario) -> None:
    means = []
    for interval in [12, 6, 4.5, 3, 2, 1]:
        sc = with_overrides(
            baseline,
            {
                "protocol": [{"name": "p", "interval_months": interval}],
                "analysis.reference_protocol": "p",
            },
        )
        means.append(_run(sc, n=2000)["n_scans"].mean())
    assert all(b > a for a, b in itertools.pairwise(means)), means


@pytest.mark.parametrize(("interval", "visits"), [(6, 6), (4.5, 8), (3, 12), (7, 5)])
def test_hand_count_of_visits_including_the_horizon(interval: float, visits: int) -> None:
    sc = analytic_scenario(
        interval_months=interval, progressive_share=0.0, horizon_months=36, patients=500
    )
    out = _run(sc, n=500)
    assert (out["n_scans"] == visits).all()
    # scans fall on whole clinic days: within half a day of the nominal month
    last = visits * interval
    assert (out["last_scan_month"] - last).abs().max() <= 0.5 / DAYS_PER_MONTH + 1e-9


def test_stop_after_stable() -> None:
    sc = analytic_scenario(
        interval_months=3, progressive_share=0.0, horizon_months=36, patients=300
    )
    sc = with_overrides(sc, {"protocol.screen.stop_after_stable": 2})
    out = _run(sc, n=300)
    assert (out["n_scans"] == 2).all()
    assert (out["end_reason"] == "stopped_stable").all()


def test_loss_one_means_one_visit_reached() -> None:
    sc = analytic_scenario(
        interval_months=3, progressive_share=0.0, horizon_months=36, patients=300
    )
    out = _run(
        with_overrides(sc, {"attendance.loss_per_visit": 1.0, "attendance.per_visit": 0.5}), n=300
    )
    assert ((out["n_scans"] + out["n_missed"]) == 1).all()
    assert (out["end_reason"] == "lost_to_follow_up").all()


def test_no_follow_up_only_presentations(baseline: fupsim.Scenario) -> None:
    out = _run(baseline)
    none = out[out["protocol"] == "no-follow-up"]
    assert none["n_scans"].sum() == 0 and none["screen_detected"].sum() == 0
    expected = (none["presentation_month"] <= 36).sum()
    assert none["interval_case"].sum() == expected


def test_common_random_numbers_same_people_every_protocol(baseline: fupsim.Scenario) -> None:
    out = _run(baseline)
    cols = ["age_years", "sex", "cause", "onset_month", "presentation_month"]
    first = out[out["protocol"] == "us-3m"][cols].reset_index(drop=True)
    for name in ["us-4.5m", "us-6m", "no-follow-up"]:
        pd.testing.assert_frame_equal(
            first, out[out["protocol"] == name][cols].reset_index(drop=True)
        )


def test_shared_visit_draws_where_visits_coincide(baseline: fupsim.Scenario) -> None:
    streams = replicate_streams(4, 0)
    draws = draw_visits(baseline, 1000, streams)
    p3 = plan_visits(baseline, baseline.protocol[0], draws)
    p6 = plan_visits(baseline, baseline.protocol[2], draws)
    # month 6 is visit 2 of the 3-monthly plan and visit 1 of the 6-monthly plan
    np.testing.assert_array_equal(p3.attend[1], p6.attend[0])
    np.testing.assert_array_equal(p3.days[1], p6.days[0])
    np.testing.assert_array_equal(p3.u_ultrasound[3], p6.u_ultrasound[1])


def test_jittered_visits_stay_ordered_and_inside_follow_up(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(baseline, {"attendance.jitter_sd_days": 60})
    draws = draw_visits(sc, 5000, replicate_streams(9, 0))
    plan = plan_visits(sc, sc.protocol[0], draws)
    assert plan.days.min() >= 1
    assert (np.diff(plan.days, axis=0) >= 1).all()
    assert plan.days.max() <= horizon_day(sc) + plan.visits
    # with the baseline's 14-day jitter a visit is centred on its nominal day (4 SE + rounding)
    base = plan_visits(
        baseline, baseline.protocol[0], draw_visits(baseline, 5000, replicate_streams(9, 0))
    )
    assert abs(base.days[5].mean() - 18 * DAYS_PER_MONTH) < 4 * 14 / np.sqrt(5000) + 0.5


def test_outcome_times_are_consistent(baseline: fupsim.Scenario) -> None:
    out = _run(baseline, n=5000)
    sd = out[out["screen_detected"]]
    assert (sd["lead_time_months"] >= 0).all()
    assert (sd["delay_months"] >= 0).all()
    assert (sd["detection_month"] >= sd["onset_month"]).all()
    interval = out[out["interval_case"]]
    np.testing.assert_allclose(interval["detection_month"], interval["presentation_month"])
    exclusive = out[["screen_detected", "interval_case", "undetected_at_horizon"]].sum(axis=1)
    assert (exclusive <= 1).all()
    assert (exclusive[out["progressive"]] == 1).all()


def test_attendance_lowers_detection(baseline: fupsim.Scenario) -> None:
    hi = _run(with_overrides(baseline, {"attendance.per_visit": 1.0}), n=20000)
    lo = _run(with_overrides(baseline, {"attendance.per_visit": 0.3}), n=20000)
    q = lambda d: d[d["protocol"] == "us-3m"]["screen_detected"].mean()  # noqa: E731
    assert q(hi) > q(lo)


def test_sensitivity_by_lobe(baseline: fupsim.Scenario) -> None:
    sc = with_overrides(
        baseline,
        {
            "ultrasound.sensitivity": {"right": 0.0, "left": 1.0, "both": 1.0},
            "ultrasound.sensitivity_by_cause": {"bile_duct_stone": 0.0},  # by cause wins
        },
    )
    out = _run(sc, n=20000)
    assert not out[(out["lobe"] == "right") & out["screen_detected"]].shape[0]
    assert out[(out["lobe"] != "right") & out["screen_detected"]].shape[0] > 0


def test_limited_visualisation_repeats_misses(baseline: fupsim.Scenario) -> None:
    # everyone poorly seen, and poorly seen means never seen: nothing is screen-detected
    blind = {
        "ultrasound.limited_visualisation_share": 1.0,
        "ultrasound.sensitivity_if_limited": 0.0,
    }
    out = _run(with_overrides(baseline, blind), n=5000)
    assert out["screen_detected"].sum() == 0 and out["limited_visualisation"].all()
    # half poorly seen: only the others are ever found
    half = {"ultrasound.limited_visualisation_share": 0.5, "ultrasound.sensitivity_if_limited": 0.0}
    out = _run(with_overrides(baseline, half), n=20000)
    assert out[out["limited_visualisation"]]["screen_detected"].sum() == 0
    assert out[~out["limited_visualisation"]]["screen_detected"].sum() > 0
    share = out.drop_duplicates("patient_id")["limited_visualisation"].mean()
    assert abs(share - 0.5) < 4 * (0.25 / out["patient_id"].nunique()) ** 0.5
