"""Per-protocol quantities over replicates: detection curves since the index scan.

Here the independent units are the R replicates: each protocol's curve is the mean of the
replicate curves ± t(R − 1) × their standard error (:mod:`.intervals`). The curves since the
onset of the change, with censoring and a competing event, are in :mod:`.survival`; the two
are different quantities and are written to different files
(``detection_curves_from_index.csv`` and ``detection_curves_from_onset.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from fupsim.statistics.intervals import t_quantile

__all__ = ["FROM_INDEX_COLUMNS", "detection_from_index"]

FROM_INDEX_COLUMNS: dict[str, str] = {
    "protocol": "protocol name",
    "time_months": "months since the index scan",
    "cumulative_detection": "share of all people followed screen-detected by then (0-1)",
    "ci_low": "lower 95% limit (t over replicates; Monte Carlo error)",
    "ci_high": "upper 95% limit",
    "estimator": "how the curve and interval were computed",
}


def detection_from_index(
    outcomes: pd.DataFrame,
    horizon_months: float,
    step_months: float = 0.25,
    protocols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of people screen-detected by each month since the index scan, per protocol.

    The grid runs to the horizon or to the last screen diagnosis (a CT work-up after a scan
    at the horizon) if later. No one is censored before the horizon in a simulation (everyone's
    outcome is known), so the curve is the share with ``detection_month ≤ t`` among all
    people followed; its interval is the t interval over replicates.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes (``replicate, protocol, screen_detected, detection_month``).
    horizon_months : float
        End of follow-up, months.
    step_months : float
        Grid step, months.
    protocols : sequence of str, optional
        Order of the protocols (default: order of appearance).

    Returns
    -------
    DataFrame
        Columns of :data:`FROM_INDEX_COLUMNS` (proportions of all people followed).
    """
    detected = outcomes["screen_detected"].to_numpy(dtype=bool)
    last = outcomes.loc[detected, "detection_month"].max()
    end = max(horizon_months, float(last) if pd.notna(last) else 0.0)
    grid = np.arange(0.0, end + step_months, step_months)
    replicate = outcomes["replicate"].to_numpy()
    n_rep = int(pd.unique(replicate).size)
    tq = t_quantile(n_rep - 1) if n_rep > 1 else math.nan
    codes, uniques = pd.factorize(outcomes["protocol"].astype(str), sort=False)
    names = list(protocols) if protocols else [str(u) for u in uniques]
    code_of = {str(u): i for i, u in enumerate(uniques)}
    month = outcomes["detection_month"].to_numpy(dtype=float)
    rows = []
    for name in names:
        in_protocol = codes == code_of.get(name, -1)
        reps = replicate[in_protocol]
        found = in_protocol & detected
        per_rep = []
        for r in np.unique(reps):
            t = np.sort(month[found & (replicate == r)])
            per_rep.append(np.searchsorted(t, grid, side="right") / int((reps == r).sum()))
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
                    "protocol": name,
                    "time_months": grid,
                    "cumulative_detection": mean,
                    "ci_low": np.maximum(mean - half, 0.0),
                    "ci_high": mean + half,
                    "estimator": "share of all people, t interval over replicates",
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
