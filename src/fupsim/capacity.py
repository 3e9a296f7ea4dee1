"""The ultrasound service: arrivals over time, the clinic calendar, and slot bookkeeping.

This module holds the service model without SimPy (the engine plays it): when each person
enters follow-up (a Poisson process of new patients), which days are clinic days, how many
slots other services' patients take each day, and the tables that describe a run's service
(``capacity.csv``: a weekly time series of queue, waits and utilisation per protocol; the
wait distribution behind ``p95_wait_days``). It also answers the service manager's question:
the smallest number of daily slots that keeps the 95th-percentile wait under a target.

Day 0 is the first clinic day of a week; day ``d`` is a clinic day when ``d % 7`` is below
``clinic_days_per_week``. Waits are counted in calendar days from the first clinic day on or
after the due date, so a due date on a closed day is not a wait when the slots are free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fupsim.labels import EFFECTS
from fupsim.protocol import horizon_day
from fupsim.rng import ReplicateStreams
from fupsim.scenario import DAYS_PER_MONTH, Scenario, ScenarioError, with_overrides

__all__ = [
    "CALENDAR_COLUMNS",
    "Service",
    "calendar_table",
    "draw_service",
    "limits_columns",
    "limits_table",
    "next_clinic_day",
    "required_slots",
    "service_adults",
    "unbounded_service",
    "wait_table",
]

CALENDAR_COLUMNS: dict[str, str] = {
    "replicate": "replicate number (0-based)",
    "protocol": "protocol name",
    "week": "service week (0-based; week 0 starts on day 0)",
    "week_start_day": "first day of the week, days from the start of the service",
    "measured": "the week lies in the measured service period (after the run-in)",
    "slots_offered": "ultrasound slots offered on the week's clinic days",
    "background_scans": "slots taken by other services' patients",
    "appointments": "follow-up appointments in regular slots (attended or not)",
    "escalated_appointments": "follow-up scans done outside the slots after the maximum wait",
    "overdue_appointments": "appointments after the first clinic day on or after the due date",
    "wait_days_sum": "summed waits of the week's follow-up appointments, days",
    "queue_length_patients": "mean number of people still waiting after each clinic day's list",
    "utilisation": "(background scans + appointments) / slots offered",
    "mean_wait_days": "mean wait of the week's follow-up appointments, days",
}


@dataclass(frozen=True)
class Service:
    """One replicate's service: arrivals, calendar, slots and other services' demand.

    Days are service days (day 0 is the start of the service); ``arrival_day`` is each
    person's index scan, from which their own timeline (and protocol) runs.
    """

    arrival_day: np.ndarray  # (n,) int64
    slots_per_day: int
    clinic_days_per_week: int
    background: np.ndarray  # (last_day + 1,) int64 other services' scans per day
    max_wait_days: int | None
    measure_from_day: int  # waits and utilisation are measured on [from, to)
    measure_to_day: int
    last_day: int  # the calendar stops here; people still waiting are censored

    def is_clinic_day(self, day: np.ndarray) -> np.ndarray:
        """Whether each day is a clinic day."""
        return (np.asarray(day) % 7) < self.clinic_days_per_week


def next_clinic_day(day: np.ndarray | int, clinic_days_per_week: int) -> np.ndarray:
    """The first clinic day on or after each ``day`` (whole days, vectorised)."""
    day = np.asarray(day, dtype=np.int64)
    weekday = day % 7
    return np.where(weekday < clinic_days_per_week, day, day + 7 - weekday)


def _window_days(scenario: Scenario) -> tuple[int, int]:
    cap = scenario.capacity
    assert cap is not None
    run_in = round(cap.run_in_months * DAYS_PER_MONTH)
    end = round((cap.run_in_months + cap.service_months) * DAYS_PER_MONTH)
    return run_in, max(end, run_in + 1)


def service_adults(scenario: Scenario, streams: ReplicateStreams) -> int | None:
    """Adults per replicate under Poisson arrivals, or None when everyone starts on day 0.

    The first draw of the ``capacity`` stream: Poisson with mean
    ``new_patients_per_year`` x the arrival window (run-in plus service months) in years.
    """
    cap = scenario.capacity
    if cap is None or cap.new_patients_per_year is None:
        return None
    years = (cap.run_in_months + cap.service_months) / 12.0
    return max(int(streams["capacity"].poisson(cap.new_patients_per_year * years)), 1)


def draw_service(scenario: Scenario, streams: ReplicateStreams, n: int) -> Service:
    """Draw one replicate's service for ``n`` people (after :func:`service_adults`).

    Given their number, the arrival times of a Poisson process are independent uniforms on
    the arrival window, so each person's index day is a uniform whole day of the window
    (prenatal-stream children arrive the same way). Other services' demand is Poisson per
    clinic day. Every protocol of the replicate sees the same arrivals and demand.
    """
    cap = scenario.capacity
    if cap is None:
        raise ScenarioError("capacity: the scenario has no [capacity] block")
    rng = streams["capacity"]
    run_in, end = _window_days(scenario)
    if cap.new_patients_per_year is None:
        arrival = np.zeros(n, dtype=np.int64)
        measure_from, measure_to = 0, horizon_day(scenario) + 1
    else:
        arrival = np.floor(rng.random(n) * end).astype(np.int64)
        measure_from, measure_to = run_in, end
    last = int(arrival.max(initial=0)) + 2 * horizon_day(scenario) + 365
    days = np.arange(last + 1)
    clinic = (days % 7) < cap.clinic_days_per_week
    background = np.where(clinic, rng.poisson(cap.background_scans_per_day, last + 1), 0)
    return Service(
        arrival_day=arrival,
        slots_per_day=cap.slots_per_day,
        clinic_days_per_week=cap.clinic_days_per_week,
        background=background.astype(np.int64),
        max_wait_days=cap.max_wait_days,
        measure_from_day=measure_from,
        measure_to_day=measure_to,
        last_day=last,
    )


def unbounded_service(scenario: Scenario, n: int) -> Service:
    """A service with no limits: everyone on day 0, every day a clinic day, a slot for all.

    Used to play rebooking (a protocol option) when the scenario has no ``[capacity]``.
    """
    last = 2 * horizon_day(scenario) + 365
    return Service(
        arrival_day=np.zeros(n, dtype=np.int64),
        slots_per_day=n + 1,
        clinic_days_per_week=7,
        background=np.zeros(last + 1, dtype=np.int64),
        max_wait_days=None,
        measure_from_day=0,
        measure_to_day=horizon_day(scenario) + 1,
        last_day=last,
    )


def calendar_table(
    replicate: int,
    protocol: str,
    service: Service,
    appointments: np.ndarray,
    escalated: np.ndarray,
    overdue: np.ndarray,
    wait_sum: np.ndarray,
    queue: np.ndarray,
) -> pd.DataFrame:
    """Weekly service table of one arm (columns of :data:`CALENDAR_COLUMNS`).

    The arrays are per service day (length ``last_day + 1``); ``queue`` is the number still
    waiting after each clinic day's list.
    """
    days = np.arange(service.last_day + 1)
    clinic = service.is_clinic_day(days)
    slots = np.where(clinic, service.slots_per_day, 0)
    bg = np.minimum(service.background, slots)
    week = days // 7
    weeks = int(week[-1]) + 1

    def per_week(x: np.ndarray) -> np.ndarray:
        return np.bincount(week, weights=np.asarray(x, dtype=float), minlength=weeks)

    offered = per_week(slots)
    used = per_week(bg) + per_week(appointments)
    n_app = per_week(appointments) + per_week(escalated)
    start = np.arange(weeks) * 7
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame(
            {
                "replicate": np.full(weeks, replicate, dtype=np.int32),
                "protocol": np.full(weeks, protocol, dtype=object),
                "week": np.arange(weeks, dtype=np.int32),
                "week_start_day": start,
                "measured": (start >= service.measure_from_day)
                & (start + 7 <= service.measure_to_day),
                "slots_offered": offered.astype(np.int64),
                "background_scans": per_week(bg).astype(np.int64),
                "appointments": per_week(appointments).astype(np.int64),
                "escalated_appointments": per_week(escalated).astype(np.int64),
                "overdue_appointments": per_week(overdue).astype(np.int64),
                "wait_days_sum": per_week(wait_sum),
                "queue_length_patients": per_week(queue) / np.maximum(per_week(clinic), 1),
                "utilisation": np.where(offered > 0, used / offered, np.nan),
                "mean_wait_days": np.where(n_app > 0, per_week(wait_sum) / n_app, np.nan),
            }
        )
    return frame


def wait_table(replicate: int, protocol: str, waits: np.ndarray) -> pd.DataFrame:
    """Counts of measured follow-up appointments by wait in days (the wait distribution)."""
    counts = np.bincount(np.asarray(waits, dtype=np.int64), minlength=1)
    hit = np.flatnonzero(counts)
    return pd.DataFrame(
        {
            "replicate": np.full(hit.size, replicate, dtype=np.int32),
            "protocol": np.full(hit.size, protocol, dtype=object),
            "wait_days": hit.astype(np.int32),
            "appointments": counts[hit].astype(np.int64),
        }
    )


def limits_columns(effect: str) -> dict[str, str]:
    """Columns of ``capacity_limits.csv`` (:func:`limits_table`) for ``analysis.effect``."""
    e = EFFECTS[effect]
    cols = {
        "protocol": "protocol name",
        "effect": "the scenario's analysis.effect (qaly, life_years or screen_detected)",
        "mean_delay_months_unlimited": "mean onset-to-diagnosis delay, unlimited slots, months",
        "mean_delay_months_with_limits": "mean onset-to-diagnosis delay, the service's slots, months",
        "screen_detected_per_1000_unlimited": "screen-detected changes per 1,000, unlimited slots",
        "screen_detected_per_1000_with_limits": "screen-detected changes per 1,000, service slots",
    }
    if e.summary != "screen_detected_per_1000":
        cols[f"{e.summary}_unlimited"] = f"{e.plural} ({e.summary}), unlimited slots"
        cols[f"{e.summary}_with_limits"] = f"{e.plural} ({e.summary}), the service's slots"
    cols[f"{e.outcome}_lost_to_limits_per_1000"] = (
        f"{e.plural} lost per 1,000 people because scans wait for a slot (unlimited minus limited)"
    )
    return cols


def limits_table(unlimited: pd.DataFrame, limited: pd.DataFrame, effect: str) -> pd.DataFrame:
    """Detection and the chosen effect per protocol with unlimited slots and with the service's.

    Parameters
    ----------
    unlimited, limited : DataFrame
        ``summary()`` of the same people, arrivals and clinic days with unlimited slots and
        with the scenario's (columns ``protocol``, ``mean_delay_months``,
        ``screen_detected_per_1000`` and the effect's summary column).
    effect : str
        ``analysis.effect``; its summary column (:data:`fupsim.labels.EFFECTS`) is compared.

    Returns
    -------
    DataFrame
        Columns :func:`limits_columns`; the loss is (unlimited − limited) per 1,000 people,
        so a positive value is what waiting for a slot costs.
    """
    e = EFFECTS[effect]
    keep = list(
        dict.fromkeys(["protocol", "mean_delay_months", "screen_detected_per_1000", e.summary])
    )
    table = unlimited[keep].merge(
        limited[keep], on="protocol", suffixes=("_unlimited", "_with_limits")
    )
    table.insert(1, "effect", effect)
    lost = table[f"{e.summary}_unlimited"] - table[f"{e.summary}_with_limits"]
    table[f"{e.outcome}_lost_to_limits_per_1000"] = lost * 1000.0 / e.summary_scale
    return table[list(limits_columns(effect))]


def _protocol_only(scenario: Scenario, protocol: str, slots: int) -> Scenario:
    """The scenario with one protocol and ``slots`` slots per clinic day."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data["protocol"] = [p for p in data["protocol"] if p["name"] == protocol]
    data.pop("sweep", None)
    if data.get("analysis", {}).get("reference_protocol") not in (None, protocol):
        data["analysis"]["reference_protocol"] = protocol
    return with_overrides(type(scenario).model_validate(data), {"capacity.slots_per_day": slots})


def required_slots(
    scenario: Scenario,
    protocol: str,
    p95_wait: Callable[[Scenario], float],
    *,
    max_slots: int = 100_000,
) -> tuple[int, float]:
    """Smallest slots per clinic day whose 95th-percentile wait is within the target.

    Parameters
    ----------
    scenario : Scenario
        Must have ``[capacity]``; its ``target_p95_wait_days`` is the target (days).
    protocol : str
        The protocol played alone on the scanner.
    p95_wait : callable
        Runs a scenario and returns its 95th-percentile wait in days (NaN: no appointments),
        e.g. a closure over :func:`fupsim.run` with a fixed seed, so every candidate sees
        the same people (common random numbers) and the search is over one sample path.
    max_slots : int
        Give up above this many slots per day.

    Returns
    -------
    slots : int
        Slots per clinic day (0 when the protocol books no scans and nothing else waits).
    p95_wait_days : float
        The 95th-percentile wait at that number of slots, days.

    Notes
    -----
    Waits do not grow when slots are added, so the search doubles the slots until the
    target is met and then bisects between the last failure and the first success.
    """
    cap = scenario.capacity
    if cap is None:
        raise ScenarioError(
            "capacity: the scenario has no [capacity] block (needed for a slot search)"
        )
    if protocol not in scenario.protocol_names:
        raise ScenarioError(
            f"protocol {protocol!r}: not one of {', '.join(scenario.protocol_names)}"
        )
    target = cap.target_p95_wait_days
    cache: dict[int, float] = {}

    def p95(slots: int) -> float:
        if slots not in cache:
            cache[slots] = p95_wait(_protocol_only(scenario, protocol, slots))
        return cache[slots]

    def ok(slots: int) -> bool:
        value = p95(slots)
        return math.isnan(value) or value <= target

    if ok(1) and math.isnan(p95(1)):
        return 0, math.nan
    lo, hi = 0, 1  # lo fails (0 slots never serves anyone), hi is the candidate
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > max_slots:
            raise ScenarioError(
                f"capacity.target_p95_wait_days = {target:g}: not met for protocol {protocol} "
                f"even with {max_slots} slots per day"
            )
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi, p95(hi)
