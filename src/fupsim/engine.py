"""The SimPy engine: plays one protocol against a cohort's latent histories.

Patients who do not interact are handled as arrays. SimPy runs the clinic calendar: one
process per protocol arm whose events are the days on which scans fall due. At each such day
every person due is processed at once with numpy (attendance, ultrasound, CT work-up, stop
rule, loss). Clinical presentations between scans follow from the latent times and need no
events of their own. The environment runs to completion, so scans due on the horizon day are
done (a run stopped ``until=horizon`` would silently drop them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from fupsim.cohort import Cohort
from fupsim.events import END_REASONS, EVENT_KINDS, VISIT_CODES, make_events
from fupsim.natural_history import History
from fupsim.protocol import VisitPlan
from fupsim.scenario import DAYS_PER_MONTH, Scenario

__all__ = ["ArmResult", "simulate_arm"]

_K = {name: i for i, name in enumerate(EVENT_KINDS)}
_END = {name: i for i, name in enumerate(END_REASONS)}
_V = VISIT_CODES


@dataclass(frozen=True)
class ArmResult:
    """What happened to every person under one protocol (arrays indexed by patient_id)."""

    protocol: str
    visit_code: np.ndarray  # (K, n) int8: VISIT_CODES per scheduled visit
    visit_day: np.ndarray  # (K, n) int32
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


def _discount(day: float | np.ndarray, rate: float) -> float | np.ndarray:
    """Continuous-time discount factor for a cost on ``day`` at an annual ``rate``."""
    return (1.0 + rate) ** (-np.asarray(day) / 365.25)


def simulate_arm(
    scenario: Scenario,
    cohort: Cohort,
    history: History,
    plan: VisitPlan,
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
    """
    k, n = plan.days.shape
    st = _ArmState(n, k, history)
    us, ct, costs = scenario.ultrasound, scenario.ct, scenario.costs
    if isinstance(us.sensitivity, float):
        sens = np.full(n, us.sensitivity, dtype=np.float32)
    else:
        by_lobe = np.array([us.sensitivity.right, us.sensitivity.left, us.sensitivity.both], np.float32)
        sens = by_lobe[cohort.lobe]
    fp_us = np.float32(1.0 - us.specificity)
    ct_sens, ct_fp, ct_done = np.float32(ct.sensitivity), np.float32(1 - ct.specificity), np.float32(ct.completion)
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
        st.n_scans[p] += 1
        st.last_scan[p] = day
        st.cost[p] += scan_unit * _discount(day, costs.discount_rate)
        detectable = st.onset_day[p] <= day
        us_pos = np.where(detectable, plan.u_ultrasound[v, p] < sens[p], plan.u_ultrasound[v, p] < fp_us)
        recall = us_pos & (plan.u_recall[v, p] < ct_done)
        ct_pos = recall & np.where(detectable, plan.u_ct[v, p] < ct_sens, plan.u_ct[v, p] < ct_fp)
        if us_pos.any():
            code = np.where(ct_pos, _V["ct_positive"], np.where(recall, _V["ct_negative"], _V["positive_no_ct"]))
            st.code[v, p[us_pos]] = code[us_pos]
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
    if k:
        env.process(clinic(env))
    env.run()  # to completion: visits on the horizon day are processed

    return ArmResult(
        protocol=plan.protocol.name,
        visit_code=st.code,
        visit_day=plan.days,
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
        [-1, _K["scan_missed"], _K["scan_negative"], _K["scan_positive"], _K["scan_positive"], _K["scan_positive"]]
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
