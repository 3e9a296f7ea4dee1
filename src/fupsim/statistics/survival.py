"""Time to detection: cumulative screen-detection curves per protocol and log-rank tests.

The time scale is **months since the onset of the relevant change**, among patients whose
change began before the horizon (``progressive``). Each patient has one of three endings:

- screen detection (cause 1) at ``detection_month - onset_month``;
- clinical presentation first (cause 2, an interval case) at ``presentation_month - onset_month``;
- censoring: at the last scan actually done (``last_scan_month``) when scheduled follow-up
  ended early (lost to follow-up, stopped as stable, false diagnosis), otherwise at the
  horizon. Patients censored before their change began are outside the curves.

Two estimators: Kaplan–Meier of screen detection treating presentation as censoring
(statsmodels ``SurvfuncRight``; Greenwood variance, log(-log) interval), which answers "how
fast would a change be found if it never presented"; and Aalen–Johansen cumulative incidence
with presentation as a competing event (statsmodels ``CumIncidenceRight``), which answers
"what share of changes a protocol has found by time t". The log-rank test (statsmodels
``survdiff``) compares the cause-specific hazard of screen detection between protocols; it
treats protocols as independent samples, so under common random numbers (the same patients in
every arm) its p-values are conservative.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight, survdiff

__all__ = ["CURVE_COLUMNS", "LOGRANK_COLUMNS", "detection_curves", "detection_times", "logrank"]

CURVE_COLUMNS: dict[str, str] = {
    "protocol": "protocol name",
    "estimator": "kaplan-meier (presentation censored) or cumulative-incidence (it competes)",
    "time_months": "months since onset of the relevant change",
    "cumulative_detection": "probability that the change has been screen-detected by then (0-1)",
    "ci_low": "lower 95% pointwise confidence limit (log(-log) transform)",
    "ci_high": "upper 95% pointwise confidence limit",
    "at_risk": "patients still at risk at that time",
}
LOGRANK_COLUMNS: dict[str, str] = {
    "comparison": "protocols compared ('all protocols' or 'A vs B')",
    "statistic": "log-rank chi-square statistic",
    "df": "degrees of freedom",
    "p_value": "two-sided p-value (conservative under common random numbers)",
    "patients": "patients with a change in the compared arms (summed over arms)",
    "screen_detected": "screen detections in the compared arms",
}
NEEDED = (
    "progressive",
    "onset_month",
    "presentation_month",
    "screen_detected",
    "interval_case",
    "detection_month",
    "last_scan_month",
    "end_reason",
)
_EARLY_END = ("lost_to_follow_up", "stopped_stable", "false_diagnosis")


def detection_times(arm: pd.DataFrame, horizon_months: float) -> tuple[np.ndarray, np.ndarray]:
    """Months since onset and ending (0 censored, 1 screen-detected, 2 presented) of one arm.

    Parameters
    ----------
    arm : DataFrame
        Outcomes of one protocol with the columns in :data:`NEEDED`.
    horizon_months : float
        Simulation horizon, months.

    Returns
    -------
    time : ndarray
        Months from onset to the ending, > 0.
    status : ndarray of int
        0 censored, 1 screen-detected, 2 clinical presentation first.
    """
    prog = arm["progressive"].to_numpy(bool)
    onset = arm["onset_month"].to_numpy(float)[prog]
    sd = arm["screen_detected"].to_numpy(bool)[prog]
    pres = arm["interval_case"].to_numpy(bool)[prog]
    early = arm["end_reason"].isin(_EARLY_END).to_numpy()[prog]
    censor = np.where(early, arm["last_scan_month"].to_numpy(float)[prog], horizon_months)
    end = np.where(
        sd,
        arm["detection_month"].to_numpy(float)[prog],
        np.where(pres, arm["presentation_month"].to_numpy(float)[prog], censor),
    )
    status = np.where(sd, 1, np.where(pres, 2, 0))
    time = end - onset
    keep = time > 0
    return time[keep], status[keep]


def _step(times: np.ndarray, values: np.ndarray, grid: np.ndarray, start: float) -> np.ndarray:
    """Right-continuous step function through (times, values), ``start`` before the first time."""
    idx = np.searchsorted(times, grid, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], start)


def _loglog_ci(f: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """95% interval for a probability ``f`` via the log(-log) transform of ``1 - f``."""
    s = 1.0 - f
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * se / (s * np.log(s))
        lo_s, hi_s = s ** np.exp(-half), s ** np.exp(half)
    lo = np.where((f > 0) & (f < 1), 1.0 - hi_s, f)
    hi = np.where((f > 0) & (f < 1), 1.0 - lo_s, f)
    return np.clip(np.nan_to_num(lo, nan=0.0), 0, 1), np.clip(np.nan_to_num(hi, nan=1.0), 0, 1)


def _at_risk(time: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Number with ``time >= t`` for each grid time."""
    ordered = np.sort(time)
    return len(ordered) - np.searchsorted(ordered, grid, side="left")


def _curves_one(time: np.ndarray, status: np.ndarray, grid: np.ndarray) -> list[pd.DataFrame]:
    """Kaplan–Meier and Aalen–Johansen curves of one arm on the grid."""
    z = float(sps.norm.ppf(0.975))
    out = []
    n_risk = _at_risk(time, grid)
    if len(time) == 0 or not (status == 1).any():
        zero = np.zeros(len(grid))
        for est in ("kaplan-meier", "cumulative-incidence"):
            out.append(
                pd.DataFrame(
                    {
                        "estimator": est,
                        "time_months": grid,
                        "cumulative_detection": zero,
                        "ci_low": zero,
                        "ci_high": zero,
                        "at_risk": n_risk,
                    }
                )
            )
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        km = SurvfuncRight(time, (status == 1).astype(float))
        f_km = 1.0 - km.surv_prob
        se_km = np.nan_to_num(km.surv_prob_se, nan=0.0)
        lo, hi = _loglog_ci(f_km, se_km, z)
        out.append(
            pd.DataFrame(
                {
                    "estimator": "kaplan-meier",
                    "time_months": grid,
                    "cumulative_detection": _step(km.surv_times, f_km, grid, 0.0),
                    "ci_low": _step(km.surv_times, lo, grid, 0.0),
                    "ci_high": _step(km.surv_times, hi, grid, 0.0),
                    "at_risk": n_risk,
                }
            )
        )
        if (status == 2).any():
            aj = CumIncidenceRight(time, status)
            f_aj, se_aj = aj.cinc[0], np.nan_to_num(aj.cinc_se[0], nan=0.0)
            t_aj = aj.times
        else:  # no competing event: cumulative incidence is 1 - Kaplan–Meier
            f_aj, se_aj, t_aj = f_km, se_km, km.surv_times
        lo, hi = _loglog_ci(f_aj, se_aj, z)
        out.append(
            pd.DataFrame(
                {
                    "estimator": "cumulative-incidence",
                    "time_months": grid,
                    "cumulative_detection": _step(t_aj, f_aj, grid, 0.0),
                    "ci_low": _step(t_aj, lo, grid, 0.0),
                    "ci_high": _step(t_aj, hi, grid, 0.0),
                    "at_risk": n_risk,
                }
            )
        )
    return out


def detection_curves(
    arms: Mapping[str, pd.DataFrame], horizon_months: float, *, points: int = 145
) -> pd.DataFrame:
    """Cumulative screen-detection curves per protocol on an even grid of months since onset.

    Parameters
    ----------
    arms : mapping of str to DataFrame
        Outcomes per protocol (columns :data:`NEEDED`).
    horizon_months : float
        Simulation horizon, months; the grid runs from 0 to it.
    points : int
        Grid points (145 gives quarter months over 36 months).

    Returns
    -------
    DataFrame
        Long table with the columns of :data:`CURVE_COLUMNS`.
    """
    grid = np.linspace(0.0, float(horizon_months), points)
    parts = []
    for name, arm in arms.items():
        time, status = detection_times(arm, horizon_months)
        for part in _curves_one(time, status, grid):
            parts.append(part.assign(protocol=name))
    if not parts:
        return pd.DataFrame(columns=list(CURVE_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(CURVE_COLUMNS)]


def _survdiff_row(
    label: str, times: list[np.ndarray], statuses: list[np.ndarray]
) -> dict[str, object]:
    """Log-rank test of screen detection across the given arms."""
    time = np.concatenate(times)
    event = (np.concatenate(statuses) == 1).astype(float)
    group = np.concatenate([np.full(len(t), i) for i, t in enumerate(times)])
    row: dict[str, object] = {
        "comparison": label,
        "statistic": np.nan,
        "df": len(times) - 1,
        "p_value": np.nan,
        "patients": len(time),
        "screen_detected": int(event.sum()),
    }
    present = [i for i, t in enumerate(times) if len(t)]
    if len(present) >= 2 and event.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            chisq, _ = survdiff(time, event, group)
        df = len(present) - 1  # p from the upper tail: survdiff's 1 - cdf underflows to 0
        row.update(statistic=float(chisq), p_value=float(sps.chi2.sf(chisq, df)), df=df)
    return row


def logrank(
    arms: Mapping[str, pd.DataFrame], horizon_months: float, reference: str
) -> pd.DataFrame:
    """Log-rank tests of time to screen detection: all protocols together, then each vs reference.

    Parameters
    ----------
    arms : mapping of str to DataFrame
        Outcomes per protocol (columns :data:`NEEDED`).
    horizon_months : float
        Simulation horizon, months.
    reference : str
        The protocol every other one is compared with.

    Returns
    -------
    DataFrame
        Columns of :data:`LOGRANK_COLUMNS`; empty when there is a single protocol.
    """
    data = {name: detection_times(arm, horizon_months) for name, arm in arms.items()}
    rows = []
    if len(data) >= 2:
        if len(data) > 2:
            rows.append(
                _survdiff_row(
                    "all protocols", [t for t, _ in data.values()], [s for _, s in data.values()]
                )
            )
        ref_t, ref_s = data[reference]
        for name, (t, s) in data.items():
            if name != reference:
                rows.append(_survdiff_row(f"{name} vs {reference}", [t, ref_t], [s, ref_s]))
    return pd.DataFrame(rows, columns=list(LOGRANK_COLUMNS))
