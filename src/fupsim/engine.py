"""The SimPy engine: plays one protocol against a cohort's latent histories.

Patients who do not interact are handled as arrays. SimPy runs the clinic calendar: one
process per protocol arm whose events are the days on which scans fall due. At each such day
every person due is processed at once with numpy (attendance, ultrasound, CT work-up, stop
rule, loss). Clinical presentations between scans follow from the latent times and need no
events of their own. The environment runs to completion, so scans due on the horizon day are
done (a run stopped ``until=horizon`` would silently drop them).

With an unbounded scanner people do not interact, so the process has one event per visit
round. With a service (:class:`fupsim.capacity.Service`: arrivals over time, clinic days,
N slots a day) people compete for slots, so the process steps through clinic days
(:class:`_Calendar`): each day the queue in due-date order takes the free slots, the rest
wait, and every scan is examined on the day it is actually done. Both paths share the
examination code, so with ample slots they give identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from fupsim.capacity import Service, next_clinic_day
from fupsim.cohort import Cohort
from fupsim.events import END_REASONS, EVENT_KINDS, VISIT_CODES, make_events
from fupsim.natural_history import History
from fupsim.protocol import VisitPlan, nominal_day
from fupsim.scenario import DAYS_PER_MONTH, Scenario

__all__ = ["ArmResult", "ServiceLog", "arm_events", "simulate_arm"]

_K = {name: i for i, name in enumerate(EVENT_KINDS)}
_END = {name: i for i, name in enumerate(END_REASONS)}
_V = VISIT_CODES
_NEVER = np.iinfo(np.int64).max  # a ready day that never comes


@dataclass(frozen=True)
class ArmResult:
    """What happened to every person under one protocol (arrays indexed by patient_id)."""

    protocol: str
    visit_code: np.ndarray  # (K, n) int8: VISIT_CODES per scheduled visit
    visit_day: np.ndarray  # (K, n) int: scheduled day (calendar engine: day actually done)
    n_scans: np.ndarray
    n_missed: np.ndarray
    n_ct: np.ndarray
    n_false_positive_workups: np.ndarray
    end_reason: np.ndarray  # int8 code into END_REASONS (for follow-up itself)
    end_day: np.ndarray  # float: day follow-up ended (horizon, detection, loss, stop)
    screen_detected: np.ndarray  # bool
    false_diagnosis: np.ndarray  # bool
    detection_scan_day: np.ndarray  # float: day of the scan that led to detection, nan if none
    last_scan_day: np.ndarray  # float: last attended scan, 0 if none
    scan_cost: np.ndarray  # discounted ultrasound + visit + CT costs
    service: ServiceLog | None = None  # waits and slot use (calendar engine only)


class _ArmState:
    """Mutable per-arm arrays, private to one simulate_arm call."""

    def __init__(self, n: int, k: int, history: History) -> None:
        self.onset_day = history.onset_month * DAYS_PER_MONTH
        # a person is under follow-up until they present, or follow-up ends
        self.alive_until = history.presentation_month * DAYS_PER_MONTH
        self.stop_day = np.full(n, np.inf)
        self.end_reason = np.full(n, _END["horizon"], dtype=np.int8)
        self.code = np.zeros((k, n), dtype=np.int8)
        self.n_scans = np.zeros(n, dtype=np.int16)
        self.n_missed = np.zeros(n, dtype=np.int16)
        self.n_ct = np.zeros(n, dtype=np.int16)
        self.n_fp = np.zeros(n, dtype=np.int16)
        self.stable = np.zeros(n, dtype=np.int16)
        self.detected = np.zeros(n, dtype=bool)
        self.false_dx = np.zeros(n, dtype=bool)
        self.detect_day = np.full(n, np.nan)
        self.last_scan = np.zeros(n)
        self.cost = np.zeros(n)


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


class _Calendar:
    """The clinic-day calendar of one arm: a queue in due-date order and N slots a day.

    People wait in one queue ordered by due day (then ``patient_id``): the booking rule
    "first free slot on or after the due date" played day by day. Each clinic day other
    services' patients take their slots first, the next people in the queue take the rest,
    and anyone who has waited ``max_wait_days`` is scanned outside the slots (escalation).
    A person's next visit joins the queue only after the current one is done.
    """

    def __init__(
        self,
        st: _ArmState,
        plan: VisitPlan,
        service: Service,
        examine: Callable[[np.ndarray, np.ndarray, np.ndarray], None],
        scenario: Scenario,
    ) -> None:
        k, n = plan.days.shape
        self.st, self.plan, self.sv, self.examine = st, plan, service, examine
        self.n, self.k = n, k
        self.visit_day = plan.days.copy()
        self.flat_days = plan.days.ravel()
        self.flat_attend = plan.attend.ravel()
        self.flat_lost = plan.lost_after.ravel()
        self.per_visit = np.float32(scenario.attendance.per_visit)
        self.rebook = plan.protocol.rebook_missed_after_days
        self.horizon = int(nominal_day(scenario.simulation.horizon_months))
        self.vnext = np.zeros(n, dtype=np.int64)
        self.due = np.zeros(n, dtype=np.int64)  # first clinic day on or after the due date
        self.ready = np.full(n, _NEVER, dtype=np.int64)  # clinic day a person joins the queue
        self.u_att = None
        if self.rebook is not None and plan.u_attend is not None and k:
            self.u_att = plan.u_attend[0].copy()
        days = service.last_day + 1
        self.appointments = np.zeros(days, dtype=np.int64)
        self.escalated = np.zeros(days, dtype=np.int64)
        self.overdue = np.zeros(days, dtype=np.int64)
        self.wait_sum = np.zeros(days)
        self.queue_len = np.zeros(days, dtype=np.int64)
        self.waits: list[np.ndarray] = []
        self.wait_total = np.zeros(n)
        self.n_overdue = np.zeros(n, dtype=np.int16)
        self.n_escalated = np.zeros(n, dtype=np.int16)
        self.queue = np.zeros(0, dtype=np.int64)
        if k:
            first = service.arrival_day + plan.days[0]
            self._book(np.arange(n, dtype=np.int64), first, first)

    def _book(self, p: np.ndarray, ready: np.ndarray | int, due: np.ndarray | int) -> None:
        """Queue people ``p`` from service day ``ready`` for an appointment due on ``due``."""
        cdw = self.sv.clinic_days_per_week
        self.due[p] = next_clinic_day(due, cdw)
        self.ready[p] = next_clinic_day(ready, cdw)

    def clinic(self, env: simpy.Environment) -> simpy.events.ProcessGenerator:
        """SimPy process: one event per clinic day on which anyone is waiting or due."""
        sv, cdw, today = self.sv, self.sv.clinic_days_per_week, -1
        while True:
            if self.queue.size:
                day = int(next_clinic_day(today + 1, cdw))
            else:
                day = int(self.ready.min(initial=_NEVER))
            if day > sv.last_day:
                return
            yield env.timeout(day - env.now)
            today = day
            self._day(day)

    def _day(self, day: int) -> None:
        st, sv = self.st, self.sv
        new = np.flatnonzero(self.ready == day)
        queue = self.queue
        if new.size:
            self.ready[new] = _NEVER
            queue = np.concatenate([queue, new]) if queue.size else new
            queue = queue[np.argsort(self.due[queue] * self.n + queue, kind="stable")]
        keep = st.alive_until[queue] > day - sv.arrival_day[queue]  # presented: leave the queue
        if not keep.all():
            queue = queue[keep]
        slots = max(sv.slots_per_day - int(sv.background[day]), 0)
        served, rest = queue[:slots], queue[slots:]
        n_regular = served.size
        if sv.max_wait_days is not None and rest.size:
            late = day - self.due[rest] >= sv.max_wait_days
            if late.any():
                served = np.concatenate([served, rest[late]])
                rest = rest[~late]
        self.queue = rest
        self.queue_len[day] = rest.size
        self.appointments[day] = n_regular
        self.escalated[day] = served.size - n_regular
        if served.size:
            self._serve(served, day, n_regular)

    def _serve(self, p: np.ndarray, day: int, n_regular: int) -> None:
        st, sv, plan, n = self.st, self.sv, self.plan, self.n
        due = self.due[p]
        wait = day - due
        self.waits.append(wait[(due >= sv.measure_from_day) & (due < sv.measure_to_day)])
        late = wait > 0
        self.wait_sum[day] = wait.sum()
        self.overdue[day] = np.count_nonzero(late)
        self.wait_total[p] += wait
        self.n_overdue[p] += late
        self.n_escalated[p[n_regular:]] += 1
        v = self.vnext[p]
        flat = v * n + p
        rel = day - sv.arrival_day[p]
        self.visit_day.ravel()[flat] = rel
        att = self.u_att[p] < self.per_visit if self.u_att is not None else self.flat_attend[flat]
        st.code.ravel()[flat] = np.where(att, _V["negative"], _V["missed"])
        miss = ~att
        st.n_missed[p[miss]] += 1
        if self.rebook is not None and self.u_att is not None and miss.any():
            again = rel + self.rebook
            after = np.minimum(flat + n, self.flat_days.size - 1)
            nxt = np.where(v + 1 < self.k, self.flat_days[after], self.horizon + 1)
            redo = miss & (again <= self.horizon) & (again < nxt)
            pr = p[redo]
            # given a miss (u >= p), (u - p) / (1 - p) is a fresh uniform for the next attempt
            self.u_att[pr] = (self.u_att[pr] - self.per_visit) / (1 - self.per_visit)
            self._book(pr, day + self.rebook, day + self.rebook)
            if redo.any():
                done = ~redo
                p, v, flat, rel, att = p[done], v[done], flat[done], rel[done], att[done]
        if att.any():
            self.examine(v[att], p[att], rel[att])
        going = (st.stop_day[p] > rel) & (st.alive_until[p] > rel)
        lost = going & self.flat_lost[flat]
        if lost.any():
            st.stop_day[p[lost]] = rel[lost]
            st.end_reason[p[lost]] = _END["lost_to_follow_up"]
        go = going & ~lost & (v + 1 < self.k)
        p, flat, rel = p[go], flat[go] + n, rel[go]
        self.vnext[p] += 1
        if self.u_att is not None and plan.u_attend is not None:
            self.u_att[p] = plan.u_attend.ravel()[flat]
        arrive = sv.arrival_day[p]
        due_next = arrive + self.flat_days[flat]
        self._book(p, np.maximum(due_next, arrive + rel + 1), due_next)

    def log(self) -> ServiceLog:
        """What the calendar did; people still waiting at its end are censored there."""
        sv = self.sv
        waiting = np.concatenate([self.queue, np.flatnonzero(self.ready != _NEVER)])
        due = self.due[waiting]
        measured = (due >= sv.measure_from_day) & (due < sv.measure_to_day) & (due <= sv.last_day)
        waits = [*self.waits, sv.last_day - due[measured]]
        return ServiceLog(
            appointments=self.appointments,
            escalated=self.escalated,
            overdue=self.overdue,
            wait_sum=self.wait_sum,
            queue=self.queue_len,
            waits=np.concatenate(waits).astype(np.int64),
            index_day=sv.arrival_day,
            wait_days_total=self.wait_total,
            overdue_scans=self.n_overdue,
            escalated_scans=self.n_escalated,
        )


def _pick(v: int | np.ndarray, mask: np.ndarray) -> int | np.ndarray:
    """The visit rows of the people selected by ``mask`` (a scalar row stays scalar)."""
    return v if isinstance(v, int | np.integer) else v[mask]


def _discount(day: float | np.ndarray, rate: float) -> float | np.ndarray:
    """Continuous-time discount factor for a cost on ``day`` at an annual ``rate``."""
    return (1.0 + rate) ** (-np.asarray(day) / 365.25)


def simulate_arm(
    scenario: Scenario,
    cohort: Cohort,
    history: History,
    plan: VisitPlan,
    service: Service | None = None,
) -> ArmResult:
    """Play one protocol against every person's latent history.

    Parameters
    ----------
    scenario : Scenario
        Test performance (``[ultrasound]``, ``[ct]``), costs and horizon.
    cohort, history : Cohort, History
        The people and their latent timelines (shared by every protocol of a replicate).
    plan : VisitPlan
        The protocol's scheduled visits and visit-level draws.
    service : Service, optional
        The ultrasound service (arrivals, clinic days, slots). Without it the scanner is
        unbounded and everyone starts on day 0; with it every scan waits for a slot on a
        clinic day and is examined on the day it is actually done.
    """
    k, n = plan.days.shape
    st = _ArmState(n, k, history)
    us, ct, costs = scenario.ultrasound, scenario.ct, scenario.costs
    if isinstance(us.sensitivity, float):
        sens = np.full(n, us.sensitivity, dtype=np.float32)
    else:
        by_lobe = np.array(
            [us.sensitivity.right, us.sensitivity.left, us.sensitivity.both], np.float32
        )
        sens = by_lobe[cohort.lobe]
    fp_us = np.float32(1.0 - us.specificity)
    ct_sens, ct_fp, ct_done = (
        np.float32(ct.sensitivity),
        np.float32(1 - ct.specificity),
        np.float32(ct.completion),
    )
    scan_unit = costs.ultrasound + costs.visit
    stop_k = plan.protocol.stop_after_stable
    ct_delay = ct.delay_days

    def scan_round(v: int) -> None:
        day_all = plan.days[v]
        p = np.flatnonzero((st.alive_until > day_all) & (st.stop_day > day_all))
        if p.size == 0:
            return
        day = day_all[p]
        att = plan.attend[v, p]
        st.code[v, p] = np.where(att, _V["negative"], _V["missed"])
        st.n_missed[p] += ~att
        p, day = p[att], day[att]
        if p.size == 0:
            return
        examine(v, p, day)

    def examine(v: int | np.ndarray, p: np.ndarray, day: np.ndarray) -> None:
        # attended scans of people p at their own days; v is the visit row (or one per person)
        st.n_scans[p] += 1
        st.last_scan[p] = day
        st.cost[p] += scan_unit * _discount(day, costs.discount_rate)
        detectable = st.onset_day[p] <= day
        u_us, u_ct = plan.u_ultrasound[v, p], plan.u_ct[v, p]
        us_pos = np.where(detectable, u_us < sens[p], u_us < fp_us)
        recall = us_pos & (plan.u_recall[v, p] < ct_done)
        ct_pos = recall & np.where(detectable, u_ct < ct_sens, u_ct < ct_fp)
        if us_pos.any():
            code = np.where(
                ct_pos, _V["ct_positive"], np.where(recall, _V["ct_negative"], _V["positive_no_ct"])
            )
            st.code[_pick(v, us_pos), p[us_pos]] = code[us_pos]
            pr = p[recall]
            st.n_ct[pr] += 1
            st.cost[pr] += costs.ct * _discount(day[recall] + ct_delay, costs.discount_rate)
            st.n_fp[p[recall & ~detectable]] += 1
            # a change confirmed only after it has presented counts as a presentation
            in_time = st.alive_until[p] > day + ct_delay
            found = ct_pos & detectable & in_time
            pf = p[found]
            st.detected[pf] = True
            st.detect_day[pf] = day[found]
            st.stop_day[pf] = day[found]
            st.end_reason[pf] = _END["screen_detected"]
            late_sel = ct_pos & detectable & ~in_time
            st.stop_day[p[late_sel]] = day[late_sel]
            late = p[late_sel]
            st.end_reason[late] = _END["clinical_presentation"]
            wrong = ct_pos & ~detectable
            pw = p[wrong]
            st.false_dx[pw] = True
            st.stop_day[pw] = day[wrong]
            st.end_reason[pw] = _END["false_diagnosis"]
        if stop_k is not None:
            st.stable[p] = np.where(us_pos, 0, st.stable[p] + 1)
            done = (st.stable[p] >= stop_k) & (st.stop_day[p] > day)
            ps = p[done]
            st.stop_day[ps] = day[done]
            st.end_reason[ps] = _END["stopped_stable"]

    def lose(v: int) -> None:
        day = plan.days[v]
        lost = plan.lost_after[v] & (st.stop_day > day) & (st.alive_until > day)
        st.stop_day[lost] = day[lost]
        st.end_reason[lost] = _END["lost_to_follow_up"]

    def clinic(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        # Unbounded scanner: people do not interact, so one event per visit round (at its
        # nominal day) handles every person's k-th visit on that person's own jittered day.
        # Each person's visits are still played in order, which is all that matters here.
        for v, nominal in enumerate(plan.nominal_days):
            yield env.timeout(max(int(nominal) - env.now, 0))
            scan_round(v)
            lose(v)

    env = simpy.Environment()
    service_log: ServiceLog | None = None
    visit_day = plan.days
    if service is None:
        if k:
            env.process(clinic(env))
    else:
        calendar = _Calendar(st, plan, service, examine, scenario)
        env.process(calendar.clinic(env))
        visit_day = calendar.visit_day
    env.run()  # to completion: visits on the horizon day are processed
    if service is not None:
        service_log = calendar.log()

    return ArmResult(
        protocol=plan.protocol.name,
        visit_code=st.code,
        visit_day=visit_day,
        n_scans=st.n_scans,
        n_missed=st.n_missed,
        n_ct=st.n_ct,
        n_false_positive_workups=st.n_fp,
        end_reason=st.end_reason,
        end_day=st.stop_day,
        screen_detected=st.detected,
        false_diagnosis=st.false_dx,
        detection_scan_day=st.detect_day,
        last_scan_day=st.last_scan,
        scan_cost=st.cost,
        service=service_log,
    )


def arm_events(
    arm: ArmResult, history: History, replicate: int, horizon_months: float, ct_delay_days: float
) -> pd.DataFrame:
    """The event log of one arm, built once from the arm's arrays."""
    n = arm.visit_code.shape[1]
    vis, pid = np.nonzero(arm.visit_code)
    code = arm.visit_code[vis, pid]
    t = arm.visit_day[vis, pid] / DAYS_PER_MONTH
    kind_of_code = np.array(
        [
            -1,
            _K["scan_missed"],
            _K["scan_negative"],
            _K["scan_positive"],
            _K["scan_positive"],
            _K["scan_positive"],
        ]
    )
    parts_p, parts_t, parts_k, parts_v = [pid], [t], [kind_of_code[code]], [vis + 1]
    ct_rows = code >= _V["ct_negative"]
    ct_kind = np.where(code[ct_rows] == _V["ct_positive"], _K["ct_positive"], _K["ct_negative"])
    parts_p.append(pid[ct_rows])
    parts_t.append(t[ct_rows] + ct_delay_days / DAYS_PER_MONTH)
    parts_k.append(ct_kind)
    parts_v.append(vis[ct_rows] + 1)
    ids = np.arange(n)
    for reason, kind in (
        ("screen_detected", "screen_detected"),
        ("false_diagnosis", "false_diagnosis"),
        ("lost_to_follow_up", "lost_to_follow_up"),
        ("stopped_stable", "stopped_stable"),
    ):
        sel = arm.end_reason == _END[reason]
        when = arm.end_day[sel] / DAYS_PER_MONTH
        if reason in ("screen_detected", "false_diagnosis"):
            when = when + ct_delay_days / DAYS_PER_MONTH
        parts_p.append(ids[sel])
        parts_t.append(when)
        parts_k.append(np.full(sel.sum(), _K[kind]))
        parts_v.append(np.zeros(sel.sum(), dtype=np.int64))
    pres = (~arm.screen_detected) & (history.presentation_month <= horizon_months)
    parts_p.append(ids[pres])
    parts_t.append(history.presentation_month[pres])
    parts_k.append(np.full(pres.sum(), _K["clinical_presentation"]))
    parts_v.append(np.zeros(pres.sum(), dtype=np.int64))
    return make_events(
        replicate,
        arm.protocol,
        np.concatenate(parts_p),
        np.concatenate(parts_t),
        np.concatenate(parts_k),
        np.concatenate(parts_v),
    )
