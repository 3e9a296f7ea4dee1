"""One protocol arm: the SimPy process that plays a protocol against every person."""

from __future__ import annotations

import numpy as np
import simpy

from fupsim.capacity import Service
from fupsim.cohort import Cohort
from fupsim.engine.calendar import _Calendar
from fupsim.engine.state import _END, _V, ArmResult, Discounter, ServiceLog, _ArmState, _pick
from fupsim.natural_history import History
from fupsim.protocol import VisitPlan, horizon_day, protocol_end_day
from fupsim.scenario import Scenario


def by_cause(cohort: Cohort, table: dict[str, float], base: np.ndarray) -> np.ndarray:
    """``base`` (float32 per person) with the values of ``table`` for the causes it lists."""
    if not table:
        return base
    out = base.copy()
    for name, value in table.items():
        out[cohort.cause == cohort.causes.index(name)] = np.float32(value)
    return out


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
    sens = by_cause(cohort, us.sensitivity_by_cause, sens)
    if us.limited_visualisation_share > 0:
        sens = np.where(cohort.limited_visualisation, np.float32(us.sensitivity_if_limited), sens)
    fp_us = np.float32(1.0 - us.specificity)
    # the recall's confirmatory test (CT, MRI or biopsy): its accuracy, cost and count
    test_sensitivity, test_by_cause, test_specificity = ct.accuracy()
    ct_sens: np.ndarray | np.float32 = np.float32(test_sensitivity)
    if test_by_cause:
        ct_sens = by_cause(cohort, test_by_cause, np.full(n, ct_sens, np.float32))
    ct_fp, ct_done = np.float32(1 - test_specificity), np.float32(ct.completion)
    test_cost = costs.recall_test(ct.confirm_test)
    n_tests = {"ct": st.n_ct, "mri": st.n_mri, "biopsy": st.n_biopsy}[ct.confirm_test]
    scan_unit = costs.ultrasound + costs.visit
    stop_k = plan.protocol.stop_after_stable
    ct_delay = ct.delay_days
    last_day = int(plan.days.max()) if k else 0
    scan_discount = Discounter(costs, last_day)
    ct_discount = Discounter(costs, last_day, shift=ct_delay)
    repeat = plan.u_repeat
    repeat_discount = Discounter(costs, last_day, shift=ct.repeat_us_delay_days)
    if plan.lost_before_first is not None:  # loss_basis = "time": lost before the first visit
        gone = plan.lost_before_first & (st.alive_until > plan.days[0])
        st.stop_day[gone] = 0.0
        st.end_reason[gone] = _END["lost_to_follow_up"]

    def examine(v: int | np.ndarray, p: np.ndarray, day: np.ndarray) -> None:
        # attended scans of people p at their own days; v is the visit row (or one per person)
        st.n_scans[p] += 1
        st.last_scan[p] = day
        st.cost[p] += scan_unit * scan_discount(day)
        detectable = st.onset_day[p] <= day
        u_us, u_ct = plan.u_ultrasound[v, p], plan.u_ct[v, p]
        us_pos = np.where(detectable, u_us < sens[p], u_us < fp_us)
        if repeat is not None and us_pos.any():
            # the recall starts with a repeat ultrasound; only a second positive goes to CT
            pr = p[us_pos]
            st.n_repeat[pr] += 1
            st.cost[pr] += scan_unit * repeat_discount(day[us_pos])
            u_rep = repeat[v, p]
            us_pos &= np.where(detectable, u_rep < sens[p], u_rep < fp_us)
        recall = us_pos & (plan.u_recall[v, p] < ct_done)
        sens_ct = ct_sens if isinstance(ct_sens, np.float32) else ct_sens[p]
        ct_pos = recall & np.where(detectable, u_ct < sens_ct, u_ct < ct_fp)
        if us_pos.any():
            code = np.where(
                ct_pos, _V["ct_positive"], np.where(recall, _V["ct_negative"], _V["positive_no_ct"])
            )
            st.code[_pick(v, us_pos), p[us_pos]] = code[us_pos]
            pr = p[recall]
            n_tests[pr] += 1
            st.cost[pr] += test_cost * ct_discount(day[recall])
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

    code8 = {name: np.int8(value) for name, value in _V.items()}

    # min(alive_until, stop_day): a person is followed on a day before it (kept up to date)
    until = np.minimum(st.alive_until, st.stop_day)
    assert (_V["not_reached"], _V["missed"], _V["negative"]) == (0, 1, 2)  # row codes below
    scan_costs = scan_unit * scan_discount(plan.days) if service is None else np.zeros((0, n))

    def scan_round_all(v: int) -> None:
        # one visit round of the unbounded scanner: scans (examine's), then loss. Most people are followed
        # at each round, so the scan itself works on whole rows with np.where (a cost adds
        # 0.0 where nothing is due, which leaves it unchanged; row v of the visit codes is
        # still all zero here); the few positives' work-up works on their indices. Each
        # person's arithmetic is examine's.
        nonlocal until
        day = plan.days[v]
        dayf = day.astype(np.float64)
        active = until > dayf
        att = plan.attend[v]
        # missed (1) or negative (2) for those followed, not reached (0) for the rest
        row = (att.view(np.int8) + code8["missed"]) * active.view(np.int8)
        st.n_missed += active & ~att
        sel = active & att
        if sel.any():
            day_i = day.astype(np.intp)
            st.n_scans += sel
            st.last_scan = np.where(sel, dayf, st.last_scan)
            st.cost += np.where(sel, scan_costs[v], 0.0)
            detectable = st.onset_day <= dayf
            us_pos = sel & (plan.u_ultrasound[v] < np.where(detectable, sens, fp_us))
            q = np.flatnonzero(us_pos)
            if repeat is not None and q.size:
                st.n_repeat[q] += 1
                st.cost[q] += scan_unit * repeat_discount(day_i[q])
                u_rep = repeat[v, q]
                us_pos[q] = np.where(detectable[q], u_rep < sens[q], u_rep < fp_us)
                q = q[us_pos[q]]
            if q.size:
                work_up(v, q, row, day_i[q], detectable[q])
            if stop_k is not None:
                stable = np.where(us_pos, 0, st.stable + 1)
                st.stable = np.where(sel, stable, st.stable).astype(np.int16)
                done = sel & (st.stable >= stop_k) & (st.stop_day > dayf)
                st.stop_day = np.where(done, dayf, st.stop_day)
                until = np.where(done, dayf, until)
                st.end_reason[done] = _END["stopped_stable"]
        st.code[v] = row
        lost = plan.lost_after[v] & (until > dayf)
        if lost.any():
            st.stop_day = np.where(lost, dayf, st.stop_day)
            until = np.where(lost, dayf, until)
            st.end_reason[lost] = _END["lost_to_follow_up"]

    def work_up(v: int, q: np.ndarray, row: np.ndarray, day: np.ndarray, det: np.ndarray) -> None:
        # the recall work-up of people q, positive on their ultrasound at visit v on ``day``
        u_ct = plan.u_ct[v, q]
        recall = plan.u_recall[v, q] < ct_done
        sens_ct = ct_sens if isinstance(ct_sens, np.float32) else ct_sens[q]
        ct_pos = recall & np.where(det, u_ct < sens_ct, u_ct < ct_fp)
        row[q] = np.where(
            ct_pos, _V["ct_positive"], np.where(recall, _V["ct_negative"], _V["positive_no_ct"])
        )
        pr = q[recall]
        n_tests[pr] += 1
        st.cost[pr] += test_cost * ct_discount(day[recall])
        st.n_fp[q[recall & ~det]] += 1
        if not ct_pos.any():
            return
        in_time = st.alive_until[q] > day + ct_delay
        found = ct_pos & det & in_time
        pf = q[found]
        st.detected[pf] = True
        st.detect_day[pf] = day[found]
        st.stop_day[q[ct_pos]] = day[ct_pos]
        until[q[ct_pos]] = day[ct_pos]  # they were followed until after this day
        st.end_reason[pf] = _END["screen_detected"]
        st.end_reason[q[ct_pos & det & ~in_time]] = _END["clinical_presentation"]
        wrong = q[ct_pos & ~det]
        st.false_dx[wrong] = True
        st.end_reason[wrong] = _END["false_diagnosis"]

    def clinic(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        # Unbounded scanner: people do not interact, so one event per visit round (at its
        # nominal day) handles every person's k-th visit on that person's own jittered day.
        # Each person's visits are still played in order, which is all that matters here.
        for v, nominal in enumerate(plan.nominal_days):
            yield env.timeout(max(int(nominal) - env.now, 0))
            scan_round_all(v)

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
    end = protocol_end_day(scenario, plan.protocol)
    if end < horizon_day(scenario):  # a shorter protocol ends its follow-up on its own day
        st.stop_day = np.minimum(st.stop_day, float(end))
    st.record_deaths(history, end)
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
        n_repeat_scans=st.n_repeat,
        end_reason=st.end_reason,
        end_day=st.stop_day,
        screen_detected=st.detected,
        false_diagnosis=st.false_dx,
        detection_scan_day=st.detect_day,
        last_scan_day=st.last_scan,
        scan_cost=st.cost,
        service=service_log,
        n_mri=st.n_mri,
        n_biopsy=st.n_biopsy,
    )
