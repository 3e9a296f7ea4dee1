"""Engine state: the per-arm arrays during a run and the frozen results it returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fupsim.events import END_REASONS, EVENT_KINDS, VISIT_CODES
from fupsim.natural_history import History
from fupsim.scenario import DAYS_PER_MONTH, Costs

_K = {name: i for i, name in enumerate(EVENT_KINDS)}
_END = {name: i for i, name in enumerate(END_REASONS)}
_V = VISIT_CODES
_NEVER = np.iinfo(np.int64).max  # a ready day that never comes


@dataclass(frozen=True)
class ServiceLog:
    """One arm's use of the service: per-day slot use and queue, per-person waits."""

    appointments: np.ndarray  # (days,) follow-up appointments in regular slots
    escalated: np.ndarray  # (days,) scans done outside the slots after the maximum wait
    overdue: np.ndarray  # (days,) appointments with a wait above zero
    wait_sum: np.ndarray  # (days,) summed waits, days
    queue: np.ndarray  # (days,) people still waiting after the day's list
    waits: np.ndarray  # waits of appointments due in the measured period, days
    index_day: np.ndarray  # (n,) service day of each person's index scan
    wait_days_total: np.ndarray  # (n,) summed waits per person, days
    overdue_scans: np.ndarray  # (n,) appointments later than due per person
    escalated_scans: np.ndarray  # (n,) escalated appointments per person


@dataclass(frozen=True)
class ArmResult:
    """What happened to every person under one protocol (arrays indexed by patient_id)."""

    protocol: str
    visit_code: np.ndarray  # (K, n) int8: VISIT_CODES per scheduled visit
    visit_day: np.ndarray  # (K, n) int: scheduled day (calendar engine: day actually done)
    n_scans: np.ndarray
    n_missed: np.ndarray
    n_ct: np.ndarray  # CTs of the recall work-up (CT only: the health code gives them a dose)
    n_false_positive_workups: np.ndarray
    n_repeat_scans: np.ndarray  # repeat ultrasounds in the recall work-up (ct.workup)
    end_reason: np.ndarray  # int8 code into END_REASONS (for follow-up itself)
    end_day: np.ndarray  # float: day follow-up ended (horizon, detection, loss, stop)
    screen_detected: np.ndarray  # bool
    false_diagnosis: np.ndarray  # bool
    detection_scan_day: np.ndarray  # float: day of the scan that led to detection, nan if none
    last_scan_day: np.ndarray  # float: last attended scan, 0 if none
    scan_cost: np.ndarray  # discounted ultrasound + visit + confirmatory-test costs
    service: ServiceLog | None = None  # waits and slot use (calendar engine only)
    n_mri: np.ndarray | None = None  # MRIs of the recall work-up (ct.workup "mri"); None: none
    n_biopsy: np.ndarray | None = None  # biopsies of the recall work-up (ct.workup "biopsy")


class _ArmState:
    """Mutable per-arm arrays, private to one simulate_arm call."""

    def __init__(self, n: int, k: int, history: History) -> None:
        self.onset_day = history.onset_month * DAYS_PER_MONTH
        # a person is under follow-up until they present, or follow-up ends
        self.alive_until = history.presentation_month * DAYS_PER_MONTH
        if history.death_month is not None:  # background death ends follow-up (fupsim.health)
            self.alive_until = np.minimum(self.alive_until, history.death_month * DAYS_PER_MONTH)
        self.stop_day = np.full(n, np.inf)
        self.end_reason = np.full(n, _END["horizon"], dtype=np.int8)
        self.code = np.zeros((k, n), dtype=np.int8)
        self.n_scans = np.zeros(n, dtype=np.int16)
        self.n_missed = np.zeros(n, dtype=np.int16)
        self.n_ct = np.zeros(n, dtype=np.int16)
        self.n_mri = np.zeros(n, dtype=np.int16)
        self.n_biopsy = np.zeros(n, dtype=np.int16)
        self.n_fp = np.zeros(n, dtype=np.int16)
        self.n_repeat = np.zeros(n, dtype=np.int16)
        self.stable = np.zeros(n, dtype=np.int16)
        self.detected = np.zeros(n, dtype=bool)
        self.false_dx = np.zeros(n, dtype=bool)
        self.detect_day = np.full(n, np.nan)
        self.last_scan = np.zeros(n)
        self.cost = np.zeros(n)

    def record_deaths(self, history: History, last_day: int) -> None:
        """End follow-up at background death for people still followed when they died."""
        if history.death_month is None:
            return
        death = history.death_month * DAYS_PER_MONTH
        pres = history.presentation_month * DAYS_PER_MONTH
        died = (death <= last_day) & (death < self.stop_day) & ~(pres < death)
        # died after a positive scan but before its CT: not a presentation
        died |= (self.end_reason == _END["clinical_presentation"]) & (death < pres)
        self.stop_day[died] = death[died]
        self.end_reason[died] = _END["death"]


def _pick(v: int | np.ndarray, mask: np.ndarray) -> int | np.ndarray:
    """The visit rows of the people selected by ``mask`` (a scalar row stays scalar)."""
    return v if isinstance(v, int | np.integer) else v[mask]


class Discounter:
    """:meth:`Costs.discount` for costs on whole days (``shift`` days later), from a table."""

    def __init__(self, costs: Costs, last_day: int, shift: float = 0.0) -> None:
        self.costs, self.shift = costs, shift
        self.table = np.asarray(costs.discount(np.arange(max(last_day, 0) + 1) + shift))

    def __call__(self, day: np.ndarray) -> np.ndarray:
        """Factor for each integer ``day`` (falls back to the formula outside the table)."""
        day = np.asarray(day)
        if day.dtype.kind in "iu" and day.size and 0 <= day.min() and day.max() < self.table.size:
            return self.table[day]
        return np.asarray(self.costs.discount(day + self.shift))
