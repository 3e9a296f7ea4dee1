"""The numbers behind the report: ICERs with Monte Carlo intervals, paired differences, curves.

Everything here is computed from a run's per-patient outcomes. Intervals are over
replicates: under common random numbers each replicate gives one paired difference between
two protocols, so a difference's interval is the mean ± t(R−1) × its standard error, and
an ICER's interval comes from the delta method on the paired cost and effect differences.
They express simulation (Monte Carlo) error only, not uncertainty about the parameters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from fupsim.economics import icer_table

__all__ = [
    "detection_curves",
    "icer_with_intervals",
    "paired_differences",
    "per_replicate",
]


def per_replicate(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per (replicate, protocol): people, cost per person, and yields per person.

    Returns
    -------
    DataFrame
        Columns ``replicate, protocol, patients, cost_per_patient`` (currency),
        ``screen_detected_per_patient``, ``interval_cases_per_patient``,
        ``undetected_per_patient`` and ``scans_per_patient`` (counts per person).
    """
    g = outcomes.groupby(["replicate", "protocol"], sort=False, observed=True)
    out = g.agg(
        patients=("patient_id", "size"),
        cost_per_patient=("cost", "mean"),
        screen_detected_per_patient=("screen_detected", "mean"),
        interval_cases_per_patient=("interval_case", "mean"),
        undetected_per_patient=("undetected_at_horizon", "mean"),
        scans_per_patient=("n_scans", "mean"),
    )
    return out.reset_index()


def _paired(reps: pd.DataFrame, column: str, a: str, b: str) -> np.ndarray:
    """Per-replicate difference ``a − b`` of ``column`` (paired by replicate)."""
    wide = reps.pivot(index="replicate", columns="protocol", values=column)
    return (wide[a] - wide[b]).to_numpy(dtype=float)


def _t_interval(d: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t interval over replicates (NaN interval for one replicate)."""
    mean = float(np.mean(d))
    if d.size < 2:
        return mean, math.nan, math.nan
    half = (
        float(sps.t.ppf(0.5 + level / 2, d.size - 1)) * float(np.std(d, ddof=1)) / math.sqrt(d.size)
    )
    return mean, mean - half, mean + half


def paired_differences(
    outcomes: pd.DataFrame,
    reference: str,
    columns: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Each protocol minus ``reference``, paired by replicate, with 95% t intervals.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes of a run.
    reference : str
        The protocol every other one is compared with.
    columns : mapping, optional
        :func:`per_replicate` column → scale (default: yields per 1,000 and cost per person).

    Returns
    -------
    DataFrame
        ``protocol, reference, metric, estimate, ci_low, ci_high, replicates``.
    """
    columns = columns or {
        "screen_detected_per_patient": 1000.0,
        "interval_cases_per_patient": 1000.0,
        "scans_per_patient": 1.0,
        "cost_per_patient": 1.0,
    }
    reps = per_replicate(outcomes)
    names = list(dict.fromkeys(outcomes["protocol"].astype(str)))
    rows = []
    for name in names:
        if name == reference:
            continue
        for col, scale in columns.items():
            est, lo, hi = _t_interval(_paired(reps, col, name, reference) * scale)
            metric = col.replace("_per_patient", "_per_1000" if scale == 1000.0 else "_per_patient")
            rows.append(
                {
                    "protocol": name,
                    "reference": reference,
                    "metric": metric,
                    "estimate": est,
                    "ci_low": lo,
                    "ci_high": hi,
                    "replicates": int(reps["replicate"].nunique()),
                }
            )
    return pd.DataFrame(rows)


def icer_with_intervals(
    outcomes: pd.DataFrame, wtp: list[float] | tuple[float, ...] = ()
) -> pd.DataFrame:
    """The ICER table (:func:`fupsim.economics.icer_table`) with 95% intervals for each step.

    Effects are screen-detected changes per person; ICERs are currency per additional
    screen-detected change. For each frontier step the paired per-replicate differences in
    cost (ΔC) and effect (ΔE) give ``ICER = mean ΔC / mean ΔE`` and, by the delta method,
    ``se² = (var ΔC̄ − 2 R cov(ΔC̄, ΔĒ) + R² var ΔĒ) / ΔĒ²``.

    Returns
    -------
    DataFrame
        The ICER table plus ``icer_ci_low`` and ``icer_ci_high`` (currency per change).
    """
    reps = per_replicate(outcomes)
    pooled = (
        outcomes.groupby("protocol", sort=False, observed=True)
        .agg(
            cost_per_patient=("cost", "mean"),
            screen_detected_per_patient=("screen_detected", "mean"),
        )
        .reset_index()
    )
    table = icer_table(pooled, wtp=wtp)
    lows, highs = [], []
    n_rep = int(reps["replicate"].nunique())
    for _, row in table.iterrows():
        if row["status"] != "frontier" or not isinstance(row["compared_with"], str) or n_rep < 2:
            lows.append(math.nan)
            highs.append(math.nan)
            continue
        dc = _paired(reps, "cost_per_patient", row["protocol"], row["compared_with"])
        de = _paired(reps, "screen_detected_per_patient", row["protocol"], row["compared_with"])
        r = float(row["icer"])
        vc, ve = np.var(dc, ddof=1) / n_rep, np.var(de, ddof=1) / n_rep
        cov = float(np.cov(dc, de, ddof=1)[0, 1]) / n_rep
        se = math.sqrt(max(vc - 2 * r * cov + r * r * ve, 0.0)) / abs(float(np.mean(de)))
        half = float(sps.t.ppf(0.975, n_rep - 1)) * se
        lows.append(r - half)
        highs.append(r + half)
    table["icer_ci_low"] = lows
    table["icer_ci_high"] = highs
    return table


def detection_curves(
    outcomes: pd.DataFrame, horizon_months: float, step_months: float = 0.25
) -> pd.DataFrame:
    """Share of people screen-detected by each time, per protocol, with 95% intervals.

    The grid runs to the horizon or to the last screen diagnosis (a CT work-up after a scan
    at the horizon) if later. No one is censored before the horizon in a simulation (everyone's outcome is known), so
    the curve is the empirical share with ``detection_month ≤ t`` among screen-detected
    people over all people; its interval is the t interval over replicates.

    Returns
    -------
    DataFrame
        ``protocol, time_months, cumulative_detection, ci_low, ci_high, estimator``
        (proportions of all people followed).
    """
    last = outcomes.loc[outcomes["screen_detected"], "detection_month"].max()
    end = max(
        horizon_months, float(last) if pd.notna(last) else 0.0
    )  # CT after a scan at the horizon
    grid = np.arange(0.0, end + step_months, step_months)
    rows = []
    n_rep = int(outcomes["replicate"].nunique())
    tq = float(sps.t.ppf(0.975, n_rep - 1)) if n_rep > 1 else math.nan
    for name, part in outcomes.groupby("protocol", sort=False, observed=True):
        per_rep = []
        for _, rp in part.groupby("replicate", sort=True):
            t = np.sort(rp.loc[rp["screen_detected"], "detection_month"].to_numpy(dtype=float))
            per_rep.append(np.searchsorted(t, grid, side="right") / len(rp))
        m = np.array(per_rep)
        mean = m.mean(axis=0)
        half = (
            tq * m.std(axis=0, ddof=1) / math.sqrt(n_rep)
            if n_rep > 1
            else np.full(grid.size, np.nan)
        )
        rows.append(
            pd.DataFrame(
                {
                    "protocol": str(name),
                    "time_months": grid,
                    "cumulative_detection": mean,
                    "ci_low": np.maximum(mean - half, 0.0),
                    "ci_high": mean + half,
                    "estimator": "empirical share of all people, t interval over replicates",
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
