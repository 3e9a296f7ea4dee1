"""Scanner capacity: the calendar engine against the unbounded engine, hand counts and queues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fupsim
from fupsim.experiment import load_run
from fupsim.metrics import CAPACITY_OUTCOME_COLUMNS, CAPACITY_SUMMARY_COLUMNS, OUTCOME_COLUMNS
from fupsim.protocol import nominal_day
from fupsim.scenario import DAYS_PER_MONTH, Scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    """The baseline without the index work-up, loss per visit and its four 36-month protocols:
    the model these queueing checks were written for (the queue does not care who is followed)."""
    sc = fupsim.load_scenario(ROOT / "scenarios" / "article-ranking.toml")
    keep = [p.model_dump(exclude_none=True) for p in sc.protocol if p.duration_months != 24]
    return with_overrides(sc, {"protocol": keep, "attendance.loss_basis": "visit"})


def _quiet(baseline: Scenario, **extra: Any) -> Scenario:
    """Baseline people who never progress, always attend, never jitter: a pure queue."""
    nh = {
        k: {**v, "progressive_share": 0.0}
        for k, v in baseline.model_dump(by_alias=True)["natural_history"].items()
    }
    over = {
        "natural_history": nh,
        "prenatal.screened_per_adult": 0,
        "attendance.per_visit": 1.0,
        "attendance.loss_per_visit": 0.0,
        "attendance.jitter_sd_days": 0.0,
        "ct.specificity": 1.0,
        "ultrasound.specificity": 1.0,
    }
    over.update(extra)
    return with_overrides(baseline, over)


def _one_visit(scenario: Scenario, month: float, horizon: float) -> Scenario:
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data["protocol"] = [{"name": "once", "visits_months": [month]}]
    data["analysis"].pop("reference_protocol", None)
    data["uncertainty"] = {}
    data["analysis"].pop("parameter_groups", None)  # groups name uncertainty keys
    return with_overrides(Scenario.model_validate(data), {"simulation.horizon_months": horizon})


def test_far_more_slots_than_demand_reproduces_the_unbounded_engine(
    baseline: Scenario,
) -> None:
    """Everyone on day 0, every day a clinic day, a slot for all: the same model, two engines."""
    free = fupsim.run(baseline, replications=2, patients=2000, workers=1, seed=11)
    roomy = with_overrides(
        baseline, {"capacity": {"slots_per_day": 10**6, "clinic_days_per_week": 7}}
    )
    held = fupsim.run(roomy, replications=2, patients=2000, workers=1, seed=11)
    cols = list(OUTCOME_COLUMNS)
    pd.testing.assert_frame_equal(held.outcomes[cols], free.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(held.events, free.events, check_exact=True)
    assert (held.outcomes["wait_days_total"] == 0).all()
    summary = held.summary().set_index("protocol")
    assert (summary.loc[["us-3m", "us-6m"], "p95_wait_days"] == 0).all()
    assert (summary.loc[["us-3m", "us-6m"], "scans_overdue_share"] == 0).all()


def test_without_capacity_no_service_columns_or_tables(baseline: Scenario) -> None:
    result = fupsim.run(baseline, replications=1, patients=500, workers=1)
    assert list(result.outcomes.columns) == list(OUTCOME_COLUMNS)
    assert result.capacity is None and result.waits is None
    assert not set(CAPACITY_SUMMARY_COLUMNS) & set(result.summary().columns)


def test_one_burst_of_due_scans_is_served_in_order_a_hand_count(baseline: Scenario) -> None:
    """60 people all due on day 30, 7 slots a day: person i (in due order) waits floor(i / 7).

    Hand count: waits are 0 (x7), 1 (x7), ..., 7 (x7), 8 (x4); mean = sum / 60; the 95th
    percentile is the 57th smallest wait (0.95 x 60), floor(56 / 7) = 8. Utilisation counts
    60 used slots of 7 a day over the whole weeks inside days 0-61 (the 2-month horizon):
    8 weeks, 56 days; the scans fall on days 30-38, inside them.
    """
    n, slots = 60, 7
    sc = _one_visit(_quiet(baseline), 1.0, 2.0)
    sc = with_overrides(sc, {"capacity": {"slots_per_day": slots, "clinic_days_per_week": 7}})
    result = fupsim.run(sc, replications=1, patients=n, workers=1)
    hand = np.arange(n) // slots
    out = result.outcomes
    assert sorted(out["wait_days_total"].astype(int)) == sorted(hand.tolist())
    row = result.summary().iloc[0]
    assert row["mean_wait_days"] == pytest.approx(hand.mean())
    assert row["p95_wait_days"] == 8
    assert row["scans_overdue_share"] == pytest.approx((hand > 0).mean())
    days = (int(nominal_day(2.0)) + 1) // 7 * 7
    assert row["scanner_utilisation"] == pytest.approx(n / (slots * days))
    scan_day = result.events.loc[result.events["event"] == "scan_negative", "time_months"]
    due = int(nominal_day(1.0))
    assert sorted(np.rint(scan_day * DAYS_PER_MONTH).astype(int) - due) == sorted(hand.tolist())


def _discrete_mdc_mean_queue(lam: float, servers: int, size: int = 400) -> float:
    """Stationary mean of Q' = max(Q + A - c, 0), A ~ Poisson(lam): M/D/c at service epochs.

    With a service time of one day and c servers, the number still waiting after each day's
    service obeys this recursion (Crommelin's embedded chain). Its stationary law is found by
    iterating the transition on a truncated state space, independently of fupsim's engine.
    """
    a = stats.poisson.pmf(np.arange(size), lam)
    p = np.zeros(size)
    p[0] = 1.0
    for _ in range(5000):
        total = np.convolve(p, a)[:size]  # Q + A
        nxt = np.zeros(size)
        nxt[0] = total[: servers + 1].sum()
        nxt[1 : size - servers] = total[servers + 1 :]
        if np.abs(nxt - p).max() < 1e-13:
            break
        p = nxt
    return float((np.arange(size) * p).sum())


def test_poisson_arrivals_on_c_slots_match_the_md_c_queue(baseline: Scenario) -> None:
    """Poisson arrivals, one scan each, c slots a day, every day a clinic day.

    The queue after each day is the M/D/c embedded chain, and by Little's law the summed
    end-of-day queue equals the summed waits, so mean wait = E[queue] / lambda (days).
    Tolerance: 4 Monte Carlo standard errors across 8 independent replicates (plus 2% for
    the finite window's warm-up and edge).
    """
    lam, c = 9.0, 10
    months = 60.0
    per_year = lam * 365.25
    sc = _one_visit(_quiet(baseline), 1.0, 2.0)
    sc = with_overrides(
        sc,
        {
            "capacity": {
                "new_patients_per_year": per_year,
                "run_in_months": 6.0,
                "service_months": months,
                "slots_per_day": c,
                "clinic_days_per_week": 7,
            }
        },
    )
    result = fupsim.run(sc, replications=8, workers=2, seed=5)
    row = result.summary().iloc[0]
    expected = _discrete_mdc_mean_queue(lam, c) / lam
    tol = 4 * row["mean_wait_days_se"] + 0.02 * expected
    assert abs(row["mean_wait_days"] - expected) < tol
    window = round(66.0 * DAYS_PER_MONTH)
    lam_day = per_year * (66.0 / 12.0) / window  # arrivals per day as the engine draws them
    util = row["scanner_utilisation"]
    assert util == pytest.approx(lam_day / c, abs=4 * row["scanner_utilisation_se"] + 0.005)


def test_too_few_slots_waits_grow_delays_grow_and_slots_fill(baseline: Scenario) -> None:
    """3-monthly scans on a scanner with ~60% of the slots they need, against ample slots."""
    data = baseline.model_dump(by_alias=True, exclude_none=True)
    data["protocol"] = [data["protocol"][0]]
    base = Scenario.model_validate(data)
    service = {
        "new_patients_per_year": 1500,
        "run_in_months": 36.0,
        "service_months": 24.0,
        "clinic_days_per_week": 5,
    }
    plenty = with_overrides(base, {"capacity": {**service, "slots_per_day": 200}})
    short = with_overrides(base, {"capacity": {**service, "slots_per_day": 40}})
    a = fupsim.run(plenty, replications=1, workers=1, seed=2)
    b = fupsim.run(short, replications=1, workers=1, seed=2)
    sa, sb = a.summary().iloc[0], b.summary().iloc[0]
    assert sb["mean_wait_days"] > sa["mean_wait_days"] + 20
    assert sb["scanner_utilisation"] > 0.99 > sa["scanner_utilisation"]
    assert sb["mean_delay_months"] > sa["mean_delay_months"]
    assert sb["scans_per_patient"] < sa["scans_per_patient"]
    # the queue builds over the service period (no escalation here)
    cal = b.capacity[b.capacity["measured"]]
    quarter = len(cal) // 4
    assert (
        cal["queue_length_patients"].iloc[-quarter:].mean()
        > cal["queue_length_patients"].iloc[:quarter].mean()
    )
    # paired by patient: some screen detections under ample slots become interval cases
    pair = a.outcomes.merge(b.outcomes, on=["replicate", "patient_id"], suffixes=("_a", "_b"))
    assert (pair["screen_detected_a"] & pair["interval_case_b"]).sum() > 0


def test_escalation_caps_every_wait(baseline: Scenario) -> None:
    sc = _one_visit(_quiet(baseline), 1.0, 6.0)
    sc = with_overrides(
        sc, {"capacity": {"slots_per_day": 5, "clinic_days_per_week": 7, "max_wait_days": 10}}
    )
    result = fupsim.run(sc, replications=1, patients=400, workers=1)
    assert result.waits is not None
    assert result.waits["wait_days"].max() == 10
    # 5 a day for 10 days in slots, then everyone left is escalated on day 10 of waiting
    assert result.outcomes["escalated_scans"].sum() == 400 - 5 * 11
    assert result.outcomes["n_scans"].sum() == 400


def test_rebooking_a_missed_scan_matches_the_geometric_count(baseline: Scenario) -> None:
    """One visit at day 30, rebooked every 7 days while still within the horizon (day 61).

    Attempts fall on days 30, 37, 44, 51 and 58: five tries at attendance p = 0.5, so a
    scan happens with probability 1 - 0.5^5 and the expected number of missed appointments
    is 0.5 + 0.5^2 + ... + 0.5^5. Tolerance: 4 binomial / sample standard errors.
    """
    n = 20_000
    sc = _one_visit(_quiet(baseline, **{"attendance.per_visit": 0.5}), 1.0, 2.0)
    sc = with_overrides(sc, {"protocol.once.rebook_missed_after_days": 7})
    out = fupsim.run(sc, replications=1, patients=n, workers=1, events=False).outcomes
    q = 1 - 0.5**5
    assert abs(out["n_scans"].mean() - q) < 4 * np.sqrt(q * (1 - q) / n)
    misses = sum(0.5**j for j in range(1, 6))
    assert abs(out["n_missed"].mean() - misses) < 4 * out["n_missed"].std() / np.sqrt(n)
    plain = with_overrides(sc, {"protocol.once.rebook_missed_after_days": None})
    once = fupsim.run(plain, replications=1, patients=n, workers=1, events=False).outcomes
    assert abs(once["n_scans"].mean() - 0.5) < 4 * np.sqrt(0.25 / n)


def test_rebooking_with_perfect_attendance_changes_nothing(baseline: Scenario) -> None:
    sc = with_overrides(baseline, {"attendance.per_visit": 1.0})
    rebook = with_overrides(sc, {"protocol.us-3m.rebook_missed_after_days": 14})
    a = fupsim.run(sc, replications=1, patients=1500, workers=1, seed=4)
    b = fupsim.run(rebook, replications=1, patients=1500, workers=1, seed=4)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes[list(OUTCOME_COLUMNS)], check_exact=True)


def test_service_tables_round_trip_through_the_run_folder(
    baseline: Scenario, tmp_path: Any
) -> None:
    sc = with_overrides(
        baseline,
        {"capacity": {"slots_per_day": 30, "new_patients_per_year": 400, "service_months": 12}},
    )
    result = fupsim.run(sc, replications=2, workers=1, events=False)
    assert set(CAPACITY_OUTCOME_COLUMNS) <= set(result.outcomes.columns)
    result.write(tmp_path / "run")
    assert (tmp_path / "run" / "capacity.csv").is_file()
    back = load_run(tmp_path / "run")
    pd.testing.assert_frame_equal(back.summary(), result.summary(), check_dtype=False)
    cap = pd.read_csv(tmp_path / "run" / "capacity.csv")
    assert set(cap["protocol"]) == set(sc.protocol_names)
    # adults: Poisson with mean 400 a year x 12 months (children have their own pathway,
    # never an adult protocol); tolerance 5 standard deviations
    people = result.outcomes.groupby("replicate")["patient_id"].nunique()
    expected = 400
    assert ((people - expected).abs() < 5 * np.sqrt(expected)).all()


def test_other_services_take_their_slots_first(baseline: Scenario) -> None:
    """With no follow-up scans, utilisation is E[min(B, s)] / s for B ~ Poisson(b) a day.

    Expected value from scipy's Poisson law; tolerance 4 standard errors of a mean over the
    measured clinic days (5 a week for 120 months).
    """
    b, s = 3.0, 4
    data = baseline.model_dump(by_alias=True, exclude_none=True)
    data["protocol"] = [{"name": "none", "visits_months": []}]
    data["analysis"].pop("reference_protocol", None)
    sc = with_overrides(
        Scenario.model_validate(data),
        {
            "capacity": {
                "new_patients_per_year": 10,
                "service_months": 120.0,
                "slots_per_day": s,
                "background_scans_per_day": b,
            }
        },
    )
    result = fupsim.run(sc, replications=1, workers=1, events=False)
    k = np.arange(s + 1)
    pmf = stats.poisson.pmf(k, b)
    used = (k[:s] * pmf[:s]).sum() + s * (1 - pmf[:s].sum())
    second = (k[:s] ** 2 * pmf[:s]).sum() + s**2 * (1 - pmf[:s].sum())
    days = int(result.capacity["measured"].sum()) * 5
    se = np.sqrt(second - used**2) / np.sqrt(days) / s
    assert abs(result.summary().iloc[0]["scanner_utilisation"] - used / s) < 4 * se
