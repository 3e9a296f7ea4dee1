"""The event log of one arm, built once from the arm's arrays after the run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fupsim.engine.state import _END, _K, _V, ArmResult
from fupsim.events import make_events
from fupsim.natural_history import History
from fupsim.scenario import DAYS_PER_MONTH


def arm_events(
    arm: ArmResult,
    history: History,
    replicate: int,
    horizon_months: float,
    ct_delay_days: float,
    patient_ids: np.ndarray | None = None,
) -> pd.DataFrame:
    """The event log of one arm, built once from the arm's arrays.

    ``patient_ids`` maps the arm's positions to ``patient_id`` (default: the same numbers).
    """
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
        ("death", "death"),
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
    pids = np.concatenate(parts_p)
    return make_events(
        replicate,
        arm.protocol,
        pids if patient_ids is None else patient_ids[pids],
        np.concatenate(parts_t),
        np.concatenate(parts_k),
        np.concatenate(parts_v),
    )
