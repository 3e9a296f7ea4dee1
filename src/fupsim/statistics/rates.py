"""Per-protocol event rates with exact (Clopper–Pearson) and Wilson score intervals.

Each protocol's outcomes pool every replicate: replicates are independent draws of
independent people, so the number of people with an event is binomial and the classical
intervals for a proportion apply (DESIGN.md §5). Rates are per 1,000 people followed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

__all__ = ["RATE_OUTCOMES", "protocol_rates"]

RATE_OUTCOMES: dict[str, str] = {
    "screen_detected_per_1000": "screen_detected",
    "interval_cases_per_1000": "interval_case",
    "undetected_at_horizon_per_1000": "undetected_at_horizon",
    "false_diagnoses_per_1000": "false_diagnosis",
    "progressive_per_1000": "progressive",
}
"""Rate name → the boolean outcome column it counts."""


def protocol_rates(
    outcomes: pd.DataFrame, protocols: Sequence[str], *, alpha: float = 0.05
) -> pd.DataFrame:
    """One row per protocol × rate: events, people, rate and its exact and Wilson intervals.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes (``RunResult.outcomes``).
    protocols : sequence of str
        Row order.
    alpha : float
        1 − confidence level (0.05 gives 95 % intervals).

    Returns
    -------
    DataFrame
        ``protocol, metric, events, patients, rate_per_1000, exact_low_per_1000,
        exact_high_per_1000, wilson_low_per_1000, wilson_high_per_1000``.
    """
    columns = list(RATE_OUTCOMES.values())
    grouped = outcomes.groupby("protocol", sort=False)
    counts = grouped[columns].sum().reindex(protocols)
    people = grouped.size().reindex(protocols)
    rows = []
    for protocol in protocols:
        n = int(people[protocol])
        for metric, column in RATE_OUTCOMES.items():
            k = int(counts.loc[protocol, column])
            exact = proportion_confint(k, n, alpha=alpha, method="beta")
            wilson = proportion_confint(k, n, alpha=alpha, method="wilson")
            rows.append(
                {
                    "protocol": protocol,
                    "metric": metric,
                    "events": k,
                    "patients": n,
                    "rate_per_1000": 1000.0 * k / n,
                    "exact_low_per_1000": 1000.0 * float(np.nan_to_num(exact[0])),
                    "exact_high_per_1000": 1000.0 * float(np.nan_to_num(exact[1], nan=1.0)),
                    "wilson_low_per_1000": 1000.0 * float(wilson[0]),
                    "wilson_high_per_1000": 1000.0 * float(wilson[1]),
                }
            )
    return pd.DataFrame(rows)
