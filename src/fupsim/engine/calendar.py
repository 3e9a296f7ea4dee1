"""The capacity engine's clinic-day calendar: one queue, N slots a day, scans when done."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from fupsim.capacity import Service, next_clinic_day
from fupsim.engine.state import _END, _NEVER, _V, ServiceLog, _ArmState
from fupsim.protocol import VisitPlan, protocol_end_day
from fupsim.scenario import Scenario


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
        self.horizon = protocol_end_day(scenario, plan.protocol)
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
            start = np.arange(n, dtype=np.int64)
            if plan.lost_before_first is not None:  # loss_basis = "time"
                start = start[st.stop_day > 0]  # simulate_arm removed those lost before
                first = first[start]
            self._book(start, first, first)

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
